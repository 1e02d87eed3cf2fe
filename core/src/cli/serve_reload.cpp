#include "cli/serve_reload.hpp"

namespace forgelink::cli {

std::vector<std::string> keysNeedingRestart(const config::Config& running, const config::Config& next) {
    std::vector<std::string> keys;
    auto check = [&keys](bool same, const char* key) {
        if (!same) keys.push_back(key);
    };
    const auto& a = running.server;
    const auto& b = next.server;
    check(a.listen == b.listen, "server.listen");
    check(a.instance_id == b.instance_id, "server.instance_id");
    check(a.listing_cache_mb == b.listing_cache_mb, "server.listing_cache_mb");
    check(a.console_dir == b.console_dir, "server.console_dir");
    check(a.limits == b.limits, "server.limits");
    check(a.allow_user_team_creation == b.allow_user_team_creation, "server.allow_user_team_creation");
    check(running.store == next.store, "store");
    check(running.secrets == next.secrets, "secrets");
    check(running.plugins == next.plugins, "plugins");
    check(running.providers == next.providers, "providers");
    check(running.forge == next.forge, "forge");
    check(running.feedback == next.feedback, "feedback");
    check(running.tokens == next.tokens, "tokens");
    check(running.notifications == next.notifications, "notifications");
    // A key added to ServerConfig later, or a section added to Config, is caught here until it is
    // named above: never silently ignored.
    config::Config rest_a = running, rest_b = next;
    rest_a.server = rest_b.server = {};
    rest_a.store = rest_b.store = {};
    rest_a.secrets = rest_b.secrets = {};
    rest_a.plugins = rest_b.plugins = {};
    rest_a.providers = rest_b.providers = {};
    rest_a.forge = rest_b.forge = {};
    rest_a.feedback = rest_b.feedback = {};
    rest_a.tokens = rest_b.tokens = {};
    rest_a.notifications = rest_b.notifications = {};
    rest_a.admin = rest_b.admin = {};
    rest_a.logging = rest_b.logging = {};
    rest_a.source_file = rest_b.source_file = {};
    if (!(rest_a == rest_b)) keys.push_back("(another section)");
    config::ServerConfig server_a = a, server_b = b;
    server_a.listen = server_b.listen = {};
    server_a.instance_id = server_b.instance_id = {};
    server_a.listing_cache_mb = server_b.listing_cache_mb = 0;
    server_a.console_dir = server_b.console_dir = {};
    server_a.limits = server_b.limits = {};
    server_a.allow_user_team_creation = server_b.allow_user_team_creation = false;
    if (!(server_a == server_b)) keys.push_back("server (another key)");
    return keys;
}

}  // namespace forgelink::cli
