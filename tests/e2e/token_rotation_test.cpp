// Token rotation (issue 17), end to end: two `forgelink serve` processes on one SQLite store, each
// running its maintenance pass every second, and a team token that expires in 10 days with
// rotation enabled 14 days ahead. Exactly one host rotates it (forge-sim sees one rotate request),
// both go on delivering with the new token (the old one answers 401 on the forge), and the logs
// say it once, never with the token.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kExpiring = "glpat-e2e-expires-soon-0001";

std::string dateFromToday(int days) {
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) +
                                          std::chrono::days(days)};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return text;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

TEST(TokenRotation, TwoHostsOnOneStoreRotateAnExpiringTokenOnceAndDeliverWithTheNewOne) {
    std::string world = readText(scenarioPath("e2e-world.yaml"));
    const auto at = world.find("\n  tokens:\n");
    ASSERT_NE(at, std::string::npos);
    world.insert(at + 11, "    - {value: " + kExpiring + ", user: forgelink-bot, scopes: [api], name: forgelink-ci, expires_at: " +
                              dateFromToday(10) + "}\n");
    sim::SimProcess sim(world);
    HostOptions options{sim.gitlabUrl()};
    options.build_timeout_seconds = 2;  // a maintenance pass every second
    Host a(options);
    options.share_store_of = &a;
    Host b(options);
    a.start();
    b.start();

    ASSERT_EQ(a.call("POST", "/api/v1/teams", {{"slug", "docs"}}).status, 201);
    auto saved = a.call("PUT", "/api/v1/teams/docs/providers/gitlab",
                        {{"token", kExpiring}, {"rotate", {{"enabled", true}, {"days_before_expiry", 14}, {"new_lifetime_days", 90}}}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    EXPECT_EQ(saved.body["settings"]["rotate"]["available"], true) << saved.text;

    nlohmann::json settings;
    ASSERT_TRUE(waitUntil(
        [&] {
            settings = b.call("GET", "/api/v1/teams/docs/providers/gitlab").body["settings"];
            return settings.is_object() && settings["rotate"]["last_rotated_at"].is_string();
        },
        30s, 200ms))
        << settings.dump();
    std::this_thread::sleep_for(3s);  // several more passes of both hosts
    EXPECT_EQ(countRequests(sim.requests(), "POST", "/personal_access_tokens/self/rotate"), 1) << sim.requests().dump();
    settings = a.call("GET", "/api/v1/teams/docs/providers/gitlab").body["settings"];
    EXPECT_EQ(settings["status"], "active") << settings.dump();
    EXPECT_EQ(settings["expires_at"], dateFromToday(90)) << settings.dump();
    EXPECT_EQ(settings["health"]["state"], "valid") << settings.dump();
    EXPECT_EQ(sim::httpRequest("GET", sim.gitlabUrl() + "/api/v4/user", {{"PRIVATE-TOKEN", kExpiring}}).status, 401)
        << "the old token is revoked on the forge";

    // Feedback goes out with the new token, through either host.
    auto project = b.call("POST", "/api/v1/teams/docs/projects",
                          {{"name", "Widget"}, {"repository", {{"provider", "gitlab"}, {"id", "100"}}}});
    ASSERT_EQ(project.status, 201) << project.text;
    const std::string project_id = std::to_string(project.body["project"]["id"].get<long long>());
    auto build = a.call("POST", "/api/v1/projects/" + project_id + "/builds",
                        {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"state", "no_changes"}});
    ASSERT_EQ(build.status, 202) << build.text;
    std::vector<nlohmann::json> statuses;
    ASSERT_TRUE(waitUntil(
        [&] {
            statuses = gitlabStatuses(sim.state(), kFeatureSha);
            return !statuses.empty() && statuses.back()["status"] == "success";
        },
        20s, 100ms))
        << nlohmann::json(statuses).dump();

    ASSERT_EQ(a.stop(), 0);
    ASSERT_EQ(b.stop(), 0);
    const std::string logs = a.logs() + b.logs();
    EXPECT_EQ(count(logs, "provider token rotated"), 1u) << logs;
    EXPECT_EQ(logs.find(kExpiring), std::string::npos) << "never the old token in a log line";
    const nlohmann::json state = sim.state();
    for (const auto& t : state["gitlab"]["tokens"]) {
        if (t["name"] == "forgelink-ci" && t["revoked"] == false) {
            EXPECT_EQ(logs.find(t["value"].get<std::string>()), std::string::npos) << "never the new one either";
        }
    }
}

// The command line on a named credential: `providers rotation --credential` sets its own setting and
// `providers rotate --credential` rotates it now, leaving the team's 'default' token as it was.
TEST(TokenRotation, TheCliRotatesANamedCredentialOnItsOwn) {
    std::string world = readText(scenarioPath("e2e-world.yaml"));
    const auto at = world.find("\n  tokens:\n");
    ASSERT_NE(at, std::string::npos);
    const std::string kDefault = "glpat-e2e-default-token-0002";
    world.insert(at + 11, "    - {value: " + kExpiring + ", user: forgelink-bot, scopes: [api], name: forgelink-ci, expires_at: " +
                              dateFromToday(100) + "}\n    - {value: " + kDefault +
                              ", user: forgelink-bot, scopes: [api], name: forgelink-default, expires_at: " +
                              dateFromToday(100) + "}\n");
    sim::SimProcess sim(world);
    Host host(HostOptions{sim.gitlabUrl()});
    host.start();
    auto admin = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "admin");
        args.insert(args.end(), {"--host", host.baseUrl()});
        return runForgelink(args, {{"FORGELINK_ADMIN_TOKEN", host.adminToken()}, {"CI_TOKEN", kExpiring},
                                   {"DEFAULT_TOKEN", kDefault}});
    };
    ASSERT_EQ(admin({"teams", "create", "--slug", "docs", "--name", "Docs"}).exit_code, 0);
    auto saved = admin({"providers", "save", "--team", "docs", "--provider", "gitlab", "--token-env", "DEFAULT_TOKEN"});
    ASSERT_EQ(saved.exit_code, 0) << saved.err;
    saved = admin({"providers", "save", "--team", "docs", "--provider", "gitlab", "--credential", "ci", "--token-env", "CI_TOKEN"});
    ASSERT_EQ(saved.exit_code, 0) << saved.err;

    auto set = admin({"providers", "rotation", "--team", "docs", "--provider", "gitlab", "--credential", "ci", "--enable",
                      "--days-before-expiry", "7", "--json"});
    ASSERT_EQ(set.exit_code, 0) << set.err;
    auto body = nlohmann::json::parse(set.out, nullptr, false);
    EXPECT_EQ(body["settings"]["name"], "ci") << set.out;
    EXPECT_EQ(body["settings"]["rotate"]["enabled"], true) << set.out;
    EXPECT_EQ(body["settings"]["rotate"]["days_before_expiry"], 7) << set.out;
    EXPECT_EQ(host.call("GET", "/api/v1/teams/docs/providers/gitlab").body["settings"]["rotate"]["enabled"], false)
        << "'default' keeps its own setting";

    auto rotated = admin({"providers", "rotate", "--team", "docs", "--provider", "gitlab", "--credential", "ci"});
    ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
    EXPECT_NE(rotated.out.find("rotated"), std::string::npos) << rotated.out;
    EXPECT_EQ(countRequests(sim.requests(), "POST", "/personal_access_tokens/self/rotate"), 1) << sim.requests().dump();
    auto status = [&](const std::string& token) {
        return sim::httpRequest("GET", sim.gitlabUrl() + "/api/v4/user", {{"PRIVATE-TOKEN", token}}).status;
    };
    EXPECT_EQ(status(kExpiring), 401) << "the named credential's old token is revoked";
    EXPECT_EQ(status(kDefault), 200) << "'default' untouched";
    auto ci = host.call("GET", "/api/v1/teams/docs/providers/gitlab/credentials/ci").body["settings"];
    EXPECT_EQ(ci["status"], "active") << ci.dump();
    EXPECT_FALSE(ci["rotate"]["last_rotated_at"].is_null()) << ci.dump();
    auto missing = admin({"providers", "rotate", "--team", "docs", "--provider", "gitlab", "--credential", "nobody"});
    EXPECT_NE(missing.exit_code, 0);
    ASSERT_EQ(host.stop(), 0);
}

}  // namespace
}  // namespace forgelink::e2e
