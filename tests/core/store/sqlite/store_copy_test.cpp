// `forgelink store copy`'s plan (store/store_copy.hpp) between two SQLite databases: every table
// carried, ids and sealed secrets as they were, the refusals, and one snapshot of a source that a
// host keeps writing to. SQLite -> PostgreSQL through the real binary: tests/cli.
#include <atomic>
#include <set>
#include <thread>

#include "copied_store.hpp"
#include "raw_sql.hpp"
#include "sqlite_fixture.hpp"
#include "store/migrations.hpp"
#include "store/resealing.hpp"
#include "store/sqlite/sqlite_copy.hpp"
#include "store/store_copy.hpp"

namespace forgelink::store::testing {
namespace {

using forgelink::testing::rawExec;

class StoreCopy : public StoreTest {
protected:
    std::string targetPath() const { return (dir_ / "target" / "copy.db").string(); }

    Result<copy::CopyReport> copyTo(const std::string& target, const secrets::SecretBox& target_key) {
        return copy::copyStore([&] { return sqlite::openCopySource(dbPath()); },
                               [&] { return sqlite::openCopyTarget(target); }, *box_, target_key);
    }

    std::int64_t rows(const std::string& path, const std::string& table) {
        auto source = sqlite::openCopySource(path);
        EXPECT_TRUE(source.ok()) << source.error().message;
        return source.ok() ? source.value()->count(table) : -1;
    }
};

// A migration that adds a table must add it to copiedTables() (or say it is bookkeeping): the
// copy would leave its rows behind. (tests/core/store/postgres checks PostgreSQL's schema has the
// same tables as SQLite's.)
TEST_F(StoreCopy, ItsTableListIsEveryTableOfTheSchema) {
    auto source = sqlite::openCopySource(dbPath());
    ASSERT_TRUE(source.ok()) << source.error().message;
    std::set<std::string> schema;
    for (const auto& name : source.value()->tables())
        if (!copy::isBackendBookkeeping(name)) schema.insert(name);
    std::set<std::string> copied;
    for (const auto& table : copy::copiedTables()) EXPECT_TRUE(copied.emplace(table.name).second) << table.name << " twice";
    EXPECT_EQ(copied, schema);
}

// The copy checks every column named *_sealed (the schema's convention) for its key id; rekey
// re-seals the columns resealing.hpp lists. One set: a sealed column named otherwise, or one rekey
// does not know, fails here.
TEST_F(StoreCopy, SealedColumnsAreTheOnesRekeyReseals) {
    auto source = sqlite::openCopySource(dbPath());
    ASSERT_TRUE(source.ok()) << source.error().message;
    std::set<std::string> named;
    for (const auto& table : copy::copiedTables())
        for (const auto& column : source.value()->columns(std::string(table.name)))
            if (column.size() > 7 && column.compare(column.size() - 7, 7, "_sealed") == 0)
                named.insert(std::string(table.name) + "." + column);
    // Each select reads id, key, name, first sealed value, second (or NULL): SealedRow's shape.
    std::set<std::string> resealed;
    for (const auto& sealed : rows::sealedTables()) {
        const std::string select(sealed.select);
        const auto from = select.find(" FROM ");
        ASSERT_EQ(select.rfind("SELECT ", 0), 0u) << select;
        ASSERT_NE(from, std::string::npos) << select;
        std::vector<std::string> fields;
        std::string list = select.substr(7, from - 7) + ", ";
        for (std::size_t at = 0, comma; (comma = list.find(", ", at)) != std::string::npos; at = comma + 2)
            fields.push_back(list.substr(at, comma - at));
        ASSERT_EQ(fields.size(), 5u) << select;
        for (std::size_t i : {3u, 4u})
            if (fields[i] != "NULL") resealed.insert(select.substr(from + 6) + "." + fields[i]);
    }
    EXPECT_EQ(named, resealed);
    EXPECT_EQ(named.size(), 6u) << "a sealed column was added: check copy and rekey carry it";
}

TEST_F(StoreCopy, CarriesEveryTableWithItsIdsAndSealedSecrets) {
    const CopiedStore populated = populateForCopy(*store_, now());
    auto report = copyTo(targetPath(), *box_);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->schema_version, latestSchemaVersion());
    EXPECT_EQ(report->key_id, box_->keyId());
    ASSERT_EQ(report->tables.size(), copy::copiedTables().size());
    for (const auto& t : report->tables) {
        EXPECT_GT(t.source_rows, 0) << t.table << ": populateForCopy writes no row there, so the copy of it is untested";
        EXPECT_EQ(t.target_rows, t.source_rows) << t.table;
    }
    // Byte for byte: the sealed token is the same text in both files.
    auto source_token = sqlite::openCopySource(dbPath()).value();
    auto target_token = sqlite::openCopySource(targetPath()).value();
    std::vector<copy::Row> a, b;
    source_token->read("provider_settings", {"token_sealed"}, [&](const auto& batch) { a = batch; });
    target_token->read("provider_settings", {"token_sealed"}, [&](const auto& batch) { b = batch; });
    EXPECT_EQ(a, b);

