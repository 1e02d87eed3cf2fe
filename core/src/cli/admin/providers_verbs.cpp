// `forgelink admin providers ...` (a team's forge token) and browsing the forge with it:
// `namespaces list`, `repositories list`.
#include <forgelink/support/http_text.hpp>

#include "cli/admin/admin_verbs.hpp"

namespace forgelink::cli::admin {

namespace {

const Option kTeam{"team", "SLUG", "the team's slug", true};
const Option kProvider{"provider", "NAME", "the provider plugin, as 'forgelink plugins' lists it", true};

const Option kCredential{"credential", "NAME",
                         "one of the team's named credentials for the forge (default: the one named 'default', "
                         "which the team has when it never named any)"};

std::string providerPath(const Input& in) {
    return "/api/v1/teams/" + enc(in.text("team")) + "/providers/" + enc(in.text("provider"));
}

// The path of the credential --credential names, or the provider's own (which acts on 'default').
std::string credentialPath(const Input& in) {
    if (auto name = in.optionalText("credential")) return providerPath(in) + "/credentials/" + enc(*name);
    return providerPath(in);
}

// "acme/a/api (project api)" lines for the repositories a removal moved or cut off.
void printRepositories(std::ostream& out, const std::string& title, const nlohmann::json& rows, bool with_next) {
    if (!rows.is_array() || rows.empty()) return;
    out << title << "\n";
    for (const auto& r : rows) {
        out << "  " << cellText(r.value("full_path", nlohmann::json(""))) << " (project "
            << cellText(r.value("project", nlohmann::json(""))) << ")";
        if (with_next) out << " -> " << cellText(r.value("credential", nlohmann::json("")));
        out << "\n";
    }
}

std::string query(const Input& in, const std::vector<std::pair<std::string, std::string>>& names) {
    std::string out;
    for (const auto& [option, parameter] : names)
        if (auto value = in.optionalText(option))
            out += (out.empty() ? "?" : "&") + parameter + "=" + support::urlEncode(*value);
    return out;
}

const std::vector<Column> kSettingsColumns = {{"PROVIDER", "provider"}, {"NAME", "name"}, {"INSTANCE", "instance"},
                                              {"ACCOUNT", "identity.username"}, {"KIND", "kind"},
                                              {"HEALTH", "health.state"}, {"EXPIRES", "expires_at"},
                                              {"DAYS_LEFT", "days_left"}, {"CHECKED", "checked_at"},
                                              {"ROTATE", "rotate.enabled"}, {"TOKEN", "token_last4"}};

}  // namespace

void addProviderVerbs(VerbTable& table) {
    table.push_back({"providers", "list", "list a team's forge credentials (several per forge, each with a name), with each token's "
                     "account, kind, health (valid, expiring, invalid), expiry and last check with the forge; with "
                     "--provider, that forge's only, each with the repositories it serves",
                     {kTeam, {"provider", "NAME", "only this provider's credentials, each with the repositories it serves"}},
                     "forgelink admin providers list --team docs",
                     [](const Input& in) {
                         if (in.has("provider")) return ApiRequest{"GET", providerPath(in) + "/credentials", nullptr, ""};
                         return ApiRequest{"GET", "/api/v1/teams/" + enc(in.text("team")) + "/providers", nullptr, ""};
                     },
                     [](const nlohmann::json& body, std::ostream& out) {
                         auto columns = kSettingsColumns;
                         const auto& items = body.value("items", nlohmann::json::array());
                         if (!items.empty() && items.front().contains("serves")) columns.push_back({"SERVES", "serves"});
                         nlohmann::json rows = items;
                         for (auto& row : rows)
                             if (row.contains("serves")) {
                                 nlohmann::json paths = nlohmann::json::array();
                                 for (const auto& r : row["serves"]) paths.push_back(r.value("full_path", ""));
                                 row["serves"] = paths;
                             }
                         printTable(out, rows, columns);
                     }});
    table.push_back({"providers", "show",
                     "show one of a team's forge credentials: account, kind, scopes, expiry, warnings (never the token); "
                     "with --credential, the repositories it serves too",
                     {kTeam, kProvider, kCredential}, "forgelink admin providers show --team docs --provider myforge",
                     [](const Input& in) { return ApiRequest{"GET", credentialPath(in), nullptr, ""}; },
                     objectUnder("settings")});
    table.push_back({"providers", "save",
                     "check a forge token with the forge and save it for the team (sealed; shown only as its last 4 "
                     "characters); resumes paused feedback",
                     {kTeam, kProvider, kCredential,
                      {"token-env", "VAR", "read the token from environment variable VAR (exactly one of --token-env, --token-file)"},
                      {"token-file", "PATH", "read the token from a file (trailing whitespace and newlines are ignored)"},
                      {"base-url", "URL", "the forge instance, e.g. https://forge.example.com (default: providers.NAME.base_url of the server's configuration)"},
                      {"refresh-token-env", "VAR",
                       "an OAuth token's refresh token, from environment variable VAR: the host renews the token before "
                       "it expires with its OAuth app of that forge (providers.NAME.oauth)"},
                      {"refresh-token-file", "PATH", "the refresh token from a file (instead of --refresh-token-env)"}},
                     "FORGE_TOKEN=... forgelink admin providers save --team docs --provider myforge --token-env FORGE_TOKEN "
                     "--base-url http://127.0.0.1:9000",
                     [](const Input& in) {
                         nlohmann::json body = {{"token", readSecret(in, "token-env", "token-file", "the token")}};
                         if (auto url = in.optionalText("base-url")) body["base_url"] = *url;
                         if (in.has("refresh-token-env") || in.has("refresh-token-file"))
                             body["refresh_token"] =
                                 readSecret(in, "refresh-token-env", "refresh-token-file", "the refresh token");
                         return ApiRequest{"PUT", credentialPath(in), body, ""};
                     },
                     objectUnder("settings")});
    table.push_back({"providers", "rotation",
                     "set how Forgelink rotates one of the team's tokens (--credential, else 'default') through the forge "
                     "before it expires (tokens whose plugin can rotate them; each credential on its own); says "
                     "when the forge or the token cannot rotate",
                     {kTeam, kProvider, kCredential,
                      {"enable", "", "rotate the token once it expires within --days-before-expiry days"},
                      {"disable", "", "never rotate it (the expiry warnings stay)"},
                      {"days-before-expiry", "DAYS", "how many days before its expiry the token is rotated (1 to 365; default 14)",
                       false, true},
                      {"new-lifetime-days", "DAYS", "how long the new token lives (1 to 365; default 365)", false, true}},
                     "forgelink admin providers rotation --team docs --provider myforge --enable --days-before-expiry 14",
                     [](const Input& in) {
                         if (in.has("enable") && in.has("disable")) throw UsageProblem("give at most one of --enable and --disable");
                         nlohmann::json rotate = nlohmann::json::object();
                         if (in.has("enable")) rotate["enabled"] = true;
                         if (in.has("disable")) rotate["enabled"] = false;
                         if (auto days = in.number("days-before-expiry")) rotate["days_before_expiry"] = *days;
                         if (auto days = in.number("new-lifetime-days")) rotate["new_lifetime_days"] = *days;
                         if (rotate.empty())
                             throw UsageProblem("give --enable, --disable, --days-before-expiry or --new-lifetime-days");
                         return ApiRequest{"PATCH", credentialPath(in), {{"rotate", rotate}}, ""};
                     },
                     objectUnder("settings")});
    table.push_back({"providers", "rotate",
                     "rotate one of the team's tokens (--credential, else 'default') through the forge now: the forge "
                     "revokes the old token and Forgelink stores the new one (when the answer is lost, the credential "
                     "turns invalid and says what to do)",
                     {kTeam, kProvider, kCredential},
                     "forgelink admin providers rotate --team docs --provider myforge --credential bot",
                     [](const Input& in) { return ApiRequest{"POST", credentialPath(in) + "/rotate", nullptr, ""}; },
                     [](const nlohmann::json& body, std::ostream& out) {
                         out << body.value("rotation", nlohmann::json::object()).value("message", std::string("rotated"))
                             << "\n";
                         if (body.contains("settings")) objectUnder("settings")(body, out);
                     }});
    table.push_back({"providers", "remove",
                     "delete one of a team's forge credentials; with --credential, refused (exit 4) when repositories "
                     "it serves have no other credential and would lose feedback, unless --force; the repositories "
                     "another credential covers move to it",
                     {kTeam, kProvider, kCredential,
                      {"force", "", "with --credential: remove it even when repositories would lose feedback"}},
                     "forgelink admin providers remove --team docs --provider myforge --credential bot",
                     [](const Input& in) {
                         if (in.has("force") && !in.has("credential"))
                             throw UsageProblem("--force goes with --credential (without it, the 'default' credential "
                                                "is removed without asking, as before names existed)");
                         return ApiRequest{"DELETE", credentialPath(in) + (in.has("force") ? "?force=true" : ""), nullptr,
                                           "removed the " + in.text("provider") + " token of team " + in.text("team")};
                     },
                     [](const nlohmann::json& body, std::ostream& out) {
                         const auto removed = body.value("removed", nlohmann::json::object());
                         out << "removed " << cellText(removed.value("provider", nlohmann::json(""))) << " credential "
                             << cellText(removed.value("name", nlohmann::json(""))) << "\n";
                         printRepositories(out, "now served by another credential:", body.value("moved", nlohmann::json()), true);
                         printRepositories(out, "without a credential (no feedback until one reaches them):",
                                           body.value("lost_feedback", nlohmann::json()), false);
                     }});
    table.push_back({"providers", "check",
                     "which of the team's credentials serves a repository (the most specific one that can report to it) and "
                     "what it may do there (post commit statuses, comment), and why not",
                     {kTeam, kProvider, {"repository", "ID_OR_PATH", "the repository's id or full path (acme/tools/widget)", true}},
                     "forgelink admin providers check --team docs --provider myforge --repository acme/tools/widget",
                     [](const Input& in) {
                         return ApiRequest{"GET", providerPath(in) + "/repositories/" + enc(in.text("repository")) +
                                                      "/permissions",
                                           nullptr, ""};
                     },
                     [](const nlohmann::json& body, std::ostream& out) { printObject(out, body); }});

    const Option search{"search", "TEXT", "only those whose name or path contains TEXT"};
    const Option cursor{"cursor", "CURSOR", "the page after this one (next_cursor of the previous page)"};
    const Option all{"all", "", "follow every page, printing each as it arrives (progress on stderr)"};
    Verb namespaces{"namespaces", "list", "one page of the namespaces (groups, users, organizations) the team's token sees",
                    {kTeam, kProvider, search, cursor, all},
                    "forgelink admin namespaces list --team docs --provider myforge --all",
                    [](const Input& in) {
                        return ApiRequest{"GET", providerPath(in) + "/namespaces" +
                                                     query(in, {{"search", "search"}, {"cursor", "cursor"}}),
                                          nullptr, ""};
                    },
                    nullptr};
    namespaces.pages = true;
    namespaces.columns = {{"FULL_PATH", "full_path"}, {"KIND", "kind"}, {"NAME", "name"}};
    namespaces.render = itemsTable(namespaces.columns);
    table.push_back(std::move(namespaces));

    Verb repositories{
        "repositories", "list",
        "one page of the repositories the team's token can report to (--all: every page)",
        {kTeam, kProvider, search,
         {"namespace", "PATH", "only the repositories under this namespace (acme/tools)"},
         {"min-role", "ROLE", "at least this role: read, triage, write, maintain, admin (default: the server's, write)"},
         {"include-archived", "", "list archived repositories too"}, cursor, all},
        "forgelink admin repositories list --team docs --provider myforge --search widget",
        [](const Input& in) {
            if (auto role = in.optionalText("min-role")) {
                bool known = false;
                for (const char* r : {"read", "triage", "write", "maintain", "admin"}) known = known || *role == r;
                if (!known)
                    throw UsageProblem("--min-role must be one of read, triage, write, maintain, admin; got '" + *role + "'");
            }
            std::string path = providerPath(in) + "/repositories" +
                               query(in, {{"search", "search"},
                                          {"namespace", "namespace"},
                                          {"min-role", "min_role"},
                                          {"cursor", "cursor"}});
            if (in.has("include-archived")) path += (path.find('?') == std::string::npos ? "?" : "&") + std::string("include_archived=true");
            return ApiRequest{"GET", path, nullptr, ""};
        },
        nullptr};
    repositories.pages = true;
    repositories.columns = {{"FULL_PATH", "full_path"}, {"ID", "id"},         {"ROLE", "role"},
                            {"VISIBILITY", "visibility"}, {"ARCHIVED", "archived"}, {"WEB_URL", "web_url"}};
    repositories.render = itemsTable(repositories.columns);
    table.push_back(std::move(repositories));
}

}  // namespace forgelink::cli::admin
