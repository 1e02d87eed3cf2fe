// forge-sim's GitLab REST v4 dialect, over real HTTP (API-FACTS section A, checklist C).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>

#include "sim_process.hpp"

using forgelink::sim::Headers;
using forgelink::sim::HttpResult;
using forgelink::sim::SimProcess;
using nlohmann::json;

namespace {

const char* kBot = "glpat-bot-api-0000000000";
const char* kMainSha = "6b9fec60e107f1f323dfa6674b317facd996cb0a";
const char* kFeatureSha = "af5b13261899fb2c0db30abdd0af8b07cb44fdc5";

Headers pat(const std::string& t) { return {{"PRIVATE-TOKEN", t}}; }

class GitLabSim : public ::testing::Test {
protected:
    SimProcess sim{SimProcess::scenarioFile("gitlab-basic.yaml")};
    std::string api() const { return sim.gitlabUrl() + "/api/v4"; }
    HttpResult get(const std::string& path, const std::string& token = kBot) const {
        return sim.get(api() + path, token.empty() ? Headers{} : pat(token));
    }
    HttpResult send(const std::string& method, const std::string& path, const std::string& token, const std::string& form = "") const {
        return forgelink::sim::httpRequest(method, api() + path, {{"PRIVATE-TOKEN", token}, {"Content-Type", "application/x-www-form-urlencoded"}}, form);
    }
    HttpResult status(const std::string& sha, const std::string& query, const std::string& token = kBot) const {
        return send("POST", "/projects/100/statuses/" + sha + "?" + query, token);
    }
    std::vector<long long> ids(const HttpResult& r) const {
        std::vector<long long> out;
        for (auto& p : r.json()) out.push_back(p["id"].get<long long>());
        return out;
    }
};

TEST_F(GitLabSim, AcceptsPrivateTokenHeaderQueryAndBearer) {
    EXPECT_EQ(get("/user").json()["username"], "forgelink-bot");
    EXPECT_EQ(sim.get(api() + "/user?private_token=" + std::string(kBot)).json()["username"], "forgelink-bot");
    auto bearer = sim.get(api() + "/user", {{"Authorization", std::string("Bearer ") + kBot}});
    ASSERT_EQ(bearer.status, 200);
    EXPECT_EQ(bearer.json()["id"], 3);
}

TEST_F(GitLabSim, MissingOrUnknownTokenIs401) {
    auto none = get("/user", "");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.json(), json({{"message", "401 Unauthorized"}}));
    auto unknown = get("/projects", "glpat-nope");
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(unknown.json(), json({{"message", "401 Unauthorized"}}));
    EXPECT_EQ(get("/version", "").status, 401);
}

TEST_F(GitLabSim, ExpiredAndRevokedTokensGetInvalidTokenBodies) {
    auto expired = get("/user", "glpat-expired-0000000000");
    EXPECT_EQ(expired.status, 401);
    EXPECT_EQ(expired.json(), json({{"error", "invalid_token"},
                                    {"error_description", "Token is expired. You can either do re-authorization or token refresh."}}));
    EXPECT_NE(expired.header("www-authenticate").find("invalid_token"), std::string::npos);
    auto revoked = get("/projects", "glpat-revoked-0000000000");
    EXPECT_EQ(revoked.status, 401);
    EXPECT_EQ(revoked.json(), json({{"error", "invalid_token"},
                                    {"error_description", "Token was revoked. You have to re-authorize from the user."}}));
}

TEST_F(GitLabSim, ScopesAreEnforcedWithInsufficientScopeBodies) {
    auto user = get("/user", "glpat-read-user-00000000");
    EXPECT_EQ(user.status, 200);
    EXPECT_EQ(get("/version", "glpat-read-user-00000000").status, 200);
    auto projects = get("/projects", "glpat-read-user-00000000");
    EXPECT_EQ(projects.status, 403);
    EXPECT_EQ(projects.json(), json({{"error", "insufficient_scope"},
                                     {"error_description", "The request requires higher privileges than provided by the access token."},
                                     {"scope", "api read_api"}}));
    EXPECT_EQ(get("/projects", "glpat-read-api-000000000").status, 200);
    auto write = status(kMainSha, "state=pending", "glpat-read-api-000000000");
    EXPECT_EQ(write.status, 403);
    EXPECT_EQ(write.json()["scope"], "api");
    auto notes = send("POST", "/projects/100/merge_requests/1/notes", "glpat-read-api-000000000", "body=x");
    EXPECT_EQ(notes.status, 403);
    EXPECT_EQ(notes.json()["error"], "insufficient_scope");
}

