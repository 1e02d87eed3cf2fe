// The maintenance loop re-checking teams' stored forge tokens against forge-sim over HTTP: expiry
// that moves with a clock the test controls (the host's and the sim's, moved together), a revoked
// token found out at once after the forge's 401, a token accepted again resuming feedback, the
// daily "expires soon" log line, /metrics, and two hosts checking each token once.
#include <atomic>
#include <thread>

#include "service/maintenance.hpp"
#include "service/token_health.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kExpiring = "glpat-expiring-in-40-days";
constexpr const char* kRevocable = "glpat-revocable-000000000";

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

class TokenChecksTest : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        // The sim keeps its clock across scenario loads: start the host's clock where it is.
        offset_ = std::chrono::seconds(sim_->state().value("clock_offset_seconds", std::int64_t{0}));
        std::string scenario = sim::SimProcess::scenarioFile("gitlab-basic.yaml");
        const auto at = scenario.find("\n  tokens:\n");
        ASSERT_NE(at, std::string::npos);
        const std::string expires = dateOf(now() + std::chrono::days(40));
        scenario.insert(at + 11, "    - {value: " + std::string(kExpiring) +
                                     ", user: forgelink-bot, scopes: [api], name: expiring, expires_at: " + expires +
                                     "}\n    - {value: " + kRevocable +
                                     ", user: forgelink-bot, scopes: [api], name: revocable}\n");
        sim_->loadScenario(scenario);
        options_.clock = [this] { return now(); };
        startServer();
    }

    store::Timestamp now() const {
        return store::nowTimestamp() + std::chrono::duration_cast<std::chrono::milliseconds>(offset_.load());
    }
    // Time passes for the forge and for the host alike.
    void advance(std::chrono::seconds by) {
        offset_ = offset_.load() + by;
        sim_->advanceTime(by.count());
    }

    MaintenanceOptions options(const std::string& owner = "host-a") {
        MaintenanceOptions o;
        o.owner = owner;
        o.clock = [this] { return now(); };
        return o;
    }
    std::unique_ptr<Maintenance> maintenance(store::Store& store, MaintenanceOptions o) {
        return std::make_unique<Maintenance>(MaintenanceDeps{store, *registry_, config_, metrics_, *logger_}, std::move(o));
    }
    std::unique_ptr<Maintenance> maintenance() { return maintenance(*store_, options()); }

    nlohmann::json settings(const std::string& team) {
        auto reply = call("GET", "/api/v1/teams/" + team + "/providers/gitlab");
        EXPECT_EQ(reply.status, 200) << reply.text;
        return reply.body["settings"];
    }
    static bool hasWarning(const nlohmann::json& settings, const std::string& code) {
        for (const auto& w : settings["warnings"])
            if (w.value("code", "") == code) return true;
        return false;
    }
    std::size_t selfChecks() {
        std::size_t n = 0;
        for (const auto& r : sim_->requests())
            if (r.value("method", "") == "GET" && r.value("path", "") == "/api/v4/personal_access_tokens/self") ++n;
        return n;
    }
    std::string metricsText() { return call("GET", "/metrics").text; }

    std::atomic<std::chrono::seconds> offset_{0s};
};

