// What every command shares: option parsing, help text and usage errors.
#pragma once

#include <boost/program_options.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace forgelink::cli {

namespace po = boost::program_options;

// How a command presents itself in --help.
struct CommandHelp {
    std::string name;     // "token check"
    std::string usage;    // the synopsis after "forgelink <name> "
    std::string summary;  // one paragraph
    std::string example;  // one or more complete command lines
};

void printHelp(std::ostream& out, const CommandHelp& help, const po::options_description& options);

// Every command but serve ends within its overall deadline: --deadline SECONDS (default below; 0
// turns it off). When it passes, the command is stopped wherever it is (a forge that keeps paging,
// a stalled connection, a rate limit waited out), says so on stderr (and as a JSON error on stdout
// with --json), and the process exits with code 5 (exit_deadline).
constexpr unsigned kDefaultDeadlineSeconds = 600;

// Parses `args` (the words after the command name). Returns false after printing help (when
// --help was given: sets `exit_code` to 0) or a usage error to stderr (`exit_code` = 2).
bool parseCommandLine(const std::vector<std::string>& args, const CommandHelp& help,
                      const po::options_description& options, po::variables_map& values, int& exit_code);

// Prints "forgelink <command>: <message>" and a pointer to --help; returns exit code 2.
int usageError(const std::string& command, const std::string& message);

// Tokens must never be typed on a command line (shell history, the process list). Returns the
// offending argument's option name, or "" when there is none.
std::string findTokenArgument(const std::vector<std::string>& args);

// The whole file, or throws std::runtime_error naming the file and why.
std::string readFile(const std::string& path);

}  // namespace forgelink::cli

#include <optional>

#include "config/config.hpp"

namespace forgelink::cli {

// Loads and validates a configuration file; on failure prints every problem to stderr
// (one "file:line:column: message" per line) and returns std::nullopt.
std::optional<config::Config> loadConfigOrReport(const std::string& path);

// Where to load plugins from: the command line's --plugin-path values if any, else the
// configuration's plugins.paths if any, else plugin::defaultPluginPaths().
std::vector<std::string> choosePluginPaths(const std::vector<std::string>& from_command_line,
                                           const config::Config* config);

}  // namespace forgelink::cli
