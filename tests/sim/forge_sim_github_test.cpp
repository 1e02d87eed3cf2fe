// forge-sim's GitHub REST dialect (API-FACTS section B).
#include <gtest/gtest.h>

#include <regex>

#include "sim_process.hpp"

using forgelink::sim::Headers;
using forgelink::sim::HttpResult;
using forgelink::sim::httpRequest;
using forgelink::sim::SimProcess;
using nlohmann::json;

namespace {

const char* kAlice = "ghp_aliceClassicRepo000000000000000000000";
const char* kBob = "ghp_bobClassicRepo00000000000000000000000";
const char* kCarol = "ghp_carolPull000000000000000000000000000000";
const char* kFine = "github_pat_aliceFineWidget";
const char* kFineRead = "github_pat_aliceFineReadOnly";
const char* kFixSha = "7b2f1e4a9c3d5e6f708192a3b4c5d6e7f8091a2b";
const char* kMainSha = "2a6c97f6f5dc9166cc2e5d0d95415a386805ca07";

class GitHubSim : public ::testing::Test {
protected:
    explicit GitHubSim(const std::string& extra = "") : sim(scenario(extra)) {}
    static std::string scenario(const std::string& extra) {
        std::string s = SimProcess::scenarioFile("github-basic.yaml");
        if (!extra.empty()) s.replace(s.find("  users:"), 0, extra);
        return s;
    }
    Headers auth(const std::string& token) const {
        return {{"Authorization", "Bearer " + token}, {"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}};
    }
    HttpResult get(const std::string& path, const std::string& token = kAlice) const {
        return sim.get(sim.githubUrl() + path, token.empty() ? Headers{} : auth(token));
    }
    HttpResult send(const std::string& method, const std::string& path, const json& body, const std::string& token = kAlice) const {
        Headers h = auth(token);
        h.emplace_back("Content-Type", "application/json");
        return httpRequest(method, sim.githubUrl() + path, h, body.dump());
    }
    SimProcess sim;
};

class GitHubSimLimited : public GitHubSim {
protected:
    GitHubSimLimited() : GitHubSim("  rate_limit: {limit: 3, period_seconds: 3600, exceeded_status: 403}\n  content_creation_per_minute: 2\n") {}
};

TEST_F(GitHubSim, RequestsWithoutUserAgentAreRejected) {
    auto r = sim.get(sim.githubUrl() + "/user", {{"User-Agent", ""}, {"Authorization", std::string("Bearer ") + kAlice}});
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body.find("User-Agent"), std::string::npos);
}

TEST_F(GitHubSim, UserWithClassicAndFineGrainedTokens) {
    auto classic = get("/user");
    ASSERT_EQ(classic.status, 200);
    EXPECT_EQ(classic.json()["login"], "alice");
    EXPECT_EQ(classic.json()["id"], 31898046);
    EXPECT_EQ(classic.header("x-oauth-scopes"), "repo, user");
    EXPECT_TRUE(classic.hasHeader("x-accepted-oauth-scopes"));
    EXPECT_EQ(classic.header("x-ratelimit-limit"), "5000");
    EXPECT_EQ(classic.header("x-ratelimit-remaining"), "4999");
    EXPECT_EQ(classic.header("x-ratelimit-used"), "1");
    EXPECT_EQ(classic.header("x-ratelimit-resource"), "core");
    EXPECT_FALSE(classic.header("x-ratelimit-reset").empty());
    auto fine = get("/user", kFine);
    ASSERT_EQ(fine.status, 200);
    EXPECT_FALSE(fine.hasHeader("x-oauth-scopes"));
    // Legacy "token" scheme and the /github prefix work too.
    auto legacy = sim.get(sim.baseUrl() + "/github/user", {{"Authorization", std::string("token ") + kBob}});
    EXPECT_EQ(legacy.json()["login"], "bob");
}

TEST_F(GitHubSim, BadExpiredAndExpiringCredentials) {
    auto bad = get("/user", "ghp_unknown");
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(bad.json()["message"], "Bad credentials");
    EXPECT_TRUE(bad.json().contains("documentation_url"));
    EXPECT_EQ(get("/user", "ghp_expired00000000000000000000000000000000").status, 401);
    auto expiring = get("/user", "ghp_expiring0000000000000000000000000000000");
    EXPECT_EQ(expiring.header("github-authentication-token-expiration"), "2099-06-01 00:00:00 UTC");
    EXPECT_FALSE(get("/user").hasHeader("github-authentication-token-expiration"));
}

TEST_F(GitHubSim, UserReposPaginationWithLinkHeader) {
    auto p1 = get("/user/repos", kBob);  // bob: widget + 70 generated (collaborator) + public-site via org membership
    ASSERT_EQ(p1.status, 200);
    EXPECT_EQ(p1.json().size(), 30u);
    std::string link = p1.header("link");
    EXPECT_NE(link.find("<" + sim.githubUrl() + "/user/repos?per_page=30&page=2>; rel=\"next\""), std::string::npos) << link;
    EXPECT_NE(link.find("page=3>; rel=\"last\""), std::string::npos) << link;
    EXPECT_EQ(link.find("rel=\"prev\""), std::string::npos);
    EXPECT_EQ(link.find("rel=\"first\""), std::string::npos);
    auto p3 = get("/user/repos?page=3", kBob);
    EXPECT_EQ(p3.json().size(), 12u);
    EXPECT_EQ(p3.header("link").find("rel=\"next\""), std::string::npos);
    EXPECT_NE(p3.header("link").find("rel=\"first\""), std::string::npos);
    EXPECT_NE(p3.header("link").find("page=2>; rel=\"prev\""), std::string::npos);
    auto all = get("/user/repos?per_page=100", kBob);
    EXPECT_EQ(all.json().size(), 72u);
    EXPECT_FALSE(all.hasHeader("link"));  // one page: no Link
    EXPECT_EQ(all.json()[0]["full_name"], "acme/gen-1");  // full_name ascending by default
    EXPECT_EQ(get("/user/repos?per_page=100&visibility=public", kBob).json().size(), 1u);
    EXPECT_EQ(get("/user/repos?per_page=100&affiliation=collaborator", kBob).json().size(), 71u);
    auto bad = get("/user/repos?type=owner&visibility=public", kBob);
    EXPECT_EQ(bad.status, 422);
    auto owner = get("/user/repos?type=owner");
    ASSERT_EQ(owner.json().size(), 1u);
    EXPECT_EQ(owner.json()[0]["full_name"], "alice/dotfiles");
}

TEST_F(GitHubSim, FineGrainedTokenSeesOnlySelectedPrivateRepos) {
    auto repos = get("/user/repos?per_page=100", kFine);
    std::set<std::string> names;
    for (auto& r : repos.json()) names.insert(r["full_name"]);
    EXPECT_TRUE(names.count("acme/widget"));
    EXPECT_FALSE(names.count("acme/gen-1"));
    EXPECT_TRUE(names.count("acme/public-site"));
}

TEST_F(GitHubSim, RepoPermissionsAndHiddenRepos) {
    auto widget = get("/repos/acme/widget", kBob);
    ASSERT_EQ(widget.status, 200);
    EXPECT_EQ(widget.json()["permissions"], json({{"admin", false}, {"maintain", false}, {"push", true}, {"triage", true}, {"pull", true}}));
    EXPECT_EQ(widget.json()["private"], true);
    EXPECT_EQ(widget.json()["full_name"], "acme/widget");
    EXPECT_EQ(get("/repos/acme/widget").json()["permissions"]["admin"], true);
    auto hidden = get("/repos/dave/secret");
    EXPECT_EQ(hidden.status, 404);
    EXPECT_EQ(hidden.json()["message"], "Not Found");
    EXPECT_TRUE(hidden.json().contains("documentation_url"));
    EXPECT_EQ(get("/repos/acme/widget", "ghp_aliceReadUser0000000000000000000000000").status, 404);  // no repo scope
    EXPECT_EQ(get("/repos/acme/public-site", "").status, 200);
}

TEST_F(GitHubSim, OrgsAndOrgRepos) {
    auto orgs = get("/user/orgs");
    ASSERT_EQ(orgs.json().size(), 1u);
    EXPECT_EQ(orgs.json()[0]["login"], "acme");
    auto repos = get("/orgs/acme/repos?per_page=100", kCarol);  // carol: collaborator on widget only
    std::set<std::string> names;
    for (auto& r : repos.json()) names.insert(r["name"]);
    EXPECT_EQ(names, (std::set<std::string>{"widget", "public-site"}));
}

TEST_F(GitHubSim, CommitStatusesAnyStateRepeatedly) {
    for (int i = 0; i < 2; ++i) {
        auto r = send("POST", std::string("/repos/acme/widget/statuses/") + kFixSha,
                      {{"state", "pending"}, {"context", "forgelink"}, {"description", "running"}, {"target_url", "https://ci/1"}}, kBob);
        ASSERT_EQ(r.status, 201) << r.body;
        EXPECT_EQ(r.header("location"), sim.githubUrl() + "/repos/acme/widget/statuses/" + kFixSha);
        EXPECT_EQ(r.json()["state"], "pending");
        EXPECT_EQ(r.json()["creator"]["login"], "bob");
        for (const char* k : {"url", "avatar_url", "id", "node_id", "description", "target_url", "context", "created_at", "updated_at"})
            EXPECT_TRUE(r.json().contains(k)) << k;
    }
    auto failure = send("POST", std::string("/repos/acme/widget/statuses/") + kFixSha, {{"state", "failure"}, {"context", "lint"}}, kBob);
    EXPECT_EQ(failure.status, 201);
    auto list = get(std::string("/repos/acme/widget/commits/") + kFixSha + "/statuses");
    EXPECT_EQ(list.json().size(), 4u);  // 3 new + 1 from the scenario, newest first
    EXPECT_EQ(list.json()[0]["context"], "lint");
    auto combined = get(std::string("/repos/acme/widget/commits/") + kFixSha + "/status").json();
    EXPECT_EQ(combined["state"], "failure");
    EXPECT_EQ(combined["total_count"], 3);
    EXPECT_EQ(combined["sha"], kFixSha);
    auto by_branch = get("/repos/acme/widget/commits/fix/status").json();
    EXPECT_EQ(by_branch["sha"], kFixSha);
}

TEST_F(GitHubSim, CommitStatusRefusals) {
    auto pull_only = send("POST", std::string("/repos/acme/widget/statuses/") + kFixSha, {{"state", "success"}}, kCarol);
    EXPECT_EQ(pull_only.status, 403);
    auto fine_ro = send("POST", std::string("/repos/acme/widget/statuses/") + kFixSha, {{"state", "success"}}, kFineRead);
    EXPECT_EQ(fine_ro.status, 403);
    EXPECT_EQ(fine_ro.json()["message"], "Resource not accessible by personal access token");
    EXPECT_EQ(fine_ro.header("x-accepted-github-permissions"), "statuses=write");
    EXPECT_EQ(send("POST", std::string("/repos/acme/widget/statuses/") + kFixSha, {{"state", "success"}}, kFine).status, 201);
    auto bad_state = send("POST", std::string("/repos/acme/widget/statuses/") + kFixSha, {{"state", "done"}});
    EXPECT_EQ(bad_state.status, 422);
    EXPECT_EQ(bad_state.json()["message"], "Validation Failed");
    EXPECT_EQ(bad_state.json()["errors"][0]["field"], "state");
    auto no_commit = send("POST", "/repos/acme/widget/statuses/0000000000000000000000000000000000000000", {{"state", "success"}});
    EXPECT_EQ(no_commit.status, 422);
    EXPECT_EQ(send("POST", std::string("/repos/dave/secret/statuses/") + kFixSha, {{"state", "success"}}).status, 404);
    auto bad_json = httpRequest("POST", sim.githubUrl() + "/repos/acme/widget/statuses/" + kFixSha,
                                {{"Authorization", std::string("Bearer ") + kAlice}}, "{not json");
    EXPECT_EQ(bad_json.status, 400);
    EXPECT_EQ(bad_json.json()["message"], "Problems parsing JSON");
}

TEST_F(GitHubSim, PullsForACommit) {
    auto fix = get(std::string("/repos/acme/widget/commits/") + kFixSha + "/pulls");
    ASSERT_EQ(fix.status, 200);
    ASSERT_EQ(fix.json().size(), 1u);
    EXPECT_EQ(fix.json()[0]["number"], 7);
    EXPECT_EQ(fix.json()[0]["head"]["sha"], kFixSha);
    auto main = get(std::string("/repos/acme/widget/commits/") + kMainSha + "/pulls");
    ASSERT_EQ(main.json().size(), 1u);
    EXPECT_EQ(main.json()[0]["number"], 3);  // on the default branch: the merged PR only
}

TEST_F(GitHubSim, IssueCommentsCreateListEdit) {
    auto created = send("POST", "/repos/acme/widget/issues/7/comments", {{"body", "Forgelink summary"}}, kBob);
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.json()["user"]["login"], "bob");
    long long id = created.json()["id"];
    EXPECT_EQ(created.header("location"), sim.githubUrl() + "/repos/acme/widget/issues/comments/" + std::to_string(id));
    auto list = get("/repos/acme/widget/issues/7/comments");
    ASSERT_EQ(list.json().size(), 2u);
    EXPECT_EQ(list.json()[0]["id"], 1001);  // ascending
    EXPECT_EQ(list.json()[1]["id"], id);
    auto edited = send("PATCH", "/repos/acme/widget/issues/comments/" + std::to_string(id), {{"body", "v2"}}, kBob);
    ASSERT_EQ(edited.status, 200);
    EXPECT_EQ(edited.json()["body"], "v2");
    EXPECT_EQ(send("PATCH", "/repos/acme/widget/issues/comments/1001", {{"body", "hijack"}}, kBob).status, 403);
    auto missing_body = send("POST", "/repos/acme/widget/issues/7/comments", json::object(), kBob);
    EXPECT_EQ(missing_body.status, 422);
    EXPECT_EQ(send("POST", "/repos/acme/widget/issues/99/comments", {{"body", "x"}}, kBob).status, 404);
    auto fine_ro = send("POST", "/repos/acme/widget/issues/7/comments", {{"body", "x"}}, kFineRead);
    EXPECT_EQ(fine_ro.status, 403);
    EXPECT_EQ(fine_ro.header("x-accepted-github-permissions"), "issues=write; pull_requests=write");
    EXPECT_EQ(send("POST", "/repos/acme/widget/issues/7/comments", {{"body", "x"}}, kFine).status, 201);
}

TEST_F(GitHubSim, CheckRunsRefusedForPersonalTokens) {
    auto r = send("POST", "/repos/acme/widget/check-runs", {{"name", "forgelink"}, {"head_sha", kFixSha}});
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json()["message"], "You must authenticate via a GitHub App.");
}

