// Teams' OAuth credentials (kind oauth) renewed before they expire, against forge-sim's GitLab
// (API-FACTS A14: a refresh rotates the pair, the old access and refresh token both die): saved
// with their refresh token, refreshed once across two hosts on one store, the new pair sealed and
// used, and a refresh token the forge refuses marking the credential invalid with one notice.
#include <atomic>
#include <thread>

#include <forgelink/support/http_text.hpp>

#include "database_bytes.hpp"
#include "service/maintenance.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRedirect = "http://127.0.0.1:8976/callback";

struct OAuthPair {
    std::string access_token;
    std::string refresh_token;
};

class TeamRefreshTest : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        // Access tokens that live 5 minutes: inside the default 10-minute refresh margin.
        std::string scenario = sim::SimProcess::scenarioFile("gitlab-basic.yaml");
        const auto at = scenario.find("\ngitlab:\n");
        ASSERT_NE(at, std::string::npos);
        scenario.insert(at + 9, "  oauth_token_ttl: 300\n");
        sim_->loadScenario(scenario);
    }

    MaintenanceOptions options(const std::string& owner = "host-a") {
        MaintenanceOptions o;
        o.owner = owner;
        return o;
    }
    std::unique_ptr<Maintenance> maintenance(store::Store& store, MaintenanceOptions o) {
        return std::make_unique<Maintenance>(MaintenanceDeps{store, *registry_, config_, metrics_, *logger_}, std::move(o));
    }

    // An admin authorizes the host's OAuth app with scope api on the forge (the sim approves as
    // alice) and exchanges the code: the pair a team would save.
    OAuthPair authorize() {
        auto approved = sim::httpRequest("GET", sim_->gitlabUrl() + "/oauth/authorize?client_id=forgelink-app&redirect_uri=" +
                                                    support::urlEncode(kRedirect) + "&response_type=code&state=s&scope=api");
        const std::string back = approved.header("location");
        const auto at = back.find("code=");
        EXPECT_NE(at, std::string::npos) << approved.status << " " << back << approved.body;
        if (at == std::string::npos) return {};
        const std::string code = back.substr(at + 5, back.find('&', at) - at - 5);
        auto exchanged = sim_->post(sim_->gitlabUrl() + "/oauth/token",
                                    "grant_type=authorization_code&client_id=forgelink-app&client_secret=forgelink-secret&"
                                    "redirect_uri=" + support::urlEncode(kRedirect) + "&code=" + code,
                                    {{"Content-Type", "application/x-www-form-urlencoded"}});
        EXPECT_EQ(exchanged.status, 200) << exchanged.body;
        const auto body = exchanged.json();
        return {body.value("access_token", ""), body.value("refresh_token", "")};
    }

    std::int64_t teamId(const std::string& slug) {
        auto team = store_->findTeamBySlug(slug);
        EXPECT_TRUE(team.ok());
        return team.ok() ? team->id : 0;
    }
    std::string storedToken(const std::string& slug) {
        auto credentials = store_->providerCredentials(teamId(slug), "gitlab");
        EXPECT_TRUE(credentials.ok()) << credentials.error().message;
        return credentials.ok() ? credentials->token : "";
    }
    int userStatusWith(const std::string& access_token) {
        return sim_->get(sim_->gitlabUrl() + "/api/v4/user", {{"Authorization", "Bearer " + access_token}}).status;
    }
    std::size_t refreshRequests() {
        std::size_t n = 0;
        for (const auto& r : sim_->requests())
            if (r.value("path", "") == "/oauth/token" && r.value("body", "").find("grant_type=refresh_token") != std::string::npos)
                ++n;
        return n;
    }
    nlohmann::json notices(const std::string& team) {
        auto reply = call("GET", "/api/v1/teams/" + team + "/notices");
        EXPECT_EQ(reply.status, 200) << reply.text;
        return reply.body["items"];
    }
};

