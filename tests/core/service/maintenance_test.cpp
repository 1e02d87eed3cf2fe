// The maintenance loop against forge-sim over HTTP: login tokens refreshed before they expire
// (GitLab rotates the pair), refused ones dropped, several hosts on one store refreshing once;
// purging expired rows; and per-team gauges leaving /metrics with their team.
#include <atomic>
#include <thread>

#include <forgelink/support/http_text.hpp>

#include "service/maintenance.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

using namespace std::chrono_literals;

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

class MaintenanceTest : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        // Access tokens that live 5 minutes: inside the default 10-minute margin from the start.
        std::string scenario = sim::SimProcess::scenarioFile("gitlab-basic.yaml");
        const auto at = scenario.find("\ngitlab:\n");
        ASSERT_NE(at, std::string::npos);
        scenario.insert(at + 9, "  oauth_token_ttl: 300\n");
        sim_->loadScenario(scenario);
    }

    MaintenanceOptions options() {
        MaintenanceOptions o;
        o.owner = "host-a";
        return o;
    }
    std::unique_ptr<Maintenance> maintenance(store::Store& store, MaintenanceOptions o) {
        return std::make_unique<Maintenance>(MaintenanceDeps{store, *registry_, config_, metrics_, *logger_}, std::move(o));
    }
    std::unique_ptr<Maintenance> maintenance() { return maintenance(*store_, options()); }

    // alice logs in through the API (the sim approves); returns her user id.
    std::int64_t loginAlice() {
        auto start = call("GET", "/auth/gitlab/login", nullptr, {}, false);
        EXPECT_EQ(start.status, 302) << start.text;
        auto approved = sim::httpRequest("GET", start.header("location"));
        // The forge sends the browser back with ?code=...&state=..., already URL-encoded.
        const std::string back = approved.header("location");
        EXPECT_NE(back.find("?code="), std::string::npos) << back;
        const std::string login_cookie = start.header("set-cookie").substr(0, start.header("set-cookie").find(';'));
        auto callback = call("GET", "/auth/gitlab/callback" + back.substr(back.find('?')), nullptr,
                             {{"Cookie", login_cookie}}, false);
        EXPECT_EQ(callback.status, 302) << callback.text;
        const std::string cookie = callback.header("set-cookie");
        auto me = asUser(cookie.substr(cookie.find('=') + 1, 64), "GET", "/api/v1/session");
        EXPECT_EQ(me.status, 200) << me.text;
        return me.body["user"].value("id", std::int64_t{0});
    }

    store::UserTokens tokensOf(std::int64_t user_id) {
        auto tokens = store_->userTokens(user_id, "gitlab");
        EXPECT_TRUE(tokens.ok()) << tokens.error().message;
        return tokens.ok() ? tokens.value() : store::UserTokens{};
    }

    int userStatusWith(const std::string& access_token) {
        return sim_->get(sim_->gitlabUrl() + "/api/v4/user", {{"Authorization", "Bearer " + access_token}}).status;
    }

    sim::HttpResult spendRefreshToken(const std::string& refresh_token) {
        return sim_->post(sim_->gitlabUrl() + "/oauth/token",
                          "grant_type=refresh_token&client_id=forgelink-app&client_secret=forgelink-secret&"
                          "redirect_uri=" + support::urlEncode("http://127.0.0.1:8976/callback") +
                              "&refresh_token=" + refresh_token,
                          {{"Content-Type", "application/x-www-form-urlencoded"}});
    }

    std::size_t refreshRequests() {
        std::size_t n = 0;
        for (const auto& r : sim_->requests())
            if (r.value("path", "") == "/oauth/token" && r.value("body", "").find("grant_type=refresh_token") != std::string::npos)
                ++n;
        return n;
    }

    void expectNoSecretLogged(const store::UserTokens& tokens) {
        EXPECT_EQ(logText().find(tokens.access_token), std::string::npos);
        EXPECT_EQ(logText().find(tokens.refresh_token), std::string::npos);
    }
};

