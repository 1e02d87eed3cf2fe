#include "store/postgres/pg_connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "pg_test_server.hpp"

namespace forgelink::store::pg {
namespace {

using testing::TestDatabase;
using testing::haveTestServer;
using testing::testServer;

TEST(PgConnection, ParametersAreValuesNeverSql) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto conn = db.connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->exec("CREATE TABLE t (id bigint PRIMARY KEY, name text, blob bytea)").ok());
    const std::string hostile = "x'); DROP TABLE t; --";
    const std::string binary("\x00\x01\xff\x27", 4);
    auto inserted = conn->exec("INSERT INTO t (id, name, blob) VALUES ($1, $2, $3), ($4, $5, NULL)",
                               {1, hostile, PgParam::bytes(binary), std::int64_t{1} << 40, std::nullopt});
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
    EXPECT_EQ(inserted->affectedRows(), 2);
    auto rows = conn->execPrepared("t_by_id", "SELECT id, name, blob FROM t WHERE id = $1", {1});
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    ASSERT_EQ(rows->rows(), 1);
    EXPECT_EQ(rows->text(0, rows->column("name")), hostile);
    EXPECT_EQ(rows->bytes(0, 2), binary);
    auto big = conn->execPrepared("t_by_id", "SELECT id, name, blob FROM t WHERE id = $1", {std::int64_t{1} << 40});
    ASSERT_TRUE(big.ok());
    EXPECT_EQ(big->integer(0, 0), std::int64_t{1} << 40);
    EXPECT_TRUE(big->isNull(0, 1));
    EXPECT_EQ(big->optionalText(0, 1), std::nullopt);
    EXPECT_EQ(big->bytes(0, 2), std::nullopt);
    // PQexecParams takes one statement: a second one is refused, not run.
    auto stacked = conn->exec("SELECT 1; DROP TABLE t");
    EXPECT_FALSE(stacked.ok());
    EXPECT_TRUE(conn->exec("SELECT count(*) FROM t").ok()) << "the table is still there";
}

TEST(PgConnection, ErrorsAreKindsWithWhereAndSqlstateButNoRowValues) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto conn = db.connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->exec("CREATE TABLE t (token text PRIMARY KEY)").ok());
    ASSERT_TRUE(conn->exec("INSERT INTO t VALUES ($1)", {"glpat-secret-value"}).ok());
    auto duplicate = conn->exec("INSERT INTO t VALUES ($1)", {"glpat-secret-value"});
    ASSERT_FALSE(duplicate.ok());
    EXPECT_EQ(duplicate.error().kind, ErrorKind::conflict);
    EXPECT_EQ(duplicate.error().code, "unique_violation");
    EXPECT_NE(duplicate.error().message.find("PostgreSQL at 127.0.0.1:" + testServer().port + "/" + db.name()),
              std::string::npos)
        << duplicate.error().message;
    EXPECT_NE(duplicate.error().message.find("(SQLSTATE 23505)"), std::string::npos) << duplicate.error().message;
    // The server's DETAIL ("Key (token)=(glpat-...) already exists") is never carried.
    EXPECT_EQ(duplicate.error().message.find("glpat-secret-value"), std::string::npos) << duplicate.error().message;
    auto syntax = conn->exec("SELEC 1");
    ASSERT_FALSE(syntax.ok());
    EXPECT_EQ(syntax.error().kind, ErrorKind::internal);
    EXPECT_EQ(syntax.error().code, "sqlstate_42601");
    EXPECT_FALSE(conn->broken()) << "a failed statement leaves the connection usable";
}

TEST(PgConnection, StatementTimeoutIsSetPerSession) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto options = db.options();
    options.statement_timeout = std::chrono::milliseconds(200);
    auto conn = PgConnection::open(options);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    auto shown = conn.value()->exec("SHOW statement_timeout");
    ASSERT_TRUE(shown.ok());
    EXPECT_EQ(shown->text(0, 0), "200ms");
    const auto started = std::chrono::steady_clock::now();
    auto slow = conn.value()->exec("SELECT pg_sleep(5)");
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(slow.ok());
    EXPECT_EQ(slow.error().code, "statement_timeout");
    EXPECT_EQ(slow.error().kind, ErrorKind::transient);
    EXPECT_LT(took, std::chrono::seconds(2));
    EXPECT_GE(took, std::chrono::milliseconds(150));
    EXPECT_TRUE(conn.value()->exec("SELECT 1").ok()) << "the session outlives a cancelled statement";
}

TEST(PgConnection, LoginFailuresNeverShowThePassword) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto options = db.options();
    options.password = "not-the-password-4711";
    auto refused = PgConnection::open(options);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "store_unavailable");
    EXPECT_NE(refused.error().message.find("password authentication failed"), std::string::npos)
        << refused.error().message;
    EXPECT_EQ(refused.error().message.find("not-the-password-4711"), std::string::npos) << refused.error().message;
    EXPECT_EQ(refused.error().message.find(testServer().password), std::string::npos);

    auto nobody = db.options();
    nobody.conninfo = "host=127.0.0.1 port=1 dbname=x";
    nobody.connect_timeout = std::chrono::seconds(2);
    auto down = PgConnection::open(nobody);
    ASSERT_FALSE(down.ok());
    EXPECT_EQ(down.error().kind, ErrorKind::transient);
    EXPECT_NE(down.error().message.find("cannot connect to PostgreSQL at 127.0.0.1:1/x"), std::string::npos)
        << down.error().message;
    EXPECT_EQ(down.error().message.find(testServer().password), std::string::npos);
}

// scripts/pg-test-server: the throwaway server listens on loopback only, and a password is needed.
TEST(PgTestServer, ListensOnLoopbackOnlyAndWantsAPassword) {
    if (!haveTestServer()) return;
    const std::string command = "ss -ltnH 'sport = :" + testServer().port + "'";
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
    ASSERT_TRUE(pipe);
    std::string listing;
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe.get()) != nullptr) listing += buffer;
    ASSERT_FALSE(listing.empty()) << command << " shows no listener";
    std::size_t sockets = 0;
    for (std::size_t at = 0; (at = listing.find(":" + testServer().port, at)) != std::string::npos; ++at) {
        const auto line_start = listing.rfind('\n', at);
        const std::string before = listing.substr(line_start == std::string::npos ? 0 : line_start + 1,
                                                  at - (line_start == std::string::npos ? 0 : line_start + 1));
        EXPECT_NE(before.find("127.0.0.1"), std::string::npos) << "a listener beyond loopback:\n" << listing;
        ++sockets;
    }
    EXPECT_EQ(sockets, 1u) << listing;
    TestDatabase db;
    auto without = db.options();
    without.password.clear();
    EXPECT_FALSE(PgConnection::open(without).ok()) << "TCP logins need the password";
}

}  // namespace
}  // namespace forgelink::store::pg
