#include <algorithm>
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
#include "common/strings.hpp"
#include "net/http_server.hpp"
#include "secrets/key_file.hpp"
#include "delivery/dispatcher.hpp"
#include "service/api_service.hpp"
#include "service/maintenance.hpp"
#include "store/sqlite_store.hpp"

namespace forgelink::cli {

int runServe(const Args& args) {
    const CommandHelp help{
        "serve", "--config FILE",
        "Validates the configuration (exit 1 with every problem), loads the provider plugins, and\n"
        "serves HTTP on server.listen until SIGINT or SIGTERM, then stops cleanly and exits 0.\n"
        "GET /healthz answers {\"status\":\"ok\",\"plugins\":[...]}; the REST API is under /api/v1\n"
        "(docs/openapi.yaml); every other path is the web console, from server.console_dir (default\n"
        "<dir of forgelink>/../share/forgelink/console; a warning when it is not built).\n"
        "Build feedback is delivered from the store's outbox; on start, deliveries a killed earlier\n"
        "process of this machine left in flight are resumed at once. Once a minute,\n"
        "login tokens expiring within 10 minutes are refreshed, and expired sessions, login states and\n"
        "week-old finished deliveries are purged.\n"
        "Logs are JSON lines on stderr. Exit 1 also without the secrets key.\n"
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
        for (const auto& refusal : registry.refusals()) std::cerr << "refused: " << common::escapeControls(refusal.message) << "\n";
        for (const auto& name : missing) std::cerr << "required plugin '" << name << "' did not load\n";
        return exit_refused;
    }

    std::string loaded;
    for (const auto& info : registry.plugins()) loaded += (loaded.empty() ? "" : ",") + info.name;
    log.log(LogLevel::info, "plugins loaded", {{"plugins", loaded}});

    // The API keeps tokens sealed in the store: without the key there is nothing safe to serve.
    auto key = secrets::loadKey({config->secrets.key_file, config->secrets.key_env});
    if (!key.ok()) {
        std::cerr << "forgelink serve: refusing to start without the secrets key: " << key.error().message << "\n";
        if (!config->secrets.key_file.empty())
            std::cerr << "Create it with:\n  forgelink keygen --out " << config->secrets.key_file << "\n";
        else
            std::cerr << "Create a key with 'forgelink keygen --out PATH' and name PATH in secrets.key_file, or put "
                         "the file's content in "
                      << config->secrets.key_env << ".\n";
        return exit_invalid_input;
    }
    auto box = std::make_shared<const secrets::SecretBox>(std::move(key).value());
    auto store = store::SqliteStore::open(config->store.path, box);
    if (!store.ok()) {
        std::cerr << "forgelink serve: cannot open the store " << config->store.path << ": " << store.error().message
                  << "\n";
        return exitCodeFor(store.error().kind);
    }
    auto admin_tokens = service::AdminTokens::fromConfig(config->admin);
    if (!admin_tokens.ok()) {
        std::cerr << "forgelink serve: " << admin_tokens.error().message << "\n";
        return exit_invalid_input;
    }
    service::ServiceOptions service_options;
    service_options.listing_cache_bytes = config->server.listing_cache_mb << 20;
    service_options.console_dir =
        config->server.console_dir.empty() ? service::defaultConsoleDir() : config->server.console_dir;
    service::ApiService api(service::ServiceDeps{*store.value(), registry, *config, services.metrics(), log,
                                                 std::move(admin_tokens).value()},
                            service_options);
    net::Handler handler = api.handler();

    // Delivers what the API puts in the store's outbox; declared after the store so that it stops
    // (explicitly below, or on any early return) before the store closes.
    delivery::DispatcherOptions delivery_options;
    delivery_options.instance_id = config->server.instance_id;
    delivery::Dispatcher dispatcher(*store.value(), registry, services.metrics(), log, delivery_options);
    dispatcher.start();

    // Refreshes login tokens and purges expired rows on its own thread; like the dispatcher it
    // stops before the store closes.
    // A pass a minute; more often when the build timeout is short, so a build is ended within a
    // quarter of its timeout after it runs out (never more than once a second).
    service::MaintenanceOptions maintenance_options;
    maintenance_options.period = std::clamp<std::chrono::milliseconds>(
        std::chrono::milliseconds(config->feedback.build_timeout_seconds * 1000 / 4), std::chrono::seconds(1),
        std::chrono::minutes(1));
    service::Maintenance maintenance(
        service::MaintenanceDeps{*store.value(), registry, *config, services.metrics(), log}, maintenance_options);
    maintenance.start();

    net::ServerOptions server_options;
    server_options.host = config->server.listen.host;
    server_options.port = config->server.listen.port;
    const auto& limits = config->server.limits;
    server_options.max_connections = limits.max_connections;
    server_options.max_header_bytes = limits.max_header_bytes;
    server_options.max_header_line_bytes = limits.max_header_line_bytes;
    server_options.max_body_bytes = limits.max_body_bytes;
    server_options.header_timeout = std::chrono::seconds(limits.header_timeout_seconds);
    server_options.body_timeout = std::chrono::seconds(limits.body_timeout_seconds);
    server_options.idle_timeout = std::chrono::seconds(limits.idle_timeout_seconds);
    auto server = net::makeHttpServer(server_options, handler);
    try {
        server->start();
    } catch (const std::exception& e) {
        log.log(LogLevel::error, "cannot listen", {{"reason", e.what()}});
        return exit_internal;
    }
    log.log(LogLevel::info, "listening", {{"url", server->baseUrl()}});
    if (service::ConsoleAssets(service_options.console_dir, 0).available())
        log.log(LogLevel::info, "web console", {{"url", server->baseUrl() + "/"}, {"dir", service_options.console_dir}});
    else
        log.log(LogLevel::warn, "the web console is not built; the API serves without it",
                {{"console_dir", service_options.console_dir},
                 {"fix", "build it with `cmake --build build`, or set server.console_dir"}});

    // main() blocked these signals before any thread existed, so only this sigwait sees them;
    // no handler runs, and the server is stopped from ordinary code.
    std::promise<int> received;
    std::thread waiter([&received] { received.set_value(waitForTerminationSignal()); });
    const int signal_number = received.get_future().get();
    waiter.join();

    log.log(LogLevel::info, "stopping", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server->stop();
    maintenance.stop();
    dispatcher.stop();
    log.log(LogLevel::info, "stopped");
    return exit_ok;
}

}  // namespace forgelink::cli