TEST_F(GitLabSim, ProjectTokenIsABotThatSeesItsProject) {
    auto user = get("/user", "glpat-project-token-0000");
    ASSERT_EQ(user.status, 200);
    EXPECT_EQ(user.json()["bot"], true);
    EXPECT_EQ(user.json()["name"], "widget-ci");
    EXPECT_TRUE(std::regex_match(user.json()["username"].get<std::string>(), std::regex("project_100_bot_[0-9a-f]{32}")));
    auto member = get("/projects?membership=true", "glpat-project-token-0000");
    EXPECT_EQ(ids(member), std::vector<long long>({100}));
    EXPECT_EQ(member.json()[0]["permissions"]["project_access"]["access_level"], 40);
    auto all = ids(get("/projects?order_by=id&sort=asc", "glpat-project-token-0000"));
    EXPECT_EQ(all, std::vector<long long>({100, 101, 102}));  // + internal and public, never bob's private
}

TEST_F(GitLabSim, GroupTokenInheritsSubgroupProjects) {
    auto user = get("/user", "glpat-group-token-000000");
    EXPECT_TRUE(std::regex_match(user.json()["username"].get<std::string>(), std::regex("group_10_bot_[0-9a-f]{32}")));
    auto in_group = ids(get("/groups/acme/projects?include_subgroups=true&order_by=id&sort=asc", "glpat-group-token-000000"));
    EXPECT_EQ(in_group, std::vector<long long>({100, 101, 104}));
    auto direct = ids(get("/groups/acme/projects", "glpat-group-token-000000"));
    EXPECT_EQ(direct, std::vector<long long>({104}));
    auto member = ids(get("/projects?membership=true&order_by=id&sort=asc", "glpat-group-token-000000"));
    EXPECT_EQ(member, std::vector<long long>({100, 101, 104}));
    auto widget = get("/projects/100", "glpat-group-token-000000").json();
    EXPECT_EQ(widget["permissions"]["group_access"]["access_level"], 30);
    EXPECT_TRUE(widget["permissions"]["project_access"].is_null());
}

TEST_F(GitLabSim, TokenSelfWorksForEveryPatKind) {
    auto self = get("/personal_access_tokens/self");
    ASSERT_EQ(self.status, 200);
    EXPECT_EQ(self.json()["name"], "forgelink");
    EXPECT_EQ(self.json()["scopes"], json::array({"api"}));
    EXPECT_EQ(self.json()["user_id"], 3);
    EXPECT_EQ(self.json()["active"], true);
    EXPECT_TRUE(self.json()["expires_at"].is_null());
    auto project = get("/personal_access_tokens/self", "glpat-project-token-0000");
    ASSERT_EQ(project.status, 200);
    EXPECT_EQ(project.json()["user_id"], get("/user", "glpat-project-token-0000").json()["id"]);
    EXPECT_EQ(get("/personal_access_tokens/self", "glpat-group-token-000000").status, 200);
    EXPECT_EQ(get("/personal_access_tokens/self", "glpat-read-user-00000000").status, 200);  // any scope
}

TEST_F(GitLabSim, VersionAndMetadata) {
    auto v = get("/version");
    EXPECT_EQ(v.json(), json({{"version", "17.5.0-ee"}, {"revision", "4e4f2b5a"}}));
    auto m = get("/metadata").json();
    EXPECT_EQ(m["version"], "17.5.0-ee");
    EXPECT_EQ(m["enterprise"], true);
    EXPECT_TRUE(m.contains("kas"));
}

TEST_F(GitLabSim, PrivateProjectsOfOthersAre404NotForbidden) {
    for (const char* id : {"/projects/103", "/projects/bob%2Fsecret", "/projects/99999"}) {
        auto r = get(id);
        EXPECT_EQ(r.status, 404) << id;
        EXPECT_EQ(r.json(), json({{"message", "404 Project Not Found"}})) << id;
    }
    EXPECT_EQ(get("/projects/103", "glpat-root-admin-0000000").status, 200);  // admins see everything
    EXPECT_EQ(get("/projects/102", "").status, 200);                          // anonymous sees public
    EXPECT_EQ(get("/projects/101", "").status, 404);                          // but not internal
}

