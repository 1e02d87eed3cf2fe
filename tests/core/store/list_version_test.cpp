// The per-team project list version: every write that changes what a team's listing shows moves
// it forward, whoever writes (this store, another store on the database), and the listing read
// with it is exactly that version's. Writes by plain SQL: sqlite/list_version_test.cpp.

#include "store_contract.hpp"

namespace forgelink::store::testing {
namespace {

class ListVersionTest : public StoreContract {
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

TEST_P(ListVersionTest, EveryWriteToWhatTheListingShowsMovesTheVersion) {
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
}

TEST_P(ListVersionTest, WritesElsewhereLeaveTheVersionAlone) {
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

TEST_P(ListVersionTest, ListingIsTheRowsAndSlugOfItsVersion) {
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

TEST_P(ListVersionTest, AnotherStoreOnTheDatabaseSeesTheSameVersions) {
    const auto team = must(store_->createTeam("core", "Core"));
    auto other = openStore();
    ASSERT_NE(other, nullptr);
    const auto before = must(other->projectListVersion(team.id));
    must(store_->createProject(team.id, "api", "API"));
    EXPECT_GT(must(other->projectListVersion(team.id)), before);
    EXPECT_EQ(must(other->projectListVersion(team.id)), version(team.id));
}

INSTANTIATE_STORE_CONTRACT(ListVersionTest);

}  // namespace
}  // namespace forgelink::store::testing
