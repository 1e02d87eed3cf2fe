#include <iostream>
#include <optional>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/host_services.hpp"
#include "cli/json_output.hpp"
#include "common/strings.hpp"

namespace forgelink::cli {

int runPlugins(const Args& args) {
    const CommandHelp help{
        "plugins", "[--config FILE] [--plugin-path PATH ...] [--json]",
        "Loads the provider plugins and lists each one: name, version, ABI version, capabilities and\n"
        "file. Plugins the loader refused are listed with the reason (on stderr in text mode).\n"
        "Paths come from --plugin-path, else the configuration's plugins.paths, else the defaults.\n"
        "Exit 0 when every plugin found loaded, 3 when any was refused, 1 for a bad configuration.",
        "  forgelink plugins --plugin-path build/plugins --json"};
    po::options_description options("Options");
    options.add_options()
        ("config,c", po::value<std::string>()->value_name("FILE"), "take plugins.paths from this configuration")
        ("plugin-path,p", po::value<std::vector<std::string>>()->composing()->value_name("PATH"),
         "a plugin file or a directory of lib*.so (repeatable)")
        ("json", po::bool_switch(), "print JSON (see docs/cli.md)");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;

    std::optional<config::Config> config;
    if (values.count("config")) {
        config = loadConfigOrReport(values["config"].as<std::string>());
        if (!config) return exit_invalid_input;
    }
    const bool json = values["json"].as<bool>();
    std::vector<std::string> cli_paths;
    if (values.count("plugin-path")) cli_paths = values["plugin-path"].as<std::vector<std::string>>();
    const auto paths = choosePluginPaths(cli_paths, config ? &*config : nullptr);

    HostServicesPool services(config ? &*config : nullptr, LogLevel::warn,
                              HostServicesPool::Reach::anything_unless_configured);
    plugin::Registry registry(services);
    for (const auto& path : paths) registry.load(path);
    const auto plugins = registry.plugins();
    const auto& refusals = registry.refusals();

    if (json) {
        nlohmann::json out = {{"plugins", nlohmann::json::array()},
                              {"refused", nlohmann::json::array()},
                              {"searched", paths}};
        for (const auto& p : plugins) out["plugins"].push_back(toJson(p));
        for (const auto& r : refusals) out["refused"].push_back(toJson(r));
        printJson(std::cout, out);
    } else {
        if (plugins.empty()) {
            std::cout << "no plugins loaded; searched:";
            for (const auto& p : paths) std::cout << " " << common::escapeControls(p);
            if (paths.empty()) std::cout << " (no default plugin directory exists)";
            std::cout << "\n";
        }
        for (const auto& p : plugins) {
            std::cout << common::escapeControls(p.name) << " " << common::escapeControls(p.version) << "  ABI " << p.abi_version << "  capabilities: ";
            const auto caps = plugin::capabilityNames(p.capabilities);
            for (std::size_t i = 0; i < caps.size(); ++i) std::cout << (i ? ", " : "") << caps[i];
            if (caps.empty()) std::cout << "(none)";
            std::cout << "\n  " << common::escapeControls(p.path) << "\n";
        }
        for (const auto& r : refusals) std::cerr << "refused: " << common::escapeControls(r.message) << "\n";
    }
    return refusals.empty() ? exit_ok : exit_refused;
}

}  // namespace forgelink::cli