    SqliteStore::Options options;
    options.clock = clock();
    auto target = SqliteStore::open(targetPath(), box_, options);
    ASSERT_TRUE(target.ok()) << target.error().message;
    expectCopied(*target.value(), populated, now());
}

TEST_F(StoreCopy, RefusesATargetThatIsNotEmptyAndLeavesItAsItWas) {
    populateForCopy(*store_, now());
    ASSERT_TRUE(copyTo(targetPath(), *box_).ok());
    must(store_->createTeam("later", "Later"));
    auto again = copyTo(targetPath(), *box_);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::unsupported);
    EXPECT_EQ(again.error().code, "target_not_empty");
    EXPECT_NE(again.error().message.find("is not empty: users (1 row)"), std::string::npos) << again.error().message;
    EXPECT_EQ(rows(targetPath(), "teams"), 2);
}

TEST_F(StoreCopy, RefusesATargetWithAnotherKeyBeforeOpeningAnything) {
    populateForCopy(*store_, now());
    const auto other = secrets::SecretBox::generate();
    auto copied = copyTo(targetPath(), other);
    ASSERT_FALSE(copied.ok());
    EXPECT_EQ(copied.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(copied.error().code, "different_key");
    EXPECT_NE(copied.error().message.find("(id " + other.keyId() + ") is not the source's (id " + box_->keyId() + ")"),
              std::string::npos)
        << copied.error().message;
    EXPECT_FALSE(std::filesystem::exists(targetPath()));
}

TEST_F(StoreCopy, RefusesAValueSealedWithAnotherKeyAndWritesNothing) {
    populateForCopy(*store_, now());
    const auto other = secrets::SecretBox::generate();
    rawExec(dbPath(), "UPDATE team_notifications SET webhook_url_sealed = '" + other.seal("https://x", "y") + "'");
    auto copied = copyTo(targetPath(), *box_);
    ASSERT_FALSE(copied.ok());
    EXPECT_EQ(copied.error().code, "sealed_with_other_key");
    EXPECT_NE(copied.error().message.find("team_notifications.webhook_url_sealed holds a value sealed with key " +
                                          other.keyId()),
              std::string::npos)
        << copied.error().message;
    EXPECT_EQ(rows(targetPath(), "teams"), 0);  // rolled back: migrated, empty
}

TEST_F(StoreCopy, RefusesASourceOfANewerSchema) {
    store_.reset();
    rawExec(dbPath(), "INSERT INTO schema_migrations (version, name, applied_at) VALUES (" +
                          std::to_string(latestSchemaVersion() + 1) + ", 'from the future', 0)");
    auto copied = copyTo(targetPath(), *box_);
    ASSERT_FALSE(copied.ok());
    EXPECT_EQ(copied.error().code, "schema_too_new");
    EXPECT_NE(copied.error().message.find("newer than this forgelink knows"), std::string::npos) << copied.error().message;
    EXPECT_FALSE(std::filesystem::exists(targetPath()));
}

TEST_F(StoreCopy, RefusesATargetOfANewerSchemaAndLeavesIt) {
    const std::string target = (dir_ / "newer.db").string();
    rawExec(target, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at "
                    "INTEGER NOT NULL); INSERT INTO schema_migrations VALUES (" +
                        std::to_string(latestSchemaVersion() + 1) + ", 'from the future', 0)");
    auto copied = copyTo(target, *box_);
    ASSERT_FALSE(copied.ok());
    EXPECT_EQ(copied.error().kind, ErrorKind::unsupported);
    EXPECT_EQ(copied.error().code, "schema_too_new");
    EXPECT_NE(copied.error().message.find("SQLite database " + target + " has schema version"), std::string::npos)
        << copied.error().message;
}

TEST_F(StoreCopy, RefusesATableItDoesNotKnow) {
    rawExec(dbPath(), "CREATE TABLE plugin_cache (k TEXT)");
    auto copied = copyTo(targetPath(), *box_);
    ASSERT_FALSE(copied.ok());
    EXPECT_EQ(copied.error().code, "unknown_table");
    EXPECT_NE(copied.error().message.find("'plugin_cache'"), std::string::npos) << copied.error().message;
}

// The source is read in one snapshot: teams are copied before project_list_versions (a row per
// team ever made, written by a trigger in the team's transaction), so a copy that read each table
// at its own moment while a host keeps creating teams would carry versions of teams it has not.
TEST_F(StoreCopy, ReadsOneSnapshotOfASourceThatKeepsChanging) {
    const Team team = must(store_->createTeam("bulk", "Bulk"));
    // Rows between the two tables, so the copy takes a while.
    rawExec(dbPath(), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                      "INSERT INTO projects (team_id, name, slug, created_at) SELECT " +
                          std::to_string(team.id) + ", 'p' || i, 'p' || i, 0 FROM n");
    TeamWriter writer(*store_);
    const int before = writer.made();
    auto report = copyTo(targetPath(), *box_);
    const int after = writer.made();
    writer.stop();
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_GT(after, before) << "the host wrote nothing during the copy: the test proves nothing";
    const auto teams = rows(targetPath(), "teams");
    EXPECT_EQ(rows(targetPath(), "project_list_versions"), teams);
    EXPECT_LT(teams, rows(dbPath(), "teams"));  // the teams made after the snapshot are not in it
    for (const auto& t : report->tables) EXPECT_EQ(t.source_rows, t.target_rows) << t.table;
}

}  // namespace
}  // namespace forgelink::store::testing
