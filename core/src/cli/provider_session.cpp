#include "cli/provider_session.hpp"

#include <cstdlib>
#include <iostream>

#include <forgelink/support/http_text.hpp>

#include "cli/exit_code.hpp"
#include "cli/json_output.hpp"
#include "common/strings.hpp"

namespace forgelink::cli {

void addProviderOptions(po::options_description& options) {
    options.add_options()
        ("provider", po::value<std::string>()->required()->value_name("NAME"), "the provider plugin to use")
        ("base-url", po::value<std::string>()->value_name("URL"),
         "the forge instance (default: providers.NAME.base_url from --config)")
        ("token-env", po::value<std::string>()->value_name("VAR"), "read the token from this environment variable")
        ("token-file", po::value<std::string>()->value_name("PATH"), "read the token from this file")
        ("config,c", po::value<std::string>()->value_name("FILE"),
         "a configuration: provider options, base URL, plugin paths, instance id")
        ("plugin-path,p", po::value<std::vector<std::string>>()->composing()->value_name("PATH"),
         "a plugin file or directory (repeatable; default: plugins.paths, then the defaults)")
        ("json", po::bool_switch(), "print JSON (see docs/cli.md)");
}

void printErrorText(const std::string& command, const std::string& provider, const Error& error) {
    std::cerr << "forgelink " << command << ": " << provider << ": " << toString(error.kind);
    if (!error.code.empty()) std::cerr << " (" << common::escapeControls(error.code) << ")";
    if (error.http_status != 0) std::cerr << " [HTTP " << error.http_status << "]";
    std::cerr << ": " << common::escapeControls(error.message) << "\n";
    if (!error.missing_scopes.empty()) {
        std::cerr << "  missing scopes:";
        for (const auto& s : error.missing_scopes) std::cerr << " " << common::escapeControls(s);
        std::cerr << "\n";
    }
    if (error.retry_after) std::cerr << "  retry after " << error.retry_after->count() << " s\n";
}

int ProviderSession::report(const Error& error, const nlohmann::json& extra) const {
    if (json_) {
        nlohmann::json out = {{"ok", false}, {"provider", name_}, {"error", toJson(error)}};
        out.update(extra);
        printJson(std::cout, out);
    } else {
        printErrorText(command_, name_, error);
    }
    return exitCodeFor(error.kind);
}

common::ListingBounds ProviderSession::listingBounds() const noexcept {
    common::ListingBounds bounds;
    if (config_) {
        bounds.max_pages = config_->forge.max_listing_pages;
        bounds.max_items = config_->forge.max_listing_items;
    }
    return bounds;
}

bool ProviderSession::supports(std::uint64_t capability, const std::string& what, int& exit_code) {
    if ((info_->capabilities & capability) != 0) return true;
    exit_code = report(makeError(ErrorKind::unsupported,
                                 "the " + name_ + " plugin (" + info_->path + ") does not declare " + what,
                                 "unsupported"));
    return false;
}

ProviderSession::~ProviderSession() = default;

std::unique_ptr<ProviderSession> ProviderSession::open(const po::variables_map& values, const std::string& command,
                                                       int& exit_code) {
    std::unique_ptr<ProviderSession> session(new ProviderSession());
    session->command_ = command;
    session->name_ = values["provider"].as<std::string>();
    session->json_ = values["json"].as<bool>();

    const bool has_env = values.count("token-env") != 0;
    const bool has_file = values.count("token-file") != 0;
    if (has_env == has_file) {
        exit_code = usageError(command, "give exactly one of --token-env VAR and --token-file PATH");
        return nullptr;
    }

    if (values.count("config")) {
        session->config_ = loadConfigOrReport(values["config"].as<std::string>());
        if (!session->config_) {
            exit_code = exit_invalid_input;
            return nullptr;
        }
    }
    const config::Config* config = session->config();

    std::string base_url;
    if (values.count("base-url")) {
        base_url = values["base-url"].as<std::string>();
    } else if (config != nullptr && config->providers.count(session->name_)) {
        base_url = config->providers.at(session->name_).base_url;
    } else {
        exit_code = usageError(command, "--base-url is required unless --config defines providers." +
                                            session->name_ + ".base_url");
        return nullptr;
    }

    // The token is read before any plugin code runs, and never printed.
    std::string token;
    if (has_env) {
        const auto var = values["token-env"].as<std::string>();
        const char* value = std::getenv(var.c_str());
        if (value == nullptr || *value == '\0') {
            exit_code = session->report(makeError(ErrorKind::invalid_input,
                                                  "environment variable " + var + (value ? " is empty" : " is not set") +
                                                      "; export the token in it first",
                                                  "token_unavailable"));
            return nullptr;
        }
        token = std::string(support::trimSpace(value));  // `export T=$(cat file)` keeps no newline, other ways may
    } else {
        const auto path = values["token-file"].as<std::string>();
        try {
            token = readFile(path);
        } catch (const std::exception& e) {
            exit_code = session->report(makeError(ErrorKind::invalid_input, e.what(), "token_unavailable"));
            return nullptr;
        }
        token = std::string(support::trimSpace(token));  // editors add a final newline
        if (token.empty()) {
            exit_code = session->report(makeError(ErrorKind::invalid_input, path + ": the token file is empty",
                                                  "token_unavailable"));
            return nullptr;
        }
    }
    // A token with CR or LF would add headers to every forge request; never echo it.
    if (!common::isValidToken(token)) {
        exit_code = session->report(makeError(
            ErrorKind::invalid_input,
            std::string(has_env ? "environment variable " + values["token-env"].as<std::string>()
                                : "token file " + values["token-file"].as<std::string>()) +
                ": the token must be 1 to " + std::to_string(common::kMaxTokenLength) +
                " printable ASCII characters (no spaces, control characters or non-ASCII)",
            "token_invalid"));
        return nullptr;
    }
    session->credentials_ = Credentials{base_url, token};

    std::vector<std::string> cli_paths;
    if (values.count("plugin-path")) cli_paths = values["plugin-path"].as<std::vector<std::string>>();
    const auto paths = choosePluginPaths(cli_paths, config);
    session->services_ = std::make_unique<HostServicesPool>(config, LogLevel::warn,
                                                           HostServicesPool::Reach::anything_unless_configured);
    session->registry_ = std::make_unique<plugin::Registry>(*session->services_);
    for (const auto& path : paths) session->registry_->load(path);

    session->provider_ = session->registry_->provider(session->name_);
    session->info_ = session->registry_->info(session->name_);
    if (session->provider_ == nullptr || session->info_ == nullptr) {
        std::string message = "no plugin provides '" + session->name_ + "'; loaded:";
        const auto plugins = session->registry_->plugins();
        for (const auto& p : plugins) message += " " + p.name;
        if (plugins.empty()) message += " (none)";
        message += "; searched:";
        for (const auto& p : paths) message += " " + p;
        for (const auto& r : session->registry_->refusals()) message += "; refused: " + r.message;
        exit_code = session->report(makeError(ErrorKind::invalid_input, message, "unknown_provider"));
        return nullptr;
    }
    return session;
}

}  // namespace forgelink::cli
