// The dispatcher end to end: a real SQLite store, the built GitLab plugin over real HTTP, forge-sim.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "delivery/comment_body.hpp"
#include "delivery_test_support.hpp"

using namespace std::chrono_literals;
using namespace forgelink;
using namespace forgelink::delivery;
using forgelink::delivery::testing::DeliveryStack;
using forgelink::delivery::testing::kBotToken;
using forgelink::delivery::testing::kFeatureSha;
using forgelink::delivery::testing::kMainSha;
using forgelink::delivery::testing::kRevokedToken;
using forgelink::delivery::testing::waitFor;

namespace {

double delivered(DeliveryStack& s, const char* kind, const char* outcome = "delivered") {
    return s.metrics.value("forgelink_deliveries_total", {{"provider", "gitlab"}, {"kind", kind}, {"outcome", outcome}});
}

std::string lastState(const std::vector<nlohmann::json>& statuses) {
    return statuses.empty() ? std::string("(none)") : statuses.back()["status"].get<std::string>();
}

}  // namespace

TEST(Dispatcher, BuildStatusAndCommentAppearOnTheForge) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    const auto api = s.addProject("api");
    const auto b1 = s.record(api, BuildState::accepted, kFeatureSha, "1");
    const auto b2 = s.record(web, BuildState::changes_detected, kFeatureSha, "1", 0, {3, 2, 0, 0});
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    ASSERT_TRUE(waitFor([&] { return s.allDone({b1.id, b2.id}); })) << s.logText();
    dispatcher->stop();

    EXPECT_EQ(lastState(s.statuses(kFeatureSha, "forgelink/web")), "failed");
    EXPECT_EQ(lastState(s.statuses(kFeatureSha, "forgelink/api")), "success");
    auto notes = s.notesWithMarker(1, "<!-- forgelink:instance=delivery-test -->");
    ASSERT_EQ(notes.size(), 1u);
    const std::string body = notes[0]["body"];
    EXPECT_NE(body.find("| Project api | accepted | none |"), std::string::npos) << body;
    EXPECT_NE(body.find("| Project web | changes detected | 3 changed, 2 added |"), std::string::npos) << body;
    EXPECT_TRUE(s.notesWithMarker(2, "forgelink:instance").empty()) << "only the MR the builds named";

    // The comment id is remembered for the next upsert.
    auto known = s.store->knownCommentId("gitlab", s.instance(), "100", "1");
    ASSERT_TRUE(known && known->has_value());
    EXPECT_EQ(*known.value(), std::to_string(notes[0]["id"].get<long long>()));
    EXPECT_EQ(delivered(s, "status"), 2);
    EXPECT_GE(delivered(s, "comment"), 1);
    EXPECT_GT(s.metrics.renderPrometheus().find("forgelink_delivery_latency_seconds_count"), 0u);
    EXPECT_NE(s.metrics.renderPrometheus().find("forgelink_outbox_tasks{state=\"done\"}"), std::string::npos);
}

TEST(Dispatcher, BuildNamingNoMergeRequestCommentsOnTheOpenOnesOfItsCommit) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    const auto b = s.record(web, BuildState::changes_detected, kFeatureSha, "", 0, {1, 0, 0, 0}, true);
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    ASSERT_TRUE(waitFor([&] { return s.allDone({b.id}); })) << s.logText();
    dispatcher->stop();

    // MR 1 is open on the commit; MR 2 has the same commit but is closed.
    auto notes = s.notesWithMarker(1, "<!-- forgelink:instance=delivery-test -->");
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0]["body"].get<std::string>().find("| Project web | changes detected | 1 changed |"),
              std::string::npos)
        << notes[0]["body"];
    EXPECT_TRUE(s.notesWithMarker(2, "forgelink:instance").empty()) << "a closed MR gets no comment";
}

