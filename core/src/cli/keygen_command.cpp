#include <iostream>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "secrets/key_file.hpp"

namespace forgelink::cli {

int runKeygen(const Args& args) {
    const CommandHelp help{
        "keygen", "--out FILE",
        "Writes a new random key for sealing stored secrets to FILE, created with mode 0600, and prints\n"
        "its key id (never the key). An existing FILE is never overwritten: rotating keys means a new\n"
        "file and 'forgelink rekey'. Name the file in secrets.key_file.",
        "  forgelink keygen --out var/secret.key"};
    po::options_description options("Options");
    options.add_options()("out,o", po::value<std::string>()->required()->value_name("FILE"), "the key file to create");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;

    auto written = secrets::keygen(values["out"].as<std::string>());
    if (!written.ok()) {
        std::cerr << "forgelink keygen: " << written.error().message << "\n";
        return written.error().kind == ErrorKind::conflict ? exit_invalid_input : exitCodeFor(written.error().kind);
    }
    std::cout << "wrote key " << written->key_id << " to " << written->path.string() << "\n";
    return exit_ok;
}

}  // namespace forgelink::cli
