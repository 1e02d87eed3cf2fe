#include "store/postgres/pg_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "pg_test_server.hpp"

namespace forgelink::store::pg {
namespace {

using namespace std::chrono_literals;
using testing::TestDatabase;
using testing::haveTestServer;

PgPoolOptions poolOn(const TestDatabase& db, std::size_t size, std::chrono::milliseconds wait = 2000ms) {
    PgPoolOptions options;
    options.connect = db.options();
    options.connect.application_name = "pool-" + db.name();
    options.size = size;
    options.acquire_timeout = wait;
    return options;
}

// Sessions the server has for this pool (by application_name).
std::int64_t serverSessions(const TestDatabase& db) {
    auto conn = db.connect();
    auto count = conn->exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", {"pool-" + db.name()});
    return count.ok() ? count->integer(0, 0).value_or(-1) : -1;
}

TEST(PgPool, NeverOpensMoreThanItsSizeAndWaitsForAFreeConnection) {
    if (!haveTestServer()) return;
    TestDatabase db;
    PgPool pool(poolOn(db, 2, 300ms));
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_NE(a.value()->backendPid(), b.value()->backendPid());
        const auto started = std::chrono::steady_clock::now();
        auto c = pool.acquire();
        const auto waited = std::chrono::steady_clock::now() - started;
        ASSERT_FALSE(c.ok());
        EXPECT_EQ(c.error().code, "pool_timeout");
        EXPECT_EQ(c.error().kind, ErrorKind::transient);
        EXPECT_NE(c.error().message.find("all 2 connections"), std::string::npos) << c.error().message;
        EXPECT_GE(waited, 290ms);
        EXPECT_LT(waited, 2s);
        EXPECT_EQ(serverSessions(db), 2);
        // One returned while another waits: the waiter gets it, no third connection is opened.
        auto waiter = std::async(std::launch::async, [&] { return pool.acquire(); });
        std::this_thread::sleep_for(50ms);
        { auto gone = std::move(a).value(); }
        auto got = waiter.get();
        ASSERT_TRUE(got.ok()) << got.error().message;
    }
    EXPECT_EQ(pool.stats().open, 2u);
    EXPECT_EQ(pool.stats().idle, 2u);
    EXPECT_EQ(pool.stats().opened, 2u);

    // Many threads at once: every one is served, the server never sees more than 2 sessions.
    std::atomic<int> held{0}, most{0}, served{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                auto lease = pool.acquire();
                if (!lease.ok()) continue;
                int now = ++held;
                int seen = most.load();
                while (now > seen && !most.compare_exchange_weak(seen, now)) {}
                if (lease.value()->exec("SELECT pg_sleep(0.005)").ok()) ++served;
                --held;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(served.load(), 60);
    EXPECT_LE(most.load(), 2);
    EXPECT_EQ(serverSessions(db), 2);
}

TEST(PgPool, ALeaseReturnedInATransactionIsRolledBack) {
    if (!haveTestServer()) return;
    TestDatabase db;
    PgPool pool(poolOn(db, 1));
    {
        auto lease = pool.acquire();
        ASSERT_TRUE(lease.ok());
        ASSERT_TRUE(lease.value()->exec("CREATE TABLE t (x int)").ok());
        ASSERT_TRUE(lease.value()->exec("BEGIN").ok());
        ASSERT_TRUE(lease.value()->exec("INSERT INTO t VALUES (1)").ok());
    }
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok());
    EXPECT_EQ(lease.value()->transactionStatus(), PQTRANS_IDLE);
    auto count = lease.value()->exec("SELECT count(*) FROM t");
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(count->integer(0, 0), 0);
}

TEST(PgPool, AfterAServerRestartTheRequestInFlightFailsClearlyAndTheNextWorks) {
    if (!haveTestServer()) return;
    TestDatabase db;
    PgPool pool(poolOn(db, 2));
    // Two connections: one busy when the server goes away, one idle in the pool.
    auto idle = pool.acquire();
    ASSERT_TRUE(idle.ok());
    const int idle_pid = idle.value()->backendPid();
    std::promise<void> started;
    auto in_flight = std::async(std::launch::async, [&] {
        auto lease = pool.acquire();
        if (!lease.ok()) return Result<PgResult>(lease.error());
        started.set_value();
        return lease.value()->exec("SELECT pg_sleep(30)");
    });
    started.get_future().wait();
    { auto back = std::move(idle).value(); }
    ASSERT_EQ(pool.stats().idle, 1u);
    std::this_thread::sleep_for(100ms);
    testing::restartTestServer();
    auto cut = in_flight.get();
    ASSERT_FALSE(cut.ok()) << "the statement in flight cannot have finished";
    EXPECT_EQ(cut.error().kind, ErrorKind::transient);
    EXPECT_EQ(cut.error().code, "store_unavailable");
    EXPECT_NE(cut.error().message.find("the store is unavailable, retry shortly"), std::string::npos)
        << cut.error().message;
    EXPECT_EQ(cut.error().message.find(testing::testServer().password), std::string::npos);

    // The next requests work: the lost connections are closed, new ones opened.
    for (int i = 0; i < 3; ++i) {
        auto lease = pool.acquire();
        ASSERT_TRUE(lease.ok()) << lease.error().message;
        auto answer = lease.value()->exec("SELECT 41 + $1::int", {1});
        ASSERT_TRUE(answer.ok()) << "request " << i << ": " << answer.error().message;
        EXPECT_EQ(answer->integer(0, 0), 42);
        EXPECT_NE(lease.value()->backendPid(), idle_pid);
    }
    EXPECT_LE(pool.stats().open, 2u);
    EXPECT_GE(pool.stats().opened, 3u);
}

TEST(PgPool, AServerThatIsDownIsAClearTransientError) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto options = poolOn(db, 2);
    options.connect.conninfo = "host=127.0.0.1 port=1 dbname=nothing";
    PgPool pool(options);
    auto lease = pool.acquire();
    ASSERT_FALSE(lease.ok());
    EXPECT_EQ(lease.error().code, "store_unavailable");
    EXPECT_EQ(pool.stats().open, 0u) << "a failed connection does not hold a slot";
}

}  // namespace
}  // namespace forgelink::store::pg