TEST_F(GitHubSimLimited, PrimaryLimitAnswers403WithRemainingZero) {
    EXPECT_EQ(get("/user").status, 200);
    EXPECT_EQ(get("/user").status, 200);
    auto third = get("/user");
    EXPECT_EQ(third.header("x-ratelimit-remaining"), "0");
    auto limited = get("/user");
    EXPECT_EQ(limited.status, 403);
    EXPECT_EQ(limited.header("x-ratelimit-remaining"), "0");
    EXPECT_NE(limited.json()["message"].get<std::string>().find("API rate limit exceeded"), std::string::npos);
    EXPECT_EQ(get("/rate_limit").status, 200);  // free, even when exhausted
    sim.advanceTime(3601);
    EXPECT_EQ(get("/user").status, 200);
}

TEST_F(GitHubSimLimited, ContentCreationSecondaryLimit) {
    EXPECT_EQ(send("POST", "/repos/acme/widget/issues/7/comments", {{"body", "1"}}, kBob).status, 201);
    EXPECT_EQ(send("POST", "/repos/acme/widget/issues/7/comments", {{"body", "2"}}, kBob).status, 201);
    auto third = send("POST", "/repos/acme/widget/issues/7/comments", {{"body", "3"}}, kBob);
    EXPECT_EQ(third.status, 403);
    EXPECT_NE(third.json()["message"].get<std::string>().find("secondary rate limit"), std::string::npos);
    EXPECT_FALSE(third.header("retry-after").empty());
}

