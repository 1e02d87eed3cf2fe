#include <iostream>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"

namespace forgelink::cli {

int runConfigCheck(const Args& args) {
    const CommandHelp help{
        "config check", "--config FILE",
        "Validates a configuration file without starting anything: every problem is printed at once as\n"
        "file:line:column: message (unknown keys, wrong types, missing keys, duplicates, bad URLs or\n"
        "addresses, unset ${ENV} variables, literal secrets). Exit 0 when valid, 1 otherwise.",
        "  forgelink config check --config config/forgelink.yaml"};
    po::options_description options("Options");
    options.add_options()("config,c", po::value<std::string>()->required()->value_name("FILE"),
                          "the configuration file to check");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;

    const auto path = values["config"].as<std::string>();
    if (!loadConfigOrReport(path)) return exit_invalid_input;
    std::cout << "config OK: " << path << "\n";
    return exit_ok;
}

}  // namespace forgelink::cli
