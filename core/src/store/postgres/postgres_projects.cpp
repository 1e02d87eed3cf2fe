// The PostgreSQL side of projects, their repository links, and the per-team listing version
// (kept by triggers, see store/migrations.cpp).
#include "store/postgres/postgres_store.hpp"

#include "store/postgres/pg_rows.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {

std::int64_t readListVersion(PgConnection& c, std::int64_t team_id) {
    auto found = run(c, "SELECT version FROM project_list_versions WHERE team_id = $1", {team_id});
    return found.rows() > 0 ? PgRow(found, 0).int64(0) : 0;
}

std::vector<ProjectWithLink> projectsWithLinks(PgConnection& c, std::int64_t team_id) {
    return all<ProjectWithLink>(run(c, dollarParams(kProjectsWithLinksSelect), {team_id}), readProjectWithLink);
}

std::string noProject(std::int64_t project_id) { return "project " + std::to_string(project_id) + " does not exist"; }

std::string notLinked(std::int64_t project_id) {
    return "project " + std::to_string(project_id) + " is not linked to a repository";
}

}  // namespace

// ---- projects --------------------------------------------------------------------------------

Result<Project> PostgresStore::createProject(std::int64_t team_id, std::string_view slug, std::string_view name) {
    return guarded("creating project " + inQuotes(slug) + " in team " + std::to_string(team_id), [&]() -> Result<Project> {
        requireText(slug, "project slug");
        requireText(name, "project name");
        return one<Project>(
            runOnce(pool_, sql({"INSERT INTO projects (team_id, name, slug, created_at) VALUES ($1, $2, $3, $4) RETURNING ",
                                kProjectColumns}),
                    {team_id, name, slug, toUnixMillis(now())}),
            readProject, ErrorKind::internal, "creating project returned no row");
    });
}

Result<Project> PostgresStore::project(std::int64_t project_id) {
    return guarded("reading project", [&]() -> Result<Project> {
        return one<Project>(runOnce(pool_, sql({"SELECT ", kProjectColumns, " FROM projects WHERE id = $1"}), {project_id}),
                            readProject, ErrorKind::not_found, noProject(project_id));
    });
}

Result<Project> PostgresStore::findProjectBySlug(std::int64_t team_id, std::string_view slug) {
    return guarded("finding project", [&]() -> Result<Project> {
        return one<Project>(
            runOnce(pool_, sql({"SELECT ", kProjectColumns, " FROM projects WHERE team_id = $1 AND slug = $2"}), {team_id, slug}),
            readProject, ErrorKind::not_found, "team " + std::to_string(team_id) + " has no project with slug " + inQuotes(slug));
    });
}

Result<std::vector<Project>> PostgresStore::listProjects(std::int64_t team_id) {
    return guarded("listing projects", [&]() -> Result<std::vector<Project>> {
        return all<Project>(
            runOnce(pool_, sql({"SELECT ", kProjectColumns, " FROM projects WHERE team_id = $1 ORDER BY slug"}), {team_id}),
            readProject);
    });
}

Result<Project> PostgresStore::renameProject(std::int64_t project_id, std::string_view name) {
    return guarded("renaming project", [&]() -> Result<Project> {
        requireText(name, "project name");
        return one<Project>(
            runOnce(pool_, sql({"UPDATE projects SET name = $2 WHERE id = $1 RETURNING ", kProjectColumns}), {project_id, name}),
            readProject, ErrorKind::not_found, noProject(project_id));
    });
}

Result<void> PostgresStore::deleteProject(std::int64_t project_id) {
    return guarded("deleting project", [&]() -> Result<void> {
        // What refers to the project goes by ON DELETE CASCADE.
        if (runOnce(pool_, "DELETE FROM projects WHERE id = $1", {project_id}).affectedRows() == 0)
            return makeError(ErrorKind::not_found, noProject(project_id), "not_found");
        return {};
    });
}

// ---- repository links ------------------------------------------------------------------------

