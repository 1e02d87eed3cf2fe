// The maintenance loop re-checking teams' stored forge tokens against forge-sim over HTTP: expiry
// that moves with a clock the test controls (the host's and the sim's, moved together), a revoked
// token found out at once after the forge's 401, a token accepted again resuming feedback, the
// daily "expires soon" log line, /metrics, and two hosts checking each token once.
#include <algorithm>
#include <atomic>
#include <thread>

#include "service/maintenance.hpp"
#include "service/notice_sender.hpp"
#include "service/token_health.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kExpiring = "glpat-expiring-in-40-days";
constexpr const char* kRevocable = "glpat-revocable-000000000";

// A team's notification webhook on loopback: records every request, answers with `status`.
class WebhookReceiver {
public:
    WebhookReceiver() {
        net::ServerOptions options;
        options.workers = 2;
        server_ = net::makeHttpServer(options, [this](const net::ServerRequest& request) {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
            net::ServerResponse response;
            response.status = status_;
            response.body = status_ == 200 ? "ok" : "no_service";
            return response;
        });
        server_->start();
    }
    ~WebhookReceiver() { server_->stop(); }
    // A Slack-like URL: its path is the secret.
    std::string url() const { return server_->baseUrl() + "/services/T0000/B0000/HookSecretPath0123"; }
    std::vector<net::ServerRequest> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    void answer(int status) {
        std::lock_guard lock(mutex_);
        status_ = status;
    }

private:
    std::unique_ptr<net::HttpServer> server_;
    std::mutex mutex_;
    std::vector<net::ServerRequest> requests_;
    int status_ = 200;
};

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
    nlohmann::json notices(const std::string& team) {
        auto reply = call("GET", "/api/v1/teams/" + team + "/notices");
        EXPECT_EQ(reply.status, 200) << reply.text;
        return reply.body["items"];
    }

    // What serve builds: the webhook client under notifications.allowed_hosts.
    std::unique_ptr<net::HttpClient> webhookClient() {
        net::ClientLimits limits;
        limits.hosts = std::make_shared<common::HostPolicy>(config_.notifications.allowed_hosts);
        limits.config_key = "notifications.allowed_hosts";
        return net::makeHttpClient(net::ProxySettings{}, std::move(limits));
    }
    NoticeSenderOptions senderOptions(const std::string& owner) {
        NoticeSenderOptions o;
        o.owner = owner;
        o.clock = [this] { return now(); };
        o.timeout = 5s;
        return o;
    }

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
    // The team's admins are told once: the 30-day threshold was crossed.
    auto told = notices("docs");
    ASSERT_EQ(told.size(), 1u) << told.dump();
    EXPECT_EQ(told[0]["kind"], "token_expiring");
    EXPECT_EQ(told[0]["provider"], "gitlab");
    EXPECT_EQ(told[0]["details"]["threshold_days"], 30);
    EXPECT_EQ(told[0]["details"]["days_left"], 25);
    EXPECT_NE(told[0]["text"].get<std::string>().find("expires in 25 days"), std::string::npos) << told.dump();
    EXPECT_EQ(told[0]["delivery"]["state"], "none");  // no webhook set: listed only
    EXPECT_EQ(told.dump().find(kExpiring), std::string::npos);
    pass = job->runOnce();  // the same day: neither checked again nor logged again
    EXPECT_EQ(pass.tokens_checked, 0);
    EXPECT_EQ(pass.expiry_reminders, 0);
    EXPECT_EQ(count(logText(), "provider token expires soon"), 1u);
    advance(std::chrono::days(1));
    EXPECT_EQ(job->runOnce().expiry_reminders, 1);
    EXPECT_EQ(count(logText(), "provider token expires soon"), 2u);
    EXPECT_EQ(settings("docs")["days_left"], 24);
    EXPECT_EQ(notices("docs").size(), 1u);  // a day later: the same threshold, no new notice

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