TEST(Dispatcher, BurstOfFiftyChangesCoalescesAndShowsTheFinalState) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    s.sim.faults({{"route", "POST /api/v4/projects/.*/statuses/.*"}, {"latency_ms", 150}});
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    store::Build b = s.record(web, BuildState::queued, kMainSha);
    for (int i = 1; i < 49; ++i)
        b = s.record(web, BuildState::in_progress, kMainSha, "", b.id, {i, 0, 0, 0});
    b = s.record(web, BuildState::accepted, kMainSha, "", b.id, {49, 0, 0, 0});
    ASSERT_TRUE(waitFor([&] { return s.counts().pending == 0 && s.counts().in_flight == 0; })) << s.logText();
    dispatcher->stop();

    const auto posts = s.requests("POST", "/statuses/");
    EXPECT_LE(posts.size(), 10u) << "50 changes must coalesce into a few calls";
    EXPECT_GE(posts.size(), 1u);
    EXPECT_EQ(lastState(s.statuses(kMainSha, "forgelink/web")), "success");
    EXPECT_NE(s.statuses(kMainSha, "forgelink/web").back()["description"].get<std::string>().find("accepted"),
              std::string::npos);
}

TEST(Dispatcher, FinalStateIsDeliveredAfterTheInProgressOneAndNeverConcurrently) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    s.sim.faults({{"route", "POST /api/v4/projects/.*/statuses/.*"}, {"latency_ms", 400}});
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    auto b = s.record(web, BuildState::in_progress, kMainSha);
    ASSERT_TRUE(waitFor([&] {
        auto tasks = s.tasksOf(b.id);
        return !tasks.empty() && tasks[0].state == store::TaskState::in_flight;
    }));
    b = s.record(web, BuildState::accepted, kMainSha, "", b.id);
    std::size_t max_in_flight = 0;
    ASSERT_TRUE(waitFor([&] {
        auto tasks = s.tasksOf(b.id);
        std::size_t in_flight = 0, done = 0;
        for (const auto& t : tasks) {
            in_flight += t.state == store::TaskState::in_flight;
            done += t.state == store::TaskState::done;
        }
        max_in_flight = std::max(max_in_flight, in_flight);
        return done == tasks.size();
    }));
    dispatcher->stop();
    EXPECT_EQ(max_in_flight, 1u) << "two deliveries of one key at once";
    EXPECT_EQ(s.tasksOf(b.id).size(), 2u) << "the final state was queued behind the in-flight one";
    const auto posts = s.requests("POST", "/statuses/");
    ASSERT_EQ(posts.size(), 2u);
    EXPECT_NE(posts[0]["body"].get<std::string>().find("running"), std::string::npos);
    EXPECT_NE(posts[1]["body"].get<std::string>().find("success"), std::string::npos);
    EXPECT_EQ(lastState(s.statuses(kMainSha, "forgelink/web")), "success") << "nothing left at running";
}

TEST(Dispatcher, OlderBuildNeverOverwritesANewerOne) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    auto old_build = s.record(web, BuildState::in_progress, kMainSha);
    ASSERT_TRUE(waitFor([&] { return s.allDone({old_build.id}); }));
    auto new_build = s.record(web, BuildState::accepted, kMainSha);  // a rebuild of the same commit
    ASSERT_TRUE(waitFor([&] { return s.allDone({new_build.id}); }));
    ASSERT_EQ(lastState(s.statuses(kMainSha, "forgelink/web")), "success");
    const auto posts_before = s.requests("POST", "/statuses/").size();

    // The old build reports late: its state must not replace the rebuild's.
    old_build = s.record(web, BuildState::errored, kMainSha, "", old_build.id);
    ASSERT_TRUE(waitFor([&] { return s.allDone({old_build.id}); }));
    dispatcher->stop();
    EXPECT_EQ(s.requests("POST", "/statuses/").size(), posts_before) << "the forge was not called";
    EXPECT_EQ(lastState(s.statuses(kMainSha, "forgelink/web")), "success");
    EXPECT_EQ(delivered(s, "status", "superseded"), 1);
    const auto tasks = s.tasksOf(old_build.id);
    EXPECT_EQ(tasks.back().result.value("superseded", false), true);
    EXPECT_EQ(tasks.back().state, store::TaskState::superseded);
}

