// delivery/feedback_upkeep.hpp on a real SQLite store: the build timeout and the purge of finished
// tasks, each with its own clock. The maintenance loop that runs them through the REST API is
// tested in tests/core/service/build_timeout_test.cpp and maintenance_test.cpp.
#include <gtest/gtest.h>

#include <chrono>

#include "delivery/feedback_upkeep.hpp"
#include "delivery_test_support.hpp"

namespace forgelink::delivery {
namespace {

using namespace std::chrono_literals;
using testing::DeliveryStack;
using testing::kFeatureSha;
using testing::kMainSha;

const auto never = [] { return false; };

TEST(FeedbackUpkeep, EndsAStalledBuildOnceAsErrored) {
    DeliveryStack s;
    const auto project = s.addProject("guide");
    const auto stalled = s.record(project, BuildState::in_progress, kFeatureSha, "1");
    const auto finished = s.record(project, BuildState::no_changes, kMainSha);
    common::WarnOnce warnings(s.log);
    FeedbackUpkeep upkeep(*s.store, s.metrics, s.log, warnings);
    const auto now = store::nowTimestamp();

    EXPECT_EQ(upkeep.timeOutBuilds(now + 7h, 0, true, never), 0) << "0 s: builds never time out";
    EXPECT_EQ(upkeep.timeOutBuilds(now + 6h - 1min, 6 * 3600, true, never), 0);
    EXPECT_EQ(upkeep.timeOutBuilds(now + 6h + 1min, 6 * 3600, true, never), 1);
    auto ended = s.store->build(stalled.id);
    ASSERT_TRUE(ended.ok());
    EXPECT_EQ(ended->state, BuildState::errored);
    EXPECT_TRUE(ended->timed_out_at.has_value());
    EXPECT_EQ(s.store->build(finished.id)->state, BuildState::no_changes);
    EXPECT_EQ(upkeep.timeOutBuilds(now + 7h, 6 * 3600, true, never), 0) << "ended once";
    EXPECT_EQ(s.logLinesContaining("build timed out: ended as errored"), 1u) << s.logText();
    // Its new state goes to the forge like any other change: a status task (and the MR's comment).
    bool errored_status = false;
    for (const auto& task : s.tasksOf(stalled.id))
        if (task.key.kind == store::FeedbackKind::status && task.build_version == ended->version) errored_status = true;
    EXPECT_TRUE(errored_status);

    // A stopping pass ends nothing.
    s.record(project, BuildState::queued, std::string(40, 'c'));
    EXPECT_EQ(upkeep.timeOutBuilds(now + 7h, 6 * 3600, true, [] { return true; }), 0);
}

TEST(FeedbackUpkeep, PurgesFinishedTasksPastRetentionOnly) {
    DeliveryStack s;
    const auto project = s.addProject("guide");
    const auto build = s.record(project, BuildState::no_changes, kMainSha);
    common::WarnOnce warnings(s.log);
    FeedbackUpkeep upkeep(*s.store, s.metrics, s.log, warnings, {.finished_task_retention = 1h});
    const auto now = store::nowTimestamp();

    auto waiting = upkeep.purgeFinishedTasks(now + 2h);
    ASSERT_TRUE(waiting.ok()) << waiting.error().message;
    EXPECT_EQ(waiting.value(), 0) << "a task not yet delivered is never purged";

    auto claimed = s.store->claimDueTasks("test-owner", now + 1s, 1min, 10);
    ASSERT_TRUE(claimed.ok());
    ASSERT_EQ(claimed->size(), 1u);
    ASSERT_TRUE(s.store->completeTask(claimed->front().id, "test-owner", {}).ok());

    EXPECT_EQ(upkeep.purgeFinishedTasks(now).value(), 0) << "finished just now: kept for GET /builds/{id}";
    EXPECT_EQ(s.tasksOf(build.id).size(), 1u);
    EXPECT_EQ(upkeep.purgeFinishedTasks(now + 2h).value(), 1);
    EXPECT_TRUE(s.tasksOf(build.id).empty());
}

}  // namespace
}  // namespace forgelink::delivery
