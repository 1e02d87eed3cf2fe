// forgelink store copy through the real binary: a populated SQLite installation moved to the
// throwaway PostgreSQL of the ctest fixture 'postgres' (one fresh database per test) and read back
// through PostgresStore with the same key; back from PostgreSQL to SQLite; the refusals; a copy
// taken while a host keeps writing to the source.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <map>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/store/copied_store.hpp"
#include "core/store/postgres/pg_test_server.hpp"
#include "secrets/key_file.hpp"
#include "store/migrations.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "subprocess.hpp"

namespace {

namespace fs = std::filesystem;
using forgelink::store::Timestamp;
using forgelink::store::PostgresStore;
using forgelink::store::SqliteStore;
using forgelink::store::pg::testing::TestDatabase;
using forgelink::store::pg::testing::haveTestServer;
using forgelink::store::pg::testing::testServer;
using forgelink::test::run;
using forgelink::test::RunResult;

const std::string kBin = FORGELINK_BIN;

Timestamp now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

class StoreCopyPostgres : public ::testing::Test {
protected:
    void SetUp() override {
        if (!haveTestServer()) GTEST_SKIP();
        dir_ = fs::temp_directory_path() / ("forgelink-store-copy-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        for (const char* key : {"key", "other.key"}) ASSERT_TRUE(forgelink::secrets::keygen(dir_ / key).ok());
        box_ = std::make_shared<const forgelink::secrets::SecretBox>(
            forgelink::secrets::loadKeyFile(dir_ / "key").value());
        sqlite_ = writeConfig("sqlite.yaml", "  path: " + (dir_ / "forgelink.db").string() + "\n", "key");
        postgres_ = writeConfig("postgres.yaml", postgresStore(testServer().url + " dbname=" + db_.name()), "key");
    }
    void TearDown() override { fs::remove_all(dir_); }

    static std::string postgresStore(const std::string& url) {
        return "  driver: postgres\n  url: \"" + url + "\"\n  password_env: FORGELINK_PG_PASSWORD\n";
    }
    std::string writeConfig(const std::string& name, const std::string& store, const std::string& key) {
        const std::string path = (dir_ / name).string();
        std::ofstream(path) << "server:\n  listen: 127.0.0.1:1\nstore:\n" << store << "secrets:\n  key_file: "
                            << (dir_ / key).string() << "\n";
        return path;
    }
    RunResult copy(const std::string& from, const std::string& to) {
        return run(kBin, {"store", "copy", "--from", from, "--to", to}, {{"FORGELINK_PG_PASSWORD", testServer().password}});
    }
    std::unique_ptr<SqliteStore> sqliteStore(const std::string& path) {
        auto opened = SqliteStore::open(path, box_);
        EXPECT_TRUE(opened.ok()) << opened.error().message;
        return opened.ok() ? std::move(opened).value() : nullptr;
    }
    std::unique_ptr<PostgresStore> postgresStore() {
        forgelink::store::pg::PgPoolOptions pool;
        pool.connect = db_.options();
        pool.size = 2;
        auto opened = PostgresStore::open(pool, box_);
        EXPECT_TRUE(opened.ok()) << opened.error().message;
        return opened.ok() ? std::move(opened).value() : nullptr;
    }
    long long pgCount(const std::string& sql) {
        auto rows = db_.connect()->exec(sql);
        EXPECT_TRUE(rows.ok()) << rows.error().message;
        return rows.ok() ? rows->integer(0, 0).value_or(-1) : -1;
    }

    TestDatabase db_;
    fs::path dir_;
    std::shared_ptr<const forgelink::secrets::SecretBox> box_;
    std::string sqlite_;
    std::string postgres_;
};

TEST_F(StoreCopyPostgres, MovesASqliteInstallationToPostgresAndBack) {
    forgelink::store::testing::CopiedStore populated;
    {
        auto source = sqliteStore((dir_ / "forgelink.db").string());
        ASSERT_NE(source, nullptr);
        populated = forgelink::store::testing::populateForCopy(*source, now());
    }
    auto copied = copy(sqlite_, postgres_);
    ASSERT_EQ(copied.exit_code, 0) << copied.out << copied.err;
    EXPECT_NE(copied.out.find("copying SQLite database " + (dir_ / "forgelink.db").string() + " to PostgreSQL ("),
              std::string::npos)
        << copied.out;
    // table, rows in the source's snapshot, rows in the target
    EXPECT_TRUE(std::regex_search(copied.out, std::regex("\nprovider_settings +2 +2\n"))) << copied.out;
    EXPECT_TRUE(std::regex_search(copied.out, std::regex("\nfeedback_tasks +8 +8\n"))) << copied.out;
    EXPECT_NE(copied.out.find("every table's count matches; secrets stay sealed with key " + box_->keyId()),
              std::string::npos)
        << copied.out;
    EXPECT_EQ(copied.out.find(testServer().password), std::string::npos);
    EXPECT_EQ(copied.out.find(populated.token), std::string::npos);

    // PostgreSQL -> SQLite: the copy of the copy reads the same.
    const std::string back = writeConfig("back.yaml", "  path: " + (dir_ / "back" / "forgelink.db").string() + "\n", "key");
    auto returned = copy(postgres_, back);
    ASSERT_EQ(returned.exit_code, 0) << returned.out << returned.err;
    {
        auto target = sqliteStore((dir_ / "back" / "forgelink.db").string());
        ASSERT_NE(target, nullptr);
        forgelink::store::testing::expectCopied(*target, populated, now());
    }
    auto target = postgresStore();
    ASSERT_NE(target, nullptr);
    forgelink::store::testing::expectCopied(*target, populated, now());
}

// The switch itself: a host started on the copy's configuration serves the copied teams and
// projects under their ids (read with forgelink admin, as an operator would check).
TEST_F(StoreCopyPostgres, AHostServesTheCopyWithTheSameIds) {
    forgelink::store::testing::CopiedStore populated;
    {
        auto source = sqliteStore((dir_ / "forgelink.db").string());
        ASSERT_NE(source, nullptr);
        populated = forgelink::store::testing::populateForCopy(*source, now());
    }
    const auto port = std::to_string(forgelink::test::freePort());
    const std::string config = dir_ / "serve.yaml";
    std::ofstream(config) << "server:\n  listen: 127.0.0.1:" << port << "\n  console_dir: no-console-here\nstore:\n"
                          << postgresStore(testServer().url + " dbname=" + db_.name()) << "secrets:\n  key_file: "
                          << (dir_ / "key").string() << "\nadmin:\n  tokens_env: FORGELINK_ADMIN_TOKENS\n";
    ASSERT_EQ(copy(sqlite_, config).exit_code, 0);

    const std::string admin_token = "store-copy-admin-token-0123456789abcdef";
    const std::map<std::string, std::string> env = {{"FORGELINK_PG_PASSWORD", testServer().password},
                                                    {"FORGELINK_ADMIN_TOKENS", admin_token},
                                                    {"FORGELINK_ADMIN_TOKEN", admin_token}};
    forgelink::test::Process serve(kBin, {"serve", "--config", config}, env);
    auto admin = [&](std::vector<std::string> words) {
        words.insert(words.begin(), "admin");
        for (const char* extra : {"--host", "--json"}) words.push_back(extra);
        words.insert(words.end() - 1, "127.0.0.1:" + port);
        return run(kBin, words, env);
    };
    RunResult teams;
    for (int i = 0; i < 200 && teams.exit_code != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        teams = admin({"teams", "list"});
    }
    ASSERT_EQ(teams.exit_code, 0) << teams.out << teams.err;
    EXPECT_TRUE(std::regex_search(teams.out, std::regex("\"id\": " + std::to_string(populated.team_id) +
                                                        ",\\s+\"name\": \"Core\",\\s+\"slug\": \"core\"")))
        << teams.out;
    auto projects = admin({"projects", "list", "--team", "core"});
    ASSERT_EQ(projects.exit_code, 0) << projects.out << projects.err;
    EXPECT_TRUE(std::regex_search(projects.out, std::regex("\"id\": " + std::to_string(populated.project_id) +
                                                           ",\\s+\"name\": \"Web\"")))
        << projects.out;
    serve.signal(SIGTERM);
    auto stopped = serve.finish(std::chrono::seconds(10));
    ASSERT_TRUE(stopped.has_value());
    EXPECT_EQ(stopped->exit_code, 0) << stopped->err;
}

TEST_F(StoreCopyPostgres, RefusesATargetThatIsNotEmpty) {
    {
        auto source = sqliteStore((dir_ / "forgelink.db").string());
        ASSERT_TRUE(source->createTeam("core", "Core").ok());
    }
    ASSERT_EQ(copy(sqlite_, postgres_).exit_code, 0);
    auto again = copy(sqlite_, postgres_);
    EXPECT_EQ(again.exit_code, 3) << again.out << again.err;
    EXPECT_NE(again.err.find("/" + db_.name() + " is not empty: teams (1 row), project_list_versions (1 row). store copy "
                                                "writes only into an empty database"),
              std::string::npos)
        << again.err;
    EXPECT_EQ(pgCount("SELECT count(*) FROM teams"), 1);
}

TEST_F(StoreCopyPostgres, RefusesATargetWithAnotherKeyBeforeTouchingIt) {
    ASSERT_NE(sqliteStore((dir_ / "forgelink.db").string()), nullptr);
    const std::string other = writeConfig("other.yaml", postgresStore(testServer().url + " dbname=" + db_.name()), "other.key");
    auto refused = copy(sqlite_, other);
    EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("is not the source's (id " + box_->keyId() + "): secrets are copied sealed"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(pgCount("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"), 0);
}

TEST_F(StoreCopyPostgres, RefusesASourceOfANewerSchema) {
    // The PostgreSQL database as the source this time: a newer release migrated it.
    ASSERT_NE(sqliteStore((dir_ / "forgelink.db").string()), nullptr);
    ASSERT_EQ(copy(sqlite_, postgres_).exit_code, 0);
    ASSERT_TRUE(db_.connect()->exec("INSERT INTO forgelink_schema_migrations (version, name) VALUES (" +
                                    std::to_string(forgelink::store::latestSchemaVersion() + 1) + ", 'from the future')")
                    .ok());
    const std::string fresh = writeConfig("fresh.yaml", "  path: " + (dir_ / "fresh.db").string() + "\n", "key");
    auto refused = copy(postgres_, fresh);
    EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("newer than this forgelink knows"), std::string::npos) << refused.err;
    EXPECT_FALSE(fs::exists(dir_ / "fresh.db"));
}

TEST_F(StoreCopyPostgres, SaysWhenTheTargetCannotBeReached) {
    ASSERT_NE(sqliteStore((dir_ / "forgelink.db").string()), nullptr);
    const std::string nowhere =
        writeConfig("nowhere.yaml", postgresStore("host=127.0.0.1 port=1 user=forgelink dbname=forgelink connect_timeout=2"), "key");
    auto refused = copy(sqlite_, nowhere);
    EXPECT_EQ(refused.exit_code, 4) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("forgelink store copy: "), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("127.0.0.1"), std::string::npos) << refused.err;
}

// A host keeps creating teams while the copy runs. Each team's project_list_versions row is written
// in the team's transaction, and the copy reads teams long before that table (20,000 projects lie
// between): only a copy of one snapshot has exactly one version row per team ever made.
TEST_F(StoreCopyPostgres, CopiesOneSnapshotOfASourceAHostKeepsWritingTo) {
    auto source = sqliteStore((dir_ / "forgelink.db").string());
    ASSERT_NE(source, nullptr);
    // 100 projects for each of 200 teams (PostgreSQL's list-version trigger updates its team's row
    // once per project: spread, as in an installation).
    forgelink::store::sqlite::Connection((dir_ / "forgelink.db").string(), std::chrono::seconds(10))
        .exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
              "INSERT INTO teams (slug, name, created_at) SELECT 'bulk' || i, 'Bulk', 0 FROM n; "
              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
              "INSERT INTO projects (team_id, name, slug, created_at) "
              "SELECT (SELECT id FROM teams WHERE slug = 'bulk' || (1 + i % 200)), 'p' || i, 'p' || i, 0 FROM n");
    forgelink::store::testing::TeamWriter writer(*source);
    const int before = writer.made();
    auto copied = copy(sqlite_, postgres_);
    const int after = writer.made();
    writer.stop();
    ASSERT_EQ(copied.exit_code, 0) << copied.out << copied.err;
    EXPECT_GT(after, before) << "the host wrote nothing during the copy: the test proves nothing";
    const long long teams = pgCount("SELECT count(*) FROM teams");
    EXPECT_EQ(pgCount("SELECT count(*) FROM project_list_versions"), teams);
    EXPECT_EQ(pgCount("SELECT count(*) FROM projects"), 20000);
    EXPECT_LT(teams, 200 + writer.made());  // the teams made after the snapshot are not there
}

