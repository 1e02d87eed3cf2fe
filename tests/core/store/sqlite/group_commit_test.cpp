// The shared write transactions of the SQLite store (GroupCommit). What the outbox's methods
// built on them keep under concurrency is in the contract suite (concurrent_writes_test.cpp).
#include <atomic>
#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/sqlite/group_commit.hpp"
#include "sqlite_fixture.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class GroupCommitTest : public StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        // The store created the schema; the tests below use a table of their own.
        pool_ = std::make_unique<sqlite::ConnectionPool>(dbPath(), 5000ms, 4);
        pool_->acquire()->exec("CREATE TABLE items (n INTEGER PRIMARY KEY)");
    }

    std::set<std::int64_t> storedItems() {
        auto c = pool_->acquire();
        auto s = c->prepare("SELECT n FROM items ORDER BY n");
        std::set<std::int64_t> out;
        while (s.step()) out.insert(s.int64(0));
        return out;
    }

    static void insert(sqlite::Connection& c, std::int64_t n) { c.prepare("INSERT INTO items (n) VALUES (?1)").bind(1, n).run(); }

    std::unique_ptr<sqlite::ConnectionPool> pool_;
};

TEST_F(GroupCommitTest, ConcurrentWritesShareTransactionsAndAFailureUndoesOnlyItsOwn) {
    sqlite::GroupCommit writes(*pool_);
    constexpr int kWriters = 12;
    // The first writer holds its transaction open until every other writer is about to queue, so
    // they have to wait and are then committed together. The others start only once it holds it:
    // a thread started first is not scheduled first, and writer 5 relies on row 1000 existing.
    std::latch holding(1);
    std::latch queued(kWriters - 1);
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
        writes.run([&](sqlite::Connection& c) {
            insert(c, 1000);
            holding.count_down();
            queued.wait();
            std::this_thread::sleep_for(100ms);
        });
    });
    for (int i = 1; i < kWriters; ++i) {
        threads.emplace_back([&, i] {
            holding.wait();
            queued.count_down();
            try {
                writes.run([&](sqlite::Connection& c) {
                    insert(c, i);
                    // Writer 5 inserts a second row, then fails: neither of its rows may stay.
                    if (i == 5) {
                        insert(c, 500);
                        insert(c, 1000);  // primary key taken: SQLITE_CONSTRAINT
                    }
                });
            } catch (const sqlite::SqliteError&) {
                ++failed;
            }
        });
    }
    for (auto& t : threads) t.join();

    EXPECT_EQ(failed.load(), 1);
    std::set<std::int64_t> expected{1000};
    for (int i = 1; i < kWriters; ++i)
        if (i != 5) expected.insert(i);
    EXPECT_EQ(storedItems(), expected);
    EXPECT_EQ(writes.items(), static_cast<std::size_t>(kWriters));
    // 1 transaction for the first writer, then the 11 that queued behind it in as few as one more;
    // a busy machine may let a straggler arrive late, never one transaction per writer.
    EXPECT_LE(writes.transactions(), 4u);
}

TEST_F(GroupCommitTest, WorkThatThrowsSomethingElseIsRethrownAndRolledBack) {
    sqlite::GroupCommit writes(*pool_);
    EXPECT_THROW(writes.run([&](sqlite::Connection& c) {
                     insert(c, 7);
                     throw std::runtime_error("refused by the caller");
                 }),
                 std::runtime_error);
    writes.run([&](sqlite::Connection& c) { insert(c, 8); });
    EXPECT_EQ(storedItems(), (std::set<std::int64_t>{8}));
}

TEST_F(GroupCommitTest, RunReturnsOnlyAfterTheCommitIsVisibleToOtherConnections) {
    sqlite::GroupCommit writes(*pool_);
    std::atomic<int> done{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&, i] {
            writes.run([&](sqlite::Connection& c) { insert(c, 100 + i); });
            // A connection of its own, opened afterwards, must already see it.
            sqlite::Connection fresh(dbPath(), 5000ms);
            EXPECT_TRUE(fresh.prepare("SELECT 1 FROM items WHERE n = ?1").bind(1, std::int64_t{100 + i}).step());
            ++done;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(done.load(), 6);
}

}  // namespace
}  // namespace forgelink::store::testing
