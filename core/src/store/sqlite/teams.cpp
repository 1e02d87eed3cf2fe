// The SQLite side of teams and their members.
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

namespace {

TeamMember loadMember(Connection& c, std::int64_t team_id, std::int64_t user_id) {
    return one<TeamMember>(
        c.prepare(sql({kMemberSelect, "WHERE m.team_id = ?1 AND m.user_id = ?2"})).bind(1, team_id).bind(2, user_id),
        readMember, ErrorKind::not_found,
        "user " + std::to_string(user_id) + " is not a member of team " + std::to_string(team_id));
}

}  // namespace

// ---- teams -----------------------------------------------------------------------------------

Result<Team> SqliteStore::createTeam(std::string_view slug, std::string_view name) {
    return guarded("creating team " + inQuotes(slug), [&]() -> Result<Team> {
        requireText(slug, "team slug");
        requireText(name, "team name");
        auto c = pool_.acquire();
        return one<Team>(c->prepare(sql({"INSERT INTO teams (slug, name, created_at) VALUES (?1, ?2, ?3) RETURNING ",
                                         kTeamColumns}))
                             .bind(1, slug)
                             .bind(2, name)
                             .bind(3, toUnixMillis(now())),
                         readTeam, ErrorKind::internal, "creating team returned no row");
    });
}

Result<Team> SqliteStore::team(std::int64_t team_id) {
    return guarded("reading team", [&]() -> Result<Team> {
        auto c = pool_.acquire();
        return one<Team>(c->prepare(sql({"SELECT ", kTeamColumns, " FROM teams WHERE id = ?1"})).bind(1, team_id), readTeam,
                         ErrorKind::not_found, "team " + std::to_string(team_id) + " does not exist");
    });
}

Result<Team> SqliteStore::findTeamBySlug(std::string_view slug) {
    return guarded("finding team", [&]() -> Result<Team> {
        auto c = pool_.acquire();
        return one<Team>(c->prepare(sql({"SELECT ", kTeamColumns, " FROM teams WHERE slug = ?1"})).bind(1, slug), readTeam,
                         ErrorKind::not_found, "no team with slug " + inQuotes(slug));
    });
}

Result<std::vector<Team>> SqliteStore::listTeams() {
    return guarded("listing teams", [&]() -> Result<std::vector<Team>> {
        auto c = pool_.acquire();
        return all<Team>(c->prepare(sql({"SELECT ", kTeamColumns, " FROM teams ORDER BY slug"})), readTeam);
    });
}

Result<std::vector<Team>> SqliteStore::listTeamsOfUser(std::int64_t user_id) {
    return guarded("listing teams of user", [&]() -> Result<std::vector<Team>> {
        auto c = pool_.acquire();
        return all<Team>(c->prepare("SELECT t.id, t.slug, t.name, t.created_at FROM teams t "
                                    "JOIN team_members m ON m.team_id = t.id WHERE m.user_id = ?1 ORDER BY t.slug")
                             .bind(1, user_id),
                         readTeam);
    });
}

Result<Team> SqliteStore::renameTeam(std::int64_t team_id, std::string_view name) {
    return guarded("renaming team", [&]() -> Result<Team> {
        requireText(name, "team name");
        auto c = pool_.acquire();
        return renameById<Team>(*c, "teams", kTeamColumns, readTeam, "team", team_id, name);
    });
}

Result<void> SqliteStore::deleteTeam(std::int64_t team_id) {
    return guarded("deleting team", [&]() -> Result<void> {
        auto c = pool_.acquire();
        deleteById(*c, "teams", "team", team_id);
        return {};
    });
}

Result<TeamMember> SqliteStore::addTeamMember(std::int64_t team_id, std::int64_t user_id, TeamRole role) {
    return guarded("adding user " + std::to_string(user_id) + " to team " + std::to_string(team_id),
                   [&]() -> Result<TeamMember> {
                       auto c = pool_.acquire();
                       Transaction tx(*c);
                       c->prepare("INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)")
                           .bind(1, team_id)
                           .bind(2, user_id)
                           .bind(3, toString(role))
                           .bind(4, toUnixMillis(now()))
                           .run();
                       TeamMember member = loadMember(*c, team_id, user_id);
                       tx.commit();
                       return member;
                   });
}

Result<TeamMember> SqliteStore::setTeamMemberRole(std::int64_t team_id, std::int64_t user_id, TeamRole role) {
    return guarded("changing a member's role", [&]() -> Result<TeamMember> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("UPDATE team_members SET role = ?3 WHERE team_id = ?1 AND user_id = ?2")
            .bind(1, team_id)
            .bind(2, user_id)
            .bind(3, toString(role))
            .run();
        TeamMember member = loadMember(*c, team_id, user_id);
        tx.commit();
        return member;
    });
}

Result<void> SqliteStore::removeTeamMember(std::int64_t team_id, std::int64_t user_id) {
    return guarded("removing a team member", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM team_members WHERE team_id = ?1 AND user_id = ?2").bind(1, team_id).bind(2, user_id).run();
        if (c->changes() == 0) {
            return makeError(ErrorKind::not_found,
                             "user " + std::to_string(user_id) + " is not a member of team " + std::to_string(team_id),
                             "not_found");
        }
        return {};
    });
}

Result<TeamMember> SqliteStore::teamMember(std::int64_t team_id, std::int64_t user_id) {
    return guarded("reading a team member", [&]() -> Result<TeamMember> {
        auto c = pool_.acquire();
        return loadMember(*c, team_id, user_id);
    });
}

Result<std::vector<TeamMember>> SqliteStore::listTeamMembers(std::int64_t team_id) {
    return guarded("listing team members", [&]() -> Result<std::vector<TeamMember>> {
        auto c = pool_.acquire();
        return all<TeamMember>(c->prepare(sql({kMemberSelect, "WHERE m.team_id = ?1 ORDER BY u.username"})).bind(1, team_id),
                               readMember);
    });
}

}  // namespace forgelink::store