TEST_F(GitHubSim, OAuthWebFlow) {
    auto auth = sim.get(sim.baseUrl() + "/login/oauth/authorize?client_id=Iv1.forgelink&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback"
                                        "&scope=repo&state=abc&code_challenge=2i0WFA-0AerkjQm4X4oDEhqA17QIAKNjXpagHBXmO_U&code_challenge_method=S256");
    ASSERT_EQ(auth.status, 302);
    std::smatch m;
    std::string loc = auth.header("location");
    ASSERT_TRUE(std::regex_search(loc, m, std::regex("code=([0-9a-f]+)&state=abc")));
    std::string code = m[1];
    auto form = [&](const std::string& c, const std::string& secret, const std::string& verifier) {
        return "client_id=Iv1.forgelink&client_secret=" + secret + "&code=" + c + "&code_verifier=" + verifier;
    };
    auto wrong_secret = httpRequest("POST", sim.baseUrl() + "/login/oauth/access_token", {{"Accept", "application/json"}},
                                    form(code, "nope", "ks02i3jdikdo2k0dkfodf3m39rjfjsdk0wk349rj3jrhf"));
    EXPECT_EQ(wrong_secret.status, 200);
    EXPECT_EQ(wrong_secret.json()["error"], "incorrect_client_credentials");
    auto bad_verifier = httpRequest("POST", sim.baseUrl() + "/login/oauth/access_token", {{"Accept", "application/json"}},
                                    form(code, "gh-secret", "wrong"));
    EXPECT_EQ(bad_verifier.status, 200);
    EXPECT_EQ(bad_verifier.json()["error"], "bad_verification_code");
    auto ok = httpRequest("POST", sim.baseUrl() + "/login/oauth/access_token", {},
                          form(code, "gh-secret", "ks02i3jdikdo2k0dkfodf3m39rjfjsdk0wk349rj3jrhf"));
    ASSERT_EQ(ok.status, 200);
    EXPECT_NE(ok.header("content-type").find("application/x-www-form-urlencoded"), std::string::npos);
    ASSERT_TRUE(std::regex_search(ok.body, m, std::regex("access_token=(gho_[A-Za-z0-9]{36})&scope=repo&token_type=bearer")));
    auto user = get("/user", m[1]);
    EXPECT_EQ(user.json()["login"], "alice");
    EXPECT_EQ(user.header("x-oauth-scopes"), "repo");
    auto reused = httpRequest("POST", sim.baseUrl() + "/login/oauth/access_token", {{"Accept", "application/json"}},
                              form(code, "gh-secret", "ks02i3jdikdo2k0dkfodf3m39rjfjsdk0wk349rj3jrhf"));
    EXPECT_EQ(reused.json(), json({{"error", "bad_verification_code"},
                                   {"error_description", "The code passed is incorrect or expired."},
                                   {"error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"}}));
}

}  // namespace