TEST_F(GitLabSim, ProjectByEncodedPathHasFixtureShape) {
    auto r = get("/projects/acme%2Ftools%2Fwidget");
    ASSERT_EQ(r.status, 200);
    auto p = r.json();
    EXPECT_EQ(p["id"], 100);
    EXPECT_EQ(p["path_with_namespace"], "acme/tools/widget");
    EXPECT_EQ(p["name_with_namespace"], "ACME / tools / Widget");
    EXPECT_EQ(p["namespace"]["kind"], "group");
    EXPECT_EQ(p["namespace"]["full_path"], "acme/tools");
    EXPECT_EQ(p["default_branch"], "main");
    EXPECT_EQ(p["visibility"], "private");
    EXPECT_EQ(p["web_url"], sim.gitlabUrl() + "/acme/tools/widget");
    EXPECT_EQ(p["_links"]["self"], sim.gitlabUrl() + "/api/v4/projects/100");
    auto rita = get("/projects/100", "glpat-reporter-000000000").json();
    EXPECT_EQ(rita["permissions"]["project_access"]["access_level"], 20);
    EXPECT_TRUE(rita["permissions"]["group_access"].is_null());
}

TEST_F(GitLabSim, MovedProjectAnswers301WithLocation) {
    auto r = get("/projects/acme%2Fold-widget/merge_requests/1");
    EXPECT_EQ(r.status, 301);
    EXPECT_EQ(r.header("location"), sim.gitlabUrl() + "/api/v4/projects/acme%2Ftools%2Fwidget/merge_requests/1");
}

TEST_F(GitLabSim, OffsetPaginationHeadersAndLinks) {
    const std::string root = "glpat-root-admin-0000000";  // sees all 5 projects
    auto p1 = get("/projects?per_page=2&simple=true", root);
    ASSERT_EQ(p1.status, 200);
    EXPECT_EQ(p1.json().size(), 2u);
    EXPECT_EQ(p1.header("x-page"), "1");
    EXPECT_EQ(p1.header("x-per-page"), "2");
    EXPECT_EQ(p1.header("x-next-page"), "2");
    EXPECT_TRUE(p1.hasHeader("x-prev-page"));
    EXPECT_EQ(p1.header("x-prev-page"), "");
    EXPECT_EQ(p1.header("x-total"), "5");
    EXPECT_EQ(p1.header("x-total-pages"), "3");
    std::string link = p1.header("link");
    std::string base = sim.gitlabUrl() + "/api/v4/projects?order_by=created_at&page=";
    EXPECT_NE(link.find("<" + base + "2&per_page=2&simple=true&sort=desc>; rel=\"next\""), std::string::npos) << link;
    EXPECT_NE(link.find("<" + base + "1&per_page=2&simple=true&sort=desc>; rel=\"first\""), std::string::npos) << link;
    EXPECT_NE(link.find("<" + base + "3&per_page=2&simple=true&sort=desc>; rel=\"last\""), std::string::npos) << link;
    EXPECT_EQ(link.find("rel=\"prev\""), std::string::npos);
    EXPECT_EQ(link.find("private_token"), std::string::npos);
    auto p3 = get("/projects?per_page=2&page=3", root);
    EXPECT_EQ(p3.json().size(), 1u);
    EXPECT_EQ(p3.header("x-next-page"), "");
    EXPECT_EQ(p3.header("x-prev-page"), "2");
    EXPECT_EQ(p3.header("link").find("rel=\"next\""), std::string::npos);
    EXPECT_NE(p3.header("link").find("rel=\"prev\""), std::string::npos);
    // Default 20 per page, max 100.
    EXPECT_EQ(get("/projects", root).header("x-per-page"), "20");
    EXPECT_EQ(get("/projects?per_page=500", root).header("x-per-page"), "100");
    // Newest first by default.
    EXPECT_EQ(ids(get("/projects?simple=true", root)), std::vector<long long>({104, 103, 102, 101, 100}));
}

TEST_F(GitLabSim, ProjectListFilters) {
    const std::string root = "glpat-root-admin-0000000";
    EXPECT_EQ(ids(get("/projects?archived=true", root)), std::vector<long long>({104}));
    EXPECT_EQ(ids(get("/projects?search=WIDG", root)), std::vector<long long>({100}));
    EXPECT_EQ(ids(get("/projects?order_by=path&sort=asc", root)), std::vector<long long>({104, 101, 103, 102, 100}));
    EXPECT_EQ(ids(get("/projects?min_access_level=30&order_by=id&sort=asc")), std::vector<long long>({100, 101, 104}));
    EXPECT_EQ(ids(get("/projects?min_access_level=40")), std::vector<long long>());
    auto simple = get("/projects?simple=true&per_page=1", root).json()[0];
    EXPECT_FALSE(simple.contains("permissions"));
    EXPECT_TRUE(simple.contains("path_with_namespace"));
    EXPECT_EQ(get("/projects?order_by=bogus", root).status, 400);
}