TEST_F(MaintenanceTest, RefreshesBeforeExpiryAndStoresTheRotatedPair) {
    const auto user = loginAlice();
    const auto first = tokensOf(user);
    ASSERT_FALSE(first.refresh_token.empty());
    ASSERT_TRUE(first.expires_at.has_value());
    EXPECT_LT(*first.expires_at, store::nowTimestamp() + 10min);  // due within the margin
    auto job = maintenance();

    auto pass = job->runOnce();
    EXPECT_EQ(pass.tokens_refreshed, 1);
    EXPECT_EQ(pass.refresh_failures, 0);
    const auto second = tokensOf(user);
    EXPECT_NE(second.access_token, first.access_token);
    EXPECT_NE(second.refresh_token, first.refresh_token);
    ASSERT_TRUE(second.expires_at.has_value());
    EXPECT_GE(*second.expires_at, *first.expires_at);
    // GitLab's rotation: the old pair is dead, the new one works.
    auto replay = spendRefreshToken(first.refresh_token);
    EXPECT_EQ(replay.status, 400) << replay.body;
    EXPECT_EQ(replay.json().value("error", ""), "invalid_grant");
    EXPECT_EQ(userStatusWith(first.access_token), 401);
    EXPECT_EQ(userStatusWith(second.access_token), 200);

    // Still inside the margin: the next pass must spend the new refresh token (the old one would
    // be refused and the tokens dropped).
    pass = job->runOnce();
    EXPECT_EQ(pass.tokens_refreshed, 1);
    EXPECT_EQ(pass.tokens_dropped, 0);
    const auto third = tokensOf(user);
    EXPECT_NE(third.refresh_token, second.refresh_token);
    EXPECT_EQ(userStatusWith(third.access_token), 200);
    EXPECT_EQ(refreshRequests(), 3u);  // the job's two and the test's replay
    EXPECT_EQ(metrics_.value("forgelink_login_token_refreshes_total", {{"provider", "gitlab"}, {"outcome", "refreshed"}}), 2);
    EXPECT_NE(logText().find("login tokens refreshed"), std::string::npos);
    for (const auto& tokens : {first, second, third}) expectNoSecretLogged(tokens);
}

TEST_F(MaintenanceTest, TokensFarFromExpiryAreLeftAlone) {
    const auto user = loginAlice();
    const auto before = tokensOf(user);
    auto o = options();
    o.refresh_margin = 1min;  // the token has 5 minutes left
    auto pass = maintenance(*store_, o)->runOnce();
    EXPECT_EQ(pass.tokens_refreshed, 0);
    EXPECT_EQ(refreshRequests(), 0u);
    EXPECT_EQ(tokensOf(user).refresh_token, before.refresh_token);
}

TEST_F(MaintenanceTest, ARevokedRefreshTokenDropsTheTokensAndIsLoggedOnce) {
    const auto user = loginAlice();
    const auto tokens = tokensOf(user);
    auto revoked = sim_->post(sim_->gitlabUrl() + "/oauth/revoke",
                              "client_id=forgelink-app&client_secret=forgelink-secret&token=" + tokens.refresh_token,
                              {{"Content-Type", "application/x-www-form-urlencoded"}});
    ASSERT_EQ(revoked.status, 200);
    auto job = maintenance();

    auto pass = job->runOnce();
    EXPECT_EQ(pass.tokens_dropped, 1);
    EXPECT_EQ(pass.tokens_refreshed, 0);
    auto gone = store_->userTokens(user, "gitlab");
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().kind, ErrorKind::not_found);
    pass = job->runOnce();
    EXPECT_EQ(pass.tokens_dropped, 0);
    EXPECT_EQ(refreshRequests(), 1u);  // nothing left to try again
    EXPECT_EQ(count(logText(), "login tokens dropped"), 1u);
    EXPECT_NE(logText().find("invalid_grant"), std::string::npos);
    expectNoSecretLogged(tokens);
    // The person is still known; logging in again stores a fresh pair.
    EXPECT_TRUE(store_->user(user).ok());
}