TEST_F(TokenChecksTest, ExpiryNoticesAtThirtySevenAndOneDayOnceEachAcrossHosts) {
    createTeam("docs");
    connectGitlab("docs", kExpiring);
    auto other = store::SqliteStore::open((dir_ / "forgelink.db").string(), box_);
    ASSERT_TRUE(other.ok()) << other.error().message;
    auto a = maintenance();
    auto b = maintenance(*other.value(), options("host-b"));
    auto both = [&] {
        a->runOnce();
        b->runOnce();
        a->runOnce();
    };
    both();
    EXPECT_TRUE(notices("docs").empty());  // 40 days left
    advance(std::chrono::days(15));        // 25
    both();
    advance(std::chrono::days(1));         // 24: the same threshold
    both();
    auto told = notices("docs");
    ASSERT_EQ(told.size(), 1u) << told.dump();
    EXPECT_EQ(told[0]["details"]["threshold_days"], 30);
    advance(std::chrono::days(17));        // 7
    both();
    advance(std::chrono::days(1));         // 6
    both();
    told = notices("docs");
    ASSERT_EQ(told.size(), 2u) << told.dump();
    EXPECT_EQ(told[0]["details"]["threshold_days"], 7);
    EXPECT_NE(told[0]["text"].get<std::string>().find("expires in 7 days"), std::string::npos) << told.dump();
    advance(std::chrono::days(5));         // 1
    both();
    told = notices("docs");
    ASSERT_EQ(told.size(), 3u) << told.dump();
    EXPECT_EQ(told[0]["details"]["threshold_days"], 1);
    EXPECT_NE(told[0]["text"].get<std::string>().find("expires tomorrow"), std::string::npos) << told.dump();
    // Paged like other listings.
    auto page = call("GET", "/api/v1/teams/docs/notices?limit=1&before=" + std::to_string(told[0]["id"].get<std::int64_t>()));
    ASSERT_EQ(page.status, 200) << page.text;
    ASSERT_EQ(page.body["items"].size(), 1u);
    EXPECT_EQ(page.body["items"][0]["details"]["threshold_days"], 7);
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/notices?page=2").status, 400);
    EXPECT_EQ(told.dump().find(kExpiring), std::string::npos);
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
    // The team's admins are told once, without the token; the next day's check adds nothing.
    auto told = notices("docs");
    ASSERT_EQ(told.size(), 1u) << told.dump();
    EXPECT_EQ(told[0]["kind"], "token_invalid");
    EXPECT_NE(told[0]["text"].get<std::string>().find("no longer accepted"), std::string::npos) << told.dump();
    EXPECT_NE(told[0]["text"].get<std::string>().find("revoked"), std::string::npos) << told.dump();
    EXPECT_EQ(told.dump().find(kRevocable), std::string::npos);
    advance(std::chrono::days(2));
    EXPECT_EQ(job->runOnce().tokens_invalid, 1);
    EXPECT_EQ(notices("docs").size(), 1u);

    // A new token is saved: active again, its feedback resumed.
    connectGitlab("docs", kBotToken);
    s = settings("docs");
    EXPECT_EQ(s["status"], "active");
    EXPECT_TRUE(s["feedback_paused"].is_null());
}