TEST_F(GitLabSim, GroupsAndNamespaces) {
    auto groups = get("/groups");
    ASSERT_EQ(groups.status, 200);
    std::vector<std::string> paths;
    for (auto& g : groups.json()) paths.push_back(g["full_path"]);
    EXPECT_EQ(paths, std::vector<std::string>({"acme", "acme/libs", "acme/tools"}));
    auto ns = get("/namespaces").json();
    ASSERT_EQ(ns.size(), 2u);
    EXPECT_EQ(ns[0]["kind"], "user");
    EXPECT_EQ(ns[0]["full_path"], "forgelink-bot");
    EXPECT_EQ(ns[1]["full_path"], "acme");
    EXPECT_EQ(get("/groups/bob").status, 404);
    EXPECT_EQ(get("/groups/public-stuff").status, 200);
}

TEST_F(GitLabSim, CommitStatusStateMachine) {
    auto pending = status(kMainSha, "state=pending&name=forgelink&description=queued");
    ASSERT_EQ(pending.status, 201) << pending.body;
    auto entity = pending.json();
    EXPECT_EQ(entity["status"], "pending");
    EXPECT_EQ(entity["ref"], "main");
    EXPECT_EQ(entity["sha"], kMainSha);
    EXPECT_EQ(entity["author"]["username"], "forgelink-bot");
    EXPECT_EQ(entity["allow_failure"], false);
    for (const char* k : {"id", "target_url", "created_at", "started_at", "finished_at", "coverage", "pipeline_id", "description"})
        EXPECT_TRUE(entity.contains(k)) << k;
    long long id = entity["id"];

    auto again = status(kMainSha, "state=pending&name=forgelink");
    EXPECT_EQ(again.status, 400);
    EXPECT_EQ(again.json()["message"],
              "Cannot transition status via :enqueue from :pending (Reason(s): Status cannot transition via \"enqueue\")");
    auto running = status(kMainSha, "state=running&name=forgelink");
    ASSERT_EQ(running.status, 201);
    EXPECT_EQ(running.json()["id"], id);  // updated in place
    EXPECT_FALSE(running.json()["started_at"].is_null());
    auto running2 = status(kMainSha, "state=running&name=forgelink");
    EXPECT_EQ(running2.status, 400);
    EXPECT_EQ(running2.json()["message"], "Cannot transition status via :run from :running (Reason(s): Status cannot transition via \"run\")");
    auto back = status(kMainSha, "state=pending&name=forgelink");
    EXPECT_EQ(back.json()["message"],
              "Cannot transition status via :enqueue from :running (Reason(s): Status cannot transition via \"enqueue\")");
    auto success = status(kMainSha, "state=success&name=forgelink");
    ASSERT_EQ(success.status, 201);
    EXPECT_EQ(success.json()["id"], id);
    EXPECT_FALSE(success.json()["finished_at"].is_null());
    auto success2 = status(kMainSha, "state=success&name=forgelink");  // terminal: a new record
    ASSERT_EQ(success2.status, 201);
    EXPECT_NE(success2.json()["id"], id);
    EXPECT_EQ(status(kMainSha, "state=pending&name=forgelink").status, 201);  // new record again
    // Another user's pending status with the same name is a different record.
    auto other = status(kMainSha, "state=pending&name=forgelink", "glpat-project-token-0000");
    EXPECT_EQ(other.status, 201);
    // Default name.
    EXPECT_EQ(status(kMainSha, "state=failed").json()["name"], "default");
}