TEST_F(TokenChecksTest, ATokenCrossingThirtyDaysTurnsExpiringEverywhereWithoutASave) {
    createTeam("docs");
    connectGitlab("docs", kExpiring);
    auto s = settings("docs");
    EXPECT_EQ(s["days_left"], 40);
    EXPECT_EQ(s["health"]["state"], "valid");
    EXPECT_FALSE(hasWarning(s, "expires_soon"));
    EXPECT_FALSE(s["checked_at"].is_null());
    auto job = maintenance();
    EXPECT_EQ(job->runOnce().tokens_checked, 0);  // just checked by the save: not due for a day
    EXPECT_EQ(count(logText(), "provider token expires soon"), 0u);

    advance(std::chrono::days(15));
    s = settings("docs");
    EXPECT_EQ(s["days_left"], 25);
    EXPECT_EQ(s["health"]["state"], "expiring");
    ASSERT_TRUE(hasWarning(s, "expires_soon")) << s.dump();
    EXPECT_NE(s["warnings"][0]["message"].get<std::string>().find("in 25 days"), std::string::npos) << s.dump();
    EXPECT_NE(metricsText().find("forgelink_provider_token_days_until_expiry{provider=\"gitlab\",team=\"docs\"} 25"),
              std::string::npos)
        << metricsText();

    // The daily pass re-checks it with the forge and logs one warning line for the day.
    sim_->clearRequests();
    auto pass = job->runOnce();
    EXPECT_EQ(pass.tokens_checked, 1);
    EXPECT_EQ(pass.expiry_reminders, 1);
    EXPECT_EQ(selfChecks(), 1u);
    EXPECT_EQ(count(logText(), "provider token expires soon"), 1u);
    EXPECT_NE(logText().find("\"days_left\":\"25\""), std::string::npos) << logText();
    pass = job->runOnce();  // the same day: neither checked again nor logged again
    EXPECT_EQ(pass.tokens_checked, 0);
    EXPECT_EQ(pass.expiry_reminders, 0);
    EXPECT_EQ(count(logText(), "provider token expires soon"), 1u);
    advance(std::chrono::days(1));
    EXPECT_EQ(job->runOnce().expiry_reminders, 1);
    EXPECT_EQ(count(logText(), "provider token expires soon"), 2u);
    EXPECT_EQ(settings("docs")["days_left"], 24);

    // Past its expiry the forge refuses it: the next check says so, with the forge's reason.
    advance(std::chrono::days(25));
    pass = job->runOnce();
    EXPECT_EQ(pass.tokens_invalid, 1);
    s = settings("docs");
    EXPECT_EQ(s["status"], "invalid");
    EXPECT_EQ(s["health"]["state"], "invalid");
    EXPECT_NE(s["invalid_reason"].get<std::string>().find("expired"), std::string::npos) << s.dump();
    EXPECT_NE(metricsText().find("forgelink_provider_token_valid{provider=\"gitlab\",team=\"docs\"} 0"), std::string::npos);
    EXPECT_EQ(logText().find(kExpiring), std::string::npos);
}

TEST_F(TokenChecksTest, ARevokedTokenIsCheckedAtOnceAfterTheForgesUnauthorizedAndMarkedInvalid) {
    createTeam("docs");
    connectGitlab("docs", kRevocable);
    auto job = maintenance();
    sim_->clearRequests();
    EXPECT_EQ(job->runOnce().tokens_checked, 0);
    EXPECT_EQ(selfChecks(), 0u);

    // Someone revokes the token on the forge; the next call with it is answered 401.
    auto revoked = sim::httpRequest("DELETE", sim_->gitlabUrl() + "/api/v4/personal_access_tokens/self",
                                    {{"PRIVATE-TOKEN", kRevocable}});
    ASSERT_EQ(revoked.status, 204) << revoked.body;
    auto browse = call("GET", "/api/v1/teams/docs/providers/gitlab/namespaces");
    EXPECT_EQ(browse.status / 100, 4) << browse.text;

    // Not a day later: the very next pass checks it, through the checks a save makes.
    auto pass = job->runOnce();
    EXPECT_EQ(pass.tokens_invalid, 1);
    auto s = settings("docs");
    EXPECT_EQ(s["status"], "invalid");
    EXPECT_NE(s["invalid_reason"].get<std::string>().find("revoked"), std::string::npos) << s.dump();
    EXPECT_EQ(s["health"]["state"], "invalid");
    EXPECT_FALSE(s["feedback_paused"].is_null());  // deliveries wait for a new token
    EXPECT_EQ(count(logText(), "provider token invalid"), 1u);
    EXPECT_EQ(job->runOnce().tokens_invalid, 0);  // checked: next in a day
    EXPECT_EQ(logText().find(kRevocable), std::string::npos);

    // A new token is saved: active again, its feedback resumed.
    connectGitlab("docs", kBotToken);
    s = settings("docs");
    EXPECT_EQ(s["status"], "active");
    EXPECT_TRUE(s["feedback_paused"].is_null());
}

