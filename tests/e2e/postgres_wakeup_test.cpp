// The LISTEN/NOTIFY wake-up of `forgelink serve` on PostgreSQL (issue 16: "an idle host picks a
// new task up within 100 ms without polling hard"). Two hosts on one database: host A accepts the
// build changes and delivers nothing (feedback.delivery_workers: 0), host B delivers, and both
// poll the outbox only every 10 minutes (feedback.poll_interval_ms), so only B's OutboxWatcher
// (LISTEN, woken by the NOTIFY of A's transaction) can explain B delivering at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "e2e_host.hpp"
#include "e2e_world.hpp"
#include "pg_test_server.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;
namespace pgt = store::pg::testing;

HostOptions idleOnPostgres(const pgt::TestDatabase& db, const std::string& gitlab_url, unsigned workers) {
    HostOptions o;
    o.gitlab_base_url = gitlab_url;
    o.postgres_url = db.options().conninfo;
    o.postgres_password = pgt::testServer().password;
    o.feedback_section = "  poll_interval_ms: 600000\n  delivery_workers: " + std::to_string(workers) + "\n";
    return o;
}

// forgelink_deliveries_total of a host, all labels added up.
double deliveries(const Host& host) {
    auto metrics = host.call("GET", "/metrics");
    double sum = 0;
    std::istringstream lines(metrics.text);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("forgelink_deliveries_total{", 0) == 0) sum += std::stod(line.substr(line.rfind(' ') + 1));
    return sum;
}

TEST(PostgresHosts, AnIdleHostDeliversAChangeAnotherHostAcceptedWithin100msThroughNotify) {
    if (!pgt::haveTestServer()) return;
    pgt::TestDatabase db;
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    Host a(idleOnPostgres(db, sim.gitlabUrl(), 0));
    a.start();
    HostOptions ob = idleOnPostgres(db, sim.gitlabUrl(), 8);
    ob.share_store_of = &a;
    Host b(ob);
    b.start();

    ASSERT_EQ(a.call("POST", "/api/v1/teams", {{"slug", "wake"}}).status, 201);
    auto saved = a.call("PUT", "/api/v1/teams/wake/providers/gitlab", {{"token", kGitlabBot}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    auto project = a.call("POST", "/api/v1/teams/wake/projects",
                          {{"name", "Widget"}, {"repository", {{"provider", "gitlab"}, {"id", "100"}}}});
    ASSERT_EQ(project.status, 201) << project.text;
    const std::string builds = "/api/v1/projects/" + std::to_string(project.body["project"]["id"].get<long long>()) + "/builds";

    // One change per merge request, each while B is idle: its dispatcher's first look at the
    // outbox (at start) is long over, and its next poll is 10 minutes away.
    std::vector<double> waits_ms;
    for (int iid = 2; iid <= 5; ++iid) {
        SCOPED_TRACE("MR !" + std::to_string(iid));
        std::this_thread::sleep_for(300ms);
        const std::string sha = "c10000000000000000000000000000000000000" + std::to_string(iid);
        const std::string status_path = "/statuses/" + sha + "$";
        ASSERT_EQ(countRequests(sim.requests(), "POST", status_path), 0);
        auto posted = a.call("POST", builds, {{"commit_sha", sha}, {"branch", "crash-" + std::to_string(iid)},
                                              {"merge_request", iid}, {"state", "in_progress"}});
        const auto accepted = std::chrono::steady_clock::now();
        ASSERT_EQ(posted.status, 202) << posted.text;
        // Watched for 2 s: without the wake-up B would not look before 10 minutes have passed.
        const bool seen = waitUntil([&] { return countRequests(sim.requests(), "POST", status_path) > 0; }, 2000ms, 2ms);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - accepted).count();
        ASSERT_TRUE(seen) << "host B did not deliver within 2 s of host A accepting the change: its OutboxWatcher "
                             "(LISTEN) did not wake its dispatcher\nhost b:\n"
                          << b.logs();
        waits_ms.push_back(ms);
    }
    // The time from A's 202 to the forge seeing B's status, as watched (every 2 ms, each look a
    // round trip to forge-sim): the median of the four within 100 ms (a loaded CI machine may
    // stall one of them), none above 500 ms.
    std::vector<double> sorted = waits_ms;
    std::sort(sorted.begin(), sorted.end());
    const double median = (sorted[1] + sorted[2]) / 2;
    EXPECT_LE(median, 100.0) << ::testing::PrintToString(waits_ms);
    EXPECT_LE(sorted.back(), 500.0) << ::testing::PrintToString(waits_ms);
    RecordProperty("wake_ms", ::testing::PrintToString(waits_ms));
    std::cout << "accepted by host A -> status on the forge from host B (ms): " << ::testing::PrintToString(waits_ms) << "\n";

    // Only B delivered: A runs no dispatcher.
    EXPECT_EQ(deliveries(a), 0);
    EXPECT_GE(deliveries(b), 4);
    EXPECT_EQ(a.stop(), 0);
    EXPECT_EQ(b.stop(), 0);
}

}  // namespace
}  // namespace forgelink::e2e
