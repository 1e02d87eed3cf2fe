// Projects, their repository links, and the per-team listing version hosts cache by. The
// contract every Store method keeps is in store/store.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <forgelink/result.hpp>

#include "store/records.hpp"

namespace forgelink::store {

class ProjectStore {
public:
    virtual ~ProjectStore() = default;

    // ---- projects and repository links ---------------------------------------------------
    // conflict when the slug is taken within the team.
    virtual Result<Project> createProject(std::int64_t team_id, std::string_view slug, std::string_view name) = 0;
    virtual Result<Project> project(std::int64_t project_id) = 0;
    virtual Result<Project> findProjectBySlug(std::int64_t team_id, std::string_view slug) = 0;
    virtual Result<std::vector<Project>> listProjects(std::int64_t team_id) = 0;
    virtual Result<Project> renameProject(std::int64_t project_id, std::string_view name) = 0;
    virtual Result<void> deleteProject(std::int64_t project_id) = 0;

    // Links (or re-links) the project to one repository; returns the stored link.
    virtual Result<RepositoryLink> linkRepository(const RepositoryLink& link) = 0;
    virtual Result<RepositoryLink> repositoryLink(std::int64_t project_id) = 0;
    virtual Result<void> unlinkRepository(std::int64_t project_id) = 0;
    // Every project linked to this repository (several may share one).
    virtual Result<std::vector<RepositoryLink>> findLinksToRepository(std::string_view provider,
                                                                     std::string_view instance,
                                                                     std::string_view repository_id) = 0;
    // The team's projects ordered by slug, each with its repository link (none when not linked),
    // read in one query: the same as listProjects() then repositoryLink() for each.
    virtual Result<std::vector<ProjectWithLink>> listProjectsWithLinks(std::int64_t team_id) = 0;
    // A number that changes whenever what the team's listing shows changes (a project created,
    // renamed or deleted, a link made, changed or removed, the team's slug, the team deleted and
    // its id reused), whoever wrote it: the database keeps it, so every host sharing it agrees.
    // Never decreases. 0 for a team id that never existed.
    virtual Result<std::int64_t> projectListVersion(std::int64_t team_id) = 0;
    // The version, the team's slug and listProjectsWithLinks(), read in one transaction so the
    // rows are exactly those of that version. not_found when the team does not exist.
    virtual Result<ProjectListing> projectListing(std::int64_t team_id) = 0;
};

}  // namespace forgelink::store
