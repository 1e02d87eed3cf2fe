// Every recorded GitHub exchange in shared/fixtures/github goes through the provider's JSON mapping
// and header parsing. A new recording without a check here fails EveryRecordingIsChecked.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "api_client.hpp"
#include "json_mapping.hpp"

namespace forgelink::github {
namespace {

using nlohmann::json;

struct Recording {
    json request;
    HttpResponse response;
    json body;
};

Recording load(const std::string& name) {
    std::ifstream in(std::string(FORGELINK_GITHUB_FIXTURES) + "/" + name);
    if (!in) throw std::runtime_error("cannot read fixture " + name);
    json j = json::parse(in);
    Recording r;
    r.request = j.at("request");
    r.response.status = j.at("response").at("status").get<int>();
    for (auto& [k, v] : j.at("response").at("headers").items()) {
        r.response.headers.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    }
    r.body = j.at("response").at("body");
    r.response.body = r.body.is_string() ? r.body.get<std::string>() : r.body.dump();
    return r;
}

const Instance& dotCom() {
    static const Instance instance = parseInstance("https://github.com").value();
    return instance;
}

using Check = std::function<void(const Recording&)>;

const std::map<std::string, Check>& checks() {
    static const std::map<std::string, Check> table = {
        {"check_run_create_in_progress.exchange.json",
         [](const Recording& r) {
             // Check runs need a GitHub App: Forgelink posts commit statuses. Headers still parse.
             EXPECT_EQ(r.response.status, 201);
             auto rl = parseRateLimit(r.response.headers);
             EXPECT_EQ(rl.limit, 5000);
             EXPECT_EQ(rl.remaining, 4896);
             EXPECT_EQ(rl.reset, 1603425766);
             EXPECT_FALSE(parseScopes(r.response.headers).has_value());  // App token: no scopes header
             EXPECT_TRUE(hasGitHubHeaders(r.response));
         }},
        {"check_run_update_completed.exchange.json",
         [](const Recording& r) {
             EXPECT_EQ(parseRateLimit(r.response.headers).used, 158);
             EXPECT_TRUE(linkTarget(r.response, "next").empty());
         }},
        {"commit_combined_status.exchange.json",
         [](const Recording& r) {
             auto statuses = parseArray<CommitStatus>(r.body.at("statuses"), "statuses", parseCommitStatus);
             ASSERT_TRUE(statuses.ok()) << statuses.error().message;
             ASSERT_EQ(statuses->size(), 2u);
             EXPECT_EQ(statuses.value()[0].state, "failure");
             EXPECT_EQ(statuses.value()[0].context, "example/1");
             auto scopes = parseScopes(r.response.headers);
             ASSERT_TRUE(scopes.has_value());
             EXPECT_EQ(scopes->size(), 11u);
             EXPECT_EQ(scopes->front(), "admin:gpg_key");
             auto accepted = parseScopes(r.response.headers, "X-Accepted-OAuth-Scopes");
             EXPECT_EQ(*accepted, (std::vector<std::string>{"repo", "repo:status"}));
             EXPECT_EQ(parseRateLimit(r.response.headers).resource, "core");
         }},
        {"commit_pulls_list.exchange.json",
         [](const Recording& r) {
             auto pulls = parseArray<Pull>(r.body, "pulls", parsePull);
             ASSERT_TRUE(pulls.ok()) << pulls.error().message;
             ASSERT_EQ(pulls->size(), 1u);
             const MergeRequest& m = pulls.value()[0].merge_request;
             EXPECT_EQ(m.number, "1431");
             EXPECT_EQ(m.state, "closed");
             EXPECT_EQ(m.source_branch, "list_user_projects");
             EXPECT_EQ(m.web_url, "https://github.com/PyGithub/PyGithub/pull/1431");
             EXPECT_EQ(pulls.value()[0].base_full_name, "PyGithub/PyGithub");
             EXPECT_FALSE(m.target_repository.empty());
             EXPECT_EQ(*parseScopes(r.response.headers), std::vector<std::string>{"repo"});
         }},
        {"commit_statuses_list.exchange.json",
         [](const Recording& r) {
             auto statuses = parseArray<CommitStatus>(r.body, "statuses", parseCommitStatus);
             ASSERT_TRUE(statuses.ok()) << statuses.error().message;
             ASSERT_FALSE(statuses->empty());
             EXPECT_EQ(statuses.value()[0].state, "success");
             EXPECT_EQ(statuses.value()[0].id, 18402522398);
         }},
        {"installation_repositories.exchange.json",
         [](const Recording& r) {
             auto repos = parseArray<Repo>(r.body.at("repositories"), "repositories",
                                           [](const json& j) { return parseRepository(j, "github.com"); });
             ASSERT_TRUE(repos.ok()) << repos.error().message;
             ASSERT_EQ(repos->size(), 2u);
             EXPECT_EQ(repos.value()[0].repository.full_path, "EnricoMi/sandbox");
             EXPECT_EQ(repos.value()[0].repository.visibility, "private");
             EXPECT_TRUE(repos.value()[0].permissions_known);
             EXPECT_EQ(repos.value()[0].repository.role, Role::none);  // all permissions false
             EXPECT_EQ(repos.value()[1].repository.visibility, "public");
             EXPECT_EQ(repos.value()[0].repository.instance, "github.com");
         }},
        {"issue_comment_create.exchange.json",
         [](const Recording& r) {
             auto c = parseComment(r.body);
             ASSERT_TRUE(c.ok()) << c.error().message;
             EXPECT_EQ(c->id, 8387331);
             EXPECT_EQ(c->user_id, 327146);
             EXPECT_EQ(c->user_login, "jacquev6");
             EXPECT_EQ(c->body, "Issue comment created by PyGithub");
             EXPECT_EQ(parseRateLimit(r.response.headers).remaining, 4976);  // lower-case names
         }},
        {"issue_comment_update.exchange.json",
         [](const Recording& r) {
             auto c = parseComment(r.body);
             ASSERT_TRUE(c.ok()) << c.error().message;
             EXPECT_EQ(c->id, 20227753);
             EXPECT_EQ(c->body, "Comment edited by PyGithub");
         }},
        {"not_found_404.exchange.json",
         [](const Recording& r) {
             Error e = errorFromResponse(dotCom(), r.response, "reading an artifact");
             EXPECT_EQ(e.kind, ErrorKind::not_found);
             EXPECT_EQ(e.http_status, 404);
             EXPECT_NE(e.message.find("Not Found"), std::string::npos);
             // The token has repo: no hint about private repositories.
             EXPECT_EQ(e.message.find("no repo scope"), std::string::npos);
         }},
        {"oauth_access_token.exchange.json",
         [](const Recording& r) {
             auto t = parseOAuthToken(r.body, 1000);
             ASSERT_TRUE(t.ok()) << t.error().message;
             EXPECT_EQ(t->access_token, "access_token_removed");
             EXPECT_EQ(t->token_type, "bearer");
             EXPECT_TRUE(t->scopes.empty());
             EXPECT_FALSE(t->expires_at.has_value());
             EXPECT_TRUE(t->refresh_token.empty());
         }},
        {"oauth_access_token_expiring.exchange.json",
         [](const Recording& r) {
             auto t = parseOAuthToken(r.body, 1000);
             ASSERT_TRUE(t.ok()) << t.error().message;
             EXPECT_EQ(t->expires_at, 1000 + 28800);
             EXPECT_EQ(t->refresh_token, "refresh_token_removed");
         }},
        {"oauth_bad_verification_code.exchange.json",
         [](const Recording& r) {
             EXPECT_EQ(r.response.status, 200);  // GitHub refuses inside a 200
             auto t = parseOAuthToken(r.body, 1000);
             ASSERT_FALSE(t.ok());
             EXPECT_EQ(t.error().kind, ErrorKind::unauthorized);
             EXPECT_EQ(t.error().code, "bad_verification_code");
             EXPECT_NE(t.error().message.find("The code passed is incorrect or expired."), std::string::npos);
         }},
        {"oauth_refresh_token.exchange.json",
         [](const Recording& r) {
             auto t = parseOAuthToken(r.body, 50);
             ASSERT_TRUE(t.ok()) << t.error().message;
             EXPECT_EQ(t->access_token, "another_access_token_removed");
             EXPECT_EQ(t->refresh_token, "another_refresh_token_removed");
             EXPECT_EQ(t->expires_at, 50 + 28800);
         }},
        {"paginate_last_page.exchange.json",
         [](const Recording& r) {
             EXPECT_TRUE(linkTarget(r.response, "next").empty());
             EXPECT_TRUE(linkTarget(r.response, "last").empty());
             EXPECT_EQ(linkTarget(r.response, "prev"), "https://api.github.com/repositories/515435940/issues?per_page=3&page=4");
             EXPECT_EQ(linkTarget(r.response, "first"), "https://api.github.com/repositories/515435940/issues?per_page=3&page=1");
             for (const auto& issue : r.body) {
                 auto author = parseUser(issue.at("user"));
                 ASSERT_TRUE(author.ok()) << author.error().message;
             }
         }},
        {"paginate_page1.exchange.json",
         [](const Recording& r) {
             std::string next = linkTarget(r.response, "next");
             std::string last = linkTarget(r.response, "last");
             EXPECT_EQ(next, "https://api.github.com/repositories/515435940/issues?per_page=3&page=2");
             EXPECT_EQ(queryParam(last, "page"), "5");
             EXPECT_EQ(queryParam(next, "per_page"), "3");
             EXPECT_TRUE(linkTarget(r.response, "prev").empty());
             // The Link URLs switch to /repositories/<id>: a later page is the next link with another page.
             EXPECT_EQ(withQueryParam(next, "page", "4"), "https://api.github.com/repositories/515435940/issues?per_page=3&page=4");
             EXPECT_EQ(r.body.size(), 3u);
         }},
        {"rate_limit_get.exchange.json",
         [](const Recording& r) {
             auto rl = parseRateLimit(r.response.headers);
             EXPECT_EQ(rl.limit, 5000);
             EXPECT_EQ(rl.remaining, 4904);
             EXPECT_EQ(rl.used, 96);
             EXPECT_EQ(rl.reset, 1684195041);
             EXPECT_FALSE(rateLimitRetry(r.response, 1684195000).has_value());  // a 200 is no limit
         }},
        {"rate_limit_primary_exceeded_403.exchange.json",
         [](const Recording& r) {
             Error e = errorFromResponse(dotCom(), r.response, "reading a user");
             EXPECT_EQ(e.kind, ErrorKind::rate_limited);
             EXPECT_EQ(e.code, "primary_rate_limit");
             ASSERT_TRUE(e.retry_after.has_value());
             EXPECT_EQ(e.retry_after->count(), 60);  // no reset header in this recording
             // With a reset, the wait runs until it.
             HttpResponse with_reset = r.response;
             with_reset.headers.emplace_back("X-RateLimit-Reset", "1000");
             bool secondary = true;
             EXPECT_EQ(rateLimitRetry(with_reset, 900, &secondary)->count(), 100);
             EXPECT_FALSE(secondary);
         }},
        {"rate_limit_secondary_403.exchange.json",
         [](const Recording& r) {
             Error e = errorFromResponse(dotCom(), r.response, "searching code");
             EXPECT_EQ(e.kind, ErrorKind::rate_limited);
             EXPECT_EQ(e.code, "secondary_rate_limit");
             EXPECT_EQ(e.retry_after->count(), 60);
             EXPECT_FALSE(e.permanent());
         }},
        {"repository_get.exchange.json",
         [](const Recording& r) {
             auto repo = parseRepository(r.body, "github.com");
             ASSERT_TRUE(repo.ok()) << repo.error().message;
             const Repository& x = repo->repository;
             EXPECT_EQ(x.id, "103703892");
             EXPECT_EQ(x.full_path, "octokit-fixture-org/hello-world");
             EXPECT_EQ(x.namespace_path, "octokit-fixture-org");
             EXPECT_EQ(x.name, "hello-world");
             EXPECT_EQ(x.default_branch, "master");
             EXPECT_EQ(x.visibility, "public");
             EXPECT_EQ(x.web_url, "https://github.com/octokit-fixture-org/hello-world");
             EXPECT_EQ(x.role, Role::admin);
             EXPECT_EQ(x.role_label, "admin");
             EXPECT_EQ(repo->owner_type, "Organization");
         }},
        {"status_create_failure.exchange.json",
         [](const Recording& r) {
             auto s = parseCommitStatus(r.body);
             ASSERT_TRUE(s.ok()) << s.error().message;
             EXPECT_EQ(s->state, "failure");
             EXPECT_EQ(s->context, "example/1");
             EXPECT_EQ(s->target_url, "https://example.com");
             EXPECT_EQ(r.response.status, 201);
             EXPECT_EQ(r.request.at("body").at("state"), "failure");  // what a post looks like
         }},
        {"status_create_success.exchange.json",
         [](const Recording& r) {
             auto s = parseCommitStatus(r.body);
             ASSERT_TRUE(s.ok()) << s.error().message;
             EXPECT_EQ(s->state, "success");
             EXPECT_EQ(s->description, "create-status success test");
         }},
        {"user_get_401_bad_credentials.exchange.json",
         [](const Recording& r) {
             Error e = errorFromResponse(dotCom(), r.response, "checking the token");
             EXPECT_EQ(e.kind, ErrorKind::unauthorized);
             EXPECT_EQ(e.code, "bad_credentials");
             EXPECT_NE(e.message.find("Bad credentials"), std::string::npos);
             EXPECT_NE(e.message.find("unknown, revoked or expired"), std::string::npos);
             EXPECT_NE(e.message.find("https://github.com/settings/tokens/new?scopes=repo&description=forgelink"),
                       std::string::npos);
         }},
        {"user_get_classic_pat.exchange.json",
         [](const Recording& r) {
             auto u = parseUser(r.body);
             ASSERT_TRUE(u.ok()) << u.error().message;
             EXPECT_EQ(u->identity.username, "mawkee");
             EXPECT_EQ(u->identity.id, "688598");
             EXPECT_EQ(u->identity.web_url, "https://github.com/mawkee");
             EXPECT_FALSE(u->identity.bot);
             EXPECT_EQ(*parseScopes(r.response.headers), std::vector<std::string>{"repo"});
             EXPECT_TRUE(parseScopes(r.response.headers, "X-Accepted-OAuth-Scopes")->empty());
             EXPECT_FALSE(parseTokenExpiration(r.response.headers).has_value());
             EXPECT_TRUE(hasGitHubHeaders(r.response));
         }},
        {"validation_failed_422.exchange.json",
         [](const Recording& r) {
             Error e = errorFromResponse(dotCom(), r.response, "creating a label");
             EXPECT_EQ(e.kind, ErrorKind::invalid_input);
             EXPECT_EQ(e.code, "validation_failed");
             EXPECT_NE(e.message.find("Validation Failed (color invalid)"), std::string::npos);
         }},
    };
    return table;
}

class Fixture : public ::testing::TestWithParam<std::string> {};

TEST_P(Fixture, MapsThroughTheProvider) {
    Recording r = load(GetParam());
    // Every recording's headers parse without surprises.
    RateLimit rl = parseRateLimit(r.response.headers);
    if (rl.remaining && rl.limit) {
        EXPECT_LE(*rl.remaining, *rl.limit);
    }
    checks().at(GetParam())(r);
}

std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& [name, check] : checks()) out.push_back(name);
    return out;
}

INSTANTIATE_TEST_SUITE_P(Recordings, Fixture, ::testing::ValuesIn(names()), [](const auto& info) {
    std::string n = info.param.substr(0, info.param.find('.'));
    return n;
});

TEST(Fixtures, EveryRecordingIsChecked) {
    std::set<std::string> on_disk;
    for (const auto& entry : std::filesystem::directory_iterator(FORGELINK_GITHUB_FIXTURES)) {
        if (entry.path().extension() == ".json") on_disk.insert(entry.path().filename().string());
    }
    ASSERT_FALSE(on_disk.empty()) << "no recordings in " << FORGELINK_GITHUB_FIXTURES;
    for (const auto& name : on_disk) EXPECT_TRUE(checks().count(name)) << name << " has no check in this file";
}

}  // namespace
}  // namespace forgelink::github
