#include <iostream>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/store_opening.hpp"
#include "store/key_rotation.hpp"

namespace forgelink::cli {

int runRekey(const Args& args) {
    const CommandHelp help{
        "rekey", "--config FILE --new-key-file FILE",
        "Re-seals every stored secret of the configured store from the configured key (secrets.key_file\n"
        "or secrets.key_env) to the key in --new-key-file, in one transaction: interrupted, nothing\n"
        "changed; rerun, nothing re-sealed twice. Then point secrets.key_file at the new file and\n"
        "restart the hosts.",
        "  forgelink keygen --out var/secret-2.key\n"
        "  forgelink rekey --config config/forgelink.yaml --new-key-file var/secret-2.key"};
    po::options_description options("Options");
    options.add_options()("config,c", po::value<std::string>()->required()->value_name("FILE"), "the configuration file")(
        "new-key-file", po::value<std::string>()->required()->value_name("FILE"), "the key to seal with from now on");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;
    auto config = loadConfigOrReport(values["config"].as<std::string>());
    if (!config) return exit_invalid_input;
    auto report = store::rekeyStore(
        [&](std::shared_ptr<const secrets::SecretBox> box) { return openConfiguredStore(config->store, std::move(box)); },
        {config->secrets.key_file, config->secrets.key_env}, {values["new-key-file"].as<std::string>(), ""});
    if (!report.ok()) {
        std::cerr << "forgelink rekey: " << report.error().message << "\n";
        return exitCodeFor(report.error().kind);
    }
    std::cout << "re-sealed " << report->resealed << " secrets from key " << report->old_key_id << " to key "
              << report->new_key_id << "\nnow set secrets.key_file to " << values["new-key-file"].as<std::string>()
              << " and restart the hosts\n";
    return exit_ok;
}

}  // namespace forgelink::cli
