#include <algorithm>
#include <csignal>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <pthread.h>
#include <thread>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/host_services.hpp"
#include "cli/json_output.hpp"
#include "cli/serve_reload.hpp"
#include "cli/service_manager.hpp"
#include "cli/termination_signals.hpp"
#include "common/strings.hpp"
#include "config/config_loader.hpp"
#include "net/http_server.hpp"
#include "secrets/key_file.hpp"
#include "delivery/dispatcher.hpp"
#include "service/api_service.hpp"
#include "service/maintenance.hpp"
#include "service/notice_sender.hpp"
#include "cli/store_opening.hpp"

namespace forgelink::cli {

namespace {

// SIGHUP: re-reads the file `running` came from and applies what can change without a restart.
// `running` itself stays as it was (the parts in use were built from it).
void reloadConfiguration(const config::Config& running, common::JsonLogger& log,
                         const std::function<void(service::AdminTokens)>& replace_admin_tokens) {
    log.log(LogLevel::info, "reloading the configuration", {{"file", running.source_file}});
    auto next = config::loadConfig(running.source_file);
    if (!next.ok()) {
        std::string problems;
        for (const auto& error : next.errors) problems += (problems.empty() ? "" : "; ") + error.toString();
        log.log(LogLevel::error, "the configuration is invalid; nothing changed, the host keeps running as it was",
                {{"file", running.source_file}, {"problems", problems}});
        return;
    }
    const config::Config& fresh = *next.config;
    std::map<std::string, std::string> applied;
    const LogLevel old_level = log.sink().minLevel();
    const LogLevel new_level = parseLogLevel(fresh.logging.level);
    if (new_level != old_level) {
        log.sink().setMinLevel(new_level);
        applied["logging.level"] = std::string(common::logLevelName(old_level)) + " -> " +
                                   std::string(common::logLevelName(new_level));
    }
    auto tokens = service::AdminTokens::fromConfig(fresh.admin);
    if (tokens.ok()) {
        applied["admin_tokens"] = std::to_string(tokens.value().size());
        replace_admin_tokens(std::move(tokens).value());
    } else {
        log.log(LogLevel::error, "admin tokens not reloaded; the previous ones stay valid",
                {{"reason", tokens.error().message}});
    }
    if (auto keys = keysNeedingRestart(running, fresh); !keys.empty()) {
        std::string list;
        for (const auto& key : keys) list += (list.empty() ? "" : ", ") + key;
        log.log(LogLevel::warn, "changed settings take effect only after a restart", {{"keys", list}});
    }
    log.log(LogLevel::info, "configuration reloaded", applied);
}

}  // namespace

int runServe(const Args& args) {
    const CommandHelp help{
        "serve", "--config FILE",
        // As --help prints it (and the man page made from it).
        R"(Validates the configuration (exit 1 with every problem), loads the provider plugins, and
serves HTTP on server.listen until SIGINT or SIGTERM, then stops cleanly and exits 0.
SIGHUP re-reads the configuration file: logging.level and the admin tokens (admin.*, the
tokens file re-read) change at once; other changed keys are logged as needing a restart,
and an invalid file is logged and ignored. Under systemd (Type=notify) it reports READY=1
once the store, plugins and listener are up, RELOADING=1 and STOPPING=1.
GET /healthz answers {"status":"ok","plugins":[...]}; the REST API is under /api/v1
(docs/openapi.yaml); every other path is the web console, from server.console_dir (default
<dir of forgelink>/../share/forgelink/console; a warning when it is not built).
Build feedback is delivered from the store's outbox; on start, deliveries a killed earlier
process of this machine left in flight are resumed at once. Once a minute,
login tokens expiring within 10 minutes are refreshed, and expired sessions, login states and
week-old finished deliveries are purged.
Logs go to stdout, one JSON object per line (the journal keeps them as they are), secrets
masked; --log-format text writes one readable line each instead, for a terminal. Problems
found before the host starts (configuration, key, store) go to stderr.
Exit 1 also without the secrets key.
Exit 3 when a plugin listed in plugins.required did not load, 4 when it cannot listen.)",
        "  forgelink serve --config config/forgelink.yaml"};
    po::options_description options("Options");
    options.add_options()("config,c", po::value<std::string>()->required()->value_name("FILE"),
                          "the configuration file")(
        "log-format", po::value<std::string>()->default_value("json")->value_name("FORMAT"),
        "json: one JSON object per line on stdout; text: one readable line each");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;

    const auto log_format = common::parseLogFormat(values["log-format"].as<std::string>());
    if (!log_format)
        return usageError("serve", "--log-format '" + values["log-format"].as<std::string>() +
                                       "' is not a log format; expected json or text");

    auto config = loadConfigOrReport(values["config"].as<std::string>());
    if (!config) return exit_invalid_input;

