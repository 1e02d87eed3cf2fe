// The PostgreSQL side of teams and their members.
#include "store/postgres/postgres_store.hpp"

#include "store/postgres/pg_rows.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {

TeamMember loadMember(PgConnection& c, std::int64_t team_id, std::int64_t user_id) {
    return one<TeamMember>(run(c, sql({kMemberSelect, "WHERE m.team_id = $1 AND m.user_id = $2"}), {team_id, user_id}),
                           readMember, ErrorKind::not_found,
                           "user " + std::to_string(user_id) + " is not a member of team " + std::to_string(team_id));
}

std::string noTeam(std::int64_t team_id) { return "team " + std::to_string(team_id) + " does not exist"; }

}  // namespace

// ---- teams -----------------------------------------------------------------------------------

Result<Team> PostgresStore::createTeam(std::string_view slug, std::string_view name) {
    return guarded("creating team " + inQuotes(slug), [&]() -> Result<Team> {
        requireText(slug, "team slug");
        requireText(name, "team name");
        return one<Team>(runOnce(pool_, sql({"INSERT INTO teams (slug, name, created_at) VALUES ($1, $2, $3) RETURNING ",
                                             kTeamColumns}),
                                 {slug, name, toUnixMillis(now())}),
                         readTeam, ErrorKind::internal, "creating team returned no row");
    });
}

Result<Team> PostgresStore::team(std::int64_t team_id) {
    return guarded("reading team", [&]() -> Result<Team> {
        return one<Team>(runOnce(pool_, sql({"SELECT ", kTeamColumns, " FROM teams WHERE id = $1"}), {team_id}), readTeam,
                         ErrorKind::not_found, noTeam(team_id));
    });
}

Result<Team> PostgresStore::findTeamBySlug(std::string_view slug) {
    return guarded("finding team", [&]() -> Result<Team> {
        return one<Team>(runOnce(pool_, sql({"SELECT ", kTeamColumns, " FROM teams WHERE slug = $1"}), {slug}), readTeam,
                         ErrorKind::not_found, "no team with slug " + inQuotes(slug));
    });
}

Result<std::vector<Team>> PostgresStore::listTeams() {
    return guarded("listing teams", [&]() -> Result<std::vector<Team>> {
        return all<Team>(runOnce(pool_, sql({"SELECT ", kTeamColumns, " FROM teams ORDER BY slug"})), readTeam);
    });
}

Result<std::vector<Team>> PostgresStore::listTeamsOfUser(std::int64_t user_id) {
    return guarded("listing teams of user", [&]() -> Result<std::vector<Team>> {
        return all<Team>(runOnce(pool_,
                                 "SELECT t.id, t.slug, t.name, t.created_at FROM teams t "
                                 "JOIN team_members m ON m.team_id = t.id WHERE m.user_id = $1 ORDER BY t.slug",
                                 {user_id}),
                         readTeam);
    });
}

Result<Team> PostgresStore::renameTeam(std::int64_t team_id, std::string_view name) {
    return guarded("renaming team", [&]() -> Result<Team> {
        requireText(name, "team name");
        return one<Team>(runOnce(pool_, sql({"UPDATE teams SET name = $2 WHERE id = $1 RETURNING ", kTeamColumns}),
                                 {team_id, name}),
                         readTeam, ErrorKind::not_found, noTeam(team_id));
    });
}

Result<void> PostgresStore::deleteTeam(std::int64_t team_id) {
    return guarded("deleting team", [&]() -> Result<void> {
        if (runOnce(pool_, "DELETE FROM teams WHERE id = $1", {team_id}).affectedRows() == 0)
            return makeError(ErrorKind::not_found, noTeam(team_id), "not_found");
        return {};
    });
}

// ---- members ---------------------------------------------------------------------------------

Result<TeamMember> PostgresStore::addTeamMember(std::int64_t team_id, std::int64_t user_id, TeamRole role) {
    return guarded("adding user " + std::to_string(user_id) + " to team " + std::to_string(team_id),
                   [&]() -> Result<TeamMember> {
                       return inTransaction<TeamMember>(pool_, [&](PgConnection& c) {
                           run(c, "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
                               {team_id, user_id, toString(role), toUnixMillis(now())});
                           return loadMember(c, team_id, user_id);
                       });
                   });
}

Result<TeamMember> PostgresStore::setTeamMemberRole(std::int64_t team_id, std::int64_t user_id, TeamRole role) {
    return guarded("changing a member's role", [&]() -> Result<TeamMember> {
        return inTransaction<TeamMember>(pool_, [&](PgConnection& c) {
            run(c, "UPDATE team_members SET role = $3 WHERE team_id = $1 AND user_id = $2", {team_id, user_id, toString(role)});
            return loadMember(c, team_id, user_id);
        });
    });
}

Result<void> PostgresStore::removeTeamMember(std::int64_t team_id, std::int64_t user_id) {
    return guarded("removing a team member", [&]() -> Result<void> {
        if (runOnce(pool_, "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2", {team_id, user_id}).affectedRows() == 0) {
            return makeError(ErrorKind::not_found,
                             "user " + std::to_string(user_id) + " is not a member of team " + std::to_string(team_id),
                             "not_found");
        }
        return {};
    });
}

Result<TeamMember> PostgresStore::teamMember(std::int64_t team_id, std::int64_t user_id) {
    return guarded("reading a team member", [&]() -> Result<TeamMember> {
        auto lease = pool_.acquire();
        if (!lease) return lease.error();
        return loadMember(*lease.value(), team_id, user_id);
    });
}

Result<std::vector<TeamMember>> PostgresStore::listTeamMembers(std::int64_t team_id) {
    return guarded("listing team members", [&]() -> Result<std::vector<TeamMember>> {
        return all<TeamMember>(runOnce(pool_, sql({kMemberSelect, "WHERE m.team_id = $1 ORDER BY u.username"}), {team_id}),
                               readMember);
    });
}

}  // namespace forgelink::store
