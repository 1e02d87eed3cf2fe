// The per-team project list version: every write that changes what a team's listing shows moves
// it forward, whoever writes (this store, another store on the file, plain SQL), and the listing
// read with it is exactly that version's.

#include "raw_sql.hpp"

#include "store_fixture.hpp"

namespace forgelink::store::testing {
namespace {

using forgelink::testing::rawExec;

class ListVersionTest : public StoreTest {
protected:
    std::int64_t version(std::int64_t team_id) { return must(store_->projectListVersion(team_id)); }

    RepositoryLink link(std::int64_t project_id, std::string repository_id) {
        RepositoryLink l;
        l.project_id = project_id;
        l.provider = "example";
        l.instance = "forge.test";
        l.repository_id = std::move(repository_id);
        l.full_path = "acme/widget";
        l.web_url = "https://forge.test/acme/widget";
        l.status_context = "forgelink";
        return l;
    }

    // Runs `write` and checks it moved team `team_id`'s version forward.
    template <class F>
    void expectBump(std::int64_t team_id, const char* what, F write) {
        const auto before = version(team_id);
        write();
        EXPECT_GT(version(team_id), before) << what << " did not change the list version";
    }
};

TEST_F(ListVersionTest, EveryWriteToWhatTheListingShowsMovesTheVersion) {
    const auto team = must(store_->createTeam("core", "Core"));
    EXPECT_GT(version(team.id), 0);
    Project p;
    expectBump(team.id, "creating a project", [&] { p = must(store_->createProject(team.id, "api", "API")); });
    expectBump(team.id, "renaming a project", [&] { must(store_->renameProject(p.id, "The API")); });
    expectBump(team.id, "linking a repository", [&] { must(store_->linkRepository(link(p.id, "1"))); });
    expectBump(team.id, "re-linking to another repository", [&] { must(store_->linkRepository(link(p.id, "2"))); });
    expectBump(team.id, "unlinking", [&] { must(store_->unlinkRepository(p.id)); });
    must(store_->linkRepository(link(p.id, "3")));
    expectBump(team.id, "deleting a linked project", [&] { must(store_->deleteProject(p.id)); });
    // Not reachable through the API today, but the listing names the team's slug.
    expectBump(team.id, "changing the team's slug", [&] { rawExec(dbPath(), "UPDATE teams SET slug = 'kernel'"); });
    expectBump(team.id, "a project written by plain SQL",
               [&] { rawExec(dbPath(), "INSERT INTO projects (team_id, name, slug, created_at) VALUES (" +
                                            std::to_string(team.id) + ", 'X', 'x', 1)"); });
}

TEST_F(ListVersionTest, WritesElsewhereLeaveTheVersionAlone) {
    const auto team = must(store_->createTeam("core", "Core"));
    const auto other = must(store_->createTeam("web", "Web"));
    const auto p = must(store_->createProject(team.id, "api", "API"));
    const auto before = version(team.id);
    const auto q = must(store_->createProject(other.id, "site", "Site"));
    must(store_->linkRepository(link(q.id, "9")));
    must(store_->renameTeam(team.id, "Core people"));  // the name is not in the listing
    BuildChange change;
    change.build.project_id = p.id;
    change.build.commit_sha = "abc";
    must(store_->recordBuildChange(change));
    EXPECT_EQ(version(team.id), before);
}

TEST_F(ListVersionTest, AMovedProjectChangesBothTeams) {
    const auto a = must(store_->createTeam("a", "A"));
    const auto b = must(store_->createTeam("b", "B"));
    const auto p = must(store_->createProject(a.id, "api", "API"));
    const auto a_before = version(a.id), b_before = version(b.id);
    rawExec(dbPath(), "UPDATE projects SET team_id = " + std::to_string(b.id) + " WHERE id = " + std::to_string(p.id));
    EXPECT_GT(version(a.id), a_before);
    EXPECT_GT(version(b.id), b_before);
}

TEST_F(ListVersionTest, AReusedTeamIdKeepsCountingUp) {
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

TEST_F(ListVersionTest, ListingIsTheRowsAndSlugOfItsVersion) {
    const auto team = must(store_->createTeam("core", "Core"));
    const auto p = must(store_->createProject(team.id, "b-api", "API"));
    must(store_->createProject(team.id, "a-web", "Web"));
    must(store_->linkRepository(link(p.id, "7")));
    const auto listing = must(store_->projectListing(team.id));
    EXPECT_EQ(listing.version, version(team.id));
    EXPECT_EQ(listing.team_slug, "core");
    const auto rows = must(store_->listProjectsWithLinks(team.id));
    ASSERT_EQ(listing.rows.size(), 2u);
    ASSERT_EQ(rows.size(), 2u);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(listing.rows[i].project.id, rows[i].project.id);
        EXPECT_EQ(listing.rows[i].project.slug, rows[i].project.slug);
        EXPECT_EQ(listing.rows[i].link.has_value(), rows[i].link.has_value());
    }
    EXPECT_EQ(listing.rows[0].project.slug, "a-web");
    ASSERT_TRUE(listing.rows[1].link.has_value());
    EXPECT_EQ(listing.rows[1].link->repository_id, "7");

    auto missing = store_->projectListing(987654);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST_F(ListVersionTest, AnotherStoreOnTheFileSeesTheSameVersions) {
    const auto team = must(store_->createTeam("core", "Core"));
    auto other = openStore();
    ASSERT_NE(other, nullptr);
    const auto before = must(other->projectListVersion(team.id));
    must(store_->createProject(team.id, "api", "API"));
    EXPECT_GT(must(other->projectListVersion(team.id)), before);
    EXPECT_EQ(must(other->projectListVersion(team.id)), version(team.id));
}

TEST_F(ListVersionTest, MigrationGivesExistingTeamsAVersion) {
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
