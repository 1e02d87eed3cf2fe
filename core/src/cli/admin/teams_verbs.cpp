// `forgelink admin teams ...` and `forgelink admin members ...`.
#include "cli/admin/admin_verbs.hpp"

namespace forgelink::cli::admin {

namespace {

const Option kTeam{"team", "SLUG", "the team's slug", true};
const Option kUser{"user-id", "ID", "the member's Forgelink user id (see 'members list'; people become users by logging in once)",
                   true, true};
const Option kRole{"role", "ROLE", "owner (may change the team) or member (reads it)", true};

std::string teamPath(const Input& in) { return "/api/v1/teams/" + enc(in.text("team")); }

std::string memberPath(const Input& in) {
    return teamPath(in) + "/members/" + std::to_string(in.number("user-id").value_or(0));
}

}  // namespace

void addTeamVerbs(VerbTable& table) {
    table.push_back({"teams", "list", "list the teams (an admin sees all of them)", {},
                     "forgelink admin teams list",
                     [](const Input&) { return ApiRequest{"GET", "/api/v1/teams", nullptr, ""}; },
                     itemsTable({{"SLUG", "slug"}, {"NAME", "name"}, {"ROLE", "role"}, {"CREATED", "created_at"}})});
    table.push_back({"teams", "show", "show a team, its connected providers and its number of projects", {kTeam},
                     "forgelink admin teams show --team docs",
                     [](const Input& in) { return ApiRequest{"GET", teamPath(in), nullptr, ""}; }, objectUnder("team")});
    table.push_back({"teams", "create", "create a team",
                     {{"slug", "SLUG", "lowercase letters, digits and '-', at most 63 (used in URLs)", true},
                      {"name", "NAME", "the name people see (default: the slug)"}},
                     "forgelink admin teams create --slug docs --name \"Docs team\"",
                     [](const Input& in) {
                         nlohmann::json body = {{"slug", in.text("slug")}};
                         if (auto name = in.optionalText("name")) body["name"] = *name;
                         return ApiRequest{"POST", "/api/v1/teams", body, ""};
                     },
                     objectUnder("team")});
    table.push_back({"teams", "delete", "delete a team with its members, provider tokens, projects and builds", {kTeam},
                     "forgelink admin teams delete --team docs",
                     [](const Input& in) {
                         return ApiRequest{"DELETE", teamPath(in), nullptr, "deleted team " + in.text("team")};
                     },
                     nullptr});

    table.push_back({"members", "list", "list a team's members and their roles", {kTeam},
                     "forgelink admin members list --team docs",
                     [](const Input& in) { return ApiRequest{"GET", teamPath(in) + "/members", nullptr, ""}; },
                     itemsTable({{"USER_ID", "user_id"}, {"USERNAME", "username"}, {"NAME", "name"}, {"ROLE", "role"}})});
    table.push_back({"members", "add",
                     "add someone who has logged in once to a team, by forge username or Forgelink user id",
                     {kTeam,
                      {"username", "NAME", "their username on the forge they log in with (instead of --user-id)"},
                      {"provider", "PROVIDER", "the forge of --username, needed only when two forges have that name"},
                      {"user-id", "ID", "the member's Forgelink user id (instead of --username)", false, true},
                      kRole},
                     "forgelink admin members add --team docs --username forgelink-bot --role member",
                     [](const Input& in) {
                         const auto username = in.optionalText("username");
                         if (username.has_value() == in.has("user-id"))
                             throw UsageProblem("give exactly one of --username NAME and --user-id ID");
                         nlohmann::json body = {{"role", in.text("role")}};
                         if (username) {
                             body["username"] = *username;
                             if (auto provider = in.optionalText("provider")) body["provider"] = *provider;
                         } else {
                             if (in.has("provider")) throw UsageProblem("--provider goes with --username, not --user-id");
                             body["user_id"] = in.number("user-id").value_or(0);
                         }
                         return ApiRequest{"POST", teamPath(in) + "/members", body, ""};
                     },
                     objectUnder("member")});
    table.push_back({"members", "role", "change a member's role (a team keeps at least one owner)", {kTeam, kUser, kRole},
                     "forgelink admin members role --team docs --user-id 2 --role owner",
                     [](const Input& in) {
                         return ApiRequest{"PATCH", memberPath(in), {{"role", in.text("role")}}, ""};
                     },
                     objectUnder("member")});
    table.push_back({"members", "remove", "remove a member from a team (a team keeps at least one owner)", {kTeam, kUser},
                     "forgelink admin members remove --team docs --user-id 2",
                     [](const Input& in) {
                         return ApiRequest{"DELETE", memberPath(in), nullptr,
                                           "removed user " + std::to_string(in.number("user-id").value_or(0)) +
                                               " from team " + in.text("team")};
                     },
                     nullptr});
}

}  // namespace forgelink::cli::admin