TEST_F(MaintenanceTest, ATransientFailureKeepsTheTokensForTheNextPass) {
    const auto user = loginAlice();
    const auto before = tokensOf(user);
    sim_->faults({{"route", "POST /oauth/token"}, {"fail_next", 2}, {"status", 503}});
    auto job = maintenance();

    auto pass = job->runOnce();
    EXPECT_EQ(pass.refresh_failures, 1);
    EXPECT_EQ(pass.tokens_dropped, 0);
    EXPECT_EQ(tokensOf(user).refresh_token, before.refresh_token);
    pass = job->runOnce();  // the claim was handed back, so the next pass may try at once
    EXPECT_EQ(pass.refresh_failures, 1);
    // A forge that stays down is reported once, not once a pass.
    EXPECT_EQ(count(logText(), "login token refresh failed"), 1u);

    pass = job->runOnce();
    EXPECT_EQ(pass.tokens_refreshed, 1);
    EXPECT_NE(tokensOf(user).refresh_token, before.refresh_token);
    expectNoSecretLogged(before);
}

TEST_F(MaintenanceTest, TwoHostsOnOneStoreSpendTheRefreshTokenOnce) {
    const auto user = loginAlice();
    // A second host: its own connection pool on the same database file, its own owner.
    auto other = store::SqliteStore::open((dir_ / "forgelink.db").string(), box_);
    ASSERT_TRUE(other.ok()) << other.error().message;
    auto o = options();
    o.owner = "host-b";
    auto a = maintenance();
    auto b = maintenance(*other.value(), o);
    // A slow forge keeps the winner's refresh in flight while the other host looks for work.
    sim_->faults({{"route", "POST /oauth/token"}, {"latency_ms", 300}});

    for (int round = 1; round <= 3; ++round) {
        const auto before = tokensOf(user);
        std::atomic<bool> go{false};
        MaintenancePass pass_a, pass_b;
        std::thread ta([&] { while (!go) std::this_thread::yield(); pass_a = a->runOnce(); });
        std::thread tb([&] { while (!go) std::this_thread::yield(); pass_b = b->runOnce(); });
        go = true;
        ta.join();
        tb.join();
        EXPECT_EQ(pass_a.tokens_refreshed + pass_b.tokens_refreshed, 1) << "round " << round;
        EXPECT_EQ(pass_a.tokens_dropped + pass_b.tokens_dropped, 0) << "round " << round;
        EXPECT_EQ(refreshRequests(), static_cast<std::size_t>(round));
        const auto after = tokensOf(user);
        EXPECT_NE(after.refresh_token, before.refresh_token);
        EXPECT_EQ(userStatusWith(after.access_token), 200);
    }
    // No refresh token was ever spent twice: the forge refused none.
    for (const auto& r : sim_->requests()) {
        if (r.value("path", "") == "/oauth/token") {
            EXPECT_EQ(r.value("status", 0), 200) << r.dump();
        }
    }
}

TEST_F(MaintenanceTest, AClaimHeldByALiveHostIsSkippedAndALoginEndsIt) {
    const auto user = loginAlice();
    const auto now = store::nowTimestamp();
    auto held = store_->claimUserTokensToRefresh("gitlab", "crashed-host", now + 1h, now, 1min, 10);
    ASSERT_TRUE(held.ok()) << held.error().message;
    ASSERT_EQ(held.value().size(), 1u);
    EXPECT_EQ(held.value()[0].refresh_token, tokensOf(user).refresh_token);

    EXPECT_EQ(maintenance()->runOnce().tokens_refreshed, 0);  // leased to another host
    EXPECT_EQ(refreshRequests(), 0u);

    // The lease runs out (that host died): the pair is claimed again and refreshed.
    auto later = options();
    later.clock = [] { return store::nowTimestamp() + 2min; };
    later.refresh_margin = 1h;
    EXPECT_EQ(maintenance(*store_, later)->runOnce().tokens_refreshed, 1);
    auto stale = store_->completeUserTokenRefresh(held.value()[0], "crashed-host");
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().kind, ErrorKind::conflict);

    // A login while a claim is out: the claimant's result is not stored over the new pair.
    const auto claimed = store_->claimUserTokensToRefresh("gitlab", "slow-host", now + 1h, now, 1min, 10);
    ASSERT_TRUE(claimed.ok());
    ASSERT_EQ(claimed.value().size(), 1u);
    loginAlice();
    const auto fresh = tokensOf(user);
    EXPECT_EQ(store_->completeUserTokenRefresh(claimed.value()[0], "slow-host").error().kind, ErrorKind::conflict);
    EXPECT_EQ(store_->dropClaimedUserTokens(user, "gitlab", "slow-host").error().kind, ErrorKind::conflict);
    EXPECT_EQ(tokensOf(user).access_token, fresh.access_token);
}

