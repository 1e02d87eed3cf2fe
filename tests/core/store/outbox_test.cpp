#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class OutboxTest : public StoreContract {
protected:
    void SetUp() override {
        StoreContract::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        team_ = must(store_->createTeam("core", "Core"));
        project_ = must(store_->createProject(team_.id, "web", "Web"));
    }

    BuildInput buildInput(BuildState state = BuildState::queued) {
        BuildInput b;
        b.project_id = project_.id;
        b.commit_sha = "abc123";
        b.branch = "main";
        b.mr_number = "7";
        b.head_sha = "abc123";
        b.state = state;
        b.url = "https://ci.test/1";
        return b;
    }

    NewFeedbackTask task(FeedbackKind kind, std::string commit = "abc123", std::string state = "queued") {
        NewFeedbackTask t;
        t.team_id = team_.id;
        t.key = FeedbackKey{"example", "forge.test", "55", std::move(commit), "forgelink/web", kind,
                            kind == FeedbackKind::comment ? "7" : ""};
        t.payload = {{"state", state}};
        return t;
    }

    RecordedBuild record(BuildInput b, std::vector<NewFeedbackTask> tasks) {
        return must(store_->recordBuildChange(BuildChange{std::move(b), std::move(tasks)}));
    }

    // A new build with one status task; returns it.
    RecordedBuild newBuildWithStatus(std::string commit = "abc123") {
        BuildInput b = buildInput();
        b.commit_sha = commit;
        return record(b, {task(FeedbackKind::status, commit)});
    }

    BuildInput change(const Build& build, BuildState state) {
        BuildInput b = buildInput(state);
        b.id = build.id;
        b.commit_sha = build.commit_sha;
        return b;
    }

    Team team_;
    Project project_;
};

TEST_P(OutboxTest, NewBuildAndItsTasksAreWrittenTogether) {
    RecordedBuild r = record(buildInput(), {task(FeedbackKind::status), task(FeedbackKind::comment)});
    EXPECT_GT(r.build.id, 0);
    EXPECT_EQ(r.build.version, 1);
    EXPECT_EQ(r.build.state, BuildState::queued);
    ASSERT_EQ(r.tasks.size(), 2u);
    for (const auto& t : r.tasks) {
        EXPECT_EQ(t.state, TaskState::pending);
        EXPECT_EQ(t.build_id, r.build.id);
        EXPECT_EQ(t.build_version, 1);
        EXPECT_EQ(t.next_attempt_at, now());
        EXPECT_EQ(t.payload["state"], "queued");
    }
    EXPECT_EQ(must(store_->listTasksOfBuild(r.build.id)).size(), 2u);
    EXPECT_EQ(must(store_->build(r.build.id)).url, "https://ci.test/1");
}

TEST_P(OutboxTest, BuildUpdateIncrementsVersionAndChecksExpectedVersion) {
    RecordedBuild r = record(buildInput(), {});
    BuildInput b = change(r.build, BuildState::in_progress);
    b.stats = BuildStats{3, 1, 2, 0};
    b.expected_version = 1;
    advance(5s);
    RecordedBuild u = record(b, {});
    EXPECT_EQ(u.build.version, 2);
    EXPECT_EQ(u.build.state, BuildState::in_progress);
    EXPECT_EQ(u.build.stats, (BuildStats{3, 1, 2, 0}));
    EXPECT_EQ(u.build.created_at, r.build.created_at);
    EXPECT_EQ(u.build.updated_at, now());
    b.expected_version = 1;
    auto stale = store_->recordBuildChange({b, {}});
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().kind, ErrorKind::conflict);
    EXPECT_EQ(must(store_->build(r.build.id)).version, 2);
    b.id = 9999;
    b.expected_version.reset();
    EXPECT_EQ(store_->recordBuildChange({b, {}}).error().kind, ErrorKind::not_found);
}