TEST_F(GitLabSim, CommitStatusErrors) {
    auto reporter = status(kMainSha, "state=success", "glpat-reporter-000000000");
    EXPECT_EQ(reporter.status, 403);
    EXPECT_EQ(reporter.json(), json({{"message", "403 Forbidden"}}));
    // release is protected: Developer refused, Maintainer (project token) allowed.
    EXPECT_EQ(status("3333333333333333333333333333333333333333", "state=success").status, 403);
    EXPECT_EQ(status("3333333333333333333333333333333333333333", "state=success", "glpat-project-token-0000").status, 201);
    auto unknown = status("0000000000000000000000000000000000000000", "state=success");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.json(), json({{"message", "404 Commit Not Found"}}));
    auto no_ref = status("1111111111111111111111111111111111111111", "state=success");
    EXPECT_EQ(no_ref.json(), json({{"message", "404 References for commit Not Found"}}));
    EXPECT_EQ(status("1111111111111111111111111111111111111111", "state=success&ref=main").status, 201);
    auto bad_url = status(kMainSha, "state=success&target_url=ftp%3A%2F%2Fexample.com");
    EXPECT_EQ(bad_url.status, 400);
    EXPECT_EQ(bad_url.json()["message"]["target_url"][0], "is blocked: Only allowed schemes are http, https");
    auto bad_state = status(kMainSha, "state=done");
    EXPECT_EQ(bad_state.status, 400);
    EXPECT_FALSE(bad_state.json().contains("message"));
    EXPECT_EQ(status(kMainSha, "").status, 400);
    auto invisible = send("POST", "/projects/103/statuses/" + std::string(kMainSha) + "?state=success", kBot);
    EXPECT_EQ(invisible.status, 404);
    // JSON bodies work like form bodies.
    auto json_body = forgelink::sim::httpRequest("POST", api() + "/projects/100/statuses/" + kMainSha,
                                                 {{"PRIVATE-TOKEN", kBot}, {"Content-Type", "application/json"}},
                                                 R"({"state":"success","name":"json","target_url":"https://ci.example/1","coverage":87.5})");
    ASSERT_EQ(json_body.status, 201) << json_body.body;
    EXPECT_EQ(json_body.json()["target_url"], "https://ci.example/1");
    EXPECT_DOUBLE_EQ(json_body.json()["coverage"].get<double>(), 87.5);
}

TEST_F(GitLabSim, InjectedConflictOnStatuses) {
    sim.faults({{"route", "POST .*/statuses/"}, {"status", 409}, {"fail_next", 1}});
    auto conflict = status(kMainSha, "state=success");
    EXPECT_EQ(conflict.status, 409);
    EXPECT_EQ(conflict.json(), json({{"message", "Another update to this commit status is in progress"}}));
    EXPECT_EQ(status(kMainSha, "state=success").status, 201);
}

TEST_F(GitLabSim, ListCommitStatuses) {
    ASSERT_EQ(status(kFeatureSha, "state=pending&name=forgelink").status, 201);
    ASSERT_EQ(status(kFeatureSha, "state=success&name=forgelink").status, 201);
    ASSERT_EQ(status(kFeatureSha, "state=failed&name=forgelink").status, 201);
    auto latest = get("/projects/100/repository/commits/" + std::string(kFeatureSha) + "/statuses");
    ASSERT_EQ(latest.status, 200);
    std::map<std::string, std::string> by_name;
    for (auto& s : latest.json()) by_name[s["name"]] = s["status"];
    EXPECT_EQ(by_name, (std::map<std::string, std::string>{{"ci/other", "success"}, {"forgelink", "failed"}}));
    EXPECT_EQ(get("/projects/100/repository/commits/" + std::string(kFeatureSha) + "/statuses?all=true").json().size(), 3u);
    EXPECT_EQ(latest.header("x-total"), "2");
    EXPECT_EQ(get("/projects/100/repository/commits/0000000000000000000000000000000000000000/statuses").status, 404);
}

TEST_F(GitLabSim, MergeRequestsOfACommitAndByIid) {
    auto mrs = get("/projects/100/repository/commits/" + std::string(kFeatureSha) + "/merge_requests");
    ASSERT_EQ(mrs.status, 200);
    ASSERT_EQ(mrs.json().size(), 1u);
    EXPECT_EQ(mrs.json()[0]["iid"], 1);
    EXPECT_EQ(mrs.json()[0]["sha"], kFeatureSha);
    EXPECT_EQ(mrs.json()[0]["target_project_id"], 100);
    EXPECT_EQ(get("/projects/100/repository/commits/" + std::string(kMainSha) + "/merge_requests").json().size(), 0u);
    auto unknown = get("/projects/100/repository/commits/0000000000000000000000000000000000000000/merge_requests");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.json(), json({{"message", "404 Commit Not Found"}}));
    auto mr = get("/projects/100/merge_requests/1");
    ASSERT_EQ(mr.status, 200);
    EXPECT_EQ(mr.json()["source_branch"], "feature");
    EXPECT_EQ(mr.json()["author"]["username"], "alice");
    EXPECT_EQ(mr.json()["web_url"], sim.gitlabUrl() + "/acme/tools/widget/-/merge_requests/1");
    EXPECT_EQ(get("/projects/100/merge_requests/99").json(), json({{"message", "404 Not found"}}));
}