TEST_F(MaintenanceTest, TheLoopRunsOnItsOwnThreadAndStopsPromptly) {
    const auto user = loginAlice();
    const auto before = tokensOf(user);
    auto o = options();
    o.period = 1h;  // only the first pass runs; stop() must not wait out the period
    auto job = maintenance(*store_, o);
    job->start();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (tokensOf(user).refresh_token == before.refresh_token && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    EXPECT_NE(tokensOf(user).refresh_token, before.refresh_token);
    const auto stopping = std::chrono::steady_clock::now();
    job->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - stopping, 1s);
    job->stop();  // idempotent
    EXPECT_NE(logText().find("maintenance stopped"), std::string::npos);
}

TEST_F(MaintenanceTest, PurgesExpiredSessionsLoginStatesAndOldFinishedTasks) {
    const auto now = store::nowTimestamp();
    auto user = store_->upsertUser({"gitlab", "sim", "id-purge", "purge", "Purge"});
    ASSERT_TRUE(user.ok());
    ASSERT_TRUE(store_->createSession("session-expired-0123456789", user->id, now - 1s).ok());
    ASSERT_TRUE(store_->createSession("session-live-0123456789", user->id, now + 1h).ok());
    ASSERT_TRUE(store_->saveOAuthState({"state-expired", "gitlab", "verifier-1", "/", now - 1s}).ok());
    ASSERT_TRUE(store_->saveOAuthState({"state-live", "gitlab", "verifier-2", "/", now + 10min}).ok());

    auto team = store_->createTeam("purge", "Purge");
    ASSERT_TRUE(team.ok());
    auto project = store_->createProject(team->id, "web", "Web");
    ASSERT_TRUE(project.ok());
    store::BuildInput build;
    build.project_id = project->id;
    build.commit_sha = "abc123";
    store::NewFeedbackTask task;
    task.team_id = team->id;
    task.key = store::FeedbackKey{"example", "forge.test", "55", "abc123", "forgelink/web", store::FeedbackKind::status, ""};
    task.payload = {{"state", "queued"}};
    auto recorded = store_->recordBuildChange({build, {task}});
    ASSERT_TRUE(recorded.ok()) << recorded.error().message;
    auto claimed = store_->claimDueTasks("dispatcher", now + 1s, 1min, 10);
    ASSERT_TRUE(claimed.ok());
    ASSERT_EQ(claimed->size(), 1u);
    ASSERT_TRUE(store_->completeTask(claimed->front().id, "dispatcher", {}).ok());

    auto o = options();
    o.finished_task_retention = 1h;
    auto kept = maintenance(*store_, o)->runOnce();
    EXPECT_EQ(kept.sessions_purged, 1);
    EXPECT_EQ(kept.oauth_states_purged, 1);
    EXPECT_EQ(kept.tasks_purged, 0);  // finished just now: still shown on the build
    EXPECT_FALSE(store_->findSession("session-expired-0123456789", now - 1h).ok());
    EXPECT_TRUE(store_->findSession("session-live-0123456789", now).ok());
    EXPECT_TRUE(store_->consumeOAuthState("state-live", now).ok());
    EXPECT_TRUE(store_->feedbackTask(claimed->front().id).ok());

    o.clock = [] { return store::nowTimestamp() + 2h; };
    auto later = maintenance(*store_, o)->runOnce();
    EXPECT_EQ(later.tasks_purged, 1);
    EXPECT_EQ(store_->feedbackTask(claimed->front().id).error().kind, ErrorKind::not_found);
    EXPECT_EQ(metrics_.value("forgelink_maintenance_purged_total", {{"kind", "feedback_tasks"}}), 1);
}