TEST_F(TokenChecksTest, EachOfSeveralCredentialsGetsItsOwnNoticeNamingIt) {
    createTeam("docs");
    connectGitlab("docs", kBotToken);  // 'default'
    auto saved = call("PUT", "/api/v1/teams/docs/providers/gitlab/credentials/bot", {{"token", kRevocable}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    auto job = maintenance();
    auto revoked = sim::httpRequest("DELETE", sim_->gitlabUrl() + "/api/v4/personal_access_tokens/self",
                                    {{"PRIVATE-TOKEN", kRevocable}});
    ASSERT_EQ(revoked.status, 204) << revoked.body;
    auto team = store_->findTeamBySlug("docs");
    ASSERT_TRUE(team.ok());
    // A 401 during a delivery with 'bot' brings its re-check forward.
    ASSERT_TRUE(store_->markProviderInvalid(team->id, "gitlab", "the forge answered 401", "bot").ok());

    EXPECT_EQ(job->runOnce().tokens_invalid, 1);
    auto told = notices("docs");
    ASSERT_EQ(told.size(), 1u) << told.dump();
    EXPECT_EQ(told[0]["credential"], "bot");
    EXPECT_EQ(told[0]["details"]["credential"], "bot");
    const std::string text = told[0]["text"];
    EXPECT_NE(text.find("credential 'bot'"), std::string::npos) << text;
    // 'default' still works: only what 'bot' serves stops, and the notice says so.
    EXPECT_NE(text.find("the repositories it serves"), std::string::npos) << text;
    EXPECT_EQ(settings("docs")["status"], "active");

    // The same token saved under another name is another credential: its refusal is news.
    saved = call("PUT", "/api/v1/teams/docs/providers/gitlab/credentials/bot-2", {{"token", kBotToken}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    ASSERT_TRUE(store_->recordNotice({team->id, "gitlab", "bot-2", store::NoticeKind::token_invalid,
                                      "token_invalid:gitlab:bot-2:x", "bot-2 refused", nlohmann::json::object()})
                    .ok());
    told = notices("docs");
    ASSERT_EQ(told.size(), 2u) << told.dump();
    EXPECT_EQ(told[0]["credential"], "bot-2");  // newest first
    EXPECT_EQ(told.dump().find(kRevocable), std::string::npos);
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

TEST_F(TokenChecksTest, ARevokedTokenProducesExactlyOneNoticeAtTheTeamsWebhookAcrossTwoHosts) {
    WebhookReceiver receiver;
    config_.notifications.allowed_hosts = {"127.0.0.1"};
    createTeam("docs");
    connectGitlab("docs", kRevocable);
    auto put = call("PUT", "/api/v1/teams/docs/notifications", {{"webhook_url", receiver.url()}});
    ASSERT_EQ(put.status, 200) << put.text;
    EXPECT_EQ(put.text.find("HookSecretPath"), std::string::npos) << put.text;
    EXPECT_NE(put.body["notifications"]["webhook"]["url_hint"].get<std::string>().find("…0123"), std::string::npos)
        << put.text;
    auto shown = call("GET", "/api/v1/teams/docs/notifications");
    EXPECT_EQ(shown.status, 200);
    EXPECT_EQ(shown.text.find("HookSecretPath"), std::string::npos) << shown.text;

    // Two hosts on one store, each with its maintenance loop and its notice sender.
    auto other = store::SqliteStore::open((dir_ / "forgelink.db").string(), box_);
    ASSERT_TRUE(other.ok()) << other.error().message;
    auto a = maintenance();
    auto b = maintenance(*other.value(), options("host-b"));
    auto client_a = webhookClient();
    auto client_b = webhookClient();
    NoticeSender sender_a(*store_, *client_a, metrics_, *logger_, senderOptions("sender-a"));
    NoticeSender sender_b(*other.value(), *client_b, metrics_, *logger_, senderOptions("sender-b"));

    auto revoked = sim::httpRequest("DELETE", sim_->gitlabUrl() + "/api/v4/personal_access_tokens/self",
                                    {{"PRIVATE-TOKEN", kRevocable}});
    ASSERT_EQ(revoked.status, 204) << revoked.body;
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab/namespaces").status / 100, 4);  // the forge's 401
    std::thread ta([&] { a->runOnce(); sender_a.runOnce(); });
    std::thread tb([&] { b->runOnce(); sender_b.runOnce(); });
    ta.join();
    tb.join();
    sender_a.runOnce();
    sender_b.runOnce();
    advance(std::chrono::days(2));  // the next day's check finds it refused again: no new notice
    a->runOnce();
    b->runOnce();
    sender_a.runOnce();
    sender_b.runOnce();

    auto got = receiver.requests();
    ASSERT_EQ(got.size(), 1u);
    const auto& hook = got[0];
    EXPECT_EQ(hook.method, "POST");
    EXPECT_EQ(hook.path, "/services/T0000/B0000/HookSecretPath0123");
    ASSERT_NE(hook.header("Content-Type"), nullptr);
    EXPECT_EQ(*hook.header("Content-Type"), "application/json");
    auto body = nlohmann::json::parse(hook.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << hook.body;
    // Slack's and Mattermost's incoming webhooks read "text"; the rest is for machines.
    EXPECT_NE(body["text"].get<std::string>().find("team docs's GitLab credential 'default' at"), std::string::npos) << hook.body;
    EXPECT_EQ(body["notice"]["kind"], "token_invalid");
    EXPECT_EQ(body["notice"]["team"], "docs");
    EXPECT_EQ(body["notice"]["credential"], "default");
    EXPECT_EQ(body["notice"]["provider"], "gitlab");
    ASSERT_NE(hook.header("X-Forgelink-Notice-Id"), nullptr);
    EXPECT_EQ(*hook.header("X-Forgelink-Notice-Id"), std::to_string(body["notice"]["id"].get<std::int64_t>()));
    EXPECT_EQ(hook.body.find(kRevocable), std::string::npos);

    auto told = notices("docs");
    ASSERT_EQ(told.size(), 1u) << told.dump();
    EXPECT_EQ(told[0]["delivery"]["state"], "delivered");
    EXPECT_EQ(told[0]["delivery"]["attempts"], 1);
    EXPECT_EQ(logText().find("HookSecretPath"), std::string::npos);
    EXPECT_EQ(logText().find(kRevocable), std::string::npos);
}

TEST_F(TokenChecksTest, AWebhookThatFailsIsRetriedWithBackoffThenGivenUpOrRefusedForGood) {
    WebhookReceiver receiver;
    config_.notifications.allowed_hosts = {"127.0.0.1"};
    createTeam("docs");
    connectGitlab("docs", kRevocable);
    ASSERT_EQ(call("PUT", "/api/v1/teams/docs/notifications", {{"webhook_url", receiver.url()}}).status, 200);
    auto team = store_->findTeamBySlug("docs");
    ASSERT_TRUE(team.ok());
    store::NewNotice n;
    n.team_id = team->id;
    n.provider = "gitlab";
    n.kind = store::NoticeKind::token_rotated;
    n.dedupe_key = "rotated:1";
    n.text = "rotated";
    ASSERT_TRUE(store_->recordNotice(n).ok());

    receiver.answer(503);
    auto client = webhookClient();
    auto o = senderOptions("sender");
    o.max_attempts = 3;
    NoticeSender sender(*store_, *client, metrics_, *logger_, o);
    EXPECT_EQ(sender.runOnce().retried, 1);
    EXPECT_EQ(sender.runOnce().retried, 0);  // not due yet: backoff
    auto told = notices("docs");
    EXPECT_EQ(told[0]["delivery"]["state"], "pending");
    EXPECT_EQ(told[0]["delivery"]["last_error"], "the webhook answered HTTP 503: no_service");
    advance(std::chrono::hours(2));
    EXPECT_EQ(sender.runOnce().retried, 1);
    advance(std::chrono::hours(2));
    EXPECT_EQ(sender.runOnce().failed, 1);  // the third attempt was the last
    told = notices("docs");
    EXPECT_EQ(told[0]["delivery"]["state"], "failed");
    EXPECT_NE(told[0]["delivery"]["last_error"].get<std::string>().find("gave up after 3 attempts"), std::string::npos);
    EXPECT_EQ(receiver.requests().size(), 3u);

    // A removed Slack webhook answers 404: failed at once, never retried.
    n.dedupe_key = "rotated:2";
    ASSERT_TRUE(store_->recordNotice(n).ok());
    receiver.answer(404);
    EXPECT_EQ(sender.runOnce().failed, 1);
    advance(std::chrono::hours(2));
    EXPECT_EQ(sender.runOnce().retried + sender.runOnce().failed, 0);
    EXPECT_EQ(receiver.requests().size(), 4u);
}

TEST_F(TokenChecksTest, WebhookAddressesFollowTheHostPolicyOfForgeBaseUrls) {
    WebhookReceiver receiver;
    createTeam("docs");
    // Loopback is refused unless the operator allows it, at once for an address...
    auto refused = call("PUT", "/api/v1/teams/docs/notifications", {{"webhook_url", receiver.url()}});
    EXPECT_EQ(refused.status, 400) << refused.text;
    EXPECT_EQ(refused.body["error"]["code"], "address_not_allowed");
    EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("notifications.allowed_hosts"), std::string::npos);
    EXPECT_EQ(refused.text.find("HookSecretPath"), std::string::npos);
    for (const char* bad : {"ftp://example.com/x", "https://user:pw@example.com/x", "not a url"}) {
        auto r = call("PUT", "/api/v1/teams/docs/notifications", {{"webhook_url", bad}});
        EXPECT_EQ(r.status, 400) << bad << " " << r.text;
    }
    EXPECT_EQ(call("PUT", "/api/v1/teams/docs/notifications", {{"webhook_url", "https://x.test/h"}, {"other", 1}}).status, 400);
    // ... and on every delivery for a name (localhost resolves to loopback).
    const std::string by_name = "http://localhost:" + receiver.url().substr(receiver.url().rfind(':') + 1);
    ASSERT_EQ(call("PUT", "/api/v1/teams/docs/notifications", {{"webhook_url", by_name}}).status, 200);
    auto team = store_->findTeamBySlug("docs");
    ASSERT_TRUE(team.ok());
    store::NewNotice n;
    n.team_id = team->id;
    n.provider = "gitlab";
    n.dedupe_key = "k";
    n.text = "t";
    ASSERT_TRUE(store_->recordNotice(n).ok());
    auto client = webhookClient();
    NoticeSender sender(*store_, *client, metrics_, *logger_, senderOptions("sender"));
    EXPECT_EQ(sender.runOnce().retried, 1);
    EXPECT_TRUE(receiver.requests().empty());
    auto told = notices("docs");
    EXPECT_NE(told[0]["delivery"]["last_error"].get<std::string>().find("notifications.allowed_hosts"), std::string::npos)
        << told.dump();
    EXPECT_EQ(told.dump().find("HookSecretPath"), std::string::npos);
    // Removed: what waits is not sent.
    EXPECT_EQ(call("DELETE", "/api/v1/teams/docs/notifications").status, 204);
    EXPECT_EQ(call("DELETE", "/api/v1/teams/docs/notifications").status, 404);
    EXPECT_TRUE(call("GET", "/api/v1/teams/docs/notifications").body["notifications"]["webhook"].is_null());
    // Both changes are in the team's audit log, with the hint only.
    auto audit = call("GET", "/api/v1/teams/docs/audit");
    ASSERT_EQ(audit.status, 200) << audit.text;
    std::vector<std::string> actions;
    for (const auto& e : audit.body["items"]) actions.push_back(e.value("action", ""));
    EXPECT_NE(std::find(actions.begin(), actions.end(), "notification_webhook.set"), actions.end()) << audit.text;
    EXPECT_NE(std::find(actions.begin(), actions.end(), "notification_webhook.removed"), actions.end()) << audit.text;
    EXPECT_EQ(audit.text.find("HookSecretPath"), std::string::npos);
}

}  // namespace
}  // namespace forgelink::service::testing