// Every object carries the fields GitHub's OpenAPI description (@octokit/openapi ghes-3.19) marks
// required for its schema, on every endpoint that returns it, with URLs under the prefix the request
// came in on (/api/v3 or /github).
namespace shapes {
const std::vector<std::string> kSimpleUser = {
    "avatar_url", "events_url", "followers_url", "following_url", "gists_url", "gravatar_id", "html_url", "id", "node_id",
    "login", "organizations_url", "received_events_url", "repos_url", "site_admin", "starred_url", "subscriptions_url", "type", "url"};
const std::vector<std::string> kOrgSimple = {"login", "url", "id", "node_id", "repos_url", "events_url", "hooks_url", "issues_url",
                                             "members_url", "public_members_url", "avatar_url", "description"};
const std::vector<std::string> kRepository = {
    "archive_url", "assignees_url", "blobs_url", "branches_url", "collaborators_url", "comments_url", "commits_url",
    "compare_url", "contents_url", "contributors_url", "deployments_url", "description", "downloads_url", "events_url",
    "fork", "forks_url", "full_name", "git_commits_url", "git_refs_url", "git_tags_url", "hooks_url", "html_url", "id",
    "node_id", "issue_comment_url", "issue_events_url", "issues_url", "keys_url", "labels_url", "languages_url",
    "merges_url", "milestones_url", "name", "notifications_url", "owner", "private", "pulls_url", "releases_url",
    "stargazers_url", "statuses_url", "subscribers_url", "subscription_url", "tags_url", "teams_url", "trees_url", "url",
    "clone_url", "default_branch", "forks", "forks_count", "git_url", "has_downloads", "has_issues", "has_projects",
    "has_wiki", "has_pages", "homepage", "language", "archived", "disabled", "mirror_url", "open_issues",
    "open_issues_count", "license", "pushed_at", "size", "ssh_url", "stargazers_count", "svn_url", "watchers",
    "watchers_count", "created_at", "updated_at"};
const std::vector<std::string> kFullRepositoryExtra = {"has_discussions", "network_count", "subscribers_count"};
const std::vector<std::string> kPullSimple = {
    "_links", "assignee", "labels", "base", "body", "closed_at", "comments_url", "commits_url", "created_at", "diff_url",
    "head", "html_url", "id", "node_id", "issue_url", "merge_commit_sha", "merged_at", "milestone", "number", "patch_url",
    "review_comment_url", "review_comments_url", "statuses_url", "state", "locked", "title", "updated_at", "url", "user",
    "author_association", "auto_merge"};
const std::vector<std::string> kPullExtra = {"additions", "changed_files", "comments", "commits", "deletions", "mergeable",
                                             "mergeable_state", "merged", "maintainer_can_modify", "merged_by", "review_comments"};
const std::vector<std::string> kLinks = {"comments", "commits", "statuses", "html", "issue", "review_comments", "review_comment", "self"};
}  // namespace shapes