TEST_F(GitLabSim, NotesListCreateUpdateDelete) {
    auto list = get("/projects/100/merge_requests/1/notes");
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(list.json().size(), 2u);
    EXPECT_EQ(list.json()[0]["id"], 901);  // newest first
    EXPECT_EQ(list.json()[1]["system"], true);
    EXPECT_EQ(list.json()[0]["noteable_type"], "MergeRequest");
    EXPECT_EQ(list.json()[0]["noteable_iid"], 1);
    EXPECT_NE(list.header("link").find("noteable_id=1"), std::string::npos);
    EXPECT_NE(list.header("link").find("order_by=created_at"), std::string::npos);
    EXPECT_EQ(get("/projects/100/merge_requests/1/notes?sort=asc").json()[0]["id"], 900);

    auto created = send("POST", "/projects/100/merge_requests/1/notes", kBot, "body=Forgelink+summary");
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.json()["body"], "Forgelink summary");
    EXPECT_EQ(created.json()["author"]["username"], "forgelink-bot");
    std::string nid = std::to_string(created.json()["id"].get<long long>());
    auto updated = send("PUT", "/projects/100/merge_requests/1/notes/" + nid, kBot, "body=v2");
    ASSERT_EQ(updated.status, 200);
    EXPECT_EQ(updated.json()["body"], "v2");
    auto foreign = send("PUT", "/projects/100/merge_requests/1/notes/901", kBot, "body=hijack");
    EXPECT_EQ(foreign.status, 403);
    EXPECT_EQ(foreign.json(), json({{"message", "403 Forbidden"}}));
    auto missing = send("PUT", "/projects/100/merge_requests/1/notes/424242", kBot, "body=x");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.json(), json({{"message", "404 Not found"}}));
    EXPECT_EQ(send("POST", "/projects/100/merge_requests/1/notes", kBot, "").status, 400);
    EXPECT_EQ(send("DELETE", "/projects/100/merge_requests/1/notes/" + nid, kBot).status, 204);
    EXPECT_EQ(get("/projects/100/merge_requests/1/notes").json().size(), 2u);
}

TEST(GitLabSimRateLimit, BudgetHeadersAnd429RetryLater) {
    std::string scenario = SimProcess::scenarioFile("gitlab-basic.yaml");
    scenario.replace(scenario.find("  version:"), 0, "  rate_limit: {limit: 3, period_seconds: 60}\n");
    SimProcess sim(scenario);
    auto url = sim.gitlabUrl() + "/api/v4/user";
    auto first = sim.get(url, pat(kBot));
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(first.header("ratelimit-limit"), "3");
    EXPECT_EQ(first.header("ratelimit-remaining"), "2");
    EXPECT_EQ(first.header("ratelimit-observed"), "1");
    EXPECT_EQ(first.header("ratelimit-name"), "throttle_authenticated_api");
    EXPECT_FALSE(first.header("ratelimit-reset").empty());
    EXPECT_NE(first.header("ratelimit-resettime").find("GMT"), std::string::npos);
    sim.get(url, pat(kBot));
    sim.get(url, pat(kBot));
    auto limited = sim.get(url, pat(kBot));
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.body, "Retry later\n");
    EXPECT_EQ(limited.header("content-type"), "text/plain");
    EXPECT_EQ(limited.header("ratelimit-remaining"), "0");
    int retry = std::stoi(limited.header("retry-after"));
    EXPECT_GT(retry, 0);
    EXPECT_LE(retry, 60);
    EXPECT_EQ(sim.get(url, pat("glpat-alice-api-00000000")).status, 200);  // budgets are per token
    sim.advanceTime(61);
    EXPECT_EQ(sim.get(url, pat(kBot)).status, 200);
}

TEST(GitLabSimNotesLimit, ApplicationLimiterAnswersJson429) {
    std::string scenario = SimProcess::scenarioFile("gitlab-basic.yaml");
    scenario.replace(scenario.find("  version:"), 0, "  notes_create_limit: {limit: 1, period_seconds: 60}\n");
    SimProcess sim(scenario);
    auto post = [&] {
        return forgelink::sim::httpRequest("POST", sim.gitlabUrl() + "/api/v4/projects/100/merge_requests/1/notes",
                                           {{"PRIVATE-TOKEN", kBot}, {"Content-Type", "application/json"}}, R"({"body":"hi"})");
    };
    EXPECT_EQ(post().status, 201);
    auto limited = post();
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.json(), json({{"message", {{"error", "This endpoint has been requested too many times. Try again later."}}}}));
    sim.advanceTime(61);
    EXPECT_EQ(post().status, 201);
}

