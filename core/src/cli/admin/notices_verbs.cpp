// `forgelink admin notices list` (what the team's admins were told about its forge tokens) and
// `forgelink admin notifications show|set|remove` (the team's outgoing notification webhook).
#include "cli/admin/admin_verbs.hpp"

namespace forgelink::cli::admin {

namespace {

const Option kTeam{"team", "SLUG", "the team's slug", true};

std::string notificationsPath(const Input& in) { return "/api/v1/teams/" + enc(in.text("team")) + "/notifications"; }

}  // namespace

void addNoticeVerbs(VerbTable& table) {
    table.push_back({"notices", "list",
                     "list what a team's admins were told about its forge tokens (refused, expiring within 30 / 7 / 1 "
                     "days, renewed by rotation or not), newest first, with each notice's delivery to the team's webhook",
                     {kTeam,
                      {"limit", "N", "at most N notices (1 to 100, default 20)", false, true},
                      {"before", "ID", "only notices older than this notice id (the next page)", false, true}},
                     "forgelink admin notices list --team docs",
                     [](const Input& in) {
                         std::string query;
                         for (const char* name : {"limit", "before"})
                             if (auto value = in.number(name))
                                 query += (query.empty() ? "?" : "&") + std::string(name) + "=" + std::to_string(*value);
                         return ApiRequest{"GET", "/api/v1/teams/" + enc(in.text("team")) + "/notices" + query, nullptr, ""};
                     },
                     itemsTable({{"ID", "id"},
                                 {"CREATED", "created_at"},
                                 {"PROVIDER", "provider"},
                                 {"CREDENTIAL", "credential"},
                                 {"KIND", "kind"},
                                 {"DELIVERY", "delivery.state"},
                                 {"TEXT", "text"}})});
    table.push_back({"notifications", "show", "show a team's notification webhook (only a hint of its URL: the URL is a secret)",
                     {kTeam}, "forgelink admin notifications show --team docs",
                     [](const Input& in) { return ApiRequest{"GET", notificationsPath(in), nullptr, ""}; },
                     objectUnder("notifications")});
    table.push_back({"notifications", "set",
                     "set a team's notification webhook: every notice from now on is POSTed to it as JSON with a "
                     "Slack-compatible text field (a Slack or Mattermost incoming webhook works as is)",
                     {kTeam,
                      {"url-env", "VAR", "read the webhook URL from environment variable VAR (exactly one of --url-env, --url-file)"},
                      {"url-file", "PATH", "read the webhook URL from a file (trailing whitespace and newlines are ignored)"}},
                     "HOOK=https://hooks.slack.com/services/... forgelink admin notifications set --team docs --url-env HOOK",
                     [](const Input& in) {
                         return ApiRequest{"PUT", notificationsPath(in),
                                           {{"webhook_url", readSecret(in, "url-env", "url-file", "the webhook URL")}}, ""};
                     },
                     objectUnder("notifications")});
    table.push_back({"notifications", "remove", "remove a team's notification webhook; notices still waiting are not sent",
                     {kTeam}, "forgelink admin notifications remove --team docs",
                     [](const Input& in) {
                         return ApiRequest{"DELETE", notificationsPath(in), nullptr,
                                           "removed the notification webhook of team " + in.text("team")};
                     },
                     nullptr});
}

}  // namespace forgelink::cli::admin
