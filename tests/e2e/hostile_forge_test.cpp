// A forge that answers with hostile data: what the CLI and the host show and how much they take.
#include <gtest/gtest.h>

#include <set>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

// ESC sequences (clear screen, move the cursor) and CR/LF in names the forge supplies.
const std::string kHostileScenario = R"(
gitlab:
  users:
    - {id: 3, username: forgelink-bot, name: "Bot\e[2J\e[H\r\nforged: line"}
  groups:
    - {id: 10, path: acme, name: "ACME\e]0;owned\a\r\nevil  (group)  evil", members: {forgelink-bot: 30}}
  tokens:
    - {value: glpat-hostile-names-0000, kind: personal, user: forgelink-bot, scopes: [api]}
)";

TEST(HostileForge, HumanOutputEscapesControlCharactersFromTheForge) {
    sim::SimProcess sim(kHostileScenario);
    const std::map<std::string, std::string> env = {{"FL_TOKEN", "glpat-hostile-names-0000"}};
    auto namespaces = runForgelink({"namespaces", "--provider", "gitlab", "--base-url", sim.gitlabUrl(), "--plugin-path",
                                    FORGELINK_PLUGIN_DIR, "--token-env", "FL_TOKEN"},
                                   env);
    ASSERT_EQ(namespaces.exit_code, 0) << namespaces.err;
    EXPECT_EQ(namespaces.out,
              "forgelink-bot  (user)  Bot\\x1b[2J\\x1b[H\\r\\nforged: line\n"
              "acme  (group)  ACME\\x1b]0;owned\\x07\\r\\nevil  (group)  evil\n");

    auto token = runForgelink({"token", "check", "--provider", "gitlab", "--base-url", sim.gitlabUrl(), "--plugin-path",
                               FORGELINK_PLUGIN_DIR, "--token-env", "FL_TOKEN"},
                              env);
    ASSERT_EQ(token.exit_code, 0) << token.err;
    EXPECT_TRUE(contains(token.out, "  user:     forgelink-bot (Bot\\x1b[2J\\x1b[H\\r\\nforged: line)")) << token.out;
    EXPECT_FALSE(contains(token.out, "\x1b")) << token.out;
    EXPECT_FALSE(contains(token.out, "\r")) << token.out;

    // JSON output keeps the names exactly (JSON escapes them itself).
    auto json = runForgelink({"namespaces", "--provider", "gitlab", "--base-url", sim.gitlabUrl(), "--plugin-path",
                              FORGELINK_PLUGIN_DIR, "--token-env", "FL_TOKEN", "--json"},
                             env);
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(nlohmann::json::parse(json.out)["namespaces"][1]["name"], "ACME\x1b]0;owned\a\r\nevil  (group)  evil");
}

// Any team owner could point the host at loopback or private addresses and tell an open port
// (not_a_gitlab_api) from a closed one (connect_failed). By default the host refuses those
// addresses, and every base URL without an answer gets the same error.
TEST(HostileForge, TeamBaseUrlsCannotReachLoopbackByDefaultAndAllFailuresLookAlike) {
    sim::SimProcess sim(kHostileScenario);
    HostOptions options;
    options.allow_loopback_forges = false;  // no providers.*.allowed_hosts: the default policy
    Host host(options);
    host.start();
    ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", "scan"}}).status, 201);
    const int closed = freeLoopbackPort();
    const std::vector<std::string> targets = {
        sim.gitlabUrl(),                                      // open port, a real (simulated) forge
        "http://127.0.0.1:" + std::to_string(closed),         // closed port
        "http://localhost:" + std::to_string(sim.port()),     // a name that resolves to loopback
        "http://169.254.169.254",                             // the cloud metadata address
        "http://name.invalid",                                // does not resolve
    };
    std::set<std::string> codes;
    sim.clearRequests();
    for (const auto& url : targets) {
        auto put = host.call("PUT", "/api/v1/teams/scan/providers/gitlab",
                             {{"token", "glpat-hostile-names-0000"}, {"base_url", url}});
        EXPECT_EQ(put.status, 502) << url << ": " << put.text;
        ASSERT_TRUE(put.body.is_object()) << put.text;
        codes.insert(put.body["error"]["code"].get<std::string>());
        const std::string message = put.body["error"]["message"];
        EXPECT_TRUE(contains(message, "unreachable, or its address is not allowed (providers.gitlab.allowed_hosts)"))
            << message;
    }
    EXPECT_EQ(codes, std::set<std::string>{"forge_unreachable"});
    EXPECT_EQ(countRequests(sim.requests(), "GET", ".*"), 0) << "nothing reached the simulator";
    EXPECT_EQ(host.stop(), 0);
    EXPECT_TRUE(contains(host.logs(), "is not allowed by providers.gitlab.allowed_hosts")) << "the operator sees why";
}

TEST(HostileForge, AllowedHostsLetTheOperatorReachAPrivateForge) {
    sim::SimProcess sim(kHostileScenario);
    Host host;  // providers.gitlab.allowed_hosts: [127.0.0.1]
    host.start();
    ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", "lan"}}).status, 201);
    auto put = host.call("PUT", "/api/v1/teams/lan/providers/gitlab",
                         {{"token", "glpat-hostile-names-0000"}, {"base_url", sim.gitlabUrl()}});
    EXPECT_EQ(put.status, 200) << put.text;
    auto other = host.call("PUT", "/api/v1/teams/lan/providers/gitlab",
                           {{"token", "glpat-hostile-names-0000"}, {"base_url", "http://127.0.0.2:" +
                                                                                    std::to_string(sim.port())}});
    EXPECT_EQ(other.status, 502) << "only what is listed: 127.0.0.2 is not, " << other.text;
    EXPECT_EQ(other.body["error"]["code"], "forge_unreachable");
}

}  // namespace
}  // namespace forgelink::e2e
