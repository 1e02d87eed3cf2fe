#include "store/postgres/pg_listener.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "pg_test_server.hpp"

namespace forgelink::store::pg {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::TestDatabase;
using testing::haveTestServer;

// Waits in another thread; returns how it woke and when.
std::future<std::pair<PgListener::Wake, Clock::time_point>> waitAsync(PgListener& listener,
                                                                      std::chrono::milliseconds timeout) {
    return std::async(std::launch::async, [&listener, timeout] {
        auto wake = listener.wait(timeout);
        return std::make_pair(wake, Clock::now());
    });
}

TEST(PgListener, ANotifyWakesTheWaiterWithin100Milliseconds) {
    if (!haveTestServer()) return;
    TestDatabase db;
    PgListener listener(db.options(), "outbox");
    ASSERT_TRUE(listener.connect().ok());
    auto sender = db.connect();
    ASSERT_TRUE(sender);
    for (int round = 0; round < 3; ++round) {
        auto waiter = waitAsync(listener, 10s);
        std::this_thread::sleep_for(100ms);  // asleep in poll() by now
        const auto sent = Clock::now();
        ASSERT_TRUE(notify(*sender, "outbox", "team 7").ok());
        auto [wake, at] = waiter.get();
        EXPECT_EQ(wake, PgListener::Wake::notified) << "round " << round;
        EXPECT_LT(at - sent, 100ms) << "round " << round;
    }
    // Another channel does not wake it; nothing does before the timeout.
    auto quiet = waitAsync(listener, 300ms);
    ASSERT_TRUE(notify(*sender, "elsewhere").ok());
    const auto started = Clock::now();
    auto [wake, at] = quiet.get();
    EXPECT_EQ(wake, PgListener::Wake::timeout);
    EXPECT_GE(at - started, 150ms);
    // A NOTIFY inside a transaction arrives when it commits.
    ASSERT_TRUE(sender->exec("BEGIN").ok());
    ASSERT_TRUE(notify(*sender, "outbox").ok());
    EXPECT_EQ(listener.wait(200ms), PgListener::Wake::timeout);
    ASSERT_TRUE(sender->exec("COMMIT").ok());
    EXPECT_EQ(listener.wait(1s), PgListener::Wake::notified);
}

TEST(PgListener, InterruptWakesItForShutdown) {
    if (!haveTestServer()) return;
    TestDatabase db;
    PgListener listener(db.options(), "outbox");
    auto waiter = waitAsync(listener, 10s);
    std::this_thread::sleep_for(200ms);
    const auto asked = Clock::now();
    listener.interrupt();
    auto [wake, at] = waiter.get();
    EXPECT_EQ(wake, PgListener::Wake::interrupted);
    EXPECT_LT(at - asked, 100ms);
    EXPECT_THROW(PgListener(db.options(), "outbox; DROP TABLE x"), std::invalid_argument);
}

TEST(PgListener, ReconnectsAfterAServerRestartAndHearsTheNextNotify) {
    if (!haveTestServer()) return;
    TestDatabase db;
    PgListener listener(db.options(), "outbox");
    ASSERT_TRUE(listener.connect().ok());
    auto waiter = waitAsync(listener, 20s);
    std::this_thread::sleep_for(100ms);
    testing::restartTestServer();
    auto [wake, at] = waiter.get();
    EXPECT_EQ(wake, PgListener::Wake::reconnected) << "told, so the caller looks for work it may have missed";
    EXPECT_EQ(listener.reconnects(), 1u);
    auto sender = db.connect();
    ASSERT_TRUE(sender);
    auto next = waitAsync(listener, 10s);
    std::this_thread::sleep_for(100ms);
    const auto sent = Clock::now();
    ASSERT_TRUE(notify(*sender, "outbox").ok());
    auto [woke, when] = next.get();
    EXPECT_EQ(woke, PgListener::Wake::notified);
    EXPECT_LT(when - sent, 100ms);
}

}  // namespace
}  // namespace forgelink::store::pg
