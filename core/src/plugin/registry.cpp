// The only file that touches Boost.DLL (see PITFALLS: 1.74 names, throwing overloads, lifetimes).
//
// Loading a plugin registers the prefixes of its secrets with the process's log redactor
// (common::Redactor::global()), so every JsonLogger and common::redact() masks them from then on.
//
// Threads: load() is meant for start-up, from one thread. Once loading is done the const lookups
// (plugins, info, provider) may be called from any number of threads.
#include "plugin/registry.hpp"

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <exception>
#include <filesystem>
#include <system_error>

#include "common/log.hpp"
#include "forgelink/plugin.hpp"
#include "plugin/descriptor_check.hpp"
#include "plugin/path_safety.hpp"
#include "plugin/plugin_paths.hpp"

namespace forgelink::plugin {

namespace fs = std::filesystem;

struct Registry::Loaded {
    boost::dll::shared_library library;
    const forgelink_plugin_descriptor* descriptor = nullptr;
    Provider* provider = nullptr;  // null for a library kept open only because it was opened
    PluginInfo info;
};

namespace {

constexpr std::size_t kCreateErrorSize = 1024;

// Boost.DLL's what() wraps dlerror() in its own words: keep only dlerror's text, without the path
// it repeats (the refusal names the file already).
std::string dlerrorText(const std::string& what, const std::string& path) {
    static const std::string kMarker = "(dlerror system message: ";
    const auto begin = what.find(kMarker);
    if (begin == std::string::npos) return what;
    const auto start = begin + kMarker.size();
    auto end = what.rfind(')');
    if (end == std::string::npos || end < start) end = what.size();
    std::string text = what.substr(start, end - start);
    if (text.rfind(path + ": ", 0) == 0) text.erase(0, path.size() + 2);
    return text;
}

bool looksLikePlugin(const fs::path& file) {
    const std::string name = file.filename().string();
    return name.size() > 6 && name.rfind("lib", 0) == 0 && file.extension() == ".so";
}

}  // namespace

Registry::Registry(HostServicesFactory& services) : services_(services) {}

Registry::~Registry() {
    // Every provider goes before any library: its code, vtable and type_info live in the library.
    for (auto& [name, loaded] : loaded_) {
        if (loaded->provider == nullptr) continue;
        try {
            loaded->descriptor->destroy(loaded->provider);
        } catch (...) {
            // destroy must not throw; a plugin that does cannot be helped at exit.
        }
        loaded->provider = nullptr;
    }
    loaded_.clear();
    opened_only_.clear();
}

void Registry::refuse(const std::string& path, const std::string& problem) {
    refusals_.push_back(LoadRefusal{path, path.empty() ? problem : path + ": " + problem});
}

bool Registry::alreadyOpened(const std::string& canonical_path) const {
    for (const auto& [name, loaded] : loaded_) {
        if (loaded->info.path == canonical_path) return true;
    }
    return std::any_of(opened_only_.begin(), opened_only_.end(),
                       [&](const auto& loaded) { return loaded->info.path == canonical_path; });
}

void Registry::load(const std::string& path) {
    if (path.empty()) {
        refuse(path, "empty plugin path");  // nothing to name
        return;
    }
    std::error_code ec;
    const fs::path target = fs::absolute(path, ec).lexically_normal();
    if (ec) {
        refuse(path, "cannot resolve path: " + ec.message());
        return;
    }
    const fs::file_status status = fs::status(target, ec);
    if (!fs::exists(status)) {
        refuse(target.string(), ec && ec != std::errc::no_such_file_or_directory
                                    ? "cannot inspect: " + ec.message()
                                    : std::string("no such file or directory"));
        return;
    }
    if (!fs::is_directory(status)) {
        loadFile(target.string());
        return;
    }

    if (auto problem = unsafeLocation(target, PathKind::directory)) {
        refuse(target.string(), *problem);
        return;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(target, ec), end; !ec && it != end; it.increment(ec)) {
        if (looksLikePlugin(it->path())) files.push_back(it->path());
    }
    if (ec) {
        refuse(target.string(), "cannot list directory: " + ec.message());
        return;
    }
    // Sorted, so the first of two plugins with the same provider name is always the same one.
    std::sort(files.begin(), files.end());
    for (const auto& file : files) loadFile(file.string());
}

void Registry::loadFile(const std::string& path) {
    if (auto problem = unsafeLocation(path, PathKind::regular_file)) {
        refuse(path, *problem);
        return;
    }
    std::error_code ec;
    const std::string canonical = fs::canonical(path, ec).string();
    if (ec) {
        refuse(path, "cannot resolve path: " + ec.message());
        return;
    }
    // The same file reached twice (a directory and a file entry, or two default paths) is one plugin.
    if (alreadyOpened(canonical)) return;

    auto loaded = std::make_unique<Loaded>();
    loaded->info.path = canonical;
    try {
        loaded->library.load(boost::dll::fs::path(canonical),
                             boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        refuse(path, "cannot load: " + dlerrorText(e.what(), canonical));
        return;
    }

    // From here on the library stays open until the registry goes, refused or not: its static
    // initialisers have run and whatever they set up must not lose its code under it.
    auto keepOpen = [&] { opened_only_.push_back(std::move(loaded)); };

    if (!loaded->library.has(FORGELINK_PLUGIN_SYMBOL)) {
        keepOpen();
        refuse(path, "does not export " FORGELINK_PLUGIN_SYMBOL ": not a Forgelink plugin");
        return;
    }
    const forgelink_plugin_descriptor* descriptor = nullptr;
    try {
        // A function symbol: get<signature>, not get<pointer> (a wrong type segfaults, PITFALLS).
        descriptor = loaded->library.get<const forgelink_plugin_descriptor*()>(FORGELINK_PLUGIN_SYMBOL)();
    } catch (const std::exception& e) {
        keepOpen();
        refuse(path, FORGELINK_PLUGIN_SYMBOL " failed: " + dlerrorText(e.what(), canonical));
        return;
    }
    if (auto problem = checkDescriptor(descriptor, FORGELINK_BUILD_FINGERPRINT)) {
        keepOpen();
        refuse(path, *problem);
        return;
    }
    const std::string name = descriptor->provider_name;
    if (auto it = loaded_.find(name); it != loaded_.end()) {
        keepOpen();
        refuse(path, "duplicate provider name '" + name + "': already loaded from " + it->second->info.path);
        return;
    }

    // Before create: from here on the plugin may log, and its secrets must already be masked. The
    // shapes stay registered even if create fails (masking a little more is harmless).
    auto prefixes = secretTokenPrefixes(descriptor);  // checkDescriptor has vetted them
    if (prefixes) common::Redactor::global().addTokenPrefixes(prefixes.value());

    std::string failure;
    void* made = nullptr;
    try {
        HostServices& services = services_.servicesFor(name);
        char error[kCreateErrorSize] = {};
        made = descriptor->create(&services, error, sizeof error);
        error[sizeof error - 1] = '\0';  // a plugin that forgot the terminator must not run us off the end
        if (made == nullptr) failure = "create failed: " + std::string(error[0] != '\0' ? error : "no message given");
    } catch (const std::exception& e) {
        failure = std::string("create threw (it must return NULL with a message instead): ") + e.what();
    } catch (...) {
        failure = "create threw a non-standard exception (it must return NULL with a message instead)";
    }
    if (made == nullptr) {
        keepOpen();
        refuse(path, failure);
        return;
    }

    loaded->descriptor = descriptor;
    loaded->provider = static_cast<Provider*>(made);
    loaded->info.name = name;
    loaded->info.version = descriptor->plugin_version;
    loaded->info.abi_version = descriptor->abi_version;
    loaded->info.capabilities = descriptor->capabilities;
    if (prefixes) loaded->info.secret_token_prefixes = std::move(prefixes.value());
    auto display = displayName(descriptor);  // vetted by checkDescriptor too
    loaded->info.display_name = display && !display.value().empty() ? display.value() : name;
    loaded_.emplace(name, std::move(loaded));
}

std::vector<PluginInfo> Registry::plugins() const {
    std::vector<PluginInfo> infos;
    infos.reserve(loaded_.size());
    for (const auto& [name, loaded] : loaded_) infos.push_back(loaded->info);  // the map keeps them sorted
    return infos;
}

const PluginInfo* Registry::info(const std::string& name) const {
    const auto it = loaded_.find(name);
    return it == loaded_.end() ? nullptr : &it->second->info;
}

Provider* Registry::provider(const std::string& name) const {
    const auto it = loaded_.find(name);
    return it == loaded_.end() ? nullptr : it->second->provider;
}

std::vector<std::string> defaultPluginPaths() {
    boost::dll::fs::error_code ec;
    const auto executable = boost::dll::program_location(ec);
    if (ec) return {};
    return pluginDirsForExecutable(executable.string(), FORGELINK_BUILD_ROOT, FORGELINK_BUILD_PLUGIN_DIR,
                                   FORGELINK_INSTALL_PLUGIN_DIR);
}

}  // namespace forgelink::plugin