TEST(GitLabSimExternalUrl, SubPathRootBuildsLinksFromExternalUrl) {
    SimProcess sim(SimProcess::scenarioFile("gitlab-basic.yaml"), {"http://127.0.0.1:0/gitlab", -1});
    EXPECT_EQ(sim.gitlabUrl(), sim.baseUrl() + "/gitlab");
    auto r = sim.get(sim.gitlabUrl() + "/api/v4/projects?per_page=1", pat("glpat-root-admin-0000000"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.header("link").find("<" + sim.baseUrl() + "/gitlab/api/v4/projects?"), std::string::npos) << r.header("link");
    EXPECT_EQ(r.json()[0]["web_url"].get<std::string>().rfind(sim.baseUrl() + "/gitlab/", 0), 0u);
    // The root path keeps working, and its links still point at the external URL (A1).
    auto root = sim.get(sim.baseUrl() + "/api/v4/projects?per_page=1", pat("glpat-root-admin-0000000"));
    EXPECT_NE(root.header("link").find(sim.baseUrl() + "/gitlab/api/v4/projects?"), std::string::npos);
}

class GitLabLarge : public ::testing::Test {
protected:
    static void SetUpTestSuite() { sim_ = new SimProcess(SimProcess::scenarioFile("gitlab-large.yaml")); }
    static void TearDownTestSuite() {
        delete sim_;
        sim_ = nullptr;
    }
    HttpResult get(const std::string& query) const {
        return sim_->get(sim_->gitlabUrl() + "/api/v4/projects?" + query, pat("glpat-big-bot-00000000000"));
    }
    static SimProcess* sim_;
};
SimProcess* GitLabLarge::sim_ = nullptr;

TEST_F(GitLabLarge, Above10000ResultsOmitTotalsAndLast) {
    auto start = std::chrono::steady_clock::now();
    auto r = get("membership=true&per_page=100&simple=true");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json().size(), 100u);
    EXPECT_FALSE(r.hasHeader("x-total"));
    EXPECT_FALSE(r.hasHeader("x-total-pages"));
    EXPECT_EQ(r.header("x-next-page"), "2");
    EXPECT_EQ(r.header("link").find("rel=\"last\""), std::string::npos);
    EXPECT_NE(r.header("link").find("rel=\"next\""), std::string::npos);
    EXPECT_NE(r.header("link").find("rel=\"first\""), std::string::npos);
    // A deep page is cheap once the listing is indexed.
    auto deep = get("membership=true&per_page=100&simple=true&page=250");
    ASSERT_EQ(deep.json().size(), 100u);
    EXPECT_EQ(deep.header("x-next-page"), "");
    EXPECT_EQ(deep.json()[99]["id"], 1000);  // newest first: the last page ends with the oldest
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(GitLabLarge, OffsetBeyond50000Is405) {
    auto r = get("per_page=100&page=502");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.json(), json({{"error",
                               "Offset pagination has a maximum allowed offset of 50000 for requests that return objects of type "
                               "Project. Remaining records can be retrieved using keyset pagination."}}));
    EXPECT_EQ(get("per_page=100&page=501").status, 200);  // offset exactly 50,000 is allowed
}

TEST_F(GitLabLarge, KeysetPaginationFollowsNextLinks) {
    auto r = get("pagination=keyset&order_by=id&sort=asc&per_page=100&simple=true");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()[0]["id"], 1000);
    EXPECT_EQ(r.json()[99]["id"], 1099);
    std::string link = r.header("link");
    EXPECT_EQ(link.find("rel=\"first\""), std::string::npos);
    EXPECT_EQ(link.find("rel=\"last\""), std::string::npos);
    EXPECT_NE(link.find("id_after=1099"), std::string::npos) << link;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(link, m, std::regex("<([^>]+)>; rel=\"next\"")));
    auto next = sim_->get(m[1].str(), pat("glpat-big-bot-00000000000"));
    EXPECT_EQ(next.json()[0]["id"], 1100);
    auto desc = get("pagination=keyset&order_by=id&sort=desc&per_page=10");
    EXPECT_EQ(desc.json()[0]["id"], 25999);
    EXPECT_NE(desc.header("link").find("id_before=25990"), std::string::npos);
    auto end = get("pagination=keyset&order_by=id&sort=asc&per_page=100&id_after=25999");
    EXPECT_EQ(end.json().size(), 0u);
    EXPECT_FALSE(end.hasHeader("link"));
    EXPECT_EQ(get("pagination=keyset&order_by=name&sort=asc").status, 405);
}

}  // namespace

