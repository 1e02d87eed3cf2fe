// `forgelink admin ...`: the REST API for operators who script, over HTTP with an admin token.
#include <cstdlib>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "common/strings.hpp"
#include "net/http_client.hpp"

namespace forgelink::cli {

namespace {

struct Verb {
    const char* usage;    // after "forgelink admin <resource> <verb> "
    const char* summary;
};

// resource -> verb -> help
const std::map<std::string, std::map<std::string, Verb>>& verbs() {
    static const std::map<std::string, std::map<std::string, Verb>> table = {
        {"teams",
         {{"create", {"--slug SLUG [--name NAME]", "create a team"}},
          {"list", {"", "list every team"}},
          {"delete", {"--team SLUG", "delete a team with its projects and builds"}}}},
        {"providers",
         {{"set", {"--team SLUG --provider NAME (--token-env VAR | --token-file PATH) [--base-url URL]",
                   "check a forge token and save it for the team"}},
          {"show", {"--team SLUG --provider NAME", "show the team's token (last 4 characters), scopes, expiry"}},
          {"delete", {"--team SLUG --provider NAME", "disconnect the team from the forge"}}}},
        {"repos",
         {{"list", {"--team SLUG --provider NAME [--search TEXT] [--namespace PATH] [--cursor C]",
                    "one page of the repositories the team's token can report to"}}}},
        {"projects",
         {{"create", {"--team SLUG --name NAME [--slug SLUG] [--provider NAME --repository ID_OR_PATH]",
                      "create a project, linked to a repository when one is given"}},
          {"list", {"--team SLUG", "list the team's projects"}},
          {"connect", {"--project ID --provider NAME --repository ID_OR_PATH", "link a project to a repository"}},
          {"disconnect", {"--project ID", "unlink a project from its repository"}}}},
        {"builds",
         {{"post", {"--project ID --commit SHA --branch NAME --state STATE [--mr N] [--head-sha SHA] [--changed N] "
                    "[--added N] [--removed N] [--failures N] [--url URL]",
                    "record a build and enqueue its feedback"}},
          {"show", {"--project ID --build ID", "show a build and the delivery of its feedback"}}}},
    };
    return table;
}

void printAdminUsage(std::ostream& out) {
    out << "Usage: forgelink admin RESOURCE VERB [OPTIONS] --host URL\n\n"
           "Calls Forgelink's REST API with the admin token in FORGELINK_ADMIN_TOKEN and prints its JSON answer.\n\n";
    for (const auto& [resource, table] : verbs())
        for (const auto& [verb, help] : table)
            out << "  forgelink admin " << resource << " " << verb << " " << help.usage << "\n      " << help.summary
                << "\n";
    out << "\nExit codes: 0 ok, 1 rejected input (400, 409, 413, 415), 2 usage, 3 refused (401, 403, 404, 422),\n"
           "4 server or network trouble.\n"
           "Example:\n  FORGELINK_ADMIN_TOKEN=... forgelink admin teams create --slug docs --host http://127.0.0.1:8080\n";
}

int exitForStatus(int status) {
    if (status < 400) return exit_ok;
    if (status == 401 || status == 403 || status == 404 || status == 422) return exit_refused;
    if (status >= 500) return exit_internal;
    return exit_invalid_input;
}

std::string trimmedSecret(const std::string& text) { return std::string(common::trim(text)); }

}  // namespace

int runAdmin(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        printAdminUsage(args.empty() ? std::cerr : std::cout);
        return args.empty() ? exit_usage : exit_ok;
    }
    const auto resource = verbs().find(args[0]);
    if (resource == verbs().end()) return usageError("admin", "unknown resource '" + args[0] + "'");
    if (args.size() < 2) return usageError("admin " + args[0], "give a verb");
    const auto verb = resource->second.find(args[1]);
    if (verb == resource->second.end())
        return usageError("admin " + args[0], "unknown verb '" + args[1] + "'");
    const std::string name = "admin " + args[0] + " " + args[1];

