// Teams and their members with roles. The contract every Store method keeps is in store/store.hpp.
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

class TeamStore {
public:
    virtual ~TeamStore() = default;

    // ---- teams and members ---------------------------------------------------------------
    // conflict when the slug is taken.
    virtual Result<Team> createTeam(std::string_view slug, std::string_view name) = 0;
    virtual Result<Team> team(std::int64_t team_id) = 0;
    virtual Result<Team> findTeamBySlug(std::string_view slug) = 0;
    virtual Result<std::vector<Team>> listTeams() = 0;
    virtual Result<std::vector<Team>> listTeamsOfUser(std::int64_t user_id) = 0;
    virtual Result<Team> renameTeam(std::int64_t team_id, std::string_view name) = 0;
    // Removes the team with its members, settings, projects, builds and feedback tasks.
    virtual Result<void> deleteTeam(std::int64_t team_id) = 0;

    // conflict when already a member; invalid_input when team or user does not exist.
    virtual Result<TeamMember> addTeamMember(std::int64_t team_id, std::int64_t user_id, TeamRole role) = 0;
    virtual Result<TeamMember> setTeamMemberRole(std::int64_t team_id, std::int64_t user_id, TeamRole role) = 0;
    virtual Result<void> removeTeamMember(std::int64_t team_id, std::int64_t user_id) = 0;
    virtual Result<TeamMember> teamMember(std::int64_t team_id, std::int64_t user_id) = 0;
    virtual Result<std::vector<TeamMember>> listTeamMembers(std::int64_t team_id) = 0;
};

}  // namespace forgelink::store
