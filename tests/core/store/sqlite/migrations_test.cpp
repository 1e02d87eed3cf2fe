#include <sys/stat.h>

#include <sqlite3.h>

#include "raw_sql.hpp"

#include "sqlite_fixture.hpp"
#include "store/migrations.hpp"

namespace forgelink::store::testing {
namespace {

using forgelink::testing::rawExec;

std::int64_t rawCount(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::int64_t n = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
}

using MigrationsTest = StoreTest;

TEST_F(MigrationsTest, EmptyDatabaseIsMigratedToLatest) {
    EXPECT_EQ(must(store_->schemaVersion()), SqliteStore::latestSchemaVersion());
    EXPECT_EQ(rawCount(dbPath(), "SELECT count(*) FROM schema_migrations"), SqliteStore::latestSchemaVersion());
    EXPECT_GT(rawCount(dbPath(), "SELECT min(applied_at) FROM schema_migrations"), 0);
    EXPECT_EQ(rawCount(dbPath(), "SELECT count(*) FROM sqlite_master WHERE name = 'feedback_tasks'"), 1);
}

TEST_F(MigrationsTest, PragmasAreInEffect) {
    EXPECT_EQ(rawCount(dbPath(), "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
    // Foreign keys are enforced on the store's connections: a member of a missing team is refused.
    auto member = store_->addTeamMember(999, 999, TeamRole::member);
    ASSERT_FALSE(member.ok());
    EXPECT_EQ(member.error().kind, ErrorKind::invalid_input);
}

TEST_F(MigrationsTest, RestartIsIdempotentAndKeepsData) {
    must(store_->createTeam("core", "Core"));
    store_.reset();
    store_ = openStore();
    ASSERT_NE(store_, nullptr);
    EXPECT_EQ(rawCount(dbPath(), "SELECT count(*) FROM schema_migrations"), SqliteStore::latestSchemaVersion());
    EXPECT_EQ(must(store_->findTeamBySlug("core")).name, "Core");
}

TEST_F(MigrationsTest, UsersFromBeforeAccountLinkingKeepSigningIn) {
    // A database as version 4 left it: users, no identities table.
    const User before = must(store_->upsertUser({"example", "forge.example", "u-7", "olga", "Olga"}));
    store_.reset();
    rawExec(dbPath(), "DROP TABLE provider_settings; CREATE TABLE provider_settings (team_id INTEGER NOT NULL, "
                      "provider TEXT NOT NULL, base_url TEXT NOT NULL, instance TEXT NOT NULL, token_sealed TEXT NOT NULL, "
                      "token_last4 TEXT NOT NULL, kind TEXT NOT NULL, identity TEXT NOT NULL, scopes TEXT NOT NULL, "
                      "expires_at TEXT, warnings TEXT NOT NULL, status TEXT NOT NULL, invalid_reason TEXT NOT NULL DEFAULT '', "
                      "invalid_notified_at INTEGER, updated_at INTEGER NOT NULL, PRIMARY KEY (team_id, provider)); "
                      "ALTER TABLE repository_links DROP COLUMN credential; "
                      "DROP TABLE user_identities; ALTER TABLE oauth_states DROP COLUMN link_user_id; "
                      "DROP INDEX builds_unfinished; "
                      "ALTER TABLE builds DROP COLUMN timed_out_at; ALTER TABLE builds DROP COLUMN timed_out_after; "
                      "ALTER TABLE builds DROP COLUMN mr_head_sha; "
                      "DROP TABLE audit_events; DROP TABLE IF EXISTS api_tokens; "
                      "DROP TABLE notices; DROP TABLE team_notifications; DROP TABLE team_refresh_tokens; DROP TABLE provider_rotations; "
                      "DELETE FROM schema_migrations WHERE version >= 5;");
    EXPECT_EQ(rawCount(dbPath(), "SELECT count(*) FROM sqlite_master WHERE name = 'user_identities'"), 0);
    store_ = openStore();
    ASSERT_NE(store_, nullptr);
    EXPECT_EQ(must(store_->schemaVersion()), SqliteStore::latestSchemaVersion());
    const auto identities = must(store_->userIdentities(before.id));
    ASSERT_EQ(identities.size(), 1u);
    EXPECT_EQ(identities[0].provider, "example");
    EXPECT_EQ(identities[0].username, "olga");
    EXPECT_EQ(must(store_->findUser("example", "forge.example", "u-7")).id, before.id);
    EXPECT_EQ(must(store_->upsertUser({"example", "forge.example", "u-7", "olga2", "Olga"})).id, before.id);
}

TEST_F(MigrationsTest, RefusesADatabaseNewerThanTheCode) {
    store_.reset();
    const int newer = SqliteStore::latestSchemaVersion() + 1;
    rawExec(dbPath(), "INSERT INTO schema_migrations (version, name, applied_at) VALUES (" + std::to_string(newer) +
                          ", 'from the future', 1)");
    SqliteStore::Options options;
    auto opened = SqliteStore::open(dbPath(), box_, options);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, "schema_too_new");
    EXPECT_NE(opened.error().message.find("schema version " + std::to_string(newer)), std::string::npos)
        << opened.error().message;
    EXPECT_NE(opened.error().message.find("up to " + std::to_string(SqliteStore::latestSchemaVersion())),
              std::string::npos);
}

TEST_F(MigrationsTest, DatabaseFileIsPrivate) {
    struct stat st {};
    ASSERT_EQ(::stat(dbPath().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u);
}

TEST_F(MigrationsTest, InMemoryDatabaseIsRefused) {
    auto opened = SqliteStore::open(":memory:", box_);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().kind, ErrorKind::invalid_input);
}

TEST_F(MigrationsTest, TwoProcessesWorthOfStoresOpenTogether) {
    // Another instance opening the same, already migrated file is fine and sees the same data.
    auto second = openStore();
    ASSERT_NE(second, nullptr);
    must(store_->createTeam("shared", "Shared"));
    EXPECT_EQ(must(second->findTeamBySlug("shared")).slug, "shared");
}

TEST(MigrationListTest, VersionsAreContiguousFromOneAndEachHasItsSqliteText) {
    const auto& list = migrations();
    ASSERT_FALSE(list.empty());
    for (std::size_t i = 0; i < list.size(); ++i) {
        EXPECT_EQ(list[i].version, static_cast<int>(i) + 1) << list[i].name;
        EXPECT_FALSE(list[i].name.empty()) << "migration " << list[i].version;
        EXPECT_FALSE(list[i].sqlite.empty()) << "migration " << list[i].version << " has no SQLite text";
    }
    EXPECT_EQ(latestSchemaVersion(), list.back().version);
    EXPECT_EQ(SqliteStore::latestSchemaVersion(), latestSchemaVersion());
}

// PostgreSQL's text of the shared statements: only whole words change. (That PostgreSQL runs it
// and ends with the same schema as SQLite is tests/core/store/postgres, on a real server.)
TEST(MigrationListTest, PostgresTextChangesTheTypesWordByWord) {
    EXPECT_EQ(postgresOf("CREATE TABLE t (\n  id            INTEGER PRIMARY KEY,\n  name TEXT NOT NULL,\n  at INTEGER\n);"),
              "CREATE TABLE t (\n  id            bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
              "  name text COLLATE \"C\" NOT NULL,\n  at bigint\n);");
    // The row id only as the word `id`, then spaces (any), then exactly INTEGER PRIMARY KEY.
    EXPECT_EQ(postgresOf("user_id INTEGER PRIMARY KEY"), "user_id bigint PRIMARY KEY");
    EXPECT_EQ(postgresOf("id\tINTEGER PRIMARY KEY"), "id\tbigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    EXPECT_EQ(postgresOf("id INTEGER PRIMARY KEYS"), "id bigint PRIMARY KEYS");
    EXPECT_EQ(postgresOf("id INTEGER  PRIMARY KEY"), "id bigint  PRIMARY KEY");
    EXPECT_EQ(postgresOf("idINTEGER PRIMARY KEY"), "idINTEGER PRIMARY KEY");
    // Words that contain the type names, or say them in lower case, stay.
    EXPECT_EQ(postgresOf("CONTEXT TEXTS INTEGERS text_x x_TEXT text integer"), "CONTEXT TEXTS INTEGERS text_x x_TEXT text integer");
    EXPECT_EQ(postgresOf("(TEXT,INTEGER)"), "(text COLLATE \"C\",bigint)");
    EXPECT_EQ(postgresOf(""), "");
    EXPECT_EQ(postgresOf("TEXT"), "text COLLATE \"C\"");
}

}  // namespace
}  // namespace forgelink::store::testing
