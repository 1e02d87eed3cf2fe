// forgelink: the host's command line. Dispatches to one function per command (commands.hpp).
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility> (C++20 builds).
#include <utility>


#include <forgelink/abi.h>

#include <exception>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/termination_signals.hpp"
#include "config/closest_match.hpp"

namespace {

using forgelink::cli::Args;

struct Command {
    int (*run)(const Args&);
    const char* summary;
};

// Commands under a group word ("config check", "token check") are keyed by both words.
const std::map<std::string, Command>& commands() {
    static const std::map<std::string, Command> table = {
        {"serve", {forgelink::cli::runServe, "validate the configuration, load plugins and serve HTTP"}},
        {"plugins", {forgelink::cli::runPlugins, "list the provider plugins and the ones refused"}},
        {"config check", {forgelink::cli::runConfigCheck, "validate a configuration file"}},
        {"token check", {forgelink::cli::runTokenCheck, "ask a forge what a token can do"}},
        {"namespaces", {forgelink::cli::runNamespaces, "list the namespaces a token can see"}},
        {"repos", {forgelink::cli::runRepos, "list the repositories a token can reach"}},
        {"feedback", {forgelink::cli::runFeedback, "publish a commit status and a merge request comment"}},
        {"keygen", {forgelink::cli::runKeygen, "write a new key for sealing stored secrets"}},
        {"rekey", {forgelink::cli::runRekey, "re-seal every stored secret with a new key"}},
        {"migrate", {forgelink::cli::runMigrate, "apply the store's schema migrations (SQLite or PostgreSQL)"}},
        {"store copy", {forgelink::cli::runStoreCopy, "copy every row of one store into another, empty one"}},
        {"admin", {forgelink::cli::runAdmin, "call the REST API as an operator (teams, providers, projects...)"}},
    };
    return table;
}

void printUsage(std::ostream& out) {
    out << "Usage: forgelink COMMAND [OPTIONS]\n\n"
           "Forgelink connects builds to Git forges through provider plugins.\n\nCommands:\n";
    for (const auto& [name, command] : commands()) {
        out << "  " << name << std::string(name.size() < 14 ? 14 - name.size() : 1, ' ') << command.summary << "\n";
    }
    out << "\nOptions:\n  -h [ --help ]     show this help\n  --version         show the version\n\n"
           "'forgelink COMMAND --help' describes a command, with an example:\n"
           "  forgelink serve --help\n\n"
           "Exit codes: 0 ok, 1 invalid input or configuration, 2 usage error, 3 refused (by a forge\n"
           "or the plugin loader), 4 transient or internal error, 5 the command's deadline passed\n"
           "(--deadline SECONDS, default 600, every command but serve). See docs/cli.md.\n";
}

int unknownCommand(const std::string& word) {
    std::vector<std::string> names;
    for (const auto& [name, command] : commands()) names.push_back(name.substr(0, name.find(' ')));
    std::cerr << "forgelink: unknown command '" << word << "'";
    if (auto near = forgelink::config::closestMatch(word, names)) std::cerr << "; did you mean '" << *near << "'?";
    std::cerr << "\nTry 'forgelink --help'.\n";
    return forgelink::cli::exit_usage;
}

int dispatch(const Args& words) {
    if (words.empty()) {
        printUsage(std::cerr);
        return forgelink::cli::exit_usage;
    }
    const std::string& first = words[0];
    if (first == "--help" || first == "-h" || first == "help") {
        printUsage(std::cout);
        return forgelink::cli::exit_ok;
    }
    if (first == "--version") {
        std::cout << "forgelink " << FORGELINK_VERSION << " (plugin ABI " << FORGELINK_ABI_VERSION << ")\n";
        return forgelink::cli::exit_ok;
    }
    if (auto token = forgelink::cli::findTokenArgument(words); !token.empty()) {
        std::cerr << "forgelink: " << token
                  << " is refused: secrets are never accepted as arguments, because they end up in shell history\n"
                     "and in the process list. Put the token in an environment variable and pass --token-env VAR,\n"
                     "or in a file readable only by you and pass --token-file PATH.\n";
        return forgelink::cli::exit_usage;
    }
    const auto& table = commands();
    if (auto it = table.find(first); it != table.end()) return it->second.run(Args(words.begin() + 1, words.end()));

    // A group word: "config check", "token check".
    bool is_group = false;
    for (const auto& [name, command] : table) is_group = is_group || name.rfind(first + " ", 0) == 0;
    if (!is_group) return unknownCommand(first);
    if (words.size() >= 2) {
        if (auto it = table.find(first + " " + words[1]); it != table.end())
            return it->second.run(Args(words.begin() + 2, words.end()));
    }
    const bool asked_help = words.size() >= 2 && (words[1] == "--help" || words[1] == "-h");
    std::ostream& out = asked_help ? std::cout : std::cerr;
    if (!asked_help && words.size() >= 2) out << "forgelink " << first << ": unknown subcommand '" << words[1] << "'\n";
    out << "Usage:\n";
    for (const auto& [name, command] : table)
        if (name.rfind(first + " ", 0) == 0) out << "  forgelink " << name << "  " << command.summary << "\n";
    out << "Try 'forgelink " << table.lower_bound(first + " ")->first << " --help'.\n";
    return asked_help ? forgelink::cli::exit_ok : forgelink::cli::exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
    Args words(argv + 1, argv + argc);
    // Only serve waits for signals; other commands keep the default: Ctrl-C ends them at once.
    // The mask must be set before any thread exists (the HTTP client's and server's I/O threads) so
    // every thread inherits it.
    if (!words.empty() && words[0] == "serve") forgelink::cli::blockTerminationSignals();
    try {
        return dispatch(words);
    } catch (const std::exception& e) {
        std::cerr << "forgelink: internal error: " << e.what() << "\n";
        return forgelink::cli::exit_internal;
    }
}