// Names the missing fields, and checks that every *_url under the API points at the request's prefix.
void expectShape(const json& j, const std::vector<std::string>& required, const std::string& api, const std::string& what) {
    ASSERT_TRUE(j.is_object()) << what << ": " << j.dump();
    std::string missing;
    for (auto& f : required)
        if (!j.contains(f)) missing += " " + f;
    EXPECT_TRUE(missing.empty()) << what << " lacks:" << missing;
    for (auto& [k, v] : j.items()) {
        bool api_url = k == "url" || (k.size() > 4 && k.compare(k.size() - 4, 4, "_url") == 0 && k != "html_url" &&
                                      k != "avatar_url" && k != "svn_url" && k != "clone_url" && k != "git_url" &&
                                      k != "ssh_url" && k != "mirror_url" && k != "diff_url" && k != "patch_url");
        if (api_url && v.is_string()) {
            EXPECT_EQ(v.get<std::string>().rfind(api, 0), 0u) << what << "." << k << " = " << v;
        }
    }
}

void expectRepository(const json& r, const std::string& api, const std::string& what) {
    expectShape(r, shapes::kRepository, api, what);
    expectShape(r["owner"], shapes::kSimpleUser, api, what + ".owner");
}

TEST_F(GitHubSim, ObjectsCarryEveryRequiredFieldOfTheirSchema) {
    for (const std::string prefix : {"/api/v3", "/github"}) {
        const std::string api = sim.baseUrl() + prefix;
        auto at = [&](const std::string& path) {
            auto r = sim.get(api + path, auth(kAlice));
            EXPECT_EQ(r.status, 200) << path << ": " << r.body;
            return r.json();
        };
        auto orgs = at("/user/orgs");
        ASSERT_FALSE(orgs.empty());
        expectShape(orgs[0], shapes::kOrgSimple, api, prefix + " /user/orgs[0]");
        EXPECT_EQ(orgs[0]["members_url"], api + "/orgs/acme/members{/member}");
        auto repos = at("/user/repos");
        ASSERT_FALSE(repos.empty());
        for (auto& r : repos) expectRepository(r, api, prefix + " /user/repos " + r["full_name"].get<std::string>());
        auto org_repos = at("/orgs/acme/repos");
        ASSERT_FALSE(org_repos.empty());
        expectRepository(org_repos[0], api, prefix + " /orgs/acme/repos[0]");
        auto widget = at("/repos/acme/widget");
        expectRepository(widget, api, prefix + " /repos/acme/widget");
        expectShape(widget, shapes::kFullRepositoryExtra, api, prefix + " /repos/acme/widget (full)");
        EXPECT_EQ(widget["archive_url"], api + "/repos/acme/widget/{archive_format}{/ref}");
        EXPECT_EQ(widget["owner"]["type"], "Organization");
        EXPECT_EQ(widget["organization"]["login"], "acme");
        EXPECT_EQ(widget["svn_url"], widget["html_url"]);
        EXPECT_TRUE(widget["mirror_url"].is_null());

        auto pulls = at(std::string("/repos/acme/widget/commits/") + kFixSha + "/pulls");
        ASSERT_EQ(pulls.size(), 1u);
        const json& pr = pulls[0];
        expectShape(pr, shapes::kPullSimple, api, prefix + " commits/:sha/pulls[0]");
        expectShape(pr["_links"], shapes::kLinks, api, prefix + " pull _links");
        EXPECT_EQ(pr["_links"]["self"]["href"], pr["url"]);
        EXPECT_EQ(pr["commits_url"], api + "/repos/acme/widget/pulls/7/commits");
        EXPECT_TRUE(pr["labels"].is_array());
        expectShape(pr["user"], shapes::kSimpleUser, api, prefix + " pull.user");
        for (const char* side : {"head", "base"}) {
            expectRepository(pr[side]["repo"], api, prefix + " pull." + side + ".repo");
            expectShape(pr[side]["user"], shapes::kSimpleUser, api, prefix + " pull." + side + ".user");
        }
        auto full = at("/repos/acme/widget/pulls/7");
        expectShape(full, shapes::kPullSimple, api, prefix + " pulls/7");
        expectShape(full, shapes::kPullExtra, api, prefix + " pulls/7 (full)");
        EXPECT_EQ(full["commits"], 1);

        auto combined = at(std::string("/repos/acme/widget/commits/") + kFixSha + "/status");
        expectRepository(combined["repository"], api, prefix + " combined status repository");
        auto statuses = at(std::string("/repos/acme/widget/commits/") + kFixSha + "/statuses");
        ASSERT_FALSE(statuses.empty());
        expectShape(statuses[0]["creator"], shapes::kSimpleUser, api, prefix + " status.creator");
    }
}