TEST(Dispatcher, RateLimitWithRetryAfterHoldsTheInstanceThenDelivers) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    const auto api = s.addProject("api");
    s.sim.faults({{"route", "POST /api/v4/projects/.*/statuses/.*"}, {"burst_429", 1}, {"retry_after", 3}});
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    const auto first = s.record(web, BuildState::accepted, kMainSha);
    ASSERT_TRUE(waitFor([&] { return !s.requests("POST", "/statuses/").empty(); }));
    const auto limited_at = std::chrono::steady_clock::now();
    ASSERT_EQ(s.requests("POST", "/statuses/")[0]["status"], 429);
    // Recorded after the 429: held back with everything else bound for this instance.
    ASSERT_TRUE(waitFor([&] {
        return s.metrics.value("forgelink_delivery_rate_limit_waits_total",
                               {{"provider", "gitlab"}, {"instance", s.instance()}}) == 1;
    }));
    const auto second = s.record(api, BuildState::accepted, kMainSha);
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(s.requests("POST", "/statuses/").size(), 1u) << "nothing may reach the instance before Retry-After";
    ASSERT_TRUE(waitFor([&] { return s.allDone({first.id, second.id}); }));
    const auto waited = std::chrono::steady_clock::now() - limited_at;
    dispatcher->stop();
    EXPECT_GE(waited, 2800ms);
    EXPECT_EQ(lastState(s.statuses(kMainSha, "forgelink/web")), "success");
    EXPECT_EQ(lastState(s.statuses(kMainSha, "forgelink/api")), "success");
    EXPECT_EQ(s.metrics.value("forgelink_delivery_rate_limit_waits_total",
                              {{"provider", "gitlab"}, {"instance", s.instance()}}),
              1);
    EXPECT_GE(s.metrics.value("forgelink_delivery_retries_total", {{"provider", "gitlab"}}), 1);
}

TEST(Dispatcher, ServerErrorsAreRetriedWithBackoff) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    s.sim.faults({{"route", "POST /api/v4/projects/.*/statuses/.*"}, {"fail_next", 2}, {"status", 503}});
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    const auto b = s.record(web, BuildState::rejected, kMainSha);
    ASSERT_TRUE(waitFor([&] { return s.allDone({b.id}); })) << s.logText();
    dispatcher->stop();
    const auto posts = s.requests("POST", "/statuses/");
    ASSERT_EQ(posts.size(), 3u);
    EXPECT_EQ(posts[0]["status"], 503);
    EXPECT_EQ(posts[1]["status"], 503);
    EXPECT_EQ(posts[2]["status"], 201);
    EXPECT_EQ(s.tasksOf(b.id)[0].attempts, 3);
    EXPECT_EQ(s.metrics.value("forgelink_delivery_retries_total", {{"provider", "gitlab"}}), 2);
    EXPECT_EQ(lastState(s.statuses(kMainSha, "forgelink/web")), "failed");
}

TEST(Dispatcher, PermanentErrorFailsTheTaskWithTheProvidersMessage) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    const auto b = s.record(web, BuildState::accepted, "0000000000000000000000000000000000000bad");
    ASSERT_TRUE(waitFor([&] { return s.counts().failed == 1; })) << s.logText();
    dispatcher->stop();
    const auto task = s.tasksOf(b.id)[0];
    EXPECT_EQ(task.attempts, 1);
    EXPECT_NE(task.last_error.find("is not in project"), std::string::npos) << task.last_error;
    EXPECT_EQ(delivered(s, "status", "failed"), 1);
}

