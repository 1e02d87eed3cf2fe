// The SQLite side of projects, their repository links, and the per-team listing version (kept by
// triggers, see migrations).
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

namespace {

std::int64_t readListVersion(Connection& c, std::int64_t team_id) {
    Statement s = c.prepare("SELECT version FROM project_list_versions WHERE team_id = ?1");
    s.bind(1, team_id);
    return s.step() ? s.int64(0) : 0;
}

}  // namespace

// ---- projects --------------------------------------------------------------------------------

Result<Project> SqliteStore::createProject(std::int64_t team_id, std::string_view slug, std::string_view name) {
    return guarded("creating project " + inQuotes(slug) + " in team " + std::to_string(team_id), [&]() -> Result<Project> {
        requireText(slug, "project slug");
        requireText(name, "project name");
        auto c = pool_.acquire();
        return one<Project>(c->prepare(sql({"INSERT INTO projects (team_id, name, slug, created_at) VALUES (?1, ?2, ?3, ?4) "
                                            "RETURNING ",
                                            kProjectColumns}))
                                .bind(1, team_id)
                                .bind(2, name)
                                .bind(3, slug)
                                .bind(4, toUnixMillis(now())),
                            readProject, ErrorKind::internal, "creating project returned no row");
    });
}

Result<Project> SqliteStore::project(std::int64_t project_id) {
    return guarded("reading project", [&]() -> Result<Project> {
        auto c = pool_.acquire();
        return one<Project>(c->prepare(sql({"SELECT ", kProjectColumns, " FROM projects WHERE id = ?1"})).bind(1, project_id),
                            readProject, ErrorKind::not_found, "project " + std::to_string(project_id) + " does not exist");
    });
}

Result<Project> SqliteStore::findProjectBySlug(std::int64_t team_id, std::string_view slug) {
    return guarded("finding project", [&]() -> Result<Project> {
        auto c = pool_.acquire();
        return one<Project>(
            c->prepare(sql({"SELECT ", kProjectColumns, " FROM projects WHERE team_id = ?1 AND slug = ?2"}))
                .bind(1, team_id)
                .bind(2, slug),
            readProject, ErrorKind::not_found,
            "team " + std::to_string(team_id) + " has no project with slug " + inQuotes(slug));
    });
}

Result<std::vector<Project>> SqliteStore::listProjects(std::int64_t team_id) {
    return guarded("listing projects", [&]() -> Result<std::vector<Project>> {
        auto c = pool_.acquire();
        return all<Project>(
            c->prepare(sql({"SELECT ", kProjectColumns, " FROM projects WHERE team_id = ?1 ORDER BY slug"})).bind(1, team_id),
            readProject);
    });
}

Result<Project> SqliteStore::renameProject(std::int64_t project_id, std::string_view name) {
    return guarded("renaming project", [&]() -> Result<Project> {
        requireText(name, "project name");
        auto c = pool_.acquire();
        return renameById<Project>(*c, "projects", kProjectColumns, readProject, "project", project_id, name);
    });
}

Result<void> SqliteStore::deleteProject(std::int64_t project_id) {
    return guarded("deleting project", [&]() -> Result<void> {
        auto c = pool_.acquire();
        deleteById(*c, "projects", "project", project_id);
        return {};
    });
}

Result<RepositoryLink> SqliteStore::linkRepository(const RepositoryLink& link) {
    return guarded("linking project " + std::to_string(link.project_id) + " to a repository",
                   [&]() -> Result<RepositoryLink> {
                       requireId(link.project_id, "project id");
                       requireTexts({{link.provider, "provider"}, {link.instance, "instance"},
                                     {link.repository_id, "repository id"}, {link.status_context, "status context"},
                                     {link.credential, "credential name"}});
                       auto c = pool_.acquire();
                       return insertReturning<RepositoryLink>(
                           *c,
                           sql({"INSERT INTO repository_links (project_id, provider, instance, repository_id, full_path, "
                                "web_url, status_context, linked_at, credential) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                                "ON CONFLICT (project_id) DO UPDATE SET provider = excluded.provider, "
                                "instance = excluded.instance, repository_id = excluded.repository_id, "
                                "full_path = excluded.full_path, web_url = excluded.web_url, "
                                "status_context = excluded.status_context, linked_at = excluded.linked_at, "
                                "credential = excluded.credential RETURNING ",
                                kLinkColumns}),
                           readLink, "linking", link.project_id, link.provider, link.instance, link.repository_id,
                           link.full_path, link.web_url, link.status_context, toUnixMillis(now()), link.credential);
                   });
}

Result<RepositoryLink> SqliteStore::repositoryLink(std::int64_t project_id) {
    return guarded("reading repository link", [&]() -> Result<RepositoryLink> {
        auto c = pool_.acquire();
        return one<RepositoryLink>(
            c->prepare(sql({"SELECT ", kLinkColumns, " FROM repository_links WHERE project_id = ?1"})).bind(1, project_id),
            readLink, ErrorKind::not_found, "project " + std::to_string(project_id) + " is not linked to a repository");
    });
}

Result<void> SqliteStore::unlinkRepository(std::int64_t project_id) {
    return guarded("unlinking repository", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM repository_links WHERE project_id = ?1").bind(1, project_id).run();
        if (c->changes() == 0) {
            return makeError(ErrorKind::not_found, "project " + std::to_string(project_id) + " is not linked to a repository",
                             "not_found");
        }
        return {};
    });
}

Result<std::vector<RepositoryLink>> SqliteStore::findLinksToRepository(std::string_view provider, std::string_view instance,
                                                                      std::string_view repository_id) {
    return guarded("finding links to a repository", [&]() -> Result<std::vector<RepositoryLink>> {
        auto c = pool_.acquire();
        return all<RepositoryLink>(
            c->prepare(sql({"SELECT ", kLinkColumns,
                            " FROM repository_links WHERE provider = ?1 AND instance = ?2 AND repository_id = ?3 "
                            "ORDER BY project_id"}))
                .bind(1, provider)
                .bind(2, instance)
                .bind(3, repository_id),
            readLink);
    });
}

Result<std::vector<ProjectWithLink>> SqliteStore::listProjectsWithLinks(std::int64_t team_id) {
    return guarded("listing projects with their repositories", [&]() -> Result<std::vector<ProjectWithLink>> {
        auto c = pool_.acquire();
        return readProjectsWithLinks(*c, team_id);
    });
}

Result<std::int64_t> SqliteStore::projectListVersion(std::int64_t team_id) {
    return guarded("reading the project list version", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        return readListVersion(*c, team_id);
    });
}

Result<ProjectListing> SqliteStore::projectListing(std::int64_t team_id) {
    return guarded("reading the project listing of team " + std::to_string(team_id), [&]() -> Result<ProjectListing> {
        auto c = pool_.acquire();
        // A deferred transaction is one WAL snapshot: a write committed between the reads cannot
        // pair an old version with new rows (a cache would then keep stale rows under a current
        // version forever).
        Transaction tx(*c, Transaction::Mode::deferred);
        ProjectListing listing;
        listing.version = readListVersion(*c, team_id);
        listing.team_slug = one<Team>(c->prepare(sql({"SELECT ", kTeamColumns, " FROM teams WHERE id = ?1"})).bind(1, team_id),
                                      readTeam, ErrorKind::not_found, "team " + std::to_string(team_id) + " does not exist")
                                .slug;
        listing.rows = readProjectsWithLinks(*c, team_id);
        tx.commit();
        return listing;
    });
}

}  // namespace forgelink::store
