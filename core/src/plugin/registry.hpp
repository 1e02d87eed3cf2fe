// Loads provider plugins (Boost.DLL), checks their descriptors, and keeps every library loaded
// for the life of the host. Providers are destroyed before the libraries that made them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "forgelink/abi.h"
#include "forgelink/provider.hpp"

namespace forgelink::plugin {

struct PluginInfo {
    std::string name;           // provider name from the descriptor
    std::string version;
    std::uint32_t abi_version = 0;
    std::uint64_t capabilities = 0;
    std::string path;           // canonical path of the library
    // The descriptor's secret_token_prefixes (none from a revision-1 plugin); load() has added them
    // to common::Redactor::global().
    std::vector<std::string> secret_token_prefixes;
    // The forge's name as people write it ("My Forge"): the descriptor's display_name (revision 3),
    // else the provider name.
    std::string display_name;
};

// Names of the capability bits set in `caps`, e.g. {"token_validation", "repositories"}.
std::vector<std::string> capabilityNames(std::uint64_t caps);

struct LoadRefusal {
    std::string path;           // the file (or directory) concerned
    std::string message;        // "<path>: wrong ABI version: got 7, supported 1"
};

// Per-provider services (transport, logger, options) are made by the host through this
// factory, once per provider, and must outlive the provider.
class HostServicesFactory {
public:
    virtual ~HostServicesFactory() = default;
    virtual HostServices& servicesFor(const std::string& provider_name) = 0;
};

class Registry {
public:
    explicit Registry(HostServicesFactory& services);
    ~Registry();  // destroys providers, then lets libraries go (only at host exit)
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Loads every plugin file found at `path` (a library file, or a directory scanned for
    // lib*.so). Refusals are collected, not thrown; the plugins that loaded stay usable. Each
    // plugin's secret token prefixes go to the process's log redactor before its create runs.
    void load(const std::string& path);

    const std::vector<LoadRefusal>& refusals() const noexcept { return refusals_; }
    std::vector<PluginInfo> plugins() const;           // sorted by name
    const PluginInfo* info(const std::string& name) const;
    // The provider, or nullptr when no plugin of that name loaded. Owned by the registry.
    Provider* provider(const std::string& name) const;

private:
    struct Loaded;
    void loadFile(const std::string& path);
    void refuse(const std::string& path, const std::string& problem);
    bool alreadyOpened(const std::string& canonical_path) const;

    HostServicesFactory& services_;
    std::vector<LoadRefusal> refusals_;
    std::map<std::string, std::unique_ptr<Loaded>> loaded_;
    // Libraries that were opened but refused: their static initialisers ran, so they stay loaded
    // until the registry goes, like every other library (never unload while the host runs).
    std::vector<std::unique_ptr<Loaded>> opened_only_;
};

// The directories searched when the configuration names none: the build tree's plugins/
// (next to the executable's directory) and <prefix>/lib/<multiarch>/forgelink/plugins.
std::vector<std::string> defaultPluginPaths();

}  // namespace forgelink::plugin
