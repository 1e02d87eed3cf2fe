// The merge request's head commit (issue 18): a build that ran on another commit than the one the
// merge request shows (GitLab's merged-results pipeline on its merge-result commit, a GitHub CI
// build of the pull request's test merge commit) gets its status on both commits, once each, and
// one comment; the head is read from the forge once per build (GitLab MR `sha`, GitHub `head.sha`).
#include <gtest/gtest.h>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kMergedHead = "d600000000000000000000000000000000000006";    // MR !6's head (sha)
const std::string kMergeResult = "e600000000000000000000000000000000000006";   // its pipeline's commit
const std::string kGithubMergeCommit = "f700000000000000000000000000000000000007";  // PR #7's test merge

std::vector<nlohmann::json> githubStatuses(const nlohmann::json& state, const std::string& sha) {
    std::vector<nlohmann::json> out;
    for (const auto& s : state["github"]["statuses"])
        if (s["sha"] == sha && s["context"] == "forgelink") out.push_back(s);
    return out;
}

std::size_t githubMarkedComments(const nlohmann::json& state, int issue) {
    std::size_t n = 0;
    for (const auto& c : state["github"]["comments"])
        if (c["issue"] == issue && c["body"].get<std::string>().find(kMarker) != std::string::npos) ++n;
    return n;
}

std::string linkedProject(Host& host, const std::string& team, const nlohmann::json& repository) {
    auto project = host.call("POST", "/api/v1/teams/" + team + "/projects", {{"name", "Widget"}, {"repository", repository}});
    EXPECT_EQ(project.status, 201) << project.text;
    return std::to_string(project.body["project"]["id"].get<long long>());
}

TEST(MergeRequestHead, GitLabMergedResultsStatusLandsOnTheMergeResultAndTheHeadOnceEach) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    Host host(HostOptions{sim.gitlabUrl()});
    host.start();
    // The simulated MR is what GitLab answers for a merged-results pipeline: its pipeline ran on
    // the merge-result commit, its `sha` is the source branch's head.
    auto mr = sim::httpRequest("GET", sim.gitlabUrl() + "/api/v4/projects/100/merge_requests/6",
                               {{"PRIVATE-TOKEN", kGitlabBot}});
    ASSERT_EQ(mr.status, 200) << mr.body;
    ASSERT_EQ(mr.json()["sha"], kMergedHead);
    ASSERT_EQ(mr.json()["head_pipeline"]["sha"], kMergeResult);
    ASSERT_EQ(mr.json()["head_pipeline"]["ref"], "refs/merge-requests/6/merge");
    const int read_by_test = countRequests(sim.requests(), "GET", "/projects/100/merge_requests/6$");

    ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", "docs"}}).status, 201);
    ASSERT_EQ(host.call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kGitlabBot}}).status, 200);
    const std::string project = linkedProject(host, "docs", {{"provider", "gitlab"}, {"id", "100"}});

    auto created = host.call("POST", "/api/v1/projects/" + project + "/builds",
                             {{"commit_sha", kMergeResult}, {"branch", "merged"}, {"merge_request", 6},
                              {"state", "in_progress"}, {"url", "https://ci.example/builds/6"}});
    ASSERT_EQ(created.status, 202) << created.text;
    const std::string build = "/api/v1/projects/" + project + "/builds/" + std::to_string(created.body["build"]["id"].get<long long>());
    ASSERT_TRUE(waitUntil([&] { return gitlabStatuses(sim.state(), kMergedHead).size() == 1; }, 20s, 100ms))
        << sim.state()["gitlab"]["statuses"].dump() << host.logs();
    auto updated = host.call("PATCH", build, {{"state", "changes_detected"}, {"stats", {{"changed", 2}}}});
    ASSERT_EQ(updated.status, 202) << updated.text;
    ASSERT_TRUE(waitUntil(
        [&] {
            const auto on_head = gitlabStatuses(sim.state(), kMergedHead);
            const auto on_result = gitlabStatuses(sim.state(), kMergeResult);
            return !on_head.empty() && on_head.back()["status"] == "failed" && !on_result.empty() &&
                   on_result.back()["status"] == "failed" &&
                   gitlabMarkedNotes(sim.state(), 6).size() == 1 &&
                   gitlabMarkedNotes(sim.state(), 6).front()["body"].get<std::string>().find("changes detected") !=
                       std::string::npos;
        },
        20s, 100ms))
        << sim.state()["gitlab"]["statuses"].dump() << "\n" << host.logs();
    std::this_thread::sleep_for(500ms);
    const auto state = sim.state();
    // GitLab moves a running status to failed in place: one record per commit, none repeated.
    for (const auto& sha : {kMergedHead, kMergeResult}) {
        const auto statuses = gitlabStatuses(state, sha);
        ASSERT_EQ(statuses.size(), 1u) << sha << ": " << nlohmann::json(statuses).dump();
        EXPECT_EQ(statuses[0]["status"], "failed");
        EXPECT_EQ(statuses[0]["ref"], "merged");
        EXPECT_EQ(statuses[0]["description"], "2 changed \u2014 waiting for your decision");
        EXPECT_EQ(countRequests(sim.requests(), "POST", "/statuses/" + sha + "$"), 2) << sha << ": running, then failed";
    }
    EXPECT_EQ(gitlabMarkedNotes(state, 6).size(), 1u) << "one comment, updated in place";
    EXPECT_EQ(countRequests(sim.requests(), "POST", "/merge_requests/6/notes$"), 1);
    // The head is read once per build, not once per change.
    EXPECT_EQ(countRequests(sim.requests(), "GET", "/projects/100/merge_requests/6$") - read_by_test, 1);
    auto shown = host.call("GET", build);
    ASSERT_EQ(shown.status, 200) << shown.text;
    EXPECT_EQ(shown.body["build"]["merge_request_head_sha"], kMergedHead);
    std::set<std::string> delivered_on;
    for (const auto& d : shown.body["deliveries"])
        if (d["kind"] == "status") delivered_on.insert(d["sha"].get<std::string>());
    EXPECT_EQ(delivered_on, (std::set<std::string>{kMergedHead, kMergeResult})) << shown.text;

    // A build of the MR's own head posts once, on that commit, and reads the MR once more.
    auto plain = host.call("POST", "/api/v1/projects/" + project + "/builds",
                           {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"merge_request", 1}, {"state", "no_changes"}});
    ASSERT_EQ(plain.status, 202) << plain.text;
    ASSERT_TRUE(waitUntil([&] { return gitlabStatuses(sim.state(), kFeatureSha).size() == 1; }, 20s, 100ms));
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(gitlabStatuses(sim.state(), kFeatureSha).size(), 1u);
    EXPECT_EQ(countRequests(sim.requests(), "GET", "/projects/100/merge_requests/1$"), 1);
}

