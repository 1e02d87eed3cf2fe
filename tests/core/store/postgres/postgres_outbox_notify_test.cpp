// The PostgreSQL store announces feedback tasks that are due now on its outbox channel (NOTIFY at
// commit), so an idle host's dispatcher LISTENing there (pg::PgListener) picks a change up at once,
// whichever host took it; what is not due (no task, paused feedback) says nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "pg_test_server.hpp"
#include "secrets/secret_box.hpp"
#include "store/postgres/pg_listener.hpp"
#include "store/postgres/postgres_store.hpp"

namespace forgelink::store::pg {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::haveTestServer;
using testing::TestDatabase;

std::unique_ptr<PostgresStore> openStore(const TestDatabase& db) {
    PgPoolOptions pool;
    pool.connect = db.options();
    pool.size = 2;
    auto opened = PostgresStore::open(pool, std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate()));
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? std::string() : opened.error().message);
    return opened.ok() ? std::move(opened).value() : nullptr;
}

// Runs `write` while the listener waits in another thread; true when the listener was notified
// by 100 ms after `write` returned (the NOTIFY goes out at its commit).
template <class Write>
bool wakesTheListener(PgListener& listener, Write write) {
    auto waiter = std::async(std::launch::async, [&listener] {
        auto wake = listener.wait(10s);
        return std::make_pair(wake, Clock::now());
    });
    std::this_thread::sleep_for(100ms);  // asleep in poll() by now
    write();
    const auto written = Clock::now();
    auto [wake, at] = waiter.get();
    EXPECT_LT(at - written, 100ms);
    return wake == PgListener::Wake::notified;
}

TEST(PostgresOutboxNotify, TasksDueNowWakeAListeningHostAndNothingElseDoes) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto store = openStore(db);
    ASSERT_NE(store, nullptr);
    auto team = store->createTeam("core", "Core");
    ASSERT_TRUE(team.ok()) << team.error().message;
    // The project row by hand: the outbox needs one, nothing more of projects.
    auto conn = db.connect();
    ASSERT_TRUE(conn);
    auto project =
        conn->exec("INSERT INTO projects (team_id, name, slug, created_at) VALUES ($1, 'Web', 'web', 0) RETURNING id", {team->id});
    ASSERT_TRUE(project.ok()) << project.error().message;
    PgListener listener(db.options(), PostgresStore::kOutboxChannel);
    ASSERT_TRUE(listener.connect().ok());

    BuildChange change;
    change.build.project_id = *project->integer(0, 0);
    change.build.commit_sha = "abc123";
    ASSERT_TRUE(store->recordBuildChange(change).ok());
    EXPECT_EQ(listener.wait(300ms), PgListener::Wake::timeout) << "a change without feedback is not announced";

    NewFeedbackTask task;
    task.team_id = team->id;
    task.key = FeedbackKey{"example", "forge.test", "55", "abc123", "forgelink/web", FeedbackKind::status, ""};
    task.payload = {{"state", "queued"}};
    change.tasks.push_back(task);
    EXPECT_TRUE(wakesTheListener(listener, [&] { ASSERT_TRUE(store->recordBuildChange(change).ok()); }));

    // Paused feedback is not due: storing it says nothing, resuming it does.
    ASSERT_TRUE(store->pauseTasksForTeam(team->id, "example", "the token was revoked").ok());
    change.build.commit_sha = change.tasks[0].key.commit_sha = "def456";
    ASSERT_TRUE(store->recordBuildChange(change).ok());
    EXPECT_EQ(listener.wait(300ms), PgListener::Wake::timeout) << "a paused task is not announced";
    EXPECT_TRUE(wakesTheListener(listener, [&] { ASSERT_TRUE(store->resumeTasksForTeam(team->id, "example", Timestamp{}).ok()); }));

    // A gone owner's leases, ended, make its tasks due.
    auto claimed = store->claimDueTasks("host-a", nowTimestamp(), 10min, 10);
    ASSERT_TRUE(claimed.ok());
    ASSERT_EQ(claimed->size(), 2u);
    EXPECT_TRUE(wakesTheListener(listener, [&] { ASSERT_TRUE(store->expireLeases("host-a", nowTimestamp()).ok()); }));
}

}  // namespace
}  // namespace forgelink::store::pg
