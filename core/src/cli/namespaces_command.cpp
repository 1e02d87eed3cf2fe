#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/json_output.hpp"
#include "cli/provider_session.hpp"
#include "common/strings.hpp"

namespace forgelink::cli {

int runNamespaces(const Args& args) {
    const CommandHelp help{
        "namespaces",
        "--provider NAME [--base-url URL] (--token-env VAR | --token-file PATH) [--search TEXT] [--json]",
        "Lists every namespace (user, group, organization) the token can see, following every page.",
        "  forgelink namespaces --provider myforge --base-url https://forge.example.com --token-env FORGE_TOKEN \\\n"
        "      --search platform"};
    po::options_description options("Options");
    addProviderOptions(options);
    options.add_options()("search", po::value<std::string>()->value_name("TEXT"), "only namespaces matching TEXT");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;
    auto session = ProviderSession::open(values, help.name, code);
    if (!session) return code;
    if (!session->supports(FORGELINK_CAP_REPOSITORIES, "listing namespaces and repositories", code)) return code;

    NamespaceQuery query;
    if (values.count("search")) query.search = values["search"].as<std::string>();
    nlohmann::json items = nlohmann::json::array();
    common::ListingCounter counter(session->listingBounds(), "the namespace listing of provider " + session->name(),
                                   "--search");
    std::string cursor;
    do {
        if (auto too_long = counter.beforePage()) return session->report(*too_long, {{"fetched", counter.items()}});
        auto page = session->provider().listNamespaces(session->credentials(), query, cursor);
        if (!page.ok()) return session->report(page.error(), {{"fetched", counter.items()}});
        if (auto too_long = counter.afterPage(page->items.size()))
            return session->report(*too_long, {{"fetched", counter.items()}});
        for (auto& ns : page->items) {
            if (!session->json()) std::cout << common::escapeControls(ns.full_path) << "  (" << common::escapeControls(ns.kind) << ")  " << common::escapeControls(ns.name) << "\n";
            else items.push_back(toJson(ns));
        }
        cursor = page->next_cursor;
    } while (!cursor.empty());

    if (session->json()) {
        printJson(std::cout, {{"ok", true}, {"provider", session->name()}, {"count", counter.items()}, {"namespaces", items}});
    } else if (counter.items() == 0) {
        std::cerr << "no namespaces\n";
    }
    return exit_ok;
}

}  // namespace forgelink::cli