TEST(MergeRequestHead, GitLabHeadGivenByTheCallerNeedsNoLookup) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    Host host(HostOptions{sim.gitlabUrl()});
    host.start();
    ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", "docs"}}).status, 201);
    ASSERT_EQ(host.call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kGitlabBot}}).status, 200);
    const std::string project = linkedProject(host, "docs", {{"provider", "gitlab"}, {"id", "100"}});
    auto created = host.call("POST", "/api/v1/projects/" + project + "/builds",
                             {{"commit_sha", kMergeResult}, {"head_sha", kMergedHead}, {"branch", "merged"},
                              {"merge_request", 6}, {"state", "accepted"}});
    ASSERT_EQ(created.status, 202) << created.text;
    ASSERT_TRUE(waitUntil(
        [&] {
            return gitlabStatuses(sim.state(), kMergedHead).size() == 1 && gitlabStatuses(sim.state(), kMergeResult).size() == 1 &&
                   gitlabMarkedNotes(sim.state(), 6).size() == 1;
        },
        20s, 100ms))
        << sim.state()["gitlab"]["statuses"].dump() << host.logs();
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(gitlabStatuses(sim.state(), kMergedHead).size(), 1u);
    EXPECT_EQ(gitlabStatuses(sim.state(), kMergeResult).size(), 1u);
    EXPECT_EQ(gitlabStatuses(sim.state(), kMergedHead)[0]["status"], "success");
    EXPECT_EQ(gitlabMarkedNotes(sim.state(), 6).size(), 1u);
    EXPECT_EQ(countRequests(sim.requests(), "GET", "/merge_requests/6$"), 0);
}

TEST(MergeRequestHead, GitHubBuildOfTheTestMergeCommitLandsOnThePullRequestsHeadToo) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    Host host;
    host.start();
    // GitHub's pull request: head.sha is the branch's tip, merge_commit_sha the test merge commit
    // (refs/pull/7/merge) a pull_request CI run checks out.
    auto pull = sim::httpRequest("GET", sim.githubUrl() + "/repos/acme/widget/pulls/7",
                                 {{"Authorization", "Bearer " + kGithubAlice}, {"User-Agent", "e2e"}});
    ASSERT_EQ(pull.status, 200) << pull.body;
    ASSERT_EQ(pull.json()["head"]["sha"], kGithubFixSha);
    ASSERT_EQ(pull.json()["merge_commit_sha"], kGithubMergeCommit);
    const int read_by_test = countRequests(sim.requests(), "GET", "/repos/acme/widget/pulls/7$");

    ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", "web"}}).status, 201);
    ASSERT_EQ(host.call("PUT", "/api/v1/teams/web/providers/github", {{"token", kGithubAlice}, {"base_url", sim.githubUrl()}})
                  .status,
              200);
    const std::string project = linkedProject(host, "web", {{"provider", "github"}, {"path", "acme/widget"}});
    auto created = host.call("POST", "/api/v1/projects/" + project + "/builds",
                             {{"commit_sha", kGithubMergeCommit}, {"branch", "fix"}, {"merge_request", 7},
                              {"state", "changes_detected"}, {"stats", {{"changed", 1}}}});
    ASSERT_EQ(created.status, 202) << created.text;
    ASSERT_TRUE(waitUntil(
        [&] {
            const auto state = sim.state();
            return githubStatuses(state, kGithubFixSha).size() == 1 && githubStatuses(state, kGithubMergeCommit).size() == 1 &&
                   githubMarkedComments(state, 7) == 1;
        },
        20s, 100ms))
        << sim.state()["github"]["statuses"].dump() << host.logs();
    std::this_thread::sleep_for(500ms);
    const auto state = sim.state();
    for (const auto& sha : {kGithubFixSha, kGithubMergeCommit}) {
        const auto statuses = githubStatuses(state, sha);
        ASSERT_EQ(statuses.size(), 1u) << sha;
        EXPECT_EQ(statuses[0]["state"], "failure");
    }
    EXPECT_EQ(githubMarkedComments(state, 7), 1u);
    EXPECT_EQ(countRequests(sim.requests(), "GET", "/repos/acme/widget/pulls/7$") - read_by_test, 1)
        << "the head is read once per build";
}

}  // namespace
}  // namespace forgelink::e2e
