// Everything a provider verb (token check, namespaces, repos, feedback) needs to call one
// plugin directly, without a running host: configuration (optional), plugins, services,
// the provider, and the credentials read from an environment variable or a file.
#pragma once

#include <nlohmann/json.hpp>

#include <forgelink/provider.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cli/command_line.hpp"
#include "cli/host_services.hpp"
#include "common/listing_bounds.hpp"
#include "config/config.hpp"
#include "plugin/registry.hpp"

namespace forgelink::cli {

// Adds --provider, --base-url, --token-env, --token-file, --config, --plugin-path and --json.
void addProviderOptions(po::options_description& options);

class ProviderSession {
public:
    // Returns nullptr after reporting why (and setting `exit_code`).
    static std::unique_ptr<ProviderSession> open(const po::variables_map& values, const std::string& command,
                                                 int& exit_code);
    ~ProviderSession();

    Provider& provider() const noexcept { return *provider_; }
    const Credentials& credentials() const noexcept { return credentials_; }
    const std::string& name() const noexcept { return name_; }
    const config::Config* config() const noexcept { return config_ ? &*config_ : nullptr; }
    bool json() const noexcept { return json_; }
    // forge.max_listing_pages / max_listing_items of --config, or their defaults.
    common::ListingBounds listingBounds() const noexcept;

    // False after reporting "unsupported" when the plugin does not declare `capability`.
    bool supports(std::uint64_t capability, const std::string& what, int& exit_code);

    // Prints the error (JSON on stdout with --json, else text on stderr); returns its exit code.
    // `extra` fields are merged into the JSON document.
    int report(const Error& error, const nlohmann::json& extra = nlohmann::json::object()) const;

private:
    ProviderSession() = default;
    std::string command_;
    std::string name_;
    bool json_ = false;
    std::optional<config::Config> config_;
    // Declared in this order so the registry (and its providers) goes before their services.
    std::unique_ptr<HostServicesPool> services_;
    std::unique_ptr<plugin::Registry> registry_;
    Provider* provider_ = nullptr;
    const plugin::PluginInfo* info_ = nullptr;
    Credentials credentials_;
};

// Prints a provider Error as text to stderr: "<command>: <provider> said <kind> (<code>): message".
void printErrorText(const std::string& command, const std::string& provider, const Error& error);

}  // namespace forgelink::cli