    const LogLevel level = parseLogLevel(config->logging.level);
    auto log_sink = std::make_shared<common::LogSink>(std::cout, *log_format, level);
    common::JsonLogger log("host", log_sink);

    HostServicesPool services(&*config, log_sink);
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
    auto store = openConfiguredStore(config->store, box);
    if (!store.ok()) {
        std::cerr << "forgelink serve: cannot open the store, " << describeStore(config->store) << ": "
                  << store.error().message << "\n";
        return exitCodeFor(store.error().kind);
    }
    log.log(LogLevel::info, "store opened", {{"driver", config->store.driver}, {"store", describeStore(config->store)}});
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
    delivery_options.workers = config->feedback.delivery_workers;
    delivery_options.poll_interval = std::chrono::milliseconds(config->feedback.poll_interval_ms);
    delivery::Dispatcher dispatcher(*store.value(), registry, services.metrics(), log, delivery_options);
    // feedback.delivery_workers 0: this host only accepts; other hosts on the database deliver.
    const bool delivering = config->feedback.delivery_workers > 0;
    if (delivering) dispatcher.start();
    else log.log(LogLevel::info, "delivery is off on this host (feedback.delivery_workers: 0)");
    // On PostgreSQL, a change another host took wakes this host's dispatcher at once (NOTIFY).
    // Declared after the dispatcher: stops before it.
    auto outbox_watcher = delivering ? watchOutbox(config->store, [&dispatcher] { dispatcher.wake(); })
                                     : Result<std::unique_ptr<OutboxWatcher>>(std::unique_ptr<OutboxWatcher>());
    if (!outbox_watcher.ok()) {
        std::cerr << "forgelink serve: " << outbox_watcher.error().message << "\n";
        return exitCodeFor(outbox_watcher.error().kind);
    }

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

    // Delivers notices to teams' notification webhooks (token invalid, expiring, rotated), under
    // the same host policy as forge base URLs: public addresses unless notifications.allowed_hosts
    // lists more. Stops before the store closes, like the dispatcher.
    net::ClientLimits webhook_limits;
    webhook_limits.max_answer_bytes = 64 << 10;
    webhook_limits.hosts = std::make_shared<common::HostPolicy>(config->notifications.allowed_hosts);
    webhook_limits.config_key = "notifications.allowed_hosts";
    webhook_limits.note_unreachable = [&log](const std::string& reason) {
        // The client's reason names the URL's path: a Slack webhook's secret. Only the fact is logged.
        (void)reason;
        log.log(LogLevel::warn, "a team's notification webhook is unreachable or its address is not allowed",
                {{"config_key", "notifications.allowed_hosts"}});
    };
    auto webhook_client = net::makeHttpClient(net::ProxySettings::fromEnvironment(), std::move(webhook_limits));
    service::NoticeSender notice_sender(*store.value(), *webhook_client, services.metrics(), log);
    notice_sender.start();

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
    // What the server refuses before any route runs is counted apart from the API's own answers:
    // both label sets are bounded (a fixed list of statuses and codes).
    services.metrics().describe("forgelink_http_refused_total", "counter",
                                "Requests the HTTP server refused itself before any route ran (limits, malformed "
                                "HTTP, too many connections), by status and error code");
    server_options.on_refused = [&metrics = services.metrics()](int status, const std::string& code) {
        metrics.increment("forgelink_http_refused_total", {{"status", std::to_string(status)}, {"code", code}});
    };
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

    std::string plugin_names;
    for (const auto& info : registry.plugins()) plugin_names += (plugin_names.empty() ? "" : ", ") + info.name;
    const std::string ready_status =
        "serving on " + server->baseUrl() + " (plugins: " + (plugin_names.empty() ? "none" : plugin_names) + ")";
    if (serviceManagerListening() && !serviceNotifySupported())
        log.log(LogLevel::warn, "NOTIFY_SOCKET is set but this forgelink was built without libsystemd: readiness "
                                "is not reported",
                {{"fix", "rebuild with libsystemd-dev installed, or use Type=simple"}});
    notifyReady(ready_status);

    // main() blocked these signals before any thread existed, so only this sigwait sees them;
    // no handler runs: reloads and the stop happen in ordinary code.
    int signal_number = 0;
    while ((signal_number = waitForServeSignal()) == SIGHUP) {
        notifyReloading();
        reloadConfiguration(*config, log, [&api](service::AdminTokens tokens) {
            api.replaceAdminTokens(std::move(tokens));
        });
        notifyReady(ready_status);
    }

    notifyStopping();
    log.log(LogLevel::info, "stopping", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server->stop();
    maintenance.stop();
    notice_sender.stop();
    dispatcher.stop();
    log.log(LogLevel::info, "stopped");
    return exit_ok;
}

}  // namespace forgelink::cli
