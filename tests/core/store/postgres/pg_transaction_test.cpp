#include "store/postgres/pg_transaction.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <stdexcept>
#include <thread>

#include "pg_test_server.hpp"

namespace forgelink::store::pg {
namespace {

using testing::TestDatabase;
using testing::haveTestServer;

std::int64_t countOf(PgConnection& conn, const std::string& sql) {
    auto r = conn.exec(sql);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->integer(0, 0).value_or(-1) : -1;
}

TEST(PgTransaction, CommitsOrRollsBackAsAWhole) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto conn = db.connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->exec("CREATE TABLE t (x int)").ok());
    auto committed = inTransaction(*conn, [](PgConnection& tx) -> Result<void> {
        for (int i = 0; i < 3; ++i)
            if (auto r = tx.exec("INSERT INTO t VALUES ($1)", {i}); !r.ok()) return r.error();
        return {};
    });
    ASSERT_TRUE(committed.ok()) << committed.error().message;
    EXPECT_EQ(countOf(*conn, "SELECT count(*) FROM t"), 3);

    auto refused = inTransaction(*conn, [](PgConnection& tx) -> Result<void> {
        (void)tx.exec("INSERT INTO t VALUES (99)");
        return makeError(ErrorKind::invalid_input, "changed my mind");
    });
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, "changed my mind");
    EXPECT_THROW((void)inTransaction(*conn, [](PgConnection& tx) -> Result<void> {
        (void)tx.exec("INSERT INTO t VALUES (98)");
        throw std::runtime_error("a bug");
    }), std::runtime_error);
    EXPECT_EQ(conn->transactionStatus(), PQTRANS_IDLE);
    EXPECT_EQ(countOf(*conn, "SELECT count(*) FROM t"), 3) << "neither 99 nor 98 stayed";
}

// Two serializable transactions read the same counter, then both write it: PostgreSQL lets one
// commit and fails the other with SQLSTATE 40001, which inTransaction retries.
TEST(PgTransaction, SerializationFailuresAreRetried) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto setup = db.connect();
    ASSERT_TRUE(setup);
    ASSERT_TRUE(setup->exec("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)").ok());
    ASSERT_TRUE(setup->exec("INSERT INTO counter VALUES (1, 0)").ok());
    std::latch both_read(2);
    std::atomic<int> attempts{0};
    auto increment = [&](PgConnection& conn) {
        TransactionOptions options;
        options.isolation = Isolation::serializable;
        return inTransaction(conn, [&](PgConnection& tx) -> Result<void> {
            const bool first = attempts++ < 2;
            auto read = tx.exec("SELECT n FROM counter WHERE id = 1");
            if (!read.ok()) return read.error();
            if (first) both_read.arrive_and_wait();  // the conflict, on the first attempts only
            auto wrote = tx.exec("UPDATE counter SET n = $1 WHERE id = 1", {*read->integer(0, 0) + 1});
            if (!wrote.ok()) return wrote.error();
            return {};
        }, options);
    };
    auto a = db.connect();
    auto b = db.connect();
    ASSERT_TRUE(a && b);
    Result<void> ra, rb;
    std::thread ta([&] { ra = increment(*a); });
    std::thread tb([&] { rb = increment(*b); });
    ta.join();
    tb.join();
    ASSERT_TRUE(ra.ok()) << ra.error().message;
    ASSERT_TRUE(rb.ok()) << rb.error().message;
    EXPECT_EQ(attempts.load(), 3) << "one of the two ran again";
    EXPECT_EQ(countOf(*setup, "SELECT n FROM counter"), 2) << "no increment lost";

    // When it keeps failing, the error says so after max_attempts.
    TransactionOptions once;
    once.max_attempts = 1;
    auto gives_up = inTransaction(*a, [](PgConnection&) -> Result<void> {
        return makeError(ErrorKind::conflict, "could not serialize (SQLSTATE 40001)", "serialization_failure");
    }, once);
    ASSERT_FALSE(gives_up.ok());
    EXPECT_NE(gives_up.error().message.find("after 1 attempts"), std::string::npos) << gives_up.error().message;
}

}  // namespace
}  // namespace forgelink::store::pg