TEST(Dispatcher, RevokedTokenPausesTheTeamOnceAndResumesWithANewToken) {
    DeliveryStack s;
    s.saveToken(kRevokedToken);
    std::vector<std::int64_t> builds;
    for (const char* slug : {"web", "api", "docs"})
        builds.push_back(s.record(s.addProject(slug), BuildState::accepted, kMainSha).id);
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    ASSERT_TRUE(waitFor([&] { return s.counts().paused == 3; })) << s.logText();
    // Later builds of the paused team wait too, without calling the forge.
    const auto unauthorized_calls = s.requests("POST", "/statuses/").size();
    builds.push_back(s.record(s.addProject("late"), BuildState::accepted, kMainSha).id);
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(s.counts().paused, 4);
    EXPECT_EQ(s.counts().failed, 0) << "a revoked token pauses, it does not fail the tasks";
    EXPECT_EQ(s.requests("POST", "/statuses/").size(), unauthorized_calls);

    EXPECT_EQ(s.logLinesContaining("feedback paused"), 1u) << s.logText();
    EXPECT_EQ(s.logText().find(kRevokedToken), std::string::npos) << "the token never appears in logs";
    EXPECT_EQ(s.metrics.value("forgelink_feedback_paused", {{"team", "acme"}, {"provider", "gitlab"}}), 1);
    auto settings = s.store->providerSettings(s.team_id, "gitlab");
    ASSERT_TRUE(settings);
    EXPECT_EQ(settings->status, store::ProviderStatus::invalid);
    EXPECT_TRUE(settings->invalid_notified_at.has_value());

    // What the service does when an admin saves a new token.
    s.saveToken(kBotToken);
    ASSERT_TRUE(s.store->resumeTasksForTeam(s.team_id, "gitlab", store::nowTimestamp()));
    dispatcher->wake();
    ASSERT_TRUE(waitFor([&] { return s.allDone(builds); })) << s.logText();
    ASSERT_TRUE(waitFor([&] {
        return s.metrics.value("forgelink_feedback_paused", {{"team", "acme"}, {"provider", "gitlab"}}) == 0;
    }));
    dispatcher->stop();
    for (const char* context : {"forgelink/web", "forgelink/api", "forgelink/docs", "forgelink/late"})
        EXPECT_EQ(lastState(s.statuses(kMainSha, context)), "success") << context;
    EXPECT_EQ(s.logLinesContaining("feedback paused"), 1u);
}

// Issue 17: the repository's link names the credential that serves it, and deliveries use that
// one. A refused credential while the team still holds a working one holds back only what it
// serves (retried), instead of pausing the team's whole feedback to the forge.
TEST(Dispatcher, DeliveriesUseTheServingCredentialAndARefusedOneHoldsOnlyItsOwn) {
    DeliveryStack s;  // saves kBotToken as 'default'
    s.saveToken(kRevokedToken, "old-bot");
    const auto web = s.addProject("web");
    ASSERT_TRUE(s.store->setLinkCredential(web, "old-bot"));
    const auto build = s.record(web, BuildState::accepted, kMainSha);
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    ASSERT_TRUE(waitFor([&] {
        auto settings = s.store->providerSettings(s.team_id, "gitlab", "old-bot");
        return settings && settings->status == store::ProviderStatus::invalid;
    })) << s.logText();
    dispatcher->stop();
    EXPECT_EQ(s.counts().paused, 0) << "the team still has a working credential";
    EXPECT_EQ(s.counts().failed, 0);
    EXPECT_GE(s.counts().pending, 1);
    EXPECT_EQ(s.metrics.value("forgelink_feedback_paused", {{"team", "acme"}, {"provider", "gitlab"}}), 0);
    EXPECT_EQ(s.store->providerSettings(s.team_id, "gitlab")->status, store::ProviderStatus::active);
    EXPECT_EQ(s.logLinesContaining("feedback held: the forge rejected one of the team's tokens"), 1u) << s.logText();
    EXPECT_EQ(s.logText().find(kRevokedToken), std::string::npos);
    auto tasks = s.store->listTasksOfBuild(build.id);
    ASSERT_TRUE(tasks);
    ASSERT_FALSE(tasks->empty());
    EXPECT_NE(tasks->front().last_error.find("'old-bot'"), std::string::npos) << tasks->front().last_error;
    EXPECT_TRUE(s.statuses(kMainSha, "forgelink/web").empty()) << "nothing posted with another credential";
}

