// forgelink migrate on PostgreSQL: the real binary against the throwaway server of the ctest
// fixture 'postgres' (scripts/pg-test-server), one fresh database per test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/store/postgres/pg_test_server.hpp"
#include "store/migrations.hpp"
#include "subprocess.hpp"

namespace {

namespace fs = std::filesystem;
using forgelink::store::pg::testing::TestDatabase;
using forgelink::store::pg::testing::haveTestServer;
using forgelink::store::pg::testing::testServer;
using forgelink::test::run;

const std::string kBin = FORGELINK_BIN;

class MigratePostgres : public ::testing::Test {
protected:
    void SetUp() override {
        if (!haveTestServer()) GTEST_SKIP();
        dir_ = fs::temp_directory_path() / ("forgelink-migrate-pg-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        config_ = (dir_ / "forgelink.yaml").string();
        std::ofstream(config_) << "server:\n  listen: 127.0.0.1:1\nstore:\n  driver: postgres\n  url: \""
                               << testServer().url << " dbname=" << db_.name()
                               << "\"\n  password_env: FORGELINK_PG_PASSWORD\nsecrets:\n  key_file: k\n";
    }
    void TearDown() override { fs::remove_all(dir_); }
    forgelink::test::RunResult migrate(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"migrate", "--config", config_};
        args.insert(args.end(), extra.begin(), extra.end());
        return run(kBin, args, {{"FORGELINK_PG_PASSWORD", testServer().password}});
    }
    long long recorded() {
        auto conn = db_.connect();
        auto rows = conn->exec("SELECT count(*), count(DISTINCT version) FROM forgelink_schema_migrations");
        EXPECT_TRUE(rows.ok());
        EXPECT_EQ(rows->integer(0, 0), rows->integer(0, 1)) << "a migration recorded twice";
        return rows->integer(0, 0).value_or(-1);
    }

    TestDatabase db_;
    fs::path dir_;
    std::string config_;
};

TEST_F(MigratePostgres, AppliesTheSchemaOnceAndCheckSaysWhereItStands) {
    const std::string latest = std::to_string(forgelink::store::latestSchemaVersion());
    auto before = migrate({"--check"});
    EXPECT_EQ(before.exit_code, 1) << before.out << before.err;
    EXPECT_NE(before.out.find("schema version 0 of " + latest + ": migrations 1 to " + latest + " are missing"),
              std::string::npos)
        << before.out;

    auto applied = migrate();
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    EXPECT_NE(applied.out.find("PostgreSQL at 127.0.0.1:" + testServer().port + "/" + db_.name() +
                               ": applied migrations 1 to " + latest),
              std::string::npos)
        << applied.out;
    EXPECT_EQ(applied.out.find(testServer().password), std::string::npos);
    EXPECT_EQ(recorded(), forgelink::store::latestSchemaVersion());

    auto again = migrate();
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("up to date; nothing applied"), std::string::npos) << again.out;
    auto check = migrate({"--check"});
    EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(MigratePostgres, TwoRunsAtOnceApplyEachMigrationOnce) {
    forgelink::test::RunResult a, b;
    std::thread ta([&] { a = migrate(); });
    std::thread tb([&] { b = migrate(); });
    ta.join();
    tb.join();
    EXPECT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(b.exit_code, 0) << b.err;
    // One applied everything; the other waited on the advisory lock and found nothing left.
    const bool a_applied = a.out.find("applied migrations 1 to") != std::string::npos;
    const bool b_applied = b.out.find("applied migrations 1 to") != std::string::npos;
    EXPECT_NE(a_applied, b_applied) << a.out << b.out;
    EXPECT_EQ(recorded(), forgelink::store::latestSchemaVersion());
}

TEST_F(MigratePostgres, ASchemaFromANewerReleaseIsRefused) {
    ASSERT_EQ(migrate().exit_code, 0);
    auto conn = db_.connect();
    ASSERT_TRUE(conn->exec("INSERT INTO forgelink_schema_migrations (version, name) VALUES (99, 'from the future')").ok());
    for (const auto& extra : {std::vector<std::string>{}, std::vector<std::string>{"--check"}}) {
        auto r = migrate(extra);
        EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
        EXPECT_NE(r.err.find("newer than this forgelink knows"), std::string::npos) << r.err;
    }
}

}  // namespace