TEST_P(OutboxTest, FailureMidTransactionWritesNothing) {
    // The second task names a team that does not exist: its insert fails after the build row and
    // the first task were written inside the transaction. Everything must roll back.
    NewFeedbackTask bad = task(FeedbackKind::comment);
    bad.team_id = 424242;
    auto failed = store_->recordBuildChange({buildInput(), {task(FeedbackKind::status), bad}});
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().kind, ErrorKind::invalid_input);
    EXPECT_TRUE(must(store_->listBuilds(project_.id, 10)).empty());
    TaskCounts counts = must(store_->countTasks());
    EXPECT_EQ(counts.pending + counts.paused + counts.in_flight + counts.done + counts.failed, 0);

    // The same for an update: the version and state stay, no task appears.
    RecordedBuild r = record(buildInput(), {});
    auto failed_update = store_->recordBuildChange({change(r.build, BuildState::accepted), {task(FeedbackKind::status), bad}});
    ASSERT_FALSE(failed_update.ok());
    Build still = must(store_->build(r.build.id));
    EXPECT_EQ(still.version, 1);
    EXPECT_EQ(still.state, BuildState::queued);
    EXPECT_TRUE(must(store_->listTasksOfBuild(r.build.id)).empty());
}

TEST_P(OutboxTest, PendingTasksCoalesceToTheNewestPayload) {
    RecordedBuild r = record(buildInput(), {task(FeedbackKind::status, "abc123", "queued")});
    RecordedBuild u = record(change(r.build, BuildState::in_progress), {task(FeedbackKind::status, "abc123", "running")});
    RecordedBuild v = record(change(r.build, BuildState::accepted), {task(FeedbackKind::status, "abc123", "success")});
    ASSERT_EQ(v.tasks.size(), 1u);
    EXPECT_EQ(v.tasks[0].id, r.tasks[0].id);
    EXPECT_EQ(v.tasks[0].build_version, 3);
    EXPECT_EQ(v.tasks[0].payload["state"], "success");
    EXPECT_EQ(must(store_->countTasks()).pending, 1);
    // A different key (another commit) is its own task.
    record(buildInput(), {task(FeedbackKind::status, "def456")});
    EXPECT_EQ(must(store_->countTasks()).pending, 2);
}

// Issue 22 point 10: build 2's change of the same feedback replaced build 1's waiting task in
// place, so build 1 showed "deliveries: []". Build 1's task now ends 'superseded', naming build 2.
TEST_P(OutboxTest, ANewerBuildSupersedesAnOlderBuildsWaitingTaskVisibly) {
    RecordedBuild b1 = newBuildWithStatus();
    RecordedBuild b2 = newBuildWithStatus();
    ASSERT_EQ(b2.tasks.size(), 1u);
    EXPECT_NE(b2.tasks[0].id, b1.tasks[0].id);
    EXPECT_EQ(b2.tasks[0].build_id, b2.build.id);
    auto of_b1 = must(store_->listTasksOfBuild(b1.build.id));
    ASSERT_EQ(of_b1.size(), 1u);
    EXPECT_EQ(of_b1[0].state, TaskState::superseded);
    EXPECT_EQ(of_b1[0].last_error, "superseded by build " + std::to_string(b2.build.id) + " before it was delivered");
    const auto counts = must(store_->countTasks());
    EXPECT_EQ(counts.pending, 1);
    EXPECT_EQ(counts.superseded, 1);
    // Only build 2's task goes out.
    auto claimed = must(store_->claimDueTasks("w", now(), 30s, 10));
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].build_id, b2.build.id);
    // A task completed as superseded by the dispatcher (a newer build already delivered) ends so too.
    must(store_->completeTask(claimed[0].id, "w", {{}, {{"superseded", true}}}));
    EXPECT_EQ(must(store_->feedbackTask(claimed[0].id)).state, TaskState::superseded);
}

TEST_P(OutboxTest, ClaimLeasesAndHidesTasksUntilTheLeaseExpires) {
    RecordedBuild r = newBuildWithStatus();
    auto claimed = must(store_->claimDueTasks("w1", now(), 30s, 10));
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].id, r.tasks[0].id);
    EXPECT_EQ(claimed[0].state, TaskState::in_flight);
    EXPECT_EQ(claimed[0].lease_owner, "w1");
    EXPECT_EQ(claimed[0].attempts, 1);
    ASSERT_TRUE(claimed[0].lease_expires_at.has_value());
    EXPECT_EQ(*claimed[0].lease_expires_at, now() + 30s);
    EXPECT_TRUE(must(store_->claimDueTasks("w2", now() + 29s, 30s, 10)).empty());
    // w1 crashed: after the lease, w2 takes the task over and w1 can no longer finish it.
    auto reclaimed = must(store_->claimDueTasks("w2", now() + 30s, 30s, 10));
    ASSERT_EQ(reclaimed.size(), 1u);
    EXPECT_EQ(reclaimed[0].lease_owner, "w2");
    EXPECT_EQ(reclaimed[0].attempts, 2);
    auto late = store_->completeTask(r.tasks[0].id, "w1", {});
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().kind, ErrorKind::conflict);
    EXPECT_EQ(late.error().code, "lease_lost");
    must(store_->completeTask(r.tasks[0].id, "w2", {}));
    EXPECT_EQ(must(store_->feedbackTask(r.tasks[0].id)).state, TaskState::done);
    EXPECT_TRUE(must(store_->claimDueTasks("w3", now() + 1h, 30s, 10)).empty());
}