// The same the other way: a host keeps writing to PostgreSQL while it is copied to SQLite (one
// REPEATABLE READ snapshot).
TEST_F(StoreCopyPostgres, CopiesOneSnapshotOfAPostgresSourceAHostKeepsWritingTo) {
    auto source = postgresStore();
    ASSERT_NE(source, nullptr);
    ASSERT_TRUE(db_.connect()
                    ->exec("INSERT INTO teams (slug, name, created_at) SELECT 'bulk' || i, 'Bulk', 0 FROM "
                           "generate_series(1, 200) i")
                    .ok());
    ASSERT_TRUE(db_.connect()
                    ->exec("INSERT INTO projects (team_id, name, slug, created_at) SELECT (SELECT id FROM teams WHERE "
                           "slug = 'bulk' || (1 + i % 200)), 'p' || i, 'p' || i, 0 FROM generate_series(1, 20000) i")
                    .ok());
    const std::string target = writeConfig("target.yaml", "  path: " + (dir_ / "target.db").string() + "\n", "key");
    forgelink::store::testing::TeamWriter writer(*source);
    const int before = writer.made();
    auto copied = copy(postgres_, target);
    const int after = writer.made();
    writer.stop();
    ASSERT_EQ(copied.exit_code, 0) << copied.out << copied.err;
    EXPECT_GT(after, before) << "the host wrote nothing during the copy: the test proves nothing";
    forgelink::store::sqlite::Connection file((dir_ / "target.db").string(), std::chrono::seconds(10));
    auto count = [&](const std::string& table) {
        auto s = file.prepare("SELECT count(*) FROM " + table);
        s.step();
        return s.int64(0);
    };
    EXPECT_EQ(count("project_list_versions"), count("teams"));
    EXPECT_EQ(count("projects"), 20000);
    EXPECT_LT(count("teams"), 200 + writer.made());
}

}  // namespace
