// `forgelink admin audit ...`: the team's audit log.
#include "cli/admin/admin_verbs.hpp"

namespace forgelink::cli::admin {

void addAccessVerbs(VerbTable& table) {
    table.push_back({"audit", "list", "list the changes of a team's settings, newest first: who, when, from where, what",
                     {{"team", "SLUG", "the team's slug", true},
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
