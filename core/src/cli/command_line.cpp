#include "cli/command_line.hpp"

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <nlohmann/json.hpp>
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

namespace {

// Ends the process when the command's deadline passes. The thread is detached and touches nothing
// but what it was given (its own strings) and stdio, so a command that returns first simply exits.
void startDeadline(const std::string& command, unsigned seconds, bool json) {
    const auto due = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    const std::string message = "forgelink " + command + ": stopped: the command's deadline of " +
                                std::to_string(seconds) + " s passed before it finished (--deadline SECONDS sets it)";
    std::thread([due, message, json, command] {
        std::this_thread::sleep_until(due);
        std::fflush(stdout);  // what was printed so far stays printed
        if (json) {
            const nlohmann::json error = {
                {"ok", false},
                {"error", {{"kind", "deadline"}, {"code", "deadline_exceeded"}, {"message", message}}}};
            std::fprintf(stdout, "%s\n", error.dump(2).c_str());
            std::fflush(stdout);
        }
        std::fprintf(stderr, "%s\n", message.c_str());
        std::fflush(stderr);
        std::_Exit(exit_deadline);
    }).detach();
}

}  // namespace

bool parseCommandLine(const std::vector<std::string>& args, const CommandHelp& help,
                      const po::options_description& options, po::variables_map& values, int& exit_code) {
    po::options_description all = options;
    const bool has_deadline = help.name != "serve";
    if (has_deadline)
        all.add_options()("deadline", po::value<unsigned>()->default_value(kDefaultDeadlineSeconds)->value_name("SECONDS"),
                          "stop the command after SECONDS in all (exit code 5); 0 = no deadline");
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
    if (has_deadline) {
        const unsigned seconds = values["deadline"].as<unsigned>();
        bool json = false;
        if (values.count("json")) {
            // A bool_switch (provider verbs) or a bare flag (admin verbs).
            const auto& value = values["json"].value();
            if (const auto* flag = boost::any_cast<bool>(&value)) json = *flag;
            else json = true;  // a bare flag is only stored when given
        }
        if (seconds > 0) startDeadline(help.name, seconds, json);
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