// ---- repositories by id, renames, single comments, issue and pull listings ----

const char* kWidgetId = "515435682";

TEST_F(GitHubSim, RepositoriesByIdServeEveryRepoRoute) {
    auto by_id = get(std::string("/repositories/") + kWidgetId, kBob);
    ASSERT_EQ(by_id.status, 200) << by_id.body;
    EXPECT_EQ(by_id.json(), get("/repos/acme/widget", kBob).json());
    auto statuses = get(std::string("/repositories/") + kWidgetId + "/commits/" + kFixSha + "/statuses", kBob);
    ASSERT_EQ(statuses.status, 200) << statuses.body;
    EXPECT_EQ(statuses.json()[0]["context"], "ci/other");
    auto posted = send("POST", std::string("/repositories/") + kWidgetId + "/statuses/" + kFixSha, {{"state", "success"}}, kBob);
    EXPECT_EQ(posted.status, 201) << posted.body;
    // Link URLs of an id-addressed listing stay under /repositories/:id.
    for (int i = 0; i < 2; ++i) send("POST", std::string("/repositories/") + kWidgetId + "/issues/7/comments", {{"body", "c"}}, kBob);
    auto page = get(std::string("/repositories/") + kWidgetId + "/issues/7/comments?per_page=1", kBob);
    EXPECT_NE(page.header("link").find("/api/v3/repositories/" + std::string(kWidgetId) + "/issues/7/comments?per_page=1&page=2"),
              std::string::npos)
        << page.header("link");
    EXPECT_EQ(get("/repositories/515435684").status, 404);  // dave's private repo: invisible, same 404 as missing
    EXPECT_EQ(get("/repositories/999").status, 404);
    EXPECT_EQ(get("/repositories/widget").status, 404);
}

