// Build stats as visual-testing services count them (issue 18): every count reaches the merge
// request comment and the status description on forge-sim, read the way Argos summarises a
// build; an unknown count is a 400 listing the accepted ones.
#include <gtest/gtest.h>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

TEST(StatsFeedback, EveryCountAServiceReportsReachesTheCommentAndTheStatus) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    Host host(HostOptions{sim.gitlabUrl()});
    host.start();
    ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", "stats"}}).status, 201);
    ASSERT_EQ(host.call("PUT", "/api/v1/teams/stats/providers/gitlab", {{"token", kGitlabBot}}).status, 200);
    auto project = host.call("POST", "/api/v1/teams/stats/projects",
                             {{"name", "Widget"}, {"repository", {{"provider", "gitlab"}, {"path", "acme/tools/widget"}}}});
    ASSERT_EQ(project.status, 201) << project.text;
    const std::string builds = "/api/v1/projects/" + std::to_string(project.body["project"]["id"].get<long long>()) + "/builds";

    auto unknown = host.call("POST", builds,
                             {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"state", "queued"},
                              {"stats", {{"flaky", 1}}}});
    EXPECT_EQ(unknown.status, 400) << unknown.text;
    EXPECT_EQ(unknown.body["error"]["code"], "unknown_field");
    EXPECT_EQ(unknown.body["error"]["message"],
              "unknown field 'stats.flaky'; expected only: changed, added, removed, unchanged, failures, "
              "retry_failures, ignored");

    const nlohmann::json stats = {{"changed", 2}, {"added", 1}, {"removed", 1}, {"unchanged", 40},
                                  {"failures", 1}, {"retry_failures", 2}, {"ignored", 3}};
    auto created = host.call("POST", builds,
                             {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"merge_request", 1},
                              {"state", "changes_detected"}, {"stats", stats}});
    ASSERT_EQ(created.status, 202) << created.text;
    EXPECT_EQ(created.body["build"]["stats"], stats) << "every count is kept and shown";

    nlohmann::json state;
    ASSERT_TRUE(waitUntil(
        [&] {
            state = sim.state();
            return !gitlabStatuses(state, kFeatureSha).empty() && gitlabMarkedNotes(state, 1).size() == 1;
        },
        20s, 100ms))
        << host.logs();
    EXPECT_EQ(gitlabStatuses(state, kFeatureSha).back()["description"],
              "2 changed, 1 added, 1 removed, 1 failure \u2014 waiting for your decision");
    const std::string note = gitlabMarkedNotes(state, 1).front()["body"];
    EXPECT_NE(note.find("| 2 changed, 1 added, 1 removed, 1 failure, 2 passed on retry, 40 unchanged, 3 ignored |"),
              std::string::npos)
        << note;
}

}  // namespace
}  // namespace forgelink::e2e