class TeamGauges : public ServiceTest {
protected:
    std::string scrape() {
        auto reply = call("GET", "/metrics");
        EXPECT_EQ(reply.status, 200);
        return reply.text;
    }
};

TEST_F(TeamGauges, LeaveMetricsWithTheirTeamOrProvider) {
    createTeam("alpha");
    createTeam("beta");
    createTeam("gamma");
    connectGitlab("alpha");
    connectGitlab("beta");
    connectGitlab("gamma");
    auto text = scrape();
    for (const char* team : {"alpha", "beta", "gamma"})
        EXPECT_NE(text.find("forgelink_provider_token_valid{provider=\"gitlab\",team=\"" + std::string(team) + "\"} 1"),
                  std::string::npos)
            << team << "\n" << text;

    ASSERT_EQ(call("DELETE", "/api/v1/teams/alpha/providers/gitlab").status, 204);
    ASSERT_EQ(call("DELETE", "/api/v1/teams/beta").status, 204);
    // gamma goes the way another host would delete it: straight in the shared store.
    auto gamma = store_->findTeamBySlug("gamma");
    ASSERT_TRUE(gamma.ok());
    ASSERT_TRUE(store_->deleteTeam(gamma->id).ok());
    text = scrape();
    EXPECT_EQ(text.find("team=\"alpha\""), std::string::npos) << text;
    EXPECT_EQ(text.find("team=\"beta\""), std::string::npos) << text;
    EXPECT_EQ(text.find("team=\"gamma\""), std::string::npos) << text;
    EXPECT_NE(text.find("# TYPE forgelink_provider_token_valid gauge"), std::string::npos);

    // Reconnecting brings the series back.
    connectGitlab("alpha");
    EXPECT_NE(scrape().find("forgelink_provider_token_valid{provider=\"gitlab\",team=\"alpha\"} 1"), std::string::npos);
}

TEST(MetricsSeries, RemoveMatchesEverySeriesCarryingTheLabelsAndReplaceSwapsAFamily) {
    net::Metrics metrics;
    metrics.describe("g", "gauge", "a gauge");
    metrics.set("g", {{"team", "a"}, {"provider", "x"}}, 1);
    metrics.set("g", {{"team", "a"}, {"provider", "y"}}, 2);
    metrics.set("g", {{"team", "b"}, {"provider", "x"}}, 3);
    metrics.observe("h", {{"team", "a"}}, 0.1);
    metrics.increment("c");

    EXPECT_EQ(metrics.removeSeries({}), 0u);  // never everything by accident
    EXPECT_EQ(metrics.removeSeries({{"team", "a"}, {"provider", "x"}}), 1u);
    EXPECT_EQ(metrics.value("g", {{"team", "a"}, {"provider", "y"}}), 2);
    EXPECT_EQ(metrics.removeSeries({{"team", "a"}}), 2u);  // the other gauge and the histogram
    auto text = metrics.renderPrometheus();
    EXPECT_EQ(text.find("team=\"a\""), std::string::npos) << text;
    EXPECT_NE(text.find("g{provider=\"x\",team=\"b\"} 3"), std::string::npos) << text;
    EXPECT_NE(text.find("\nc 1\n"), std::string::npos) << text;

    metrics.replaceSeries("g", {{{{"team", "c"}}, 5}});
    text = metrics.renderPrometheus();
    EXPECT_EQ(text.find("team=\"b\""), std::string::npos) << text;
    EXPECT_NE(text.find("g{team=\"c\"} 5"), std::string::npos) << text;
    EXPECT_NE(text.find("# HELP g a gauge"), std::string::npos);
}

}  // namespace
}  // namespace forgelink::service::testing