TEST_F(GitHubSim, FormerNameRedirectsToTheIdWithPathAndQuery) {
    auto moved = get("/repos/acme/gadget", kBob);
    ASSERT_EQ(moved.status, 301) << moved.body;
    const std::string target = sim.githubUrl() + "/repositories/" + kWidgetId;
    EXPECT_EQ(moved.header("location"), target);
    EXPECT_EQ(moved.json(), json({{"message", "Moved Permanently"}, {"url", target}, {"documentation_url", "https://docs.github.com/v3/#http-redirects"}}));
    EXPECT_EQ(moved.header("content-type").rfind("application/json", 0), 0u);
    auto sub = get(std::string("/repos/acme/gadget/commits/") + kFixSha + "/statuses?per_page=5", kBob);
    EXPECT_EQ(sub.status, 301);
    EXPECT_EQ(sub.header("location"), target + "/commits/" + kFixSha + "/statuses?per_page=5");
    // Writes are redirected with 307 so that clients repeat the method and body.
    auto write = send("POST", std::string("/repos/acme/gadget/statuses/") + kFixSha, {{"state", "success"}}, kBob);
    EXPECT_EQ(write.status, 307);
    EXPECT_EQ(write.header("location"), target + "/statuses/" + kFixSha);
    EXPECT_EQ(sim.state()["github"]["statuses"].size(), 1u) << "a redirected write must not have been applied";
    // A former name of a repository the caller cannot see stays 404, like a name never used.
    EXPECT_EQ(get("/repos/dave/older-secret").status, 404);
    EXPECT_EQ(get("/repos/acme/gadget", "ghp_aliceReadUser0000000000000000000000000").status, 404);
}

TEST_F(GitHubSim, AdminRenameKeepsIdAccessAndRedirects) {
    auto renamed = sim.post(sim.baseUrl() + "/_sim/github/repos/" + kWidgetId + "/rename", R"({"name":"gizmo"})");
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(renamed.json()["full_name"], "acme/gizmo");
    EXPECT_EQ(renamed.json()["previous_full_name"], "acme/widget");
    auto now = get("/repos/acme/gizmo", kBob);
    ASSERT_EQ(now.status, 200);
    EXPECT_EQ(now.json()["id"], 515435682);
    EXPECT_EQ(now.json()["full_name"], "acme/gizmo");
    auto old = get("/repos/acme/widget/issues/7/comments", kBob);
    EXPECT_EQ(old.status, 301);
    EXPECT_EQ(old.header("location"), sim.githubUrl() + "/repositories/" + kWidgetId + "/issues/7/comments");
    EXPECT_EQ(get("/repos/acme/gadget", kBob).status, 301);  // older names keep redirecting
    EXPECT_EQ(get("/repos/acme/gizmo", kFine).status, 200);   // a fine-grained token keeps its repository
    // Transfer to a user; then the org name redirects.
    auto moved = sim.post(sim.baseUrl() + "/_sim/github/repos/" + kWidgetId + "/rename", R"({"owner":"alice"})");
    ASSERT_EQ(moved.status, 200) << moved.body;
    EXPECT_EQ(get("/repos/alice/gizmo").json()["owner"]["login"], "alice");
    EXPECT_EQ(get("/repos/acme/gizmo").status, 301);
    // Refusals name what is wrong.
    auto taken = sim.post(sim.baseUrl() + "/_sim/github/repos/515435683/rename", R"({"name":"gizmo","owner":"alice"})");
    EXPECT_EQ(taken.status, 409);
    EXPECT_NE(taken.json()["error"].get<std::string>().find("alice/gizmo"), std::string::npos);
    EXPECT_EQ(sim.post(sim.baseUrl() + "/_sim/github/repos/515435683/rename", R"({"owner":"nobody"})").status, 400);
    EXPECT_EQ(sim.post(sim.baseUrl() + "/_sim/github/repos/515435683/rename", R"({"name":"a/b"})").status, 400);
    EXPECT_EQ(sim.post(sim.baseUrl() + "/_sim/github/repos/1/rename", R"({"name":"x"})").status, 404);
    // Taking a former name back ends its redirect.
    ASSERT_EQ(sim.post(sim.baseUrl() + "/_sim/github/repos/515435683/rename", R"({"name":"gadget"})").status, 200);
    auto reused = get("/repos/acme/gadget");
    EXPECT_EQ(reused.status, 200);
    EXPECT_EQ(reused.json()["id"], 515435683);
}

TEST_F(GitHubSim, ScenarioRefusesAFormerNameThatIsCurrent) {
    std::string bad = SimProcess::scenarioFile("github-basic.yaml");
    bad.replace(bad.find("moved_from: [acme/gadget]"), 25, "moved_from: [acme/public-site]");
    auto r = sim.post(sim.baseUrl() + "/_sim/scenario", bad);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.json()["error"].get<std::string>().find("acme/public-site"), std::string::npos) << r.body;
}