    const CommandHelp help{name, std::string(verb->second.usage) + " --host URL", verb->second.summary,
                           "  FORGELINK_ADMIN_TOKEN=... forgelink " + name + " ... --host http://127.0.0.1:8080"};
    po::options_description options("Options");
    options.add_options()("host", po::value<std::string>()->required()->value_name("URL"),
                          "the Forgelink server, e.g. http://127.0.0.1:8080");
    for (const char* opt : {"slug", "name", "team", "provider", "token-env", "token-file", "base-url", "search",
                            "namespace", "cursor", "repository", "project", "build", "commit", "branch", "state",
                            "head-sha", "url"})
        options.add_options()(opt, po::value<std::string>());
    for (const char* opt : {"mr", "changed", "added", "removed", "failures"})
        options.add_options()(opt, po::value<long long>());
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(Args(args.begin() + 2, args.end()), help, options, values, code)) return code;

    auto need = [&](const char* opt) -> std::string {
        if (!values.count(opt)) throw std::invalid_argument(std::string("--") + opt + " is required");
        return values[opt].as<std::string>();
    };
    auto enc = [](const std::string& s) { return common::urlEncode(s); };

    std::string method = "GET", path;
    nlohmann::json body;
    try {
        const std::string r = args[0], v = args[1];
        if (r == "teams" && v == "create") {
            method = "POST", path = "/api/v1/teams";
            body = {{"slug", need("slug")}};
            if (values.count("name")) body["name"] = values["name"].as<std::string>();
        } else if (r == "teams" && v == "list") {
            path = "/api/v1/teams";
        } else if (r == "teams" && v == "delete") {
            method = "DELETE", path = "/api/v1/teams/" + enc(need("team"));
        } else if (r == "providers") {
            path = "/api/v1/teams/" + enc(need("team")) + "/providers/" + enc(need("provider"));
            if (v == "set") {
                method = "PUT";
                std::string token;
                if (values.count("token-env") == values.count("token-file"))
                    throw std::invalid_argument("give exactly one of --token-env VAR and --token-file PATH");
                if (values.count("token-env")) {
                    const char* value = std::getenv(values["token-env"].as<std::string>().c_str());
                    if (value == nullptr)
                        throw std::invalid_argument("environment variable " + values["token-env"].as<std::string>() +
                                                    " is not set");
                    token = trimmedSecret(value);
                } else {
                    token = trimmedSecret(readFile(values["token-file"].as<std::string>()));
                }
                body = {{"token", token}};
                if (values.count("base-url")) body["base_url"] = values["base-url"].as<std::string>();
            } else if (v == "delete") {
                method = "DELETE";
            }
        } else if (r == "repos") {
            path = "/api/v1/teams/" + enc(need("team")) + "/providers/" + enc(need("provider")) + "/repositories";
            std::string query;
            for (const char* opt : {"search", "namespace", "cursor"})
                if (values.count(opt))
                    query += (query.empty() ? "?" : "&") + std::string(opt) + "=" + enc(values[opt].as<std::string>());
            path += query;
        } else if (r == "projects" && v == "create") {
            method = "POST", path = "/api/v1/teams/" + enc(need("team")) + "/projects";
            body = {{"name", need("name")}};
            if (values.count("slug")) body["slug"] = values["slug"].as<std::string>();
            if (values.count("repository")) {
                const auto repo = need("repository");
                const bool numeric = !repo.empty() && repo.find_first_not_of("0123456789") == std::string::npos;
                body["repository"] = {{"provider", need("provider")}, {numeric ? "id" : "path", repo}};
            }
        } else if (r == "projects" && v == "list") {
            path = "/api/v1/teams/" + enc(need("team")) + "/projects";
        } else if (r == "projects" && v == "connect") {
            method = "PUT", path = "/api/v1/projects/" + enc(need("project")) + "/repository";
            body = {{"provider", need("provider")}, {"repository", need("repository")}};
        } else if (r == "projects" && v == "disconnect") {
            method = "DELETE", path = "/api/v1/projects/" + enc(need("project")) + "/repository";
        } else if (r == "builds" && v == "post") {
            method = "POST", path = "/api/v1/projects/" + enc(need("project")) + "/builds";
            body = {{"commit_sha", need("commit")}, {"branch", need("branch")}, {"state", need("state")}};
            if (values.count("mr")) body["merge_request"] = values["mr"].as<long long>();
            if (values.count("head-sha")) body["head_sha"] = values["head-sha"].as<std::string>();
            if (values.count("url")) body["url"] = values["url"].as<std::string>();
            nlohmann::json stats = nlohmann::json::object();
            for (const char* opt : {"changed", "added", "removed", "failures"})
                if (values.count(opt)) stats[opt] = values[opt].as<long long>();
            if (!stats.empty()) body["stats"] = stats;
        } else if (r == "builds" && v == "show") {
            path = "/api/v1/projects/" + enc(need("project")) + "/builds/" + enc(need("build"));
        }
    } catch (const std::invalid_argument& e) {
        return usageError(name, e.what());
    } catch (const std::runtime_error& e) {  // readFile
        std::cerr << "forgelink " << name << ": " << e.what() << "\n";
        return exit_invalid_input;
    }

    const char* admin_token = std::getenv("FORGELINK_ADMIN_TOKEN");
    if (admin_token == nullptr || *admin_token == '\0') {
        std::cerr << "forgelink " << name << ": set FORGELINK_ADMIN_TOKEN to an admin token of the server\n";
        return exit_usage;
    }
    std::string host = values["host"].as<std::string>();
    while (!host.empty() && host.back() == '/') host.pop_back();

    HttpRequest request;
    request.method = method;
    request.url = host + path;
    request.headers = {{"Authorization", "Bearer " + trimmedSecret(admin_token)}, {"Accept", "application/json"}};
    if (!body.is_null()) {
        request.headers.emplace_back("Content-Type", "application/json");
        request.body = body.dump();
    }
    auto client = net::makeHttpClient();
    auto response = client->execute(request, std::chrono::steady_clock::now() + std::chrono::seconds(60));
    if (!response.ok()) {
        std::cerr << "forgelink " << name << ": " << response.error().message << "\n";
        return exit_internal;
    }
    auto json = nlohmann::json::parse(response->body, nullptr, false);
    std::ostream& out = response->status < 400 ? std::cout : std::cerr;
    if (response->status == 204) out << "{}\n";
    else if (!json.is_discarded()) out << json.dump(2) << "\n";
    else out << "HTTP " << response->status << "\n";
    return exitForStatus(response->status);
}

}  // namespace forgelink::cli
