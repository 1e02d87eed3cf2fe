// `forgelink admin providers ...` (a team's forge token) and browsing the forge with it:
// `namespaces list`, `repositories list`.
#include <cstdlib>

#include "cli/admin/admin_verbs.hpp"
#include "cli/command_line.hpp"
#include "common/strings.hpp"

namespace forgelink::cli::admin {

namespace {

const Option kTeam{"team", "SLUG", "the team's slug", true};
const Option kProvider{"provider", "NAME", "the provider plugin: gitlab, github, ... ('forgelink plugins' lists them)", true};

std::string providerPath(const Input& in) {
    return "/api/v1/teams/" + enc(in.text("team")) + "/providers/" + enc(in.text("provider"));
}

std::string readToken(const Input& in) {
    if (in.has("token-env") == in.has("token-file"))
        throw UsageProblem("give exactly one of --token-env VAR and --token-file PATH");
    std::string token;
    if (auto var = in.optionalText("token-env")) {
        const char* value = std::getenv(var->c_str());
        if (value == nullptr) throw InputProblem("environment variable " + *var + " is not set");
        token = value;
    } else {
        try {
            token = readFile(in.text("token-file"));
        } catch (const std::runtime_error& e) {
            throw InputProblem(e.what());
        }
    }
    token = std::string(common::trim(token));
    if (token.empty()) throw InputProblem("the token is empty");
    return token;
}

std::string query(const Input& in, const std::vector<std::pair<std::string, std::string>>& names) {
    std::string out;
    for (const auto& [option, parameter] : names)
        if (auto value = in.optionalText(option))
            out += (out.empty() ? "?" : "&") + parameter + "=" + common::urlEncode(*value);
    return out;
}

const std::vector<Column> kSettingsColumns = {{"PROVIDER", "provider"}, {"INSTANCE", "instance"},
                                              {"ACCOUNT", "identity.username"}, {"KIND", "kind"},
                                              {"HEALTH", "health.state"}, {"EXPIRES", "expires_at"},
                                              {"DAYS_LEFT", "days_left"}, {"CHECKED", "checked_at"},
                                              {"TOKEN", "token_last4"}};

}  // namespace

void addProviderVerbs(VerbTable& table) {
    table.push_back({"providers", "list", "list the forges a team is connected to, with each token's account, health (valid, expiring, "
                     "invalid), expiry and last check with the forge",
                     {kTeam}, "forgelink admin providers list --team docs",
                     [](const Input& in) {
                         return ApiRequest{"GET", "/api/v1/teams/" + enc(in.text("team")) + "/providers", nullptr, ""};
                     },
                     itemsTable(kSettingsColumns)});
    table.push_back({"providers", "show",
                     "show a team's token for one forge: account, kind, scopes, expiry, warnings (never the token)",
                     {kTeam, kProvider}, "forgelink admin providers show --team docs --provider gitlab",
                     [](const Input& in) { return ApiRequest{"GET", providerPath(in), nullptr, ""}; },
                     objectUnder("settings")});
    table.push_back({"providers", "save",
                     "check a forge token with the forge and save it for the team (sealed; shown only as its last 4 "
                     "characters); resumes paused feedback",
                     {kTeam, kProvider,
                      {"token-env", "VAR", "read the token from environment variable VAR (exactly one of --token-env, --token-file)"},
                      {"token-file", "PATH", "read the token from a file (trailing whitespace and newlines are ignored)"},
                      {"base-url", "URL", "the forge instance, e.g. https://gitlab.example.com (default: providers.NAME.base_url of the server's configuration)"}},
                     "GL_TOKEN=glpat-... forgelink admin providers save --team docs --provider gitlab --token-env GL_TOKEN "
                     "--base-url http://127.0.0.1:9000",
                     [](const Input& in) {
                         nlohmann::json body = {{"token", readToken(in)}};
                         if (auto url = in.optionalText("base-url")) body["base_url"] = *url;
                         return ApiRequest{"PUT", providerPath(in), body, ""};
                     },
                     objectUnder("settings")});
    table.push_back({"providers", "remove", "disconnect a team from a forge: its token is deleted", {kTeam, kProvider},
                     "forgelink admin providers remove --team docs --provider gitlab",
                     [](const Input& in) {
                         return ApiRequest{"DELETE", providerPath(in), nullptr,
                                           "removed the " + in.text("provider") + " token of team " + in.text("team")};
                     },
                     nullptr});
    table.push_back({"providers", "check",
                     "what the team's token may do on a repository (post commit statuses, comment), and why not",
                     {kTeam, kProvider, {"repository", "ID_OR_PATH", "the repository's id or full path (acme/tools/widget)", true}},
                     "forgelink admin providers check --team docs --provider gitlab --repository acme/tools/widget",
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
                    "forgelink admin namespaces list --team docs --provider gitlab --all",
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
        "forgelink admin repositories list --team docs --provider gitlab --search widget",
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
