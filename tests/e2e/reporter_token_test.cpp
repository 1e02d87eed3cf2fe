// A visual-testing service's build reporter with no admin token (issue 19): an operator makes a
// reporter token of one team's project with `forgelink admin tokens create`; the service records a
// build with it over REST and updates it with `forgelink admin builds update`, and the status
// reaches forge-sim. The same token cannot change the team's settings or reach another project,
// and once revoked it is refused. The audit log names the token.
#include <gtest/gtest.h>

#include <regex>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

TEST(ReporterToken, RecordsABuildThatReachesTheForgeAndNothingElse) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    Host host(HostOptions{sim.gitlabUrl()});
    host.start();
    ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", "visual"}}).status, 201);
    ASSERT_EQ(host.call("PUT", "/api/v1/teams/visual/providers/gitlab", {{"token", kGitlabBot}}).status, 200);
    auto project = host.call("POST", "/api/v1/teams/visual/projects",
                             {{"name", "Widget"}, {"repository", {{"provider", "gitlab"}, {"path", "acme/tools/widget"}}}});
    ASSERT_EQ(project.status, 201) << project.text;
    const auto project_id = std::to_string(project.body["project"]["id"].get<long long>());
    auto other = host.call("POST", "/api/v1/teams/visual/projects", {{"name", "Other"}});
    ASSERT_EQ(other.status, 201) << other.text;
    const auto other_id = std::to_string(other.body["project"]["id"].get<long long>());

    const std::map<std::string, std::string> operator_env = {{"FORGELINK_ADMIN_TOKEN", host.adminToken()}};
    auto made = runForgelink({"admin", "tokens", "create", "--host", host.baseUrl(), "--team", "visual", "--name",
                              "visual-tests", "--role", "reporter", "--project", project_id},
                             operator_env);
    ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(made.out, match, std::regex("secret: (flt_[0-9a-f]{80})"))) << made.out;
    const std::string token = match[1];

    // Recorded with the token over REST; the status reaches the forge.
    const std::string builds = "/api/v1/projects/" + project_id + "/builds";
    auto created = host.call("POST", builds, {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"state", "queued"}}, token);
    ASSERT_EQ(created.status, 202) << created.text;
    const auto build_id = std::to_string(created.body["build"]["id"].get<long long>());
    // Updated with the token through the CLI, as a script would.
    auto updated = runForgelink({"admin", "builds", "update", "--host", host.baseUrl(), "--project", project_id, "--build",
                                 build_id, "--state", "accepted"},
                                {{"FORGELINK_ADMIN_TOKEN", token}});
    ASSERT_EQ(updated.exit_code, 0) << updated.out << updated.err;
    nlohmann::json state;
    ASSERT_TRUE(waitUntil(
        [&] {
            state = sim.state();
            auto statuses = gitlabStatuses(state, kFeatureSha);
            return !statuses.empty() && statuses.back()["status"] == "success";
        },
        20s, 100ms))
        << host.logs();

    // Nothing else: the team's settings, another project, the team's tokens.
    EXPECT_EQ(host.call("PUT", "/api/v1/teams/visual/providers/gitlab", {{"token", kGitlabBot}}, token).status, 403);
    EXPECT_EQ(host.call("GET", "/api/v1/teams/visual", nullptr, token).status, 403);
    EXPECT_EQ(host.call("POST", "/api/v1/projects/" + other_id + "/builds",
                        {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"state", "queued"}}, token)
                  .status,
              404);
    EXPECT_EQ(host.call("POST", "/api/v1/teams/visual/tokens", {{"name", "more"}, {"role", "admin"}}, token).status, 403);

    // The operator sees it used, the audit log names who made it; revoked, it is refused.
    auto listed = runForgelink({"admin", "tokens", "list", "--host", host.baseUrl(), "--team", "visual", "--json"},
                               operator_env);
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    const auto items = nlohmann::json::parse(listed.out)["items"];
    ASSERT_EQ(items.size(), 1u);
    EXPECT_FALSE(items[0]["last_used_at"].is_null());
    EXPECT_EQ(listed.out.find(token), std::string::npos) << "a listing never shows the secret";
    auto audit = host.call("GET", "/api/v1/teams/visual/audit");
    ASSERT_EQ(audit.status, 200);
    EXPECT_EQ(audit.body["items"][0]["action"], "api_token.created");
    EXPECT_EQ(audit.body["items"][0]["target"], "visual-tests");
    EXPECT_EQ(audit.text.find(token), std::string::npos);
    auto revoked = runForgelink({"admin", "tokens", "revoke", "--host", host.baseUrl(), "--team", "visual", "--token-id",
                                 std::to_string(items[0]["id"].get<long long>())},
                                operator_env);
    ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
    auto refused = host.call("GET", builds, nullptr, token);
    EXPECT_EQ(refused.status, 401) << refused.text;
    EXPECT_EQ(refused.body["error"]["code"], "invalid_token");
    EXPECT_EQ(host.logs().find(token), std::string::npos);
    host.stop();
    EXPECT_EQ(host.logs().find(token), std::string::npos) << "the token is never logged";
}

}  // namespace
}  // namespace forgelink::e2e
