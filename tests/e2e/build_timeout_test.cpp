// Builds that never finish (issue 18), end to end: two `forgelink serve` processes on one SQLite
// store with feedback.build_timeout_seconds: 2, a build left in progress on GitLab MR !1. Exactly
// one host ends it: forge-sim holds exactly one failed status "timed out: no result within 2 s"
// and the one Forgelink note says so; a result sent afterwards replaces it on the forge.
#include <gtest/gtest.h>

#include <thread>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

TEST(BuildTimeout, TwoHostsOnOneStoreEndAStalledBuildOnceThroughStatusAndComment) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    HostOptions options{sim.gitlabUrl()};
    options.build_timeout_seconds = 2;
    Host a(options);
    options.share_store_of = &a;
    Host b(options);
    a.start();
    b.start();

    ASSERT_EQ(a.call("POST", "/api/v1/teams", {{"slug", "docs"}}).status, 201);
    auto saved = a.call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kGitlabBot}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    auto project = b.call("POST", "/api/v1/teams/docs/projects",
                          {{"name", "Widget"}, {"repository", {{"provider", "gitlab"}, {"id", "100"}}}});
    ASSERT_EQ(project.status, 201) << project.text << "\n(the second host sees the first one's team and token)";
    const std::string project_id = std::to_string(project.body["project"]["id"].get<long long>());

    auto created = a.call("POST", "/api/v1/projects/" + project_id + "/builds",
                          {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"merge_request", 1},
                           {"state", "in_progress"}, {"url", "https://ci.example/builds/1"}});
    ASSERT_EQ(created.status, 202) << created.text;
    const std::string build_path =
        "/api/v1/projects/" + project_id + "/builds/" + std::to_string(created.body["build"]["id"].get<long long>());

    // The timeout runs out after 2 s; each host looks every second.
    std::vector<nlohmann::json> statuses;
    ASSERT_TRUE(waitUntil(
        [&] {
            statuses = gitlabStatuses(sim.state(), kFeatureSha);
            return !statuses.empty() && statuses.back()["status"] == "failed" &&
                   gitlabMarkedNotes(sim.state(), 1).size() == 1 &&
                   gitlabMarkedNotes(sim.state(), 1).front()["body"].get<std::string>().find("timed out") !=
                       std::string::npos;
        },
        30s, 100ms))
        << "statuses: " << nlohmann::json(statuses).dump() << "\n" << sim.state()["gitlab"]["notes"].dump();
    // Several more passes of both hosts: nothing more is posted.
    std::this_thread::sleep_for(3s);
    statuses = gitlabStatuses(sim.state(), kFeatureSha);
    // GitLab moves the running status to failed (one record); a second ending would add a record.
    ASSERT_EQ(statuses.size(), 1u) << nlohmann::json(statuses).dump();
    EXPECT_EQ(statuses[0]["status"], "failed");
    EXPECT_EQ(statuses[0]["description"], "timed out: no result within 2 s");
    EXPECT_EQ(countRequests(sim.requests(), "POST", "/statuses/" + kFeatureSha), 2)
        << "one running, one failed: " << sim.requests().dump();
    const auto notes = gitlabMarkedNotes(sim.state(), 1);
    ASSERT_EQ(notes.size(), 1u);
    const std::string body = notes[0]["body"];
    EXPECT_NE(body.find("| Widget | timed out: no result within 2 s |"), std::string::npos) << body;

    auto shown = b.call("GET", build_path);
    ASSERT_EQ(shown.status, 200) << shown.text;
    EXPECT_EQ(shown.body["build"]["state"], "errored");
    EXPECT_EQ(shown.body["build"]["version"], 2);
    EXPECT_TRUE(shown.body["build"]["timed_out_at"].is_string()) << shown.text;

    // Running again is refused; the real result is taken and the forge shows it.
    auto running = a.call("PATCH", build_path, {{"state", "in_progress"}});
    EXPECT_EQ(running.status, 409) << running.text;
    EXPECT_EQ(running.body["error"]["code"], "build_timed_out");
    auto result = b.call("PATCH", build_path, {{"state", "no_changes"}});
    ASSERT_EQ(result.status, 202) << result.text;
    ASSERT_TRUE(waitUntil(
        [&] {
            statuses = gitlabStatuses(sim.state(), kFeatureSha);
            const auto n = gitlabMarkedNotes(sim.state(), 1);
            return statuses.size() == 2 && statuses.back()["status"] == "success" && n.size() == 1 &&
                   n.front()["body"].get<std::string>().find("| Widget | no changes |") != std::string::npos;
        },
        20s, 100ms))
        << nlohmann::json(statuses).dump() << "\n" << sim.state()["gitlab"]["notes"].dump();
    EXPECT_EQ(gitlabMarkedNotes(sim.state(), 1).size(), 1u) << "the comment is updated, never duplicated";

    ASSERT_EQ(a.stop(), 0);
    ASSERT_EQ(b.stop(), 0);
    EXPECT_EQ(count(a.logs() + b.logs(), "build timed out: ended as errored"), 1u) << a.logs() << "\n---\n" << b.logs();
}

}  // namespace
}  // namespace forgelink::e2e