TEST_P(OutboxTest, ExpiringAGoneOwnersLeasesMakesOnlyItsTasksClaimable) {
    newBuildWithStatus("aaa");
    ASSERT_EQ(must(store_->claimDueTasks("gone", now(), 10min, 10)).size(), 1u);
    newBuildWithStatus("bbb");
    ASSERT_EQ(must(store_->claimDueTasks("alive", now(), 10min, 10)).size(), 1u);
    EXPECT_EQ(must(store_->leaseOwners()), (std::vector<std::string>{"alive", "gone"}));

    EXPECT_EQ(must(store_->expireLeases("gone", now())), 1);
    auto taken = must(store_->claimDueTasks("restarted", now(), 30s, 10));
    ASSERT_EQ(taken.size(), 1u) << "only the gone owner's task, not the live one's";
    EXPECT_EQ(taken[0].key.commit_sha, "aaa");
    EXPECT_EQ(taken[0].attempts, 2);
    EXPECT_EQ(must(store_->leaseOwners()), (std::vector<std::string>{"alive", "restarted"}));
    EXPECT_EQ(must(store_->expireLeases("nobody", now())), 0);
    EXPECT_FALSE(store_->expireLeases("", now())) << "an empty owner is refused";
}

TEST_P(OutboxTest, ClaimRespectsDueTimeAndLimit) {
    for (int i = 0; i < 5; ++i) newBuildWithStatus("sha" + std::to_string(i));
    auto first = must(store_->claimDueTasks("w", now(), 30s, 3));
    EXPECT_EQ(first.size(), 3u);
    EXPECT_LT(first[0].id, first[1].id);  // oldest first
    auto rest = must(store_->claimDueTasks("w", now(), 30s, 10));
    EXPECT_EQ(rest.size(), 2u);
    // Not yet due: nothing.
    newBuildWithStatus("later");
    EXPECT_TRUE(must(store_->claimDueTasks("w", now() - 1ms, 30s, 10)).empty());
}

TEST_P(OutboxTest, ExpiredLeasesComeFirstAndShareTheLimitWithDueTasks) {
    const auto lost = newBuildWithStatus("lost").tasks[0].id;
    ASSERT_EQ(must(store_->claimDueTasks("crashed", now(), 30s, 1)).size(), 1u);
    std::vector<std::int64_t> due;
    for (int i = 0; i < 4; ++i) due.push_back(newBuildWithStatus("due" + std::to_string(i)).tasks[0].id);
    // The lost lease and the two oldest due tasks fill a limit of 3, returned oldest first.
    auto first = must(store_->claimDueTasks("w", now() + 30s, 30s, 3));
    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(first[0].id, lost);
    EXPECT_EQ(first[0].attempts, 2);
    EXPECT_EQ(first[1].id, due[0]);
    EXPECT_EQ(first[2].id, due[1]);
    // The other two come next, in order.
    auto rest = must(store_->claimDueTasks("w2", now() + 30s, 30s, 10));
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[0].id, due[2]);
    EXPECT_EQ(rest[1].id, due[3]);
    // Once every lease has run out, a limit of 1 takes the oldest task back.
    auto taken_back = must(store_->claimDueTasks("w3", now() + 61s, 30s, 1));
    ASSERT_EQ(taken_back.size(), 1u);
    EXPECT_EQ(taken_back[0].id, lost);
    EXPECT_EQ(taken_back[0].lease_owner, "w3");
}

