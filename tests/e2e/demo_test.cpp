// `scripts/run --demo`: config/demo.yaml against forge-sim on tests/sim/scenarios/demo.yaml. The
// demo itself listens on 8080 with the simulator on 9000; here the host runs on a copy of
// config/demo.yaml with a free port and a directory of its own (the simulator's OAuth apps send the
// browser to :8080, so the test carries each callback to the real port, as a browser on the demo's
// port would go there itself). A newcomer's first visit, step by step: both sign-in buttons, sign
// in with GitLab, link GitHub, create a team, save the bot token, find the repository among
// thousands, create the project, post a build for the merge request.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "e2e_host.hpp"

namespace forgelink::e2e {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "config/demo.yaml no longer has '" << from << "'";
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

// The cookie's "name=value" from a Set-Cookie header.
std::string cookiePair(const sim::HttpResult& reply) {
    const std::string set = reply.header("set-cookie");
    return set.substr(0, set.find(';'));
}

class Demo : public ::testing::Test {
protected:
    void SetUp() override {
        sim_ = std::make_unique<sim::SimProcess>(sim::SimProcess::scenarioFile("demo.yaml"));
        port_ = freeLoopbackPort();
        ASSERT_EQ(runForgelink({"keygen", "--out", (dir_.path() / "secret.key").string()}).exit_code, 0);
        std::ofstream(dir_.path() / "admin-tokens") << "demo-admin-token-0123456789\n";
        std::string config = readText(FORGELINK_DEMO_CONFIG);
        config = replaced(config, "listen: 127.0.0.1:${FORGELINK_DEMO_PORT}", "listen: 127.0.0.1:" + std::to_string(port_));
        config = replaced(config, "../var/demo/forgelink.db", (dir_.path() / "forgelink.db").string());
        config = replaced(config, "../var/secret.key", (dir_.path() / "secret.key").string());
        config = replaced(config, "../var/admin-tokens", (dir_.path() / "admin-tokens").string());
        config_ = (dir_.path() / "demo.yaml").string();
        std::ofstream(config_) << config;
        // What scripts/run --demo exports.
        // The OAuth redirect URIs stay the demo's (:8080), as registered in the simulator's apps.
        env_ = {{"FORGELINK_DEMO_FORGE", sim_->gitlabUrl()},
                {"FORGELINK_DEMO_PORT", "8080"},
                {"FORGELINK_DEMO_GITLAB_SECRET", "forgelink-demo-gitlab-secret"},
                {"FORGELINK_DEMO_GITHUB_SECRET", "forgelink-demo-github-secret"}};
    }

    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

    // The browser's round trip through the forge's authorize page back to the host's callback.
    sim::HttpResult signIn(const std::string& start, const std::string& session_cookie = "") {
        Headers headers;
        if (!session_cookie.empty()) headers.emplace_back("Cookie", session_cookie);
        auto started = sim::httpRequest("GET", url(start), headers);
        EXPECT_EQ(started.status, 302) << started.body;
        auto approved = sim::httpRequest("GET", started.header("location"));
        EXPECT_EQ(approved.status, 302) << approved.body;
        const std::string back = approved.header("location");
        const std::string demo_origin = "http://127.0.0.1:8080";
        EXPECT_EQ(back.rfind(demo_origin + "/api/v1/auth/", 0), 0u) << back;
        std::string cookies = cookiePair(started);
        if (!session_cookie.empty()) cookies += "; " + session_cookie;
        return sim::httpRequest("GET", url(back.substr(demo_origin.size())), {{"Cookie", cookies}});
    }

