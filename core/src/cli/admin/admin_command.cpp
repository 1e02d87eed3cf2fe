// `forgelink admin RESOURCE VERB ...`: the REST API for operators, over HTTP with an admin token.
// The verb table (admin_verbs.hpp) drives everything here: dispatch, --help, the options each
// verb accepts (any other is a usage error), the request, and how the answer is shown.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include <forgelink/support/http_text.hpp>

#include "cli/admin/admin_verbs.hpp"
#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/json_output.hpp"
#include "common/strings.hpp"
#include "config/closest_match.hpp"
#include "net/http_client.hpp"

namespace forgelink::cli {

namespace admin {

const VerbTable& verbs() {
    static const VerbTable table = [] {
        VerbTable t;
        addTeamVerbs(t);
        addProviderVerbs(t);
        addProjectVerbs(t);
        addBuildVerbs(t);
        addAccessVerbs(t);
        addNoticeVerbs(t);
        return t;
    }();
    return table;
}

}  // namespace admin

namespace {

using admin::Verb;

constexpr const char* kDefaultHost = "http://127.0.0.1:8080";

// Older or shorter names people type.
std::string canonicalResource(const std::string& word) { return word == "repos" ? "repositories" : word; }

std::vector<std::string> resources() {
    std::vector<std::string> out;
    for (const auto& verb : admin::verbs())
        if (out.empty() || out.back() != verb.resource) out.push_back(verb.resource);
    return out;
}

void printAdminUsage(std::ostream& out, const std::string& only_resource = "") {
    out << "Usage: forgelink admin RESOURCE VERB [OPTIONS] [--host URL] [--json]\n\n"
           "Calls Forgelink's REST API with the admin token in FORGELINK_ADMIN_TOKEN. Prints tables for people;\n"
           "--json prints the API's own JSON objects.\n\n";
    std::string last;
    for (const auto& verb : admin::verbs()) {
        if (!only_resource.empty() && verb.resource != only_resource) continue;
        if (verb.resource != last) out << (last.empty() ? "" : "\n") << verb.resource << ":\n";
        last = verb.resource;
        const std::string name = verb.resource + " " + verb.name;
        out << "  " << name << std::string(name.size() < 24 ? 24 - name.size() : 1, ' ') << verb.summary << "\n";
    }
    out << "\n'forgelink admin RESOURCE VERB --help' shows a verb's options and an example.\n"
           "Every verb takes --host URL (default: $FORGELINK_HOST, else server.listen of --config FILE, else\n"
           << kDefaultHost
           << "), --config FILE and --json.\n\n"
              "Exit codes: 0 ok, 1 rejected input (400, 409, 413, 415) or an unreadable token file, 2 usage,\n"
              "3 refused (401, 403, 404, 422), 4 server or network trouble (5xx, no answer).\n"
              "Example:\n  export FORGELINK_ADMIN_TOKEN=$(cat var/admin-tokens)\n  forgelink admin teams create --slug docs\n";
}

int exitForStatus(int status) {
    if (status < 400) return exit_ok;
    if (status == 401 || status == 403 || status == 404 || status == 422) return exit_refused;
    if (status >= 500) return exit_internal;
    return exit_invalid_input;
}

std::string synopsis(const Verb& verb) {
    std::string out;
    for (const auto& option : verb.options) {
        std::string word = "--" + option.name + (option.value_name.empty() ? "" : " " + option.value_name);
        out += (out.empty() ? "" : " ") + (option.required ? word : "[" + word + "]");
    }
    return out + (out.empty() ? "" : " ") + "[--host URL] [--json]";
}

po::options_description optionsOf(const Verb& verb) {
    po::options_description options("Options");
    for (const auto& option : verb.options) {
        const std::string description = option.description + (option.required ? " (required)" : "");
        if (option.value_name.empty()) {
            options.add_options()(option.name.c_str(), description.c_str());
        } else if (option.integer) {
            auto* value = po::value<long long>()->value_name(option.value_name);
            if (option.required) value->required();
            options.add_options()(option.name.c_str(), value, description.c_str());
        } else {
            auto* value = po::value<std::string>()->value_name(option.value_name);
            if (option.required) value->required();
            options.add_options()(option.name.c_str(), value, description.c_str());
        }
    }
    options.add_options()("host", po::value<std::string>()->value_name("URL"),
                          "the Forgelink server (default: $FORGELINK_HOST, else server.listen of --config, else "
                          "http://127.0.0.1:8080); a host:port without a scheme is taken as http")(
        "config", po::value<std::string>()->value_name("FILE"),
        "the server's configuration, to find its address (server.listen) when --host and FORGELINK_HOST are unset")(
        "json", "print the API's JSON answer instead of a table");
    return options;
}

struct HostChoice {
    std::string url;
    int error_code = exit_ok;  // exit_usage or exit_invalid_input when no usable URL
    std::string error;
};

// --host, else $FORGELINK_HOST, else the configuration's server.listen, else the default. A
// host:port without a scheme is http; another scheme is a usage error (not a network error).
HostChoice chooseHost(const po::variables_map& values) {
    std::string host, from;
    if (values.count("host")) {
        host = values["host"].as<std::string>(), from = "--host";
    } else if (const char* env = std::getenv("FORGELINK_HOST"); env != nullptr && *env != '\0') {
        host = env, from = "FORGELINK_HOST";
    } else if (values.count("config")) {
        auto config = loadConfigOrReport(values["config"].as<std::string>());
        if (!config) return {"", exit_invalid_input, ""};
        std::string name = config->server.listen.host;
        if (name == "0.0.0.0" || name.empty()) name = "127.0.0.1";
        else if (name == "::") name = "[::1]";
        else if (name.find(':') != std::string::npos) name = "[" + name + "]";
        host = "http://" + name + ":" + std::to_string(config->server.listen.port), from = "server.listen";
    } else {
        host = kDefaultHost, from = "the default";
    }
    host = std::string(support::trimSpace(host));
    while (!host.empty() && host.back() == '/') host.pop_back();
    const auto scheme_end = host.find("://");
    if (scheme_end == std::string::npos) {
        host = "http://" + host;
    } else {
        const auto scheme = support::asciiLower(host.substr(0, scheme_end));
        if (scheme != "http" && scheme != "https")
            return {"", exit_usage, from + " must be an http:// or https:// URL (or host:port), got '" + common::escapeControls(host) + "'"};
    }
    const auto rest = host.substr(host.find("://") + 3);
    const auto authority = rest.substr(0, rest.find('/'));
    bool ok = !authority.empty();
    for (unsigned char c : authority) ok = ok && c > 0x20 && c != 0x7f && c != '@' && c != '?' && c != '#';
    if (const auto colon = authority.rfind(':'); ok && colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
        const auto port = common::parseDigits(authority.substr(colon + 1));
        ok = port && *port >= 1 && *port <= 65535;
    }
    if (!ok) return {"", exit_usage, from + " is not a usable server address: '" + common::escapeControls(host) + "' (expected http://HOST:PORT)"};
    return {host, exit_ok, ""};
}

struct Answer {
    bool reached = false;
    std::string problem;  // when not reached
    int status = 0;
    nlohmann::json body;  // discarded when not JSON
    std::string text;
};

Answer send(net::HttpClient& client, const std::string& host, const std::string& token, const admin::ApiRequest& call) {
    HttpRequest request;
    request.method = call.method;
    request.url = host + call.path;
    request.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    if (!call.body.is_null()) {
        request.headers.emplace_back("Content-Type", "application/json");
        request.body = call.body.dump();
    }
    auto response = client.execute(request, std::chrono::steady_clock::now() + std::chrono::seconds(60));
    Answer answer;
    if (!response.ok()) {
        answer.problem = response.error().message;
        return answer;
    }
    answer.reached = true;
    answer.status = response->status;
    answer.text = response->body;
    answer.body = response->body.empty() ? nlohmann::json() : nlohmann::json::parse(response->body, nullptr, false);
    return answer;
}

// A refusal: the API's JSON with --json, else one line a person can act on.
int reportFailure(const std::string& name, const std::string& host, const Answer& answer, bool json) {
    if (!answer.reached) {
        std::cerr << "forgelink " << name << ": cannot reach the Forgelink server at " << common::escapeControls(host) << ": "
                  << common::escapeControls(answer.problem) << "\n(is 'forgelink serve' running there? set --host or FORGELINK_HOST)\n";
        return exit_internal;
    }
    const bool has_error = !answer.body.is_discarded() && answer.body.is_object() && answer.body.contains("error") &&
                           answer.body["error"].is_object();
    if (json && !answer.body.is_discarded() && !answer.body.is_null()) {
        printJson(std::cerr, answer.body);
    } else if (has_error) {
        const auto& error = answer.body["error"];
        std::cerr << "forgelink " << name << ": " << common::escapeControls(admin::cellText(error.value("message", nlohmann::json("")))) << " ("
                  << common::escapeControls(admin::cellText(error.value("code", nlohmann::json("")))) << ", HTTP " << answer.status << ")\n";
        if (error.contains("details") && error["details"].is_object() && !error["details"].empty())
            std::cerr << "  details: " << common::escapeControls(error["details"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) << "\n";
        if (answer.status == 401)
            std::cerr << "  (the admin token is read from FORGELINK_ADMIN_TOKEN; the server takes its tokens from "
                         "admin.tokens_env or admin.tokens_file)\n";
    } else {
        std::cerr << "forgelink " << name << ": HTTP " << answer.status << " from " << common::escapeControls(host) << ": "
                  << common::escapeControls(answer.text.substr(0, 200)) << "\n";
    }
    return exitForStatus(answer.status);
}

void printWarnings(const nlohmann::json& body) {
    if (!body.is_object() || !body.contains("warnings") || !body["warnings"].is_array()) return;
    for (const auto& w : body["warnings"])
        std::cerr << "warning: " << common::escapeControls(admin::cellText(w.value("message", nlohmann::json("")))) << " ("
                  << common::escapeControls(admin::cellText(w.value("code", nlohmann::json("")))) << ")\n";
}

// --all: every page, each printed as it arrives, progress on stderr.
int runAllPages(const Verb& verb, const std::string& name, net::HttpClient& client, const std::string& host,
                const std::string& token, admin::ApiRequest call, bool json) {
    nlohmann::json all = nlohmann::json::array();
    admin::StreamingTable table(verb.columns);
    nlohmann::json total = nullptr;
    const std::string base = call.path;
    std::size_t fetched = 0;
    for (;;) {
        auto answer = send(client, host, token, call);
        if (!answer.reached || answer.status >= 400 || !answer.body.is_object()) {
            if (fetched > 0) std::cerr << verb.resource << ": stopped after " << fetched << " fetched\n";
            if (answer.reached && answer.status < 400) {
                std::cerr << "forgelink " << name << ": the server's answer is not a JSON page\n";
                return exit_internal;
            }
            return reportFailure(name, host, answer, json);
        }
        const auto& items = answer.body["items"];
        fetched += items.is_array() ? items.size() : 0;
        total = answer.body.value("total", nlohmann::json());
        if (json) {
            for (const auto& item : items) all.push_back(item);
        } else {
            table.print(std::cout, items);
        }
        std::cerr << verb.resource << ": " << fetched << " fetched";
        if (total.is_number()) std::cerr << " of " << total.get<long long>();
        std::cerr << "\n";
        const auto next = answer.body.value("next_cursor", nlohmann::json());
        if (!next.is_string() || next.get<std::string>().empty()) break;
        call.path = base + (base.find('?') == std::string::npos ? "?" : "&") + "cursor=" +
                    support::urlEncode(next.get<std::string>());
    }
    if (json) printJson(std::cout, {{"items", all}, {"next_cursor", nullptr}, {"total", total}});
    else if (table.empty()) std::cout << "(none)\n";
    return exit_ok;
}

}  // namespace

int runAdmin(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        printAdminUsage(args.empty() ? std::cerr : std::cout);
        return args.empty() ? exit_usage : exit_ok;
    }
    const std::string resource = canonicalResource(args[0]);
    const auto known = resources();
    if (std::find(known.begin(), known.end(), resource) == known.end()) {
        std::string message = "unknown resource '" + common::escapeControls(args[0]) + "'";
        if (auto near = config::closestMatch(args[0], known)) message += "; did you mean '" + *near + "'?";
        return usageError("admin", message + " (resources: " + [&] {
                                       std::string list;
                                       for (const auto& r : known) list += (list.empty() ? "" : ", ") + r;
                                       return list;
                                   }() + ")");
    }
    if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
        const bool asked = args.size() >= 2;
        if (!asked) std::cerr << "forgelink admin " << resource << ": give a verb\n";
        printAdminUsage(asked ? std::cout : std::cerr, resource);
        return asked ? exit_ok : exit_usage;
    }
    const Verb* verb = nullptr;
    std::vector<std::string> names;
    for (const auto& v : admin::verbs()) {
        if (v.resource != resource) continue;
        names.push_back(v.name);
        if (v.name == args[1]) verb = &v;
    }
    if (verb == nullptr) {
        std::string message = "unknown verb '" + common::escapeControls(args[1]) + "'";
        if (auto near = config::closestMatch(args[1], names)) message += "; did you mean '" + *near + "'?";
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        return usageError("admin " + resource, message + " (verbs: " + list + ")");
    }
    const std::string name = "admin " + resource + " " + verb->name;