TEST_P(OutboxTest, ConcurrentClaimsFromTwoStoresNeverShareATask) {
    constexpr int kTasks = 120;
    for (int i = 0; i < kTasks; ++i) newBuildWithStatus("sha" + std::to_string(i));
    auto other = openStore();
    ASSERT_NE(other, nullptr);
    std::mutex mutex;
    std::vector<std::int64_t> seen;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    // Four threads per store: claims of one process share write transactions (group commit),
    // the two stores stand for two processes.
    for (int w = 0; w < 8; ++w) {
        Store* s = w % 2 == 0 ? static_cast<Store*>(store_.get()) : static_cast<Store*>(other.get());
        threads.emplace_back([&, s, w] {
            const std::string owner = "worker-" + std::to_string(w);
            for (;;) {
                auto batch = s->claimDueTasks(owner, now(), 60s, 7);
                if (!batch.ok()) {
                    ++failures;
                    return;
                }
                if (batch.value().empty()) return;
                std::lock_guard lock(mutex);
                for (const auto& t : batch.value()) {
                    EXPECT_EQ(t.lease_owner, owner);
                    seen.push_back(t.id);
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    std::set<std::int64_t> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "a task was handed to two owners";
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kTasks));
}

TEST_P(OutboxTest, NewerVersionWhileInFlightIsKeptAndDeliveredAfter) {
    RecordedBuild r = newBuildWithStatus();
    auto claimed = must(store_->claimDueTasks("w1", now(), 30s, 10));
    ASSERT_EQ(claimed.size(), 1u);
    RecordedBuild u = record(change(r.build, BuildState::accepted), {task(FeedbackKind::status, "abc123", "success")});
    ASSERT_EQ(u.tasks.size(), 1u);
    EXPECT_NE(u.tasks[0].id, r.tasks[0].id);
    EXPECT_EQ(u.tasks[0].state, TaskState::pending);
    EXPECT_EQ(u.tasks[0].build_version, 2);
    // Not while the older one of the same key is in flight (order on the forge is preserved).
    EXPECT_TRUE(must(store_->claimDueTasks("w2", now(), 30s, 10)).empty());
    // A third change coalesces into the waiting row, not into the in-flight one.
    RecordedBuild v = record(change(r.build, BuildState::rejected), {task(FeedbackKind::status, "abc123", "failed")});
    EXPECT_EQ(v.tasks[0].id, u.tasks[0].id);
    EXPECT_EQ(must(store_->feedbackTask(r.tasks[0].id)).payload["state"], "queued");
    must(store_->completeTask(r.tasks[0].id, "w1", {}));
    auto next = must(store_->claimDueTasks("w2", now(), 30s, 10));
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].id, u.tasks[0].id);
    EXPECT_EQ(next[0].payload["state"], "failed");
    EXPECT_FALSE(must(store_->isSuperseded(next[0])));
}

TEST_P(OutboxTest, OlderNeverOverwritesNewer) {
    // Build 1 and build 2 report on the same commit and context. Build 2's status is delivered;
    // a late change of build 1 must then be completed without reaching the forge.
    RecordedBuild b1 = newBuildWithStatus();
    auto c1 = must(store_->claimDueTasks("w", now(), 30s, 10));
    must(store_->completeTask(c1[0].id, "w", {}));
    RecordedBuild b2 = newBuildWithStatus();
    auto c2 = must(store_->claimDueTasks("w", now(), 30s, 10));
    ASSERT_EQ(c2.size(), 1u);
    EXPECT_FALSE(must(store_->isSuperseded(c2[0])));
    must(store_->completeTask(c2[0].id, "w", {}));
    record(change(b1.build, BuildState::errored), {task(FeedbackKind::status)});
    auto late = must(store_->claimDueTasks("w", now(), 30s, 10));
    ASSERT_EQ(late.size(), 1u);
    EXPECT_EQ(late[0].build_id, b1.build.id);
    EXPECT_TRUE(must(store_->isSuperseded(late[0])));
    must(store_->completeTask(late[0].id, "w", {{}, {{"skipped", "superseded"}}}));
    // The delivered marker did not move back: build 2 is still the newest delivered.
    FeedbackTask probe = late[0];
    probe.build_id = b2.build.id;
    probe.build_version = 0;
    EXPECT_TRUE(must(store_->isSuperseded(probe)));
}

TEST_P(OutboxTest, RetrySchedulesPausesOrSupersedes) {
    RecordedBuild r = newBuildWithStatus();
    auto claimed = must(store_->claimDueTasks("w", now(), 30s, 10));
    EXPECT_EQ(must(store_->retryTask(claimed[0].id, "w", now() + 10s, "HTTP 503 from the forge")), RetryOutcome::scheduled);
    FeedbackTask t = must(store_->feedbackTask(claimed[0].id));
    EXPECT_EQ(t.state, TaskState::pending);
    EXPECT_EQ(t.last_error, "HTTP 503 from the forge");
    EXPECT_TRUE(t.lease_owner.empty());
    EXPECT_TRUE(must(store_->claimDueTasks("w", now() + 9s, 30s, 10)).empty());
    claimed = must(store_->claimDueTasks("w", now() + 10s, 30s, 10));
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].attempts, 2);
    // A newer change arrives while it is in flight; the retry then gives way to it.
    RecordedBuild u = record(change(r.build, BuildState::accepted), {task(FeedbackKind::status, "abc123", "success")});
    EXPECT_EQ(must(store_->retryTask(claimed[0].id, "w", now() + 10s, "timeout")), RetryOutcome::superseded);
    t = must(store_->feedbackTask(claimed[0].id));
    EXPECT_EQ(t.state, TaskState::superseded);
    EXPECT_NE(t.last_error.find("superseded"), std::string::npos);
    EXPECT_EQ(must(store_->feedbackTask(u.tasks[0].id)).state, TaskState::pending);
    // Paused team: the retry parks the task.
    claimed = must(store_->claimDueTasks("w", now(), 30s, 10));
    ASSERT_EQ(claimed.size(), 1u);
    must(store_->pauseTasksForTeam(team_.id, "example", "token_revoked"));
    EXPECT_EQ(must(store_->retryTask(claimed[0].id, "w", now(), "401")), RetryOutcome::paused);
    EXPECT_EQ(must(store_->feedbackTask(claimed[0].id)).state, TaskState::paused);
    EXPECT_EQ(store_->retryTask(claimed[0].id, "w", now(), "x").error().kind, ErrorKind::conflict);
}