// GET .../members/:user_id (direct) and .../members/all/:user_id (inherited too): the GitLab plugin
// reads a project/group token bot's role from them (Entities::Member, doc/api/members.md).
TEST_F(GitLabSim, ProjectMemberAllIncludesInheritedGroupRoles) {
    auto bot = get("/projects/100/members/all/3");  // forgelink-bot: Developer via group acme
    ASSERT_EQ(bot.status, 200) << bot.body;
    auto m = bot.json();
    EXPECT_EQ(m["id"], 3);
    EXPECT_EQ(m["username"], "forgelink-bot");
    EXPECT_EQ(m["name"], "Forgelink Bot");
    EXPECT_EQ(m["state"], "active");
    EXPECT_EQ(m["access_level"], 30);
    EXPECT_TRUE(m["expires_at"].is_null());
    EXPECT_EQ(m["membership_state"], "active");
    EXPECT_EQ(m["web_url"], sim.gitlabUrl() + "/forgelink-bot");
    EXPECT_TRUE(m["avatar_url"].is_string());
    EXPECT_TRUE(m["created_at"].is_string());
    // Direct only: the bot is not a direct project member, rita is (Reporter).
    auto direct = get("/projects/100/members/3");
    EXPECT_EQ(direct.status, 404);
    EXPECT_EQ(direct.json(), json({{"message", "404 Member Not Found"}}));
    EXPECT_EQ(get("/projects/100/members/4").json()["access_level"], 20);
    EXPECT_EQ(get("/projects/acme%2Ftools%2Fwidget/members/all/4").json()["access_level"], 20);
    // Strongest of direct and inherited: alice owns acme.
    EXPECT_EQ(get("/projects/100/members/all/2").json()["access_level"], 50);
    // bob has no role on widget; unknown users are not members either.
    EXPECT_EQ(get("/projects/100/members/all/5").json(), json({{"message", "404 Member Not Found"}}));
    EXPECT_EQ(get("/projects/100/members/all/999").status, 404);
    EXPECT_EQ(get("/projects/100/members/all/abc").status, 400);
}

TEST_F(GitLabSim, TokenBotsAreMembersWithTheTokenRole) {
    auto project_bot = get("/user", "glpat-project-token-0000").json();
    auto pm = get("/projects/100/members/all/" + std::to_string(project_bot["id"].get<long long>()), "glpat-project-token-0000");
    ASSERT_EQ(pm.status, 200) << pm.body;
    EXPECT_EQ(pm.json()["access_level"], 40);
    EXPECT_EQ(pm.json()["username"], project_bot["username"]);
    auto group_bot = get("/user", "glpat-group-token-000000").json();
    std::string gid = std::to_string(group_bot["id"].get<long long>());
    auto gm = get("/groups/10/members/" + gid, "glpat-group-token-000000");
    ASSERT_EQ(gm.status, 200) << gm.body;
    EXPECT_EQ(gm.json()["access_level"], 30);
    // Direct group membership does not reach subgroups; the inherited view does.
    EXPECT_EQ(get("/groups/11/members/" + gid, "glpat-group-token-000000").status, 404);
    EXPECT_EQ(get("/groups/acme%2Ftools/members/all/" + gid, "glpat-group-token-000000").json()["access_level"], 30);
    EXPECT_EQ(get("/projects/100/members/all/" + gid, "glpat-group-token-000000").json()["access_level"], 30);
}

TEST_F(GitLabSim, MemberRoutesHideInvisibleProjectsAndGroups) {
    // bob's personal project and a group the bot cannot see: 404 of the resource, not of the member.
    auto project = get("/projects/103/members/all/5");
    EXPECT_EQ(project.status, 404);
    EXPECT_EQ(project.json(), json({{"message", "404 Project Not Found"}}));
    EXPECT_EQ(get("/projects/103/members/5", "glpat-alice-api-00000000").json(), json({{"message", "404 Project Not Found"}}));
    // The personal namespace owner is a direct Owner of their project.
    auto owner = sim.get(api() + "/projects/103/members/5", pat("glpat-root-admin-0000000"));
    ASSERT_EQ(owner.status, 200) << owner.body;
    EXPECT_EQ(owner.json()["access_level"], 50);
    EXPECT_EQ(get("/groups/9999/members/3").json(), json({{"message", "404 Group Not Found"}}));
    // Anonymous callers see public groups only: a private group is missing to them.
    EXPECT_EQ(get("/groups/10/members/all/3", "").json(), json({{"message", "404 Group Not Found"}}));
    EXPECT_EQ(get("/groups/10/members/3", "glpat-read-user-00000000").status, 403);
}
