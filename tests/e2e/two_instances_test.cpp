// The same repository id on two instances of one forge, in one store (issue 18, the audit's last
// untested path): two forge-sims both hold GitLab project 100; two teams each link a project to
// "their" project 100; each build's status and comment reach only its own instance.
#include <gtest/gtest.h>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

TEST(TwoInstances, TheSameRepositoryIdOnTwoInstancesKeepsItsOwnFeedback) {
    sim::SimProcess first(readText(scenarioPath("e2e-world.yaml")));
    sim::SimProcess second(readText(scenarioPath("e2e-world.yaml")));
    Host host(HostOptions{first.gitlabUrl()});
    host.start();

    std::map<std::string, std::string> project_of;
    for (const auto& [team, base_url] : {std::pair{std::string("north"), first.gitlabUrl()},
                                         std::pair{std::string("south"), second.gitlabUrl()}}) {
        ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", team}}).status, 201);
        auto saved = host.call("PUT", "/api/v1/teams/" + team + "/providers/gitlab",
                               {{"token", kGitlabBot}, {"base_url", base_url}});
        ASSERT_EQ(saved.status, 200) << saved.text;
        auto project = host.call("POST", "/api/v1/teams/" + team + "/projects",
                                 {{"name", "Widget " + team}, {"repository", {{"provider", "gitlab"}, {"id", "100"}}}});
        ASSERT_EQ(project.status, 201) << project.text;
        EXPECT_EQ(project.body["project"]["repository"]["repository_id"], "100");
        project_of[team] = std::to_string(project.body["project"]["id"].get<long long>());
    }
    ASSERT_NE(project_of["north"], project_of["south"]);

    // The same commit of "project 100" on both: north's changes need review, south's pass.
    auto north = host.call("POST", "/api/v1/projects/" + project_of["north"] + "/builds",
                           {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"merge_request", 1},
                            {"state", "changes_detected"}, {"stats", {{"changed", 2}}}});
    ASSERT_EQ(north.status, 202) << north.text;
    auto south = host.call("POST", "/api/v1/projects/" + project_of["south"] + "/builds",
                           {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"merge_request", 1},
                            {"state", "no_changes"}});
    ASSERT_EQ(south.status, 202) << south.text;

    std::vector<nlohmann::json> north_statuses, south_statuses;
    ASSERT_TRUE(waitUntil(
        [&] {
            north_statuses = gitlabStatuses(first.state(), kFeatureSha);
            south_statuses = gitlabStatuses(second.state(), kFeatureSha);
            return !north_statuses.empty() && !south_statuses.empty() &&
                   gitlabMarkedNotes(first.state(), 1).size() == 1 && gitlabMarkedNotes(second.state(), 1).size() == 1;
        },
        20s, 100ms))
        << host.logs();
    EXPECT_EQ(north_statuses.size(), 1u);
    EXPECT_EQ(south_statuses.size(), 1u);
    EXPECT_EQ(north_statuses.back()["status"], "failed") << "north's build, on north's instance";
    EXPECT_EQ(south_statuses.back()["status"], "success") << "south's build, on south's instance";
    const std::string north_note = gitlabMarkedNotes(first.state(), 1).front()["body"];
    const std::string south_note = gitlabMarkedNotes(second.state(), 1).front()["body"];
    EXPECT_NE(north_note, south_note);
}

}  // namespace
}  // namespace forgelink::e2e