TEST_P(OutboxTest, FailIsPermanent) {
    newBuildWithStatus();
    auto claimed = must(store_->claimDueTasks("w", now(), 30s, 10));
    EXPECT_EQ(store_->failTask(claimed[0].id, "someone-else", "x").error().kind, ErrorKind::conflict);
    must(store_->failTask(claimed[0].id, "w", "repository 55 not found"));
    FeedbackTask t = must(store_->feedbackTask(claimed[0].id));
    EXPECT_EQ(t.state, TaskState::failed);
    EXPECT_EQ(t.last_error, "repository 55 not found");
    EXPECT_TRUE(must(store_->claimDueTasks("w", now() + 1h, 30s, 10)).empty());
    EXPECT_EQ(must(store_->countTasks()).failed, 1);
}

TEST_P(OutboxTest, PauseAndResumeForATeam) {
    newBuildWithStatus("a");
    newBuildWithStatus("b");
    EXPECT_EQ(must(store_->pauseTasksForTeam(team_.id, "example", "token_revoked")), 2);
    EXPECT_EQ(must(store_->feedbackPause(team_.id, "example")), std::optional<std::string>("token_revoked"));
    EXPECT_EQ(must(store_->pauseTasksForTeam(team_.id, "example", "token_revoked")), 0);  // idempotent
    RecordedBuild later = newBuildWithStatus("c");
    EXPECT_EQ(later.tasks[0].state, TaskState::paused);  // enqueued while paused
    EXPECT_TRUE(must(store_->claimDueTasks("w", now() + 1h, 30s, 10)).empty());
    advance(1min);
    EXPECT_EQ(must(store_->resumeTasksForTeam(team_.id, "example", now())), 3);
    EXPECT_FALSE(must(store_->feedbackPause(team_.id, "example")).has_value());
    auto claimed = must(store_->claimDueTasks("w", now(), 30s, 10));
    EXPECT_EQ(claimed.size(), 3u);
}

