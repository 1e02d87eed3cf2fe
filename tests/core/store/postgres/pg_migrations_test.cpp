#include "store/postgres/pg_migrations.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "pg_test_server.hpp"

namespace forgelink::store::pg {
namespace {

using testing::TestDatabase;
using testing::haveTestServer;

// Each migration also writes a row to applied_log: a migration applied twice shows twice.
std::vector<PgMigration> migrations(int count) {
    std::vector<PgMigration> list = {
        {1, "applied log", {"CREATE TABLE applied_log (version int NOT NULL, at timestamptz DEFAULT clock_timestamp())",
                            "INSERT INTO applied_log (version) VALUES (1)"}},
        // Slow, so the second runner surely arrives while the first holds the lock.
        {2, "teams", {"SELECT pg_sleep(0.3)", "CREATE TABLE teams (id bigserial PRIMARY KEY, slug text UNIQUE)",
                      "INSERT INTO applied_log (version) VALUES (2)"}},
        {3, "team names", {"ALTER TABLE teams ADD COLUMN name text", "INSERT INTO applied_log (version) VALUES (3)"}},
    };
    list.resize(count);
    return list;
}

TEST(PgMigrations, TwoRunnersAtOnceApplyEachMigrationOnce) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto first = db.connect();
    auto second = db.connect();
    ASSERT_TRUE(first && second);
    const auto list = migrations(3);
    std::latch go(2);
    std::optional<Result<MigrationReport>> r1, r2;
    std::thread t1([&] { go.arrive_and_wait(); r1 = applyMigrations(*first, list); });
    std::thread t2([&] { go.arrive_and_wait(); r2 = applyMigrations(*second, list); });
    t1.join();
    t2.join();
    ASSERT_TRUE(r1->ok()) << r1->error().message;
    ASSERT_TRUE(r2->ok()) << r2->error().message;
    // One applied all three, the other waited on the lock and found nothing left.
    const auto& did = r1->value().applied.empty() ? r2->value() : r1->value();
    const auto& waited = r1->value().applied.empty() ? r1->value() : r2->value();
    EXPECT_EQ(did.applied, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(did.from_version, 0);
    EXPECT_TRUE(waited.applied.empty());
    EXPECT_EQ(waited.from_version, 3);
    EXPECT_EQ(waited.to_version, 3);
    auto log = first->exec("SELECT version, count(*) FROM applied_log GROUP BY version ORDER BY version");
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_EQ(log->rows(), 3);
    for (int row = 0; row < 3; ++row) {
        EXPECT_EQ(log->integer(row, 0), row + 1);
        EXPECT_EQ(log->integer(row, 1), 1) << "migration " << row + 1 << " applied more than once";
    }
    // The lock is released and the session's statement_timeout is back.
    auto lock = db.connect()->exec("SELECT pg_try_advisory_lock($1)", {kMigrationLockKey});
    ASSERT_TRUE(lock.ok());
    EXPECT_EQ(lock->text(0, 0), "t");
    auto timeout = first->exec("SHOW statement_timeout");
    EXPECT_EQ(timeout->text(0, 0), "30s");
    // Again later: nothing to do.
    auto again = applyMigrations(*first, list);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->applied.empty());
}

TEST(PgMigrations, OnlyTheMissingOnesAreAppliedInOrder) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto conn = db.connect();
    ASSERT_TRUE(conn);
    EXPECT_EQ(checkSchema(*conn, migrations(3)).value(), 0) << "a new database is at version 0";
    auto two = applyMigrations(*conn, migrations(2));
    ASSERT_TRUE(two.ok()) << two.error().message;
    EXPECT_EQ(two->applied, (std::vector<int>{1, 2}));
    EXPECT_EQ(checkSchema(*conn, migrations(3)).value(), 2);
    auto three = applyMigrations(*conn, migrations(3));
    ASSERT_TRUE(three.ok()) << three.error().message;
    EXPECT_EQ(three->from_version, 2);
    EXPECT_EQ(three->applied, (std::vector<int>{3}));
}

TEST(PgMigrations, ASchemaNewerThanTheListIsRefused) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto conn = db.connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(applyMigrations(*conn, migrations(3)).ok());
    for (auto refused : {applyMigrations(*conn, migrations(2)).error(), checkSchema(*conn, migrations(2)).error()}) {
        EXPECT_EQ(refused.kind, ErrorKind::unsupported);
        EXPECT_EQ(refused.code, "schema_too_new");
        EXPECT_NE(refused.message.find("the database's schema is at version 3 on PostgreSQL at 127.0.0.1:" +
                                       testing::testServer().port + "/" + db.name() +
                                       ", newer than this forgelink knows (2)"),
                  std::string::npos)
            << refused.message;
    }
    auto log = conn->exec("SELECT count(*) FROM applied_log");
    EXPECT_EQ(log->integer(0, 0), 3) << "nothing was touched";

    auto renamed = migrations(3);
    renamed[1].name = "groups";
    auto mismatch = applyMigrations(*conn, renamed);
    ASSERT_FALSE(mismatch.ok());
    EXPECT_EQ(mismatch.error().code, "schema_mismatch");
    EXPECT_NE(mismatch.error().message.find("is 'teams', but this forgelink's migration 2 is 'groups'"),
              std::string::npos)
        << mismatch.error().message;
}

TEST(PgMigrations, AFailedMigrationLeavesNothingOfItself) {
    if (!haveTestServer()) return;
    TestDatabase db;
    auto conn = db.connect();
    ASSERT_TRUE(conn);
    auto list = migrations(3);
    list[2].statements = {"ALTER TABLE teams ADD COLUMN name text", "ALTER TABLE no_such_table ADD COLUMN x int"};
    auto failed = applyMigrations(*conn, list);
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find("migration 3 (team names): "), std::string::npos) << failed.error().message;
    EXPECT_NE(failed.error().message.find("nothing of it was applied"), std::string::npos);
    EXPECT_EQ(checkSchema(*conn, list).value(), 2);
    auto column = conn->exec("SELECT count(*) FROM information_schema.columns WHERE table_name = 'teams' AND "
                             "column_name = 'name'");
    EXPECT_EQ(column->integer(0, 0), 0) << "the first statement of migration 3 was rolled back too";
    auto lock = db.connect()->exec("SELECT pg_try_advisory_lock($1)", {kMigrationLockKey});
    EXPECT_EQ(lock->text(0, 0), "t") << "and the lock released";
    auto disordered = migrations(3);
    std::swap(disordered[0], disordered[1]);
    EXPECT_EQ(applyMigrations(*conn, disordered).error().kind, ErrorKind::internal);
}

}  // namespace
}  // namespace forgelink::store::pg