TEST_F(GitHubSim, SingleIssueCommentAndItsDeletion) {
    auto c = get("/repos/acme/widget/issues/comments/1001", kBob);
    ASSERT_EQ(c.status, 200) << c.body;
    EXPECT_EQ(c.json()["body"], "LGTM");
    EXPECT_EQ(c.json()["user"]["login"], "carol");
    EXPECT_EQ(c.json()["issue_url"], sim.githubUrl() + "/repos/acme/widget/issues/7");
    auto fine_ro = get("/repos/acme/widget/issues/comments/1001", kFineRead);
    EXPECT_EQ(fine_ro.status, 403);
    EXPECT_EQ(fine_ro.header("x-accepted-github-permissions"), "issues=read; pull_requests=read");
    EXPECT_EQ(get("/repos/acme/widget/issues/comments/1001", kFine).status, 200);
    // Someone deletes it on github.com (carol, or a maintainer): then it is gone for everyone.
    auto del = httpRequest("DELETE", sim.baseUrl() + "/_sim/github/comments/1001");
    EXPECT_EQ(del.status, 204) << del.body;
    auto gone = get("/repos/acme/widget/issues/comments/1001", kBob);
    EXPECT_EQ(gone.status, 404);
    EXPECT_EQ(gone.json()["message"], "Not Found");
    EXPECT_EQ(send("PATCH", "/repos/acme/widget/issues/comments/1001", {{"body", "x"}}, kBob).status, 404);
    EXPECT_TRUE(get("/repos/acme/widget/issues/7/comments", kBob).json().empty());
    EXPECT_EQ(httpRequest("DELETE", sim.baseUrl() + "/_sim/github/comments/1001").status, 404);
    EXPECT_EQ(httpRequest("DELETE", sim.baseUrl() + "/_sim/github/comments/x").status, 400);
}

TEST_F(GitHubSim, IssueAndPullListingsWithFineGrainedAnswers) {
    auto open = get("/repos/acme/widget/issues", kBob);
    ASSERT_EQ(open.status, 200) << open.body;
    ASSERT_EQ(open.json().size(), 1u);
    EXPECT_EQ(open.json()[0]["number"], 7);
    EXPECT_EQ(open.json()[0]["comments"], 1);
    EXPECT_EQ(open.json()[0]["pull_request"]["url"], sim.githubUrl() + "/repos/acme/widget/pulls/7");
    auto all = get("/repos/acme/widget/issues?state=all&direction=asc", kBob).json();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0]["number"], 3);
    EXPECT_EQ(all[0]["state"], "closed");
    EXPECT_EQ(get("/repos/acme/widget/issues?state=bogus", kBob).status, 422);
    auto pulls = get("/repos/acme/widget/pulls", kBob).json();
    ASSERT_EQ(pulls.size(), 1u);
    EXPECT_EQ(pulls[0]["head"]["sha"], kFixSha);
    EXPECT_EQ(get("/repos/acme/widget/pulls?state=closed", kBob).json()[0]["number"], 3);
    EXPECT_TRUE(get("/repos/acme/widget/pulls?base=other", kBob).json().empty());
    EXPECT_EQ(get("/repos/acme/widget/pulls?head=acme:fix", kBob).json().size(), 1u);
    EXPECT_EQ(get("/repos/acme/widget/pulls?state=all&per_page=1", kBob).header("link").find("rel=\"next\"") != std::string::npos, true);

    // A fine-grained token without the permission is refused, naming what the endpoint accepts.
    struct Case {
        std::string path, accepted;
    };
    for (const Case& c : {Case{"/repos/acme/widget/issues?per_page=1", "issues=read"},
                          Case{"/repos/acme/widget/pulls?per_page=1", "pull_requests=read"},
                          Case{std::string("/repos/acme/widget/commits/") + kFixSha + "/statuses?per_page=1", "statuses=read"}}) {
        auto refused = get(c.path, kFineRead);
        EXPECT_EQ(refused.status, 403) << c.path;
        EXPECT_EQ(refused.json()["message"], "Resource not accessible by personal access token") << c.path;
        EXPECT_EQ(refused.header("x-accepted-github-permissions"), c.accepted) << c.path;
        EXPECT_EQ(get(c.path, kFine).status, 200) << c.path;
    }
    // Fine-grained tokens read every public repository without any permission.
    EXPECT_EQ(get("/repos/acme/public-site/issues", kFineRead).status, 200);
    EXPECT_EQ(get("/repos/acme/public-site/pulls", kFineRead).status, 200);
    EXPECT_EQ(get("/repos/acme/public-site/commits/4444444444444444444444444444444444444444/statuses", kFineRead).status, 200);
    auto write = send("POST", "/repos/acme/public-site/statuses/4444444444444444444444444444444444444444", {{"state", "success"}}, kFineRead);
    EXPECT_EQ(write.status, 403);  // writing still needs the permission
    EXPECT_EQ(write.header("x-accepted-github-permissions"), "statuses=write");
}
