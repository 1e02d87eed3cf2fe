// `forgelink admin tokens ...` (a team's scoped API tokens) and `forgelink admin audit ...` (its
// audit log).
#include "cli/admin/admin_verbs.hpp"

namespace forgelink::cli::admin {

namespace {

const Option kTeam{"team", "SLUG", "the team's slug", true};

std::string tokensPath(const Input& in) { return "/api/v1/teams/" + enc(in.text("team")) + "/tokens"; }

const std::vector<Column> kTokenColumns = {{"ID", "id"},           {"NAME", "name"},
                                           {"ROLE", "role"},       {"PROJECT", "project_id"},
                                           {"HINT", "hint"},       {"CREATED", "created_at"},
                                           {"EXPIRES", "expires_at"}, {"LAST_USED", "last_used_at"}};

}  // namespace

void addAccessVerbs(VerbTable& table) {
    table.push_back({"tokens", "list", "list a team's scoped API tokens (never their secrets)", {kTeam},
                     "forgelink admin tokens list --team docs",
                     [](const Input& in) { return ApiRequest{"GET", tokensPath(in), nullptr, ""}; },
                     itemsTable(kTokenColumns)});
    table.push_back(
        {"tokens", "create",
         "make a scoped API token; its secret is printed this once (a build reporter needs only --role reporter)",
         {kTeam,
          {"name", "NAME", "a name unique within the team, such as the service that will use it", true},
          {"role", "ROLE", "reporter (records and reads builds) or admin (also changes the team's settings)", true},
          {"project", "ID", "limit the token to this project of the team", false, true},
          {"expires-in-days", "N", "the token stops working after N days (1 to 3650; default: never)", false, true}},
         "forgelink admin tokens create --team docs --name visual-tests --role reporter --project 1",
         [](const Input& in) {
             nlohmann::json body = {{"name", in.text("name")}, {"role", in.text("role")}};
             if (auto project = in.number("project")) body["project_id"] = *project;
             if (auto days = in.number("expires-in-days")) body["expires_in_days"] = *days;
             return ApiRequest{"POST", tokensPath(in), body, ""};
         },
         [](const nlohmann::json& body, std::ostream& out) {
             printObject(out, body.value("token", nlohmann::json::object()));
             out << "secret: " << cellText(body.value("secret", nlohmann::json())) << "\n"
                 << "Keep the secret now: it is shown only this once. Send it as 'Authorization: Bearer <secret>'.\n";
         }});
    table.push_back({"tokens", "revoke", "revoke a scoped API token: it is refused from the next request on",
                     {kTeam, {"token-id", "ID", "the token's id (see 'tokens list')", true, true}},
                     "forgelink admin tokens revoke --team docs --token-id 1",
                     [](const Input& in) {
                         const auto id = std::to_string(in.number("token-id").value_or(0));
                         return ApiRequest{"DELETE", tokensPath(in) + "/" + id, nullptr,
                                           "revoked API token " + id + " of team " + in.text("team")};
                     },
                     nullptr});

    table.push_back({"audit", "list", "list the changes of a team's settings, newest first: who, when, from where, what",
                     {kTeam,
                      {"limit", "N", "at most N events (1 to 200, default 50)", false, true},
                      {"before", "ID", "only events older than this event id (next_before: the next page)", false, true}},
                     "forgelink admin audit list --team docs --limit 20",
                     [](const Input& in) {
                         return ApiRequest{"GET", "/api/v1/teams/" + enc(in.text("team")) + "/audit" + pageQuery(in),
                                           nullptr, ""};
                     },
                     itemsTable({{"ID", "id"},
                                 {"AT", "at"},
                                 {"ACTOR", "actor.name"},
                                 {"FROM", "client_address"},
                                 {"ACTION", "action"},
                                 {"TARGET", "target"}})});
}

}  // namespace forgelink::cli::admin