TEST_F(TokenChecksTest, ATokenTheForgeAcceptsAgainIsActiveAndItsFeedbackResumes) {
    createTeam("docs");
    connectGitlab("docs", kBotToken);
    auto team = store_->findTeamBySlug("docs");
    ASSERT_TRUE(team.ok());
    // A 401 that was the forge's hiccup, not the token's fault.
    ASSERT_TRUE(store_->markProviderInvalid(team->id, "gitlab", "gitlab no longer accepts the team's token (unauthorized)").ok());
    ASSERT_TRUE(store_->pauseTasksForTeam(team->id, "gitlab", "the token was refused").ok());
    EXPECT_EQ(settings("docs")["status"], "invalid");

    auto pass = maintenance()->runOnce();
    EXPECT_EQ(pass.tokens_checked, 1);
    EXPECT_EQ(pass.tokens_revalidated, 1);
    auto s = settings("docs");
    EXPECT_EQ(s["status"], "active");
    EXPECT_EQ(s["health"]["state"], "valid");
    EXPECT_TRUE(s["feedback_paused"].is_null());
    EXPECT_NE(logText().find("provider token accepted again"), std::string::npos);
}

TEST_F(TokenChecksTest, AForgeThatDoesNotAnswerKeepsTheTokenAndIsRetriedLater) {
    createTeam("docs");
    connectGitlab("docs", kBotToken);
    advance(std::chrono::days(2));
    sim_->faults({{"route", ".*"}, {"status", 503}, {"error_rate", 1.0}});
    auto job = maintenance();
    auto pass = job->runOnce();
    sim_->clearFaults();
    EXPECT_EQ(pass.check_failures, 1);
    EXPECT_EQ(pass.tokens_invalid, 0);
    EXPECT_EQ(settings("docs")["status"], "active");
    EXPECT_EQ(job->runOnce().tokens_checked, 0);  // retried after check_retry, not at once
    advance(std::chrono::minutes(16));
    EXPECT_EQ(job->runOnce().tokens_checked, 1);
    EXPECT_EQ(count(logText(), "provider token re-check failed"), 1u);
}

TEST_F(TokenChecksTest, TwoHostsCheckEachTokenOnceWithBoundedConcurrency) {
    const int teams = 6;
    for (int i = 0; i < teams; ++i) {
        createTeam("t" + std::to_string(i));
        connectGitlab("t" + std::to_string(i), kBotToken);
    }
    advance(std::chrono::days(2));
    auto other = store::SqliteStore::open((dir_ / "forgelink.db").string(), box_);
    ASSERT_TRUE(other.ok()) << other.error().message;
    config_.tokens.check_concurrency = 2;
    auto a = maintenance();
    auto b = maintenance(*other.value(), options("host-b"));
    sim_->faults({{"route", "GET /api/v4/personal_access_tokens/self"}, {"latency_ms", 300}});
    sim_->clearRequests();
    std::atomic<bool> go{false};
    MaintenancePass pass_a, pass_b;
    const auto started = std::chrono::steady_clock::now();
    std::thread ta([&] { while (!go) std::this_thread::yield(); pass_a = a->runOnce(); });
    std::thread tb([&] { while (!go) std::this_thread::yield(); pass_b = b->runOnce(); });
    go = true;
    ta.join();
    tb.join();
    const auto took = std::chrono::steady_clock::now() - started;
    sim_->clearFaults();
    EXPECT_EQ(pass_a.tokens_checked + pass_b.tokens_checked, teams);
    EXPECT_EQ(selfChecks(), static_cast<std::size_t>(teams));  // no token checked twice
    // Six 300 ms checks, at most two at a time per host and two hosts: never under 600 ms.
    EXPECT_GE(took, 600ms);
    EXPECT_EQ(a->runOnce().tokens_checked + b->runOnce().tokens_checked, 0);
}

}  // namespace
}  // namespace forgelink::service::testing
