// The list version on the SQLite file: kept by triggers, so writes the store did not make (plain
// SQL, a project moved to another team) move it too; SQLite's reuse of a deleted team's id; and
// the migration that gave existing teams a version.
#include "raw_sql.hpp"
#include "sqlite_fixture.hpp"

namespace forgelink::store::testing {
namespace {

using forgelink::testing::rawExec;

class SqliteListVersionTest : public StoreTest {
protected:
    std::int64_t version(std::int64_t team_id) { return must(store_->projectListVersion(team_id)); }
};

TEST_F(SqliteListVersionTest, WritesByPlainSqlMoveTheVersion) {
    const auto team = must(store_->createTeam("core", "Core"));
    // Not reachable through the API today, but the listing names the team's slug.
    auto before = version(team.id);
    rawExec(dbPath(), "UPDATE teams SET slug = 'kernel'");
    EXPECT_GT(version(team.id), before) << "changing the team's slug did not change the list version";
    before = version(team.id);
    rawExec(dbPath(), "INSERT INTO projects (team_id, name, slug, created_at) VALUES (" + std::to_string(team.id) +
                          ", 'X', 'x', 1)");
    EXPECT_GT(version(team.id), before) << "a project written by plain SQL did not change the list version";
}

TEST_F(SqliteListVersionTest, AMovedProjectChangesBothTeams) {
    const auto a = must(store_->createTeam("a", "A"));
    const auto b = must(store_->createTeam("b", "B"));
    const auto p = must(store_->createProject(a.id, "api", "API"));
    const auto a_before = version(a.id), b_before = version(b.id);
    rawExec(dbPath(), "UPDATE projects SET team_id = " + std::to_string(b.id) + " WHERE id = " + std::to_string(p.id));
    EXPECT_GT(version(a.id), a_before);
    EXPECT_GT(version(b.id), b_before);
}

TEST_F(SqliteListVersionTest, AReusedTeamIdKeepsCountingUp) {
    // SQLite hands the highest deleted rowid to the next insert: the new team must not look like
    // the old one to a cache holding the old team's listing.
    const auto old_team = must(store_->createTeam("old", "Old"));
    must(store_->createProject(old_team.id, "api", "API"));
    const auto old_version = version(old_team.id);
    must(store_->deleteTeam(old_team.id));
    const auto new_team = must(store_->createTeam("new", "New"));
    ASSERT_EQ(new_team.id, old_team.id) << "the premise: SQLite reused the id";
    EXPECT_GT(version(new_team.id), old_version);
    EXPECT_EQ(version(987654), 0) << "a team that never existed";
}

TEST_F(SqliteListVersionTest, MigrationGivesExistingTeamsAVersion) {
    const auto team = must(store_->createTeam("core", "Core"));
    store_.reset();
    // Back to schema 2, as a database from before this migration.
    rawExec(dbPath(),
            "DROP INDEX provider_settings_by_next_check; ALTER TABLE provider_settings DROP COLUMN checked_at; "
            "ALTER TABLE provider_settings DROP COLUMN next_check_at; ALTER TABLE provider_settings DROP COLUMN check_owner; "
            "ALTER TABLE provider_settings DROP COLUMN check_lease_until; "
            "ALTER TABLE provider_settings DROP COLUMN expiry_reminded_on; "
            "DROP TRIGGER teams_list_insert; DROP TRIGGER teams_list_slug; DROP TRIGGER teams_list_delete;"
            "DROP TRIGGER projects_list_insert; DROP TRIGGER projects_list_update; DROP TRIGGER projects_list_delete;"
            "DROP TRIGGER links_list_insert; DROP TRIGGER links_list_update; DROP TRIGGER links_list_delete;"
            "DROP TABLE project_list_versions;"
            // and the migrations after it (the migrator applies what is above the highest version)
            "ALTER TABLE oauth_states DROP COLUMN browser_binding; DROP TABLE user_identities;"
            "ALTER TABLE oauth_states DROP COLUMN link_user_id; ALTER TABLE provider_settings DROP COLUMN access;"
            "DROP INDEX builds_unfinished; ALTER TABLE builds DROP COLUMN timed_out_at;"
            "ALTER TABLE builds DROP COLUMN timed_out_after; ALTER TABLE builds DROP COLUMN mr_head_sha;"
            "DROP TABLE audit_events; DROP TABLE IF EXISTS api_tokens; DROP TABLE provider_rotations; "
            "ALTER TABLE repository_links DROP COLUMN credential;"
            "DROP TABLE notices; DROP TABLE team_notifications; DROP TABLE team_refresh_tokens;"
            "DELETE FROM schema_migrations WHERE version >= 3;");
    store_ = openStore();
    ASSERT_NE(store_, nullptr);
    const auto migrated = version(team.id);
    EXPECT_GT(migrated, 0);
    must(store_->createProject(team.id, "api", "API"));
    EXPECT_GT(version(team.id), migrated);
}

}  // namespace
}  // namespace forgelink::store::testing