Result<RepositoryLink> PostgresStore::linkRepository(const RepositoryLink& link) {
    return guarded("linking project " + std::to_string(link.project_id) + " to a repository", [&]() -> Result<RepositoryLink> {
        requireId(link.project_id, "project id");
        requireTexts({{link.provider, "provider"}, {link.instance, "instance"}, {link.repository_id, "repository id"},
                      {link.status_context, "status context"}, {link.credential, "credential name"}});
        // INSERT ... ON CONFLICT: one link per project, the last save wins whole.
        return one<RepositoryLink>(
            runOnce(pool_,
                    sql({"INSERT INTO repository_links (project_id, provider, instance, repository_id, full_path, web_url, "
                         "status_context, linked_at, credential) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                         "ON CONFLICT (project_id) DO UPDATE SET provider = excluded.provider, instance = excluded.instance, "
                         "repository_id = excluded.repository_id, full_path = excluded.full_path, web_url = excluded.web_url, "
                         "status_context = excluded.status_context, linked_at = excluded.linked_at, "
                         "credential = excluded.credential RETURNING ",
                         kLinkColumns}),
                    {link.project_id, link.provider, link.instance, link.repository_id, link.full_path, link.web_url,
                     link.status_context, toUnixMillis(now()), link.credential}),
            readLink, ErrorKind::internal, "linking returned no row");
    });
}

Result<RepositoryLink> PostgresStore::repositoryLink(std::int64_t project_id) {
    return guarded("reading repository link", [&]() -> Result<RepositoryLink> {
        return one<RepositoryLink>(
            runOnce(pool_, sql({"SELECT ", kLinkColumns, " FROM repository_links WHERE project_id = $1"}), {project_id}),
            readLink, ErrorKind::not_found, notLinked(project_id));
    });
}

Result<void> PostgresStore::unlinkRepository(std::int64_t project_id) {
    return guarded("unlinking repository", [&]() -> Result<void> {
        if (runOnce(pool_, "DELETE FROM repository_links WHERE project_id = $1", {project_id}).affectedRows() == 0)
            return makeError(ErrorKind::not_found, notLinked(project_id), "not_found");
        return {};
    });
}

Result<std::vector<RepositoryLink>> PostgresStore::findLinksToRepository(std::string_view provider, std::string_view instance,
                                                                        std::string_view repository_id) {
    return guarded("finding links to a repository", [&]() -> Result<std::vector<RepositoryLink>> {
        return all<RepositoryLink>(
            runOnce(pool_,
                    sql({"SELECT ", kLinkColumns,
                         " FROM repository_links WHERE provider = $1 AND instance = $2 AND repository_id = $3 "
                         "ORDER BY project_id"}),
                    {provider, instance, repository_id}),
            readLink);
    });
}

// ---- the listing -----------------------------------------------------------------------------

Result<std::vector<ProjectWithLink>> PostgresStore::listProjectsWithLinks(std::int64_t team_id) {
    return guarded("listing projects with their repositories", [&]() -> Result<std::vector<ProjectWithLink>> {
        auto lease = pool_.acquire();
        if (!lease) return lease.error();
        return projectsWithLinks(*lease.value(), team_id);
    });
}

Result<std::int64_t> PostgresStore::projectListVersion(std::int64_t team_id) {
    return guarded("reading the project list version", [&]() -> Result<std::int64_t> {
        auto lease = pool_.acquire();
        if (!lease) return lease.error();
        return readListVersion(*lease.value(), team_id);
    });
}

Result<ProjectListing> PostgresStore::projectListing(std::int64_t team_id) {
    return guarded("reading the project listing of team " + std::to_string(team_id), [&]() -> Result<ProjectListing> {
        // REPEATABLE READ: the three reads see one snapshot, so a write committed between them
        // cannot pair an old version with new rows (a cache would then keep stale rows under a
        // current version forever). Read only: it never fails to serialize.
        return inTransaction<ProjectListing>(
            pool_,
            [&](PgConnection& c) {
                ProjectListing listing;
                listing.version = readListVersion(c, team_id);
                listing.team_slug = one<Team>(run(c, sql({"SELECT ", kTeamColumns, " FROM teams WHERE id = $1"}), {team_id}),
                                              readTeam, ErrorKind::not_found, "team " + std::to_string(team_id) + " does not exist")
                                        .slug;
                listing.rows = projectsWithLinks(c, team_id);
                return listing;
            },
            pg::Isolation::repeatable_read);
    });
}

}  // namespace forgelink::store