    std::unique_ptr<sim::SimProcess> sim_;
    TempDir dir_;
    int port_ = 0;
    std::string config_;
    std::map<std::string, std::string> env_;
};

TEST_F(Demo, ANewcomerClicksThroughEveryFlow) {
    auto check = runForgelink({"config", "check", "--config", config_}, env_);
    ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
    test::Process serve(FORGELINK_BIN, {"serve", "--config", config_}, env_);
    ASSERT_TRUE(waitUntil([&] { return sim::httpRequest("GET", url("/healthz")).status == 200; }, std::chrono::seconds(15)));

    // The sign-in page offers both forges.
    auto providers = sim::httpRequest("GET", url("/api/v1/auth/providers")).json();
    ASSERT_EQ(providers["items"].size(), 2u) << providers.dump();
    EXPECT_EQ(providers["items"][0]["display_name"], "GitHub");
    EXPECT_EQ(providers["items"][1]["display_name"], "GitLab");

    // Continue with GitLab: forge-sim approves as alice.
    auto signed_in = signIn("/auth/gitlab/login?redirect=/teams");
    ASSERT_EQ(signed_in.status, 302) << signed_in.body;
    EXPECT_EQ(signed_in.header("location"), "/teams");
    const std::string session = cookiePair(signed_in);
    ASSERT_EQ(session.rfind("forgelink_session=", 0), 0u) << session;
    auto me = sim::httpRequest("GET", url("/api/v1/session"), {{"Cookie", session}}).json();
    EXPECT_EQ(me["user"]["username"], "alice");
    EXPECT_EQ(me["can_create_teams"], true);
    const std::string csrf = me["csrf_token"];
    const Headers as_alice = {{"Cookie", session}, {"X-CSRF-Token", csrf}, {"Content-Type", "application/json"}};

    // Link the GitHub account too.
    auto linked = signIn("/auth/github/login?link=1&redirect=/account", session);
    EXPECT_EQ(linked.status, 302) << linked.body;
    me = sim::httpRequest("GET", url("/api/v1/session"), {{"Cookie", session}}).json();
    EXPECT_EQ(me["user"]["identities"].size(), 2u) << me.dump();

    // A team, the bot token, the repository, the project, a build.
    auto team = sim::httpRequest("POST", url("/api/v1/teams"), as_alice, R"({"slug":"demo","name":"Demo"})");
    ASSERT_EQ(team.status, 201) << team.body;
    auto token = sim::httpRequest("PUT", url("/api/v1/teams/demo/providers/gitlab"), as_alice,
                                  R"({"token":"glpat-demo-bot-0000000000"})");
    ASSERT_EQ(token.status, 200) << token.body;
    EXPECT_EQ(token.json()["settings"]["identity"]["username"], "forgelink-bot");
    EXPECT_EQ(token.json()["settings"]["health"]["state"], "valid");
    auto refused = sim::httpRequest("PUT", url("/api/v1/teams/demo/providers/github"), as_alice,
                                    R"({"token":"ghp_demoReadUser00000000000000000000000"})");
    EXPECT_EQ(refused.status, 422) << refused.body;
    auto many = sim::httpRequest("GET", url("/api/v1/teams/demo/providers/gitlab/repositories?namespace=acme/many"),
                                 {{"Cookie", session}});
    ASSERT_EQ(many.status, 200) << many.body;
    EXPECT_FALSE(many.json()["items"].empty());
    EXPECT_FALSE(many.json()["next_cursor"].is_null()) << "20,000 repositories come in pages";
    auto project = sim::httpRequest(
        "POST", url("/api/v1/teams/demo/projects"), as_alice,
        R"({"name":"Widget","slug":"widget","repository":{"provider":"gitlab","path":"acme/tools/widget"}})");
    ASSERT_EQ(project.status, 201) << project.body;
    const auto id = project.json()["project"]["id"].get<long long>();
    auto build = sim::httpRequest("POST", url("/api/v1/projects/" + std::to_string(id) + "/builds"), as_alice,
                                  R"({"commit_sha":"af5b13261899fb2c0db30abdd0af8b07cb44fdc5","branch":"feature",)"
                                  R"("merge_request":1,"state":"in_progress"})");
    EXPECT_EQ(build.status, 202) << build.body;

    serve.signal(SIGTERM);
    auto ended = serve.finish(std::chrono::seconds(10));
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->exit_code, 0) << ended->err;
}

}  // namespace
}  // namespace forgelink::e2e
