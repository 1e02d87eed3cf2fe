// Forgelink's schema on PostgreSQL (store/migrations.cpp, the PostgreSQL column): it applies on
// a real server, and gives the same tables, columns, nullability and indexes as the SQLite texts
// of the same list, and the same behaviour where the schema itself acts (the list-version
// triggers, the checks and keys later migrations changed).
#include "store/postgres/pg_migrations.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "pg_test_server.hpp"
#include "store/migrations.hpp"

namespace forgelink::store::pg {
namespace {

using testing::TestDatabase;
using testing::haveTestServer;

// A column as both databases can say it: its kind of value and whether it may be NULL.
struct Column {
    std::string kind;  // "integer" or "text"
    bool nullable = true;
};
using Schema = std::map<std::string, std::map<std::string, Column>>;  // table -> column -> Column

// "table.column kind NULL|NOT NULL", one per column: what a difference is reported in.
std::set<std::string> lines(const Schema& schema) {
    std::set<std::string> out;
    for (const auto& [table, columns] : schema)
        for (const auto& [name, c] : columns) out.insert(table + "." + name + " " + c.kind + (c.nullable ? " NULL" : " NOT NULL"));
    return out;
}

// What `a` has and `b` lacks, one per line.
std::string missingFrom(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::string out;
    for (const auto& line : a)
        if (!b.count(line)) out += "\n  " + line;
    return out;
}

// The SQLite column of the same list, applied to an in-memory database.
struct SqliteSchema {
    Schema columns;
    std::set<std::string> indexes;  // named ones (not those SQLite makes for keys)
};

SqliteSchema sqliteSchema() {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    for (const auto& m : migrations()) {
        char* error = nullptr;
        EXPECT_EQ(sqlite3_exec(db.get(), m.sqlite.c_str(), nullptr, nullptr, &error), SQLITE_OK)
            << "migration " << m.version << ": " << (error ? error : "");
        sqlite3_free(error);
    }
    auto rows = [&](const std::string& sql, auto each) {
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
        while (sqlite3_step(stmt) == SQLITE_ROW) each(stmt);
        sqlite3_finalize(stmt);
    };
    auto text = [](sqlite3_stmt* s, int i) {
        const auto* t = sqlite3_column_text(s, i);
        return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
    };
    SqliteSchema out;
    std::set<std::string> tables;
    rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
         [&](sqlite3_stmt* s) { tables.insert(text(s, 0)); });
    for (const auto& table : tables) {
        // cid, name, type, notnull, dflt_value, pk: a key column is never NULL (PostgreSQL says
        // so of a primary key; SQLite's INTEGER PRIMARY KEY is the row id).
        rows("PRAGMA table_info(" + table + ")", [&](sqlite3_stmt* s) {
            const std::string type = text(s, 2);
            out.columns[table][text(s, 1)] = {type == "INTEGER" ? "integer" : type == "TEXT" ? "text" : "other: " + type,
                                              sqlite3_column_int(s, 3) == 0 && sqlite3_column_int(s, 5) == 0};
        });
    }
    rows("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
         [&](sqlite3_stmt* s) { out.indexes.insert(text(s, 0)); });
    return out;
}

class PgSchema : public ::testing::Test {
protected:
    void SetUp() override {
        if (!haveTestServer()) GTEST_SKIP() << "no PostgreSQL test server";
        conn_ = db_.connect();
        ASSERT_TRUE(conn_);
        auto list = schemaMigrations();
        ASSERT_TRUE(list.ok()) << list.error().message;
        auto applied = applyMigrations(*conn_, list.value());
        ASSERT_TRUE(applied.ok()) << applied.error().message;
        ASSERT_EQ(applied->to_version, latestSchemaVersion());
    }
    PgResult query(const std::string& sql) {
        auto r = conn_->exec(sql);
        EXPECT_TRUE(r.ok()) << sql << ": " << (r.ok() ? "" : r.error().message);
        return r.ok() ? std::move(r).value() : PgResult(nullptr);
    }
    Result<void> run(const std::string& sql) { return conn_->execScript(sql); }
    std::int64_t listVersion(int team) {
        auto r = query("SELECT version FROM project_list_versions WHERE team_id = " + std::to_string(team));
        return r.rows() == 1 ? r.integer(0, 0).value_or(-1) : -1;
    }