    const CommandHelp help{name, synopsis(*verb), verb->summary, "  " + verb->example};
    const auto options = optionsOf(*verb);
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(Args(args.begin() + 2, args.end()), help, options, values, code)) return code;
    const bool json = values.count("json") != 0;
    const bool all = verb->pages && values.count("all") != 0;
    if (all && values.count("cursor")) return usageError(name, "--all starts at the first page; give --cursor without --all");

    admin::ApiRequest call;
    try {
        call = verb->request(admin::Input(values));
    } catch (const admin::UsageProblem& e) {
        return usageError(name, e.what());
    } catch (const admin::InputProblem& e) {
        std::cerr << "forgelink " << name << ": " << e.what() << "\n";
        return exit_invalid_input;
    }

    const auto host = chooseHost(values);
    if (host.error_code != exit_ok) {
        if (host.error_code == exit_usage) return usageError(name, host.error);
        return host.error_code;
    }
    const char* admin_token = std::getenv("FORGELINK_ADMIN_TOKEN");
    if (admin_token == nullptr || *admin_token == '\0') {
        std::cerr << "forgelink " << name << ": set FORGELINK_ADMIN_TOKEN to an admin token of the server "
                     "(scripts/run writes one to var/admin-tokens)\n";
        return exit_usage;
    }
    const std::string token(support::trimSpace(admin_token));

    auto client = net::makeHttpClient();
    if (all) return runAllPages(*verb, name, *client, host.url, token, call, json);

    const auto answer = send(*client, host.url, token, call);
    if (!answer.reached || answer.status >= 400) return reportFailure(name, host.url, answer, json);
    const bool empty = answer.status == 204 || answer.text.empty();
    if (!empty && (answer.body.is_discarded() || answer.body.is_null())) {
        std::cerr << "forgelink " << name << ": the server answered HTTP " << answer.status << " with a body that is not JSON\n";
        return exit_internal;
    }
    if (json) {
        // Scripts read stdout: nothing there when there is nothing to show, the line on stderr.
        if (empty) std::cerr << call.done << "\n";
        else printJson(std::cout, answer.body);
        return exit_ok;
    }
    if (empty) {
        std::cout << common::escapeControls(call.done.empty() ? "done" : call.done) << "\n";
        return exit_ok;
    }
    if (verb->render) verb->render(answer.body, std::cout);
    else admin::printObject(std::cout, answer.body);
    printWarnings(answer.body);
    return exit_ok;
}

}  // namespace forgelink::cli