TEST(Dispatcher, CrashedWorkersTaskIsDeliveredAfterItsLeaseWithExactlyOneComment) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    const auto b = s.record(web, BuildState::no_changes, kFeatureSha, "1");
    // A worker claims both tasks, posts the comment, and dies before recording anything.
    auto claimed = s.store->claimDueTasks("crashed-worker", store::nowTimestamp(), 1500ms, 10);
    ASSERT_TRUE(claimed);
    ASSERT_EQ(claimed->size(), 2u);
    auto credentials = s.store->providerCredentials(s.team_id, "gitlab");
    ASSERT_TRUE(credentials);
    CommentRequest request{"100", "1", delivery::commentMarker("delivery-test"), "#### Forgelink builds\n\n(stale)", ""};
    ASSERT_TRUE(s.plugins.gitlab().upsertComment(credentials.value(), request));
    ASSERT_EQ(s.notesWithMarker(1, "forgelink:instance=delivery-test").size(), 1u);

    auto dispatcher = s.makeDispatcher(*s.store, "survivor");
    const auto started = std::chrono::steady_clock::now();
    dispatcher->start();
    ASSERT_TRUE(waitFor([&] { return s.allDone({b.id}); })) << s.logText();
    dispatcher->stop();
    EXPECT_GE(std::chrono::steady_clock::now() - started, 1000ms) << "not before the lease expired";
    auto notes = s.notesWithMarker(1, "forgelink:instance=delivery-test");
    ASSERT_EQ(notes.size(), 1u) << "the repeated delivery updated the comment instead of adding one";
    EXPECT_NE(notes[0]["body"].get<std::string>().find("| Project web | no changes |"), std::string::npos);
    for (const auto& t : s.tasksOf(b.id)) EXPECT_EQ(t.attempts, 2) << "claimed by the crashed worker, then by us";
    // The crashed worker's late completion is refused: the task is someone else's now.
    EXPECT_FALSE(s.store->completeTask(claimed->at(0).id, "crashed-worker", {}));
}

// A process id that no longer runs: a child that has exited and been reaped.
pid_t deadProcessId() {
    const pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
}

std::string thisHost() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return host;
}

TEST(Dispatcher, RestartOnTheSameMachineTakesBackAKilledProcesssLeasesAtOnce) {
    DeliveryStack s;
    const auto web = s.addProject("web");
    const auto api = s.addProject("api");
    const auto docs = s.addProject("docs");
    const auto killed = thisHost() + ":" + std::to_string(deadProcessId()) + ":0123456789abcdef";
    const auto alive = thisHost() + ":1:0123456789abcdef";  // process 1 always runs
    const auto elsewhere = "other-machine:" + std::to_string(deadProcessId()) + ":0123456789abcdef";
    // Each owner takes one build's task(s) with a lease far longer than the test.
    const auto leased_to = [&](std::int64_t project, const std::string& owner) {
        const auto b = s.record(project, BuildState::accepted, kMainSha);
        auto claimed = s.store->claimDueTasks(owner, store::nowTimestamp(), 10min, 10);
        EXPECT_TRUE(claimed && !claimed->empty());
        return b;
    };
    const auto of_killed = leased_to(web, killed);
    const auto of_alive = leased_to(api, alive);
    const auto of_elsewhere = leased_to(docs, elsewhere);

    auto dispatcher = s.makeDispatcher(*s.store, "restarted");
    dispatcher->start();
    EXPECT_TRUE(waitFor([&] { return s.allDone({of_killed.id}); })) << s.logText();
    dispatcher->stop();
    EXPECT_EQ(s.logLinesContaining("resuming deliveries a process that is gone left in flight"), 1u) << s.logText();
    // A live process (even a reused id) and another machine's process keep their leases. (Their
    // builds' comment tasks share the MR comment's key with the killed one's, so they were never
    // leased with them: only the status tasks are.)
    for (const auto id : {of_alive.id, of_elsewhere.id}) {
        for (const auto& t : s.tasksOf(id)) {
            if (t.key.kind == store::FeedbackKind::status) {
                EXPECT_EQ(t.state, store::TaskState::in_flight) << "task " << t.id;
            }
        }
    }
    EXPECT_EQ(lastState(s.statuses(kMainSha, "forgelink/web")), "success");
}