TEST_F(TeamRefreshTest, AnOAuthCredentialIsRefreshedOnceAcrossTwoHostsAndTheNewPairIsSealedAndUsed) {
    createTeam("docs");
    const auto first = authorize();
    ASSERT_FALSE(first.refresh_token.empty());
    auto saved = call("PUT", "/api/v1/teams/docs/providers/gitlab",
                      {{"token", first.access_token}, {"refresh_token", first.refresh_token}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    EXPECT_EQ(saved.body["settings"]["kind"], "oauth");
    EXPECT_EQ(saved.body["settings"]["refreshed_by_forgelink"], true) << saved.text;
    // It lives two hours, but the host renews it: not "expiring", no warning, no banner.
    EXPECT_TRUE(saved.body["settings"]["expires_at"].is_string()) << saved.text;
    EXPECT_EQ(saved.body["settings"]["health"]["state"], "valid") << saved.text;
    EXPECT_EQ(saved.text.find("expires_soon"), std::string::npos) << saved.text;
    EXPECT_TRUE(call("GET", "/api/v1/teams/docs").body["team"]["alerts"].empty());
    EXPECT_EQ(saved.text.find(first.refresh_token), std::string::npos);

    // A second host: its own connection pool on the same database file, its own owner.
    auto other = store::SqliteStore::open((dir_ / "forgelink.db").string(), box_);
    ASSERT_TRUE(other.ok()) << other.error().message;
    auto a = maintenance(*store_, options("host-a"));
    auto b = maintenance(*other.value(), options("host-b"));
    // A slow forge keeps the winner's refresh in flight while the other host looks for work.
    sim_->faults({{"route", "POST /oauth/token"}, {"latency_ms", 300}});
    sim_->clearRequests();

    std::string before = first.access_token;
    std::vector<std::string> seen = {first.access_token, first.refresh_token};
    for (int round = 1; round <= 2; ++round) {
        std::atomic<bool> go{false};
        MaintenancePass pass_a, pass_b;
        std::thread ta([&] { while (!go) std::this_thread::yield(); pass_a = a->runOnce(); });
        std::thread tb([&] { while (!go) std::this_thread::yield(); pass_b = b->runOnce(); });
        go = true;
        ta.join();
        tb.join();
        EXPECT_EQ(pass_a.team_tokens_refreshed + pass_b.team_tokens_refreshed, 1) << "round " << round;
        EXPECT_EQ(pass_a.team_tokens_invalid + pass_b.team_tokens_invalid, 0) << "round " << round;
        EXPECT_EQ(refreshRequests(), static_cast<std::size_t>(round));
        const std::string now_stored = storedToken("docs");
        EXPECT_NE(now_stored, before) << "round " << round;
        // GitLab's rotation: the old access token is dead, the new one works.
        EXPECT_EQ(userStatusWith(before), 401);
        EXPECT_EQ(userStatusWith(now_stored), 200);
        seen.push_back(now_stored);
        before = now_stored;
    }
    // No refresh token was ever spent twice: the forge refused none.
    for (const auto& r : sim_->requests()) {
        if (r.value("path", "") == "/oauth/token") {
            EXPECT_EQ(r.value("status", 0), 200) << r.dump();
        }
    }

    // The team's calls to the forge go out with the new token (the old one is refused now).
    auto browse = call("GET", "/api/v1/teams/docs/providers/gitlab/namespaces");
    EXPECT_EQ(browse.status, 200) << browse.text;
    auto settings = call("GET", "/api/v1/teams/docs/providers/gitlab");
    EXPECT_EQ(settings.body["settings"]["status"], "active");
    EXPECT_EQ(settings.body["settings"]["token_last4"], before.substr(before.size() - 4));
    // Sealed at rest, never logged.
    store_.reset();
    other.value().reset();
    const std::string bytes = databaseBytes(dir_ / "forgelink.db");
    for (const auto& secret : seen) {
        EXPECT_EQ(bytes.find(secret), std::string::npos) << "a token in the database in clear";
        EXPECT_EQ(logText().find(secret), std::string::npos) << "a token in the log";
    }
    EXPECT_EQ(metrics_.value("forgelink_team_token_refreshes_total", {{"provider", "gitlab"}, {"outcome", "refreshed"}}), 2);
}

TEST_F(TeamRefreshTest, ARevokedRefreshTokenMarksTheCredentialInvalidWithOneNotice) {
    createTeam("docs");
    const auto pair = authorize();
    auto saved = call("PUT", "/api/v1/teams/docs/providers/gitlab",
                      {{"token", pair.access_token}, {"refresh_token", pair.refresh_token}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    // Someone revokes the app's grant on the forge: refresh and access token die together.
    auto revoked = sim_->post(sim_->gitlabUrl() + "/oauth/revoke",
                              "client_id=forgelink-app&client_secret=forgelink-secret&token=" + pair.refresh_token,
                              {{"Content-Type", "application/x-www-form-urlencoded"}});
    ASSERT_EQ(revoked.status, 200) << revoked.body;

    auto job = maintenance(*store_, options());
    auto pass = job->runOnce();
    EXPECT_EQ(pass.team_tokens_invalid, 1);
    EXPECT_EQ(pass.team_tokens_refreshed, 0);
    // The same pass re-checks the access token at once (refused too): the same event.
    EXPECT_EQ(pass.tokens_invalid, 1);
    // Invalid; the settings keep the re-check's verdict on the access token (the forge refuses
    // it), the notice and the log say why: the refresh token was refused, and what to do.
    auto settings = call("GET", "/api/v1/teams/docs/providers/gitlab").body["settings"];
    EXPECT_EQ(settings["status"], "invalid");
    EXPECT_FALSE(settings["invalid_reason"].get<std::string>().empty());
    EXPECT_EQ(settings["refreshed_by_forgelink"], false) << settings.dump();
    auto told = notices("docs");
    ASSERT_EQ(told.size(), 1u) << told.dump();
    EXPECT_EQ(told[0]["kind"], "token_invalid");
    EXPECT_EQ(told[0]["credential"], "default");
    const std::string text = told[0]["text"];
    EXPECT_NE(text.find("credential 'default'"), std::string::npos) << text;
    EXPECT_NE(text.find("can no longer be renewed"), std::string::npos) << text;
    EXPECT_NE(text.find("refused the refresh token"), std::string::npos) << text;
    EXPECT_NE(text.find("authorize again"), std::string::npos) << text;
    EXPECT_NE(logText().find("team OAuth token not renewed: the forge refused its refresh token"), std::string::npos);

    // Nothing more: no second notice, and the refresh token is not spent again.
    pass = job->runOnce();
    EXPECT_EQ(pass.tokens_invalid, 0);
    EXPECT_EQ(pass.team_tokens_invalid, 0);
    EXPECT_EQ(notices("docs").size(), 1u);
    EXPECT_EQ(refreshRequests(), 1u);
    EXPECT_EQ(notices("docs").dump().find(pair.refresh_token), std::string::npos);
    EXPECT_EQ(logText().find(pair.refresh_token), std::string::npos);

    // Saving a new pair makes it active and renewed again.
    const auto next = authorize();
    saved = call("PUT", "/api/v1/teams/docs/providers/gitlab",
                 {{"token", next.access_token}, {"refresh_token", next.refresh_token}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    EXPECT_EQ(saved.body["settings"]["refreshed_by_forgelink"], true) << saved.text;
    EXPECT_EQ(job->runOnce().team_tokens_refreshed, 1);

    // Saved again without its refresh token: no longer renewed, and the answer says so.
    saved = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", storedToken("docs")}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    EXPECT_EQ(saved.body["settings"]["refreshed_by_forgelink"], false) << saved.text;
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab").body["settings"]["refreshed_by_forgelink"], false);
    // Then its two-hour life is what it is: expiring today, said in the warnings and the banner.
    EXPECT_EQ(saved.body["settings"]["health"]["state"], "expiring") << saved.text;
    EXPECT_NE(saved.text.find("expires_soon"), std::string::npos) << saved.text;
    EXPECT_EQ(call("GET", "/api/v1/teams/docs").body["team"]["alerts"].size(), 1u);
}

TEST_F(TeamRefreshTest, ARefreshTokenIsRefusedOnSaveWhereForgelinkCannotRenewWithIt) {
    createTeam("docs");
    // Not an OAuth token: a personal access token is not renewed by refreshing.
    auto reply = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kBotToken}, {"refresh_token", "abc123"}});
    EXPECT_EQ(reply.status, 400) << reply.text;
    EXPECT_NE(reply.text.find("kind oauth"), std::string::npos) << reply.text;
    // Without the host's OAuth app for the forge, nothing could renew it.
    config_.providers["gitlab"].oauth.reset();
    startServer();
    const auto pair = authorize();
    reply = call("PUT", "/api/v1/teams/docs/providers/gitlab",
                 {{"token", pair.access_token}, {"refresh_token", pair.refresh_token}});
    EXPECT_EQ(reply.status, 400) << reply.text;
    EXPECT_EQ(reply.body["error"]["code"], "refresh_not_configured") << reply.text;
    EXPECT_EQ(reply.text.find(pair.refresh_token), std::string::npos);
}

// GitHub: a GitHub App with expiring user tokens (ghu_, kind app; API-FACTS B11) issues a refresh
// token (ghr_); a refresh retires the old pair, a refresh token spent elsewhere is refused.
class TeamRefreshGitHubTest : public TeamRefreshTest {
protected:
    static void SetUpTestSuite() {
        ServiceTest::SetUpTestSuite();
        registry_->load(FORGELINK_TEST_GITHUB_PLUGIN);
    }
    void SetUp() override {
        ServiceTest::SetUp();
        ASSERT_NE(registry_->provider("github"), nullptr) << "the GitHub plugin did not load";
        std::string scenario = sim::SimProcess::scenarioFile("github-basic.yaml");
        const std::string app = "user: alice, scopes: [repo]}";
        const auto at = scenario.find(app);
        ASSERT_NE(at, std::string::npos);
        scenario.replace(at, app.size(), "user: alice, scopes: [repo], expiring: true}");
        sim_->loadScenario(scenario);
        config::ProviderConfig github;
        github.base_url = sim_->githubUrl();
        github.oauth = config::OAuthConfig{"Iv1.forgelink", "gh-secret", kRedirect};
        config_.providers["github"] = github;
        startServer();
    }
    std::string webRoot() const {
        std::string root = sim_->githubUrl();
        return root.substr(0, root.rfind("/api/v3"));
    }
    OAuthPair authorizeGitHub() {
        auto approved = sim::httpRequest("GET", webRoot() + "/login/oauth/authorize?client_id=Iv1.forgelink&redirect_uri=" +
                                                    support::urlEncode(kRedirect) + "&state=s");
        const std::string back = approved.header("location");
        const auto at = back.find("code=");
        EXPECT_NE(at, std::string::npos) << approved.status << " " << back << approved.body;
        if (at == std::string::npos) return {};
        const std::string code = back.substr(at + 5, back.find('&', at) - at - 5);
        auto exchanged = sim_->post(webRoot() + "/login/oauth/access_token",
                                    "client_id=Iv1.forgelink&client_secret=gh-secret&redirect_uri=" +
                                        support::urlEncode(kRedirect) + "&code=" + code,
                                    {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}});
        EXPECT_EQ(exchanged.status, 200) << exchanged.body;
        const auto body = exchanged.json();
        return {body.value("access_token", ""), body.value("refresh_token", "")};
    }
    std::size_t gitHubRefreshes() {
        std::size_t n = 0;
        for (const auto& r : sim_->requests())
            if (r.value("path", "") == "/login/oauth/access_token" &&
                r.value("body", "").find("grant_type=refresh_token") != std::string::npos)
                ++n;
        return n;
    }
    std::string storedGitHubToken() {
        auto credentials = store_->providerCredentials(teamId("docs"), "github");
        EXPECT_TRUE(credentials.ok()) << credentials.error().message;
        return credentials.ok() ? credentials->token : "";
    }
    int gitHubUserStatusWith(const std::string& token) {
        return sim_->get(sim_->githubUrl() + "/user", {{"Authorization", "Bearer " + token}}).status;
    }
};

TEST_F(TeamRefreshGitHubTest, AnAppUserTokenIsRefreshedOnceAcrossTwoHostsAndUsed) {
    createTeam("docs");
    const auto first = authorizeGitHub();
    ASSERT_EQ(first.access_token.rfind("ghu_", 0), 0u) << first.access_token;
    ASSERT_EQ(first.refresh_token.rfind("ghr_", 0), 0u);
    auto saved = call("PUT", "/api/v1/teams/docs/providers/github",
                      {{"token", first.access_token}, {"refresh_token", first.refresh_token}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    EXPECT_EQ(saved.body["settings"]["kind"], "app");

    auto other = store::SqliteStore::open((dir_ / "forgelink.db").string(), box_);
    ASSERT_TRUE(other.ok()) << other.error().message;
    auto a = maintenance(*store_, options("host-a"));
    auto b = maintenance(*other.value(), options("host-b"));
    sim_->faults({{"route", "POST /login/oauth/access_token"}, {"latency_ms", 300}});
    sim_->clearRequests();
    std::atomic<bool> go{false};
    MaintenancePass pass_a, pass_b;
    std::thread ta([&] { while (!go) std::this_thread::yield(); pass_a = a->runOnce(); });
    std::thread tb([&] { while (!go) std::this_thread::yield(); pass_b = b->runOnce(); });
    go = true;
    ta.join();
    tb.join();
    EXPECT_EQ(pass_a.team_tokens_refreshed + pass_b.team_tokens_refreshed, 1);
    EXPECT_EQ(gitHubRefreshes(), 1u);
    const std::string now_stored = storedGitHubToken();
    EXPECT_NE(now_stored, first.access_token);
    EXPECT_EQ(gitHubUserStatusWith(first.access_token), 401);
    EXPECT_EQ(gitHubUserStatusWith(now_stored), 200);
    // Eight hours to go: the next passes leave it alone.
    EXPECT_EQ(a->runOnce().team_tokens_refreshed, 0);
    EXPECT_EQ(gitHubRefreshes(), 1u);
    store_.reset();
    other.value().reset();
    const std::string bytes = databaseBytes(dir_ / "forgelink.db");
    for (const auto& secret : {first.access_token, first.refresh_token, now_stored})
        EXPECT_EQ(bytes.find(secret), std::string::npos) << "a token in the database in clear";
}

TEST_F(TeamRefreshGitHubTest, ARefreshTokenSpentElsewhereMarksTheCredentialInvalidWithOneNotice) {
    createTeam("docs");
    const auto pair = authorizeGitHub();
    auto saved = call("PUT", "/api/v1/teams/docs/providers/github/credentials/app-bot",
                      {{"token", pair.access_token}, {"refresh_token", pair.refresh_token}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    // Someone else spends the refresh token first (a copy of the pair used by another tool).
    auto spent = sim_->post(webRoot() + "/login/oauth/access_token",
                            "client_id=Iv1.forgelink&client_secret=gh-secret&grant_type=refresh_token&refresh_token=" +
                                pair.refresh_token,
                            {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}});
    ASSERT_EQ(spent.status, 200) << spent.body;
    ASSERT_TRUE(spent.json().contains("access_token")) << spent.body;

    auto job = maintenance(*store_, options());
    auto pass = job->runOnce();
    EXPECT_EQ(pass.team_tokens_invalid, 1);
    auto settings = call("GET", "/api/v1/teams/docs/providers/github/credentials/app-bot").body["settings"];
    EXPECT_EQ(settings["status"], "invalid");
    auto told = notices("docs");
    ASSERT_EQ(told.size(), 1u) << told.dump();
    EXPECT_EQ(told[0]["credential"], "app-bot");
    const std::string text = told[0]["text"];
    EXPECT_NE(text.find("GitHub credential 'app-bot'"), std::string::npos) << text;
    EXPECT_NE(text.find("refused the refresh token"), std::string::npos) << text;
    EXPECT_EQ(job->runOnce().team_tokens_invalid, 0);
    EXPECT_EQ(notices("docs").size(), 1u);
    EXPECT_EQ(told.dump().find(pair.refresh_token), std::string::npos);
    EXPECT_EQ(logText().find(pair.refresh_token), std::string::npos);
}

}  // namespace
}  // namespace forgelink::service::testing