TEST_P(OutboxTest, CommentIdsAreRememberedPerMergeRequest) {
    record(buildInput(), {task(FeedbackKind::comment)});
    EXPECT_FALSE(must(store_->knownCommentId("example", "forge.test", "55", "7")).has_value());
    auto claimed = must(store_->claimDueTasks("w", now(), 30s, 10));
    ASSERT_EQ(claimed.size(), 1u);
    must(store_->completeTask(claimed[0].id, "w", {"9001", {{"action", "created"}}}));
    EXPECT_EQ(must(store_->knownCommentId("example", "forge.test", "55", "7")), std::optional<std::string>("9001"));
    FeedbackTask done = must(store_->feedbackTask(claimed[0].id));
    EXPECT_EQ(done.result["comment_id"], "9001");
    EXPECT_EQ(done.result["action"], "created");
}

TEST_P(OutboxTest, CommentTaskWithoutMrNumberIsKeptForTheDispatcherToResolve) {
    // No MR named: the dispatcher asks the forge for the open MRs of the commit at delivery.
    NewFeedbackTask t = task(FeedbackKind::comment);
    t.key.mr_number.clear();
    auto recorded = must(store_->recordBuildChange({buildInput(), {t}}));
    ASSERT_EQ(recorded.tasks.size(), 1u);
    EXPECT_EQ(recorded.tasks[0].key.mr_number, "");
    // Such tasks coalesce per (repository, commit) like any other: a newer build's takes over and
    // the older one ends superseded, one waiting task in all.
    auto again = must(store_->recordBuildChange({buildInput(), {t}}));
    EXPECT_EQ(must(store_->feedbackTask(recorded.tasks[0].id)).state, TaskState::superseded);
    EXPECT_EQ(again.tasks[0].key.mr_number, "");
    EXPECT_EQ(must(store_->countTasks()).pending, 1);

    // The commit stays required: without it there is nothing to resolve MRs from.
    t.key.commit_sha.clear();
    auto bad = store_->recordBuildChange({buildInput(), {t}});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::invalid_input);
}

TEST_P(OutboxTest, PurgeAndListBuilds) {
    for (int i = 0; i < 3; ++i) newBuildWithStatus("s" + std::to_string(i));
    auto claimed = must(store_->claimDueTasks("w", now(), 30s, 10));
    for (const auto& t : claimed) must(store_->completeTask(t.id, "w", {}));
    EXPECT_EQ(must(store_->purgeFinishedTasks(now())), 0);
    advance(1s);
    EXPECT_EQ(must(store_->purgeFinishedTasks(now())), 3);
    auto builds = must(store_->listBuilds(project_.id, 2));
    ASSERT_EQ(builds.size(), 2u);
    EXPECT_GT(builds[0].id, builds[1].id);
    auto older = must(store_->listBuilds(project_.id, 10, builds[1].id));
    EXPECT_EQ(older.size(), 1u);
}

TEST_P(OutboxTest, UnfinishedBuildsAreListedOldestFirstAndATimeoutIsRecordedOnce) {
    const Build first = record(buildInput(BuildState::in_progress), {}).build;
    advance(1min);
    const Build second = record(buildInput(BuildState::queued), {}).build;
    advance(1min);
    const Build done = record(buildInput(BuildState::no_changes), {}).build;
    advance(1min);
    const Build young = record(buildInput(BuildState::in_progress), {}).build;

    auto listed = must(store_->unfinishedBuilds(now() - 30s, 10));
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, first.id);
    EXPECT_EQ(listed[1].id, second.id);
    EXPECT_EQ(must(store_->unfinishedBuilds(now() - 30s, 1)).size(), 1u);
    (void)done;
    (void)young;

    // The timeout's change: from the version read, marked with when and after how long.
    advance(1s);
    BuildInput ended = change(first, BuildState::errored);
    ended.timed_out_after_seconds = 3600;
    ended.expected_version = first.version;
    const Build timed_out = record(ended, {task(FeedbackKind::status, "abc123", "errored")}).build;
    EXPECT_EQ(timed_out.state, BuildState::errored);
    ASSERT_TRUE(timed_out.timed_out_at.has_value());
    EXPECT_EQ(*timed_out.timed_out_at, now());
    EXPECT_EQ(timed_out.timed_out_after_seconds, 3600);
    EXPECT_EQ(must(store_->build(first.id)).timed_out_at, now());

    // A second host that read the same version loses: nothing changes, no task is added.
    const auto tasks_before = must(store_->listTasksOfBuild(first.id)).size();
    auto again = store_->recordBuildChange(BuildChange{ended, {task(FeedbackKind::status, "abc123", "errored")}});
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::conflict);
    EXPECT_EQ(must(store_->build(first.id)).version, 2);
    EXPECT_EQ(must(store_->listTasksOfBuild(first.id)).size(), tasks_before);
    listed = must(store_->unfinishedBuilds(now(), 10));
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, second.id);

    // The build's next change (its real result) clears the mark.
    const Build result = record(change(timed_out, BuildState::accepted), {}).build;
    EXPECT_FALSE(result.timed_out_at.has_value());
    EXPECT_EQ(result.timed_out_after_seconds, 0);
}

