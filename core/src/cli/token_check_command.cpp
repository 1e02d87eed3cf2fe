#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/json_output.hpp"
#include "cli/provider_session.hpp"
#include "common/strings.hpp"

namespace forgelink::cli {

namespace {

void printToken(const std::string& provider, const TokenInfo& t) {
    std::cout << "token accepted by " << provider << " at " << common::escapeControls(t.instance) << "\n";
    std::cout << "  user:     " << common::escapeControls(t.identity.username);
    if (!t.identity.name.empty()) std::cout << " (" << common::escapeControls(t.identity.name) << ")";
    if (!t.identity.id.empty()) std::cout << ", id " << common::escapeControls(t.identity.id);
    if (t.identity.bot) std::cout << ", bot";
    std::cout << "\n  kind:     " << toString(t.kind) << "\n  scopes:   ";
    for (std::size_t i = 0; i < t.scopes.size(); ++i) std::cout << (i ? ", " : "") << common::escapeControls(t.scopes[i]);
    if (t.scopes.empty()) std::cout << "(none reported)";
    std::cout << "\n  expires:  " << (t.expires_at ? common::escapeControls(*t.expires_at) : "never (or not reported)");
    if (t.days_until_expiry) std::cout << " (in " << *t.days_until_expiry << " days)";
    std::cout << "\n";
    if (t.bound_to)
        std::cout << "  bound to: " << common::escapeControls(t.bound_to->kind) << " " << common::escapeControls(t.bound_to->full_path) << " (id " << common::escapeControls(t.bound_to->id)
                  << ")\n";
    if (t.role) {
        std::cout << "  role:     " << toString(*t.role);
        if (!t.role_label.empty()) std::cout << " (" << common::escapeControls(t.role_label) << ")";
        std::cout << "\n";
    }
    for (const auto& w : t.warnings) std::cout << "  warning:  " << common::escapeControls(w.code) << ": " << common::escapeControls(w.message) << "\n";
}

}  // namespace

int runTokenCheck(const Args& args) {
    const CommandHelp help{
        "token check", "--provider NAME [--base-url URL] (--token-env VAR | --token-file PATH) [--json]",
        "Asks the provider's forge whether a token can do Forgelink's work: who it is, its kind, scopes,\n"
        "expiry, what it is bound to and the role there, and warnings. Tokens are never accepted as\n"
        "arguments. Exit 0 when accepted, 3 when refused, 4 on network trouble.",
        "  forgelink token check --provider myforge --base-url https://forge.example.com --token-env FORGE_TOKEN\n"
        "  (after `read -rs FORGE_TOKEN; export FORGE_TOKEN`, so the token never reaches shell history)"};
    po::options_description options("Options");
    addProviderOptions(options);
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;
    auto session = ProviderSession::open(values, help.name, code);
    if (!session) return code;
    if (!session->supports(FORGELINK_CAP_TOKEN_VALIDATION, "token validation", code)) return code;

    auto result = session->provider().validateToken(session->credentials());
    if (!result.ok()) return session->report(result.error());
    if (session->json()) {
        printJson(std::cout, {{"ok", true}, {"provider", session->name()}, {"token", toJson(result.value())}});
    } else {
        printToken(session->name(), result.value());
    }
    return exit_ok;
}

}  // namespace forgelink::cli
