#include <csignal>
#include <future>
#include <iostream>
#include <pthread.h>
#include <thread>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/host_services.hpp"
#include "cli/json_output.hpp"
#include "cli/termination_signals.hpp"
#include "net/http_server.hpp"

namespace forgelink::cli {

namespace {

net::ServerResponse jsonResponse(int status, const nlohmann::json& body) {
    net::ServerResponse response;
    response.status = status;
    response.headers = {{"Content-Type", "application/json"}};
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

net::ServerResponse errorResponse(int status, const std::string& code, const std::string& message) {
    return jsonResponse(status, {{"error", {{"code", code}, {"message", message}}}});
}

}  // namespace

int runServe(const Args& args) {
    const CommandHelp help{
        "serve", "--config FILE",
        "Validates the configuration (exit 1 with every problem), loads the provider plugins, and\n"
        "serves HTTP on server.listen until SIGINT or SIGTERM, then stops cleanly and exits 0.\n"
        "GET /healthz answers {\"status\":\"ok\",\"plugins\":[...]}. Logs are JSON lines on stderr.\n"
        "Exit 3 when a plugin listed in plugins.required did not load, 4 when it cannot listen.",
        "  forgelink serve --config config/forgelink.yaml"};
    po::options_description options("Options");
    options.add_options()("config,c", po::value<std::string>()->required()->value_name("FILE"),
                          "the configuration file");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;

    auto config = loadConfigOrReport(values["config"].as<std::string>());
    if (!config) return exit_invalid_input;

    const LogLevel level = parseLogLevel(config->logging.level);
    common::JsonLogger log("host", &std::cerr, level);

    HostServicesPool services(&*config, level);
    plugin::Registry registry(services);
    const auto paths = choosePluginPaths({}, &*config);
    for (const auto& path : paths) registry.load(path);
    for (const auto& refusal : registry.refusals())
        log.log(LogLevel::warn, "plugin refused", {{"path", refusal.path}, {"reason", refusal.message}});

    std::vector<std::string> missing;
    for (const auto& name : config->plugins.required)
        if (registry.provider(name) == nullptr) missing.push_back(name);
    if (!missing.empty()) {
        for (const auto& name : missing)
            log.log(LogLevel::error, "required plugin did not load; refusing to start", {{"provider", name}});
        for (const auto& refusal : registry.refusals()) std::cerr << "refused: " << refusal.message << "\n";
        for (const auto& name : missing) std::cerr << "required plugin '" << name << "' did not load\n";
        return exit_refused;
    }

    nlohmann::json plugin_names = nlohmann::json::array();
    std::string loaded;
    for (const auto& info : registry.plugins()) {
        plugin_names.push_back(info.name);
        loaded += (loaded.empty() ? "" : ",") + info.name;
    }
    log.log(LogLevel::info, "plugins loaded", {{"plugins", loaded}});

    net::Handler handler = [plugin_names](const net::ServerRequest& request) {
        if (request.path == "/healthz") {
            if (request.method != "GET" && request.method != "HEAD") {
                auto response = errorResponse(405, "method_not_allowed", "/healthz accepts GET only");
                response.headers.emplace_back("Allow", "GET, HEAD");
                return response;
            }
            return jsonResponse(200, {{"status", "ok"}, {"plugins", plugin_names}});
        }
        return errorResponse(404, "not_found", "no route for " + request.method + " " + request.path);
    };

    net::ServerOptions server_options;
    server_options.host = config->server.listen.host;
    server_options.port = config->server.listen.port;
    auto server = net::makeHttpServer(server_options, handler);
    try {
        server->start();
    } catch (const std::exception& e) {
        log.log(LogLevel::error, "cannot listen", {{"reason", e.what()}});
        return exit_internal;
    }
    log.log(LogLevel::info, "listening", {{"url", server->baseUrl()}});

    // main() blocked these signals before any thread existed, so only this sigwait sees them;
    // no handler runs, and the server is stopped from ordinary code.
    std::promise<int> received;
    std::thread waiter([&received] { received.set_value(waitForTerminationSignal()); });
    const int signal_number = received.get_future().get();
    waiter.join();

    log.log(LogLevel::info, "stopping", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server->stop();
    log.log(LogLevel::info, "stopped");
    return exit_ok;
}

}  // namespace forgelink::cli