TEST_P(OutboxTest, ACompletionEnqueuesItsFollowUpsWithTheTasksBuildVersion) {
    RecordedBuild r = newBuildWithStatus("abc123");
    auto claimed = must(store_->claimDueTasks("host-a", now(), 1min, 10));
    ASSERT_EQ(claimed.size(), 1u);
    TaskCompletion done;
    NewFeedbackTask on_head = task(FeedbackKind::status, "def456", "queued");
    done.follow_ups.push_back(on_head);
    must(store_->completeTask(claimed[0].id, "host-a", done));
    auto tasks = must(store_->listTasksOfBuild(r.build.id));
    ASSERT_EQ(tasks.size(), 2u);
    EXPECT_EQ(tasks[1].key.commit_sha, "def456");
    EXPECT_EQ(tasks[1].state, TaskState::pending);
    EXPECT_EQ(tasks[1].build_version, r.build.version);

    // A completion by an owner that lost the lease enqueues nothing.
    must(store_->recordBuildChange(BuildChange{change(r.build, BuildState::accepted), {task(FeedbackKind::status)}}));
    auto second = must(store_->claimDueTasks("host-a", now(), 1min, 10));
    ASSERT_FALSE(second.empty());
    EXPECT_FALSE(store_->completeTask(second[0].id, "host-b", done).ok());
    EXPECT_EQ(must(store_->listTasksOfBuild(r.build.id)).size(), 3u);
}

TEST_P(OutboxTest, TheFirstMergeRequestHeadRememberedWins) {
    RecordedBuild r = newBuildWithStatus();
    EXPECT_EQ(must(store_->build(r.build.id)).mr_head_sha, "");
    EXPECT_EQ(must(store_->recordMergeRequestHead(r.build.id, "d600")), "d600");
    EXPECT_EQ(must(store_->recordMergeRequestHead(r.build.id, "e700")), "d600");
    EXPECT_EQ(must(store_->build(r.build.id)).mr_head_sha, "d600");
    // A later change of the build keeps it.
    record(change(r.build, BuildState::accepted), {});
    EXPECT_EQ(must(store_->build(r.build.id)).mr_head_sha, "d600");
    auto missing = store_->recordMergeRequestHead(999999, "d600");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

// Several hosts on one database: the outbox's rules hold when they write the same key at once.
TEST_P(OutboxTest, ChangesOfOneKeyFromTwoHostsAtOnceLeaveOneWaitingTaskOfTheNewestBuild) {
    auto other = openStore();
    ASSERT_NE(other, nullptr);
    constexpr int kThreads = 4;
    constexpr int kBuildsPerThread = 6;
    std::mutex mutex;
    std::vector<std::int64_t> build_ids;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kThreads; ++w) {
        Store* s = w % 2 == 0 ? static_cast<Store*>(store_.get()) : static_cast<Store*>(other.get());
        threads.emplace_back([&, s] {
            for (int i = 0; i < kBuildsPerThread; ++i) {
                // Every build reports the same commit: its status and its comment share one key each.
                auto r = s->recordBuildChange(BuildChange{buildInput(), {task(FeedbackKind::status), task(FeedbackKind::comment)}});
                if (!r.ok()) {
                    ADD_FAILURE() << r.error().message;
                    ++failures;
                    continue;
                }
                std::lock_guard lock(mutex);
                build_ids.push_back(r.value().build.id);
            }
        });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures.load(), 0);
    ASSERT_EQ(build_ids.size(), static_cast<std::size_t>(kThreads * kBuildsPerThread));
    const TaskCounts counts = must(store_->countTasks());
    EXPECT_EQ(counts.pending, 2) << "one waiting task per key";
    EXPECT_EQ(counts.pending + counts.superseded, static_cast<std::int64_t>(build_ids.size() * 2));
    // Older never replaces newer, whatever order the hosts wrote in: what waits is the newest build's.
    const std::int64_t newest = *std::max_element(build_ids.begin(), build_ids.end());
    auto waiting = must(store_->listTasksOfBuild(newest));
    ASSERT_EQ(waiting.size(), 2u);
    for (const auto& t : waiting) EXPECT_EQ(t.state, TaskState::pending);
}