    TestDatabase db_;
    std::unique_ptr<PgConnection> conn_;
};

TEST_F(PgSchema, EveryTableColumnAndIndexIsTheOneSqliteHas) {
    Schema pg;
    auto columns = query(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name <> 'forgelink_schema_migrations'");
    for (int row = 0; row < columns.rows(); ++row) {
        const std::string type(columns.text(row, 2));
        pg[std::string(columns.text(row, 0))][std::string(columns.text(row, 1))] = {
            type == "bigint" ? "integer" : type == "text" ? "text" : "other: " + type, columns.text(row, 3) == "YES"};
    }
    // Named indexes: not those PostgreSQL makes for a primary key or a UNIQUE constraint.
    std::set<std::string> pg_indexes;
    auto indexes = query(
        "SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = current_schema() AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)");
    for (int row = 0; row < indexes.rows(); ++row) pg_indexes.insert(std::string(indexes.text(row, 0)));

    const auto sqlite = sqliteSchema();
    ASSERT_FALSE(sqlite.columns.empty());
    EXPECT_EQ(missingFrom(lines(pg), lines(sqlite.columns)), "") << "PostgreSQL has, SQLite has not";
    EXPECT_EQ(missingFrom(lines(sqlite.columns), lines(pg)), "") << "SQLite has, PostgreSQL has not";
    EXPECT_EQ(missingFrom(pg_indexes, sqlite.indexes), "") << "indexes PostgreSQL has, SQLite has not";
    EXPECT_EQ(missingFrom(sqlite.indexes, pg_indexes), "") << "indexes SQLite has, PostgreSQL has not";
    EXPECT_TRUE(sqlite.indexes.count("feedback_tasks_one_waiting"));
}

TEST_F(PgSchema, ApplyingAgainChangesNothing) {
    auto list = schemaMigrations();
    ASSERT_TRUE(list.ok());
    auto again = applyMigrations(*conn_, list.value());
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_TRUE(again->applied.empty());
    auto version = checkSchema(*conn_, list.value());
    ASSERT_TRUE(version.ok()) << version.error().message;
    EXPECT_EQ(version.value(), latestSchemaVersion());
}

// The triggers of migration 3: a team's listing version counts every change of what its project
// listing shows (the team's slug, its projects, their links), and nothing else.
TEST_F(PgSchema, AProjectListingVersionCountsWhatTheListingShows) {
    ASSERT_TRUE(run("INSERT INTO teams (slug, name, created_at) VALUES ('docs', 'Docs', 1)").ok());
    const int team = static_cast<int>(query("SELECT id FROM teams WHERE slug = 'docs'").integer(0, 0).value_or(0));
    EXPECT_EQ(listVersion(team), 1);
    ASSERT_TRUE(run("INSERT INTO projects (team_id, name, slug, created_at) VALUES (" + std::to_string(team) +
                    ", 'Site', 'site', 1)")
                    .ok());
    EXPECT_EQ(listVersion(team), 2);
    ASSERT_TRUE(run("INSERT INTO repository_links (project_id, provider, instance, repository_id, full_path, web_url, "
                    "status_context, linked_at) SELECT id, 'gitlab', 'gitlab.com', '7', 'acme/site', 'u', 'c', 1 FROM projects")
                    .ok());
    EXPECT_EQ(listVersion(team), 3);
    ASSERT_TRUE(run("UPDATE repository_links SET full_path = 'acme/web'").ok());
    EXPECT_EQ(listVersion(team), 4);
    ASSERT_TRUE(run("UPDATE teams SET name = 'Documentation'").ok());
    EXPECT_EQ(listVersion(team), 4) << "the team's name is not in its project listing";
    ASSERT_TRUE(run("UPDATE teams SET slug = 'documentation'").ok());
    EXPECT_EQ(listVersion(team), 5);
    ASSERT_TRUE(run("DELETE FROM repository_links").ok());
    EXPECT_EQ(listVersion(team), 6);
    // The row outlives its team and keeps counting up.
    ASSERT_TRUE(run("DELETE FROM teams").ok());
    EXPECT_GT(listVersion(team), 6);
}

// Migrations 10 and 13 changed a check and a key in place: both hold as SQLite's rebuilt tables.
TEST_F(PgSchema, LaterMigrationsChangedTheChecksAndKeysTheyRebuildOnSqlite) {
    ASSERT_TRUE(run("INSERT INTO teams (slug, name, created_at) VALUES ('docs', 'Docs', 1);"
                    "INSERT INTO projects (team_id, name, slug, created_at) SELECT id, 'Site', 'site', 1 FROM teams;"
                    "INSERT INTO builds (project_id, commit_sha, branch, mr_number, head_sha, state, stats, url, "
                    "created_at, updated_at, version) SELECT id, 'abc', 'main', '', '', 'queued', '{}', '', 1, 1, 1 FROM projects")
                    .ok());
    const std::string task =
        "INSERT INTO feedback_tasks (team_id, provider, instance, repository_id, commit_sha, context, kind, mr_number, "
        "coalesce_key, payload, build_id, build_version, state, next_attempt_at, created_at, updated_at) "
        "SELECT t.id, 'gitlab', 'i', '1', 'abc', 'ctx', 'status', '', 'key', '{}', b.id, 1, '";
    const std::string from = "', 0, 1, 1 FROM teams t, builds b";
    EXPECT_TRUE(run(task + "superseded" + from).ok()) << "migration 10 allows 'superseded'";
    EXPECT_FALSE(run(task + "lost" + from).ok()) << "any other state is still refused";
    // One waiting task per key (a partial unique index).
    EXPECT_TRUE(run(task + "pending" + from).ok());
    EXPECT_FALSE(run(task + "paused" + from).ok());

    const std::string credential =
        "INSERT INTO provider_settings (team_id, provider, name, base_url, instance, token_sealed, token_last4, kind, "
        "identity, scopes, warnings, status, updated_at) SELECT id, 'gitlab', '";
    const std::string rest = "', 'u', 'i', 's', 'abcd', 'personal', '{}', '[]', '[]', 'active', 1 FROM teams";
    EXPECT_TRUE(run(credential + "default" + rest).ok());
    EXPECT_TRUE(run(credential + "group-acme" + rest).ok()) << "migration 13: the name is in the key";
    EXPECT_FALSE(run(credential + "group-acme" + rest).ok());
}

TEST(PgSchemaList, EveryMigrationHasItsPostgresText) {
    auto list = schemaMigrations();
    ASSERT_TRUE(list.ok()) << list.error().message;
    ASSERT_EQ(list->size(), migrations().size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        EXPECT_EQ(list.value()[i].version, static_cast<int>(i) + 1);
        EXPECT_EQ(list.value()[i].name, migrations()[i].name);
    }
}

}  // namespace
}  // namespace forgelink::store::pg
