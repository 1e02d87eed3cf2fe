#include "cli/command_line.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "cli/exit_code.hpp"
#include "common/strings.hpp"

namespace forgelink::cli {

void printHelp(std::ostream& out, const CommandHelp& help, const po::options_description& options) {
    out << "Usage: forgelink " << help.name << (help.usage.empty() ? "" : " ") << help.usage << "\n\n"
        << help.summary << "\n\n"
        << options << "\nExample:\n" << help.example << "\n";
}

bool parseCommandLine(const std::vector<std::string>& args, const CommandHelp& help,
                      const po::options_description& options, po::variables_map& values, int& exit_code) {
    po::options_description all = options;
    all.add_options()("help,h", "show this help and exit");
    try {
        // No command takes bare words: without this, Boost drops them silently ("teams list docs").
        const po::positional_options_description no_positional;
        po::store(po::command_line_parser(args).options(all).positional(no_positional).run(), values);
        if (values.count("help")) {
            printHelp(std::cout, help, all);
            exit_code = exit_ok;
            return false;
        }
        po::notify(values);
    } catch (const po::error& e) {
        exit_code = usageError(help.name, e.what());
        return false;
    }
    return true;
}

int usageError(const std::string& command, const std::string& message) {
    std::cerr << "forgelink " << command << ": " << message << "\n"
              << "Try 'forgelink " << command << " --help'.\n";
    return exit_usage;
}

std::string findTokenArgument(const std::vector<std::string>& args) {
    for (const auto& arg : args) {
        std::string name = arg.substr(0, arg.find('='));
        for (const char* refused : {"--token", "--access-token", "--private-token", "--password", "--client-secret"})
            if (name == refused) return name;
    }
    return "";
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace forgelink::cli

#include "config/config_loader.hpp"
#include "plugin/registry.hpp"

namespace forgelink::cli {

std::optional<config::Config> loadConfigOrReport(const std::string& path) {
    auto result = config::loadConfig(path);
    if (!result.ok()) {
        for (const auto& error : result.errors) std::cerr << common::escapeControls(error.toString()) << "\n";
        std::cerr << result.errors.size() << (result.errors.size() == 1 ? " problem" : " problems") << " in "
                  << path << "\n";
        return std::nullopt;
    }
    return std::move(result.config);
}

std::vector<std::string> choosePluginPaths(const std::vector<std::string>& from_command_line,
                                           const config::Config* config) {
    if (!from_command_line.empty()) return from_command_line;
    if (config != nullptr && !config->plugins.paths.empty()) return config->plugins.paths;
    return plugin::defaultPluginPaths();
}

}  // namespace forgelink::cli