TEST_P(OutboxTest, RetriesAndNewChangesOfOneKeyFromTwoHostsKeepOneWaitingTask) {
    auto other = openStore();
    ASSERT_NE(other, nullptr);
    RecordedBuild r = newBuildWithStatus();
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::atomic<int> retried{0};
    // One host records new changes of the build while the other claims its task and sends it back
    // for a retry, again and again: a retried task and a new change of its key meet each time.
    std::thread changer([&] {
        for (int i = 0; i < 30; ++i) {
            BuildInput b = change(r.build, BuildState::in_progress);
            auto c = other->recordBuildChange(BuildChange{b, {task(FeedbackKind::status, "abc123", "running " + std::to_string(i))}});
            if (!c.ok()) {
                ADD_FAILURE() << c.error().message;
                ++failures;
            }
        }
        stop = true;
    });
    std::thread retrier([&] {
        while (!stop) {
            auto claimed = store_->claimDueTasks("host-a", now(), 1min, 10);
            if (!claimed.ok()) {
                ADD_FAILURE() << claimed.error().message;
                ++failures;
                return;
            }
            for (const auto& t : claimed.value()) {
                auto again = store_->retryTask(t.id, "host-a", now(), "the forge answered 502");
                if (!again.ok()) {
                    ADD_FAILURE() << again.error().message;
                    ++failures;
                }
                ++retried;
            }
        }
    });
    changer.join();
    retrier.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(retried.load(), 0);
    const TaskCounts counts = must(store_->countTasks());
    EXPECT_EQ(counts.in_flight, 0);
    EXPECT_EQ(counts.pending, 1) << "one waiting task of the key";
    // The last change is what waits.
    auto next = must(store_->claimDueTasks("host-b", now(), 1min, 10));
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].payload["state"], "running 29");
}

TEST_P(OutboxTest, APauseFromAnotherHostCatchesEveryTaskItsTeamEnqueuesMeanwhile) {
    auto other = openStore();
    ASSERT_NE(other, nullptr);
    constexpr int kTeams = 6;
    std::vector<std::int64_t> teams;
    for (int k = 0; k < kTeams; ++k) teams.push_back(must(store_->createTeam("team-" + std::to_string(k), "Team")).id);
    // The writers always enqueue for the team the other host pauses next, so each pause lands
    // among changes of its team that are being written.
    std::atomic<int> target{0};
    std::atomic<bool> pausing{true};
    std::atomic<int> failures{0};
    std::atomic<int> written{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; pausing || i < 5; ++i) {
                BuildInput b = buildInput();
                b.commit_sha = "w" + std::to_string(w) + "-" + std::to_string(i);
                NewFeedbackTask t = task(FeedbackKind::status, b.commit_sha);
                t.team_id = teams[static_cast<std::size_t>(std::min(target.load(), kTeams - 1))];
                auto r = store_->recordBuildChange(BuildChange{b, {t}});
                if (!r.ok()) {
                    ADD_FAILURE() << r.error().message;
                    ++failures;
                    return;
                }
                ++written;
            }
        });
    }
    std::thread pauser([&] {
        for (int k = 0; k < kTeams; ++k) {
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            auto paused = other->pauseTasksForTeam(teams[static_cast<std::size_t>(k)], "example", "the token was revoked");
            if (!paused.ok()) {
                ADD_FAILURE() << paused.error().message;
                ++failures;
            }
            if (k + 1 < kTeams) target = k + 1;
        }
        pausing = false;
    });
    pauser.join();
    for (auto& t : writers) t.join();
    ASSERT_EQ(failures.load(), 0);
    // Every team was paused and none resumed: nothing of theirs may be left pending.
    const TaskCounts counts = must(store_->countTasks());
    EXPECT_EQ(counts.pending, 0) << "a task enqueued while its team was paused escaped the pause";
    EXPECT_EQ(counts.paused, written.load());
}

INSTANTIATE_STORE_CONTRACT(OutboxTest);

}  // namespace
}  // namespace forgelink::store::testing
