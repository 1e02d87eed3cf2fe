// GitHub's secondary rate limit (403 with retry-after, API-FACTS B10) in `forgelink feedback`:
// waited out by the host's transport policy like GitLab's 429, and not waited for when the wait
// would outlast the command's deadline.
#include <gtest/gtest.h>

#include <chrono>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

test::RunResult feedback(const sim::SimProcess& sim) {
    return runForgelink({"feedback", "--provider", "github", "--base-url", sim.githubUrl(), "--token-env", "GH_TOKEN",
                         "--repo", "acme/widget", "--sha", kGithubFixSha, "--state", "accepted", "--json"},
                        {{"GH_TOKEN", kGithubAlice}});
}

std::size_t forgelinkStatuses(const nlohmann::json& state) {
    std::size_t n = 0;
    for (const auto& s : state["github"]["statuses"]) n += s.value("sha", "") == kGithubFixSha;
    return n;
}

TEST(RateLimitCli, AGithubSecondaryLimit403WithRetryAfterIsWaitedOutAndTheStatusPosted) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    const auto before = forgelinkStatuses(sim.state());
    sim.faults({{"route", "POST /api/v3/repos/.*/statuses/.*"}, {"burst_429", 1}, {"burst_status", 403}, {"retry_after", 2}});
    const auto start = std::chrono::steady_clock::now();
    auto r = feedback(sim);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_GE(took, std::chrono::milliseconds(1900)) << "the retry-after of 2 s was not waited out";
    EXPECT_EQ(forgelinkStatuses(sim.state()), before + 1);
    EXPECT_EQ(countRequests(sim.requests(), "POST", "/api/v3/repos/acme/widget/statuses/.*"), 2);
}

TEST(RateLimitCli, AWaitLongerThanTheCommandsDeadlineIsNotWaitedFor) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    sim.faults({{"route", "POST /api/v3/repos/.*/statuses/.*"}, {"burst_429", 1}, {"burst_status", 403}, {"retry_after", 110}});
    const auto start = std::chrono::steady_clock::now();
    auto r = feedback(sim);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_NE((r.out + r.err).find("rate limit"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace forgelink::e2e