TEST(Dispatcher, TwoDispatchersOnOneDatabaseNeverDeliverATaskTwice) {
    DeliveryStack s;
    std::vector<std::int64_t> builds;
    for (int i = 0; i < 12; ++i) {
        const auto p = s.addProject("p" + std::to_string(i));
        builds.push_back(s.record(p, BuildState::accepted, kMainSha).id);
        builds.push_back(s.record(p, BuildState::rejected, kFeatureSha).id);
    }
    s.sim.faults({{"route", "POST /api/v4/projects/.*/statuses/.*"}, {"latency_ms", 30}});
    auto other_store = s.openStore();  // as another host process would
    auto one = s.makeDispatcher(*s.store, "host-one");
    auto two = s.makeDispatcher(*other_store, "host-two");
    one->start();
    two->start();
    ASSERT_TRUE(waitFor([&] { return s.allDone(builds); })) << s.logText();
    one->stop();
    two->stop();
    EXPECT_EQ(s.requests("POST", "/statuses/").size(), 24u) << "one forge call per task";
    for (auto id : builds)
        for (const auto& t : s.tasksOf(id)) EXPECT_EQ(t.attempts, 1) << "task " << t.id << " was claimed twice";
    EXPECT_EQ(delivered(s, "status"), 24);
}

TEST(Dispatcher, PausedGaugeFollowsTheStoreAcrossHostsAndLeavesWithADeletedTeam) {
    DeliveryStack s;
    auto beta = s.store->createTeam("beta", "Beta");
    ASSERT_TRUE(beta);
    // Paused by "host one" (the store is what hosts share); beta has no token at all.
    ASSERT_TRUE(s.store->pauseTasksForTeam(s.team_id, "gitlab", "gitlab no longer accepts the team's token"));
    ASSERT_TRUE(s.store->pauseTasksForTeam(beta->id, "gitlab", "no gitlab token"));

    // "Host two": its own store connection, metrics and dispatcher on the same database file.
    auto other_store = s.openStore();
    net::Metrics other_metrics;
    DispatcherOptions options = s.options;
    options.owner = "host-two";
    Dispatcher two(*other_store, s.plugins.registry(), other_metrics, s.log, options);
    two.start();
    const net::Labels acme{{"team", "acme"}, {"provider", "gitlab"}};
    const net::Labels betas{{"team", "beta"}, {"provider", "gitlab"}};
    EXPECT_EQ(other_metrics.value("forgelink_feedback_paused", acme), 1);
    EXPECT_EQ(other_metrics.value("forgelink_feedback_paused", betas), 1);

    // Resumed through host one: host two's next pass shows it delivering again.
    ASSERT_TRUE(s.store->resumeTasksForTeam(s.team_id, "gitlab", store::nowTimestamp()));
    EXPECT_TRUE(waitFor([&] { return other_metrics.value("forgelink_feedback_paused", acme) == 0; }, 5s));
    EXPECT_NE(other_metrics.renderPrometheus().find("forgelink_feedback_paused{provider=\"gitlab\",team=\"acme\"} 0"),
              std::string::npos)
        << "a connected team that is not paused reads 0, not absent";

    // Deleted through host one: host two's next pass drops the series instead of keeping it at 0.
    ASSERT_TRUE(s.store->pauseTasksForTeam(s.team_id, "gitlab", "paused again"));
    ASSERT_TRUE(s.store->deleteTeam(s.team_id));
    EXPECT_TRUE(waitFor([&] { return other_metrics.renderPrometheus().find("team=\"acme\"") == std::string::npos; },
                        5s))
        << other_metrics.renderPrometheus();
    // Only the deleted team's series went.
    EXPECT_EQ(other_metrics.value("forgelink_feedback_paused", betas), 1);
    two.stop();
}

TEST(Dispatcher, StopHandsBackWhatItClaimedButDidNotStart) {
    DeliveryStack s;
    s.options.workers = 1;
    std::vector<std::int64_t> builds;
    for (int i = 0; i < 4; ++i) builds.push_back(s.record(s.addProject("p" + std::to_string(i)), BuildState::accepted, kMainSha).id);
    s.sim.faults({{"route", "POST /api/v4/projects/.*/statuses/.*"}, {"latency_ms", 300}});
    auto dispatcher = s.makeDispatcher(*s.store);
    dispatcher->start();
    ASSERT_TRUE(waitFor([&] { return s.counts().in_flight >= 1; }));
    dispatcher->stop();
    EXPECT_EQ(s.counts().in_flight, 0) << "nothing is left leased to a stopped dispatcher";
    // A restart resumes the rest.
    dispatcher->start();
    ASSERT_TRUE(waitFor([&] { return s.allDone(builds); }));
    dispatcher->stop();
}
