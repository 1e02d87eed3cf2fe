#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/json_output.hpp"
#include "cli/provider_session.hpp"
#include "common/strings.hpp"

namespace forgelink::cli {

namespace {
std::optional<Role> parseRole(const std::string& text) {
    for (auto role : {Role::none, Role::read, Role::triage, Role::write, Role::maintain, Role::admin})
        if (toString(role) == text) return role;
    return std::nullopt;
}
}  // namespace

int runRepos(const Args& args) {
    const CommandHelp help{
        "repos",
        "--provider NAME [--base-url URL] (--token-env VAR | --token-file PATH) [--namespace PATH]\n"
        "       [--search TEXT] [--min-role ROLE] [--include-archived] [--json]",
        "Lists every repository the token can reach with at least ROLE (default write), streaming\n"
        "page after page; progress goes to stderr, repositories to stdout.",
        "  forgelink repos --provider myforge --base-url https://forge.example.com --token-env FORGE_TOKEN \\\n"
        "      --namespace my-group --json > repos.json"};
    po::options_description options("Options");
    addProviderOptions(options);
    options.add_options()
        ("namespace", po::value<std::string>()->value_name("PATH"), "only this namespace (and its subgroups)")
        ("search", po::value<std::string>()->value_name("TEXT"), "only repositories matching TEXT")
        ("min-role", po::value<std::string>()->default_value("write")->value_name("ROLE"),
         "none, read, triage, write, maintain or admin")
        ("include-archived", po::bool_switch(), "list archived repositories too");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;

    RepositoryQuery query;
    const auto role_text = values["min-role"].as<std::string>();
    auto role = parseRole(role_text);
    if (!role)
        return usageError(help.name, "--min-role: unknown role '" + role_text +
                                         "'; expected none, read, triage, write, maintain or admin");
    query.min_role = *role;
    if (values.count("namespace")) query.namespace_path = values["namespace"].as<std::string>();
    if (values.count("search")) query.search = values["search"].as<std::string>();
    query.include_archived = values["include-archived"].as<bool>();

    auto session = ProviderSession::open(values, help.name, code);
    if (!session) return code;
    if (!session->supports(FORGELINK_CAP_REPOSITORIES, "listing namespaces and repositories", code)) return code;

    // Human output streams each page and keeps nothing; --json keeps the items for one document,
    // as bounded as the listing (forge.max_listing_items).
    nlohmann::json items = nlohmann::json::array();
    common::ListingCounter counter(session->listingBounds(),
                                   "the repository listing of provider " + session->name(), "--namespace or --search");
    std::string cursor;
    do {
        if (auto too_long = counter.beforePage()) return session->report(*too_long, {{"fetched", counter.items()}});
        auto page = session->provider().listRepositories(session->credentials(), query, cursor);
        if (!page.ok()) return session->report(page.error(), {{"fetched", counter.items()}});
        if (auto too_long = counter.afterPage(page->items.size()))
            return session->report(*too_long, {{"fetched", counter.items()}});
        for (auto& r : page->items) {
            if (!session->json()) {
                std::cout << common::escapeControls(r.full_path) << "  " << toString(r.role) << "  " << common::escapeControls(r.visibility)
                          << (r.archived ? "  archived" : "") << "  " << common::escapeControls(r.web_url) << "\n";
            } else {
                items.push_back(toJson(r));
            }
        }
        std::cerr << "repos: " << counter.items() << " fetched";
        if (page->total) std::cerr << " of " << *page->total;
        std::cerr << "\n";
        cursor = page->next_cursor;
    } while (!cursor.empty());

    if (session->json()) {
        printJson(std::cout,
                  {{"ok", true}, {"provider", session->name()}, {"count", counter.items()}, {"repositories", items}});
    }
    return exit_ok;
}

}  // namespace forgelink::cli
