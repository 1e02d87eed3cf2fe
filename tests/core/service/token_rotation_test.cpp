// Rotating a team's GitLab token before it expires (issue 17), against forge-sim over HTTP with a
// clock the test moves for the host and the forge together: the setting and what the view says,
// one rotation inside the window (and none outside it), delivery going on with the new token, the
// rotation on demand, and every crash point of the protocol (before the call, forge acted but the
// answer lost, answer received but the store refused it, after) leaving a working or clearly
// invalid provider. Two hosts on one store rotate a token once.
#include <atomic>
#include <thread>

#include "service/maintenance.hpp"
#include "service/token_health.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRotating = "glpat-rotating-in-40-days";

class TokenRotationTest : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        offset_ = std::chrono::seconds(sim_->state().value("clock_offset_seconds", std::int64_t{0}));
        loadWorld("17.9.0-ee");
        options_.clock = [this] { return now(); };
        startServer();
    }

    void loadWorld(const std::string& version) {
        std::string scenario = sim::SimProcess::scenarioFile("gitlab-basic.yaml");
        const auto at = scenario.find("\n  tokens:\n");
        ASSERT_NE(at, std::string::npos);
        scenario.insert(at + 11, "    - {value: " + std::string(kRotating) +
                                     ", user: forgelink-bot, scopes: [api, read_user], name: forgelink-ci, expires_at: " +
                                     dateOf(now() + std::chrono::days(40)) + "}\n");
        const auto v = scenario.find("version: \"17.5.0-ee\"");
        ASSERT_NE(v, std::string::npos);
        scenario.replace(v, 20, "version: \"" + version + "\"");
        sim_->loadScenario(scenario);
    }

    store::Timestamp now() const {
        return store::nowTimestamp() + std::chrono::duration_cast<std::chrono::milliseconds>(offset_.load());
    }
    void advance(std::chrono::seconds by) {
        offset_ = offset_.load() + by;
        sim_->advanceTime(by.count());
    }

    MaintenanceOptions options(const std::string& owner = "host-a") {
        MaintenanceOptions o;
        o.owner = owner;
        o.clock = [this] { return now(); };
        o.rotation_fault = [this](RotationPoint point) { return point == fault_at_ ? fault_ : RotationFault::none; };
        return o;
    }
    std::unique_ptr<Maintenance> maintenance(store::Store& store, MaintenanceOptions o) {
        return std::make_unique<Maintenance>(MaintenanceDeps{store, *registry_, config_, metrics_, *logger_}, std::move(o));
    }
    std::unique_ptr<Maintenance> maintenance() { return maintenance(*store_, options()); }

    // A team with the token saved and rotation enabled (14 days before expiry, 90 days of life).
    void connectRotating() {
        createTeam("docs");
        connectGitlab("docs", kRotating);
        auto reply = call("PATCH", "/api/v1/teams/docs/providers/gitlab",
                          {{"rotate", {{"enabled", true}, {"days_before_expiry", 14}, {"new_lifetime_days", 90}}}});
        ASSERT_EQ(reply.status, 200) << reply.text;
    }
    nlohmann::json settings() {
        auto reply = call("GET", "/api/v1/teams/docs/providers/gitlab");
        EXPECT_EQ(reply.status, 200) << reply.text;
        return reply.body["settings"];
    }
    std::string storedToken() {
        auto credentials = store_->providerCredentials(1, "gitlab");
        EXPECT_TRUE(credentials.ok());
        return credentials.ok() ? credentials->token : std::string();
    }
    int rotateCalls() {
        int n = 0;
        for (const auto& r : sim_->requests())
            if (r.value("method", "") == "POST" && r.value("path", "").find("/rotate") != std::string::npos) ++n;
        return n;
    }
    std::string metricsText() { return call("GET", "/metrics").text; }
    // The team's notices of `kind`, newest first.
    std::vector<nlohmann::json> notices(const std::string& kind) {
        auto reply = call("GET", "/api/v1/teams/docs/notices");
        EXPECT_EQ(reply.status, 200) << reply.text;
        std::vector<nlohmann::json> out;
        for (const auto& n : reply.body["items"])
            if (n["kind"] == kind) out.push_back(n);
        return out;
    }
    int forgeStatus(const std::string& token) {
        return sim::httpRequest("GET", sim_->gitlabUrl() + "/api/v4/user", {{"PRIVATE-TOKEN", token}}).status;
    }
    // The token the forge has active under the rotated token's name (what a lost answer carried).
    std::string activeTokenOnForge() {
        const nlohmann::json state = sim_->state();
        for (const auto& t : state["gitlab"]["tokens"])
            if (t["name"] == "forgelink-ci" && t["revoked"] == false) return t["value"];
        return "";
    }
    void expectInvalidSayingWhatToDo(const std::string& cause) {
        auto s = settings();
        EXPECT_EQ(s["status"], "invalid") << s.dump();
        EXPECT_EQ(s["health"]["state"], "invalid");
        const std::string reason = s["invalid_reason"].is_string() ? s["invalid_reason"].get<std::string>() : "";
        EXPECT_NE(reason.find("revoked the old token"), std::string::npos) << reason;
        EXPECT_NE(reason.find("the only copy of the new token, was lost"), std::string::npos) << reason;
        EXPECT_NE(reason.find(cause), std::string::npos) << reason;
        EXPECT_NE(reason.find("Create a new token and save it"), std::string::npos) << reason;
        EXPECT_FALSE(s["feedback_paused"].is_null()) << "deliveries wait for a new token instead of failing";
        EXPECT_EQ(s["rotate"]["state"], "idle");
        EXPECT_EQ(forgeStatus(kRotating), 401) << "the forge did rotate";
    }

    std::atomic<std::chrono::seconds> offset_{0s};
    RotationPoint fault_at_ = RotationPoint::stored;
    RotationFault fault_ = RotationFault::none;
};

TEST_F(TokenRotationTest, TheSettingIsShownWithItsDueDateAndCheckedWithTheForge) {
    connectRotating();
    auto s = settings();
    EXPECT_EQ(s["rotate"]["enabled"], true);
    EXPECT_EQ(s["rotate"]["days_before_expiry"], 14);
    EXPECT_EQ(s["rotate"]["new_lifetime_days"], 90);
    EXPECT_EQ(s["rotate"]["available"], true) << s.dump();
    EXPECT_TRUE(s["rotate"]["unavailable_reason"].is_null());
    EXPECT_EQ(s["rotate"]["due_on"], dateOf(now() + std::chrono::days(26)));
    EXPECT_EQ(s["rotate"]["state"], "idle");

    auto bad = call("PATCH", "/api/v1/teams/docs/providers/gitlab", {{"rotate", {{"days_before_expiry", 0}}}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.text.find("rotate.days_before_expiry"), std::string::npos) << bad.text;
    auto typo = call("PATCH", "/api/v1/teams/docs/providers/gitlab", {{"rotate", {{"enable", true}}}});
    EXPECT_EQ(typo.status, 400);
    EXPECT_NE(typo.text.find("rotate.enable"), std::string::npos) << typo.text;
    auto inverted = call("PATCH", "/api/v1/teams/docs/providers/gitlab",
                         {{"rotate", {{"days_before_expiry", 100}, {"new_lifetime_days", 90}}}});
    EXPECT_EQ(inverted.status, 400) << inverted.text;

    // Saving a new token keeps the setting (and checks the new token's ability to rotate).
    connectGitlab("docs", kRotating);
    EXPECT_EQ(settings()["rotate"]["enabled"], true);
    // Off: no due date, nothing happens.
    auto off = call("PATCH", "/api/v1/teams/docs/providers/gitlab", {{"rotate", {{"enabled", false}}}});
    ASSERT_EQ(off.status, 200) << off.text;
    EXPECT_TRUE(off.body["settings"]["rotate"]["due_on"].is_null());
}

TEST_F(TokenRotationTest, AnEnabledRotationHappensOnceInsideTheWindowAndFeedbackGoesOnWithTheNewToken) {
    connectRotating();
    auto job = maintenance();
    sim_->clearRequests();
    EXPECT_EQ(job->runOnce().tokens_rotated, 0) << "40 days left: outside the 14-day window";
    advance(std::chrono::days(25));  // 15 days left
    EXPECT_EQ(job->runOnce().tokens_rotated, 0);
    EXPECT_EQ(rotateCalls(), 0);

    advance(std::chrono::days(2));  // 13 days left
    auto pass = job->runOnce();
    EXPECT_EQ(pass.tokens_rotated, 1);
    EXPECT_EQ(rotateCalls(), 1);
    const std::string fresh = storedToken();
    EXPECT_NE(fresh, kRotating);
    EXPECT_EQ(fresh, activeTokenOnForge()) << "the stored token is the forge's active one";
    EXPECT_EQ(forgeStatus(kRotating), 401);
    auto s = settings();
    EXPECT_EQ(s["status"], "active");
    EXPECT_EQ(s["expires_at"], dateOf(now() + std::chrono::days(90)));
    EXPECT_EQ(s["health"]["state"], "valid") << s.dump();
    EXPECT_FALSE(s["rotate"]["last_rotated_at"].is_null());
    EXPECT_TRUE(s["rotate"]["last_error"].is_null());
    EXPECT_NE(logText().find("provider token rotated"), std::string::npos);
    EXPECT_EQ(logText().find(fresh), std::string::npos) << "never the token in a log line";
    EXPECT_EQ(logText().find(kRotating), std::string::npos) << "never the old token either";

    // Delivery and browsing go on with the new token; nothing is rotated twice.
    const auto project = createLinkedProject("docs", "site");
    EXPECT_GT(project, 0);
    auto repos = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories");
    EXPECT_EQ(repos.status, 200) << repos.text;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(job->runOnce().tokens_rotated, 0);
    EXPECT_EQ(rotateCalls(), 1);
    // The team's admins are told once, with the new expiry and never a token.
    const auto told = notices("token_rotated");
    ASSERT_EQ(told.size(), 1u);
    EXPECT_EQ(told[0]["credential"], "default");
    const std::string text = told[0]["text"];
    EXPECT_NE(text.find("credential 'default'"), std::string::npos) << text;
    EXPECT_NE(text.find("was rotated"), std::string::npos) << text;
    EXPECT_NE(text.find(dateOf(now() + std::chrono::days(90))), std::string::npos) << text;
    EXPECT_EQ(told[0].dump().find(fresh), std::string::npos);
    EXPECT_EQ(told[0].dump().find(kRotating), std::string::npos);
    EXPECT_TRUE(notices("token_rotation_failed").empty());
    EXPECT_NE(metricsText().find("forgelink_provider_token_rotations_total{outcome=\"rotated\",provider=\"gitlab\"} 1"),
              std::string::npos)
        << metricsText();
}

TEST_F(TokenRotationTest, RotationOnDemandAnswersWithTheNewSettingsAndRefusesWhileAnotherRuns) {
    createTeam("docs");
    connectGitlab("docs", kRotating);
    // A claim held by another host: 409, nothing sent to the forge.
    ASSERT_TRUE(store_->claimRotation(1, "gitlab", "default", "host-b", now(), std::chrono::minutes(5)).ok());
    sim_->clearRequests();
    auto busy = call("POST", "/api/v1/teams/docs/providers/gitlab/rotate");
    EXPECT_EQ(busy.status, 409) << busy.text;
    EXPECT_EQ(busy.body["error"]["code"], "rotation_in_progress");
    EXPECT_EQ(rotateCalls(), 0);
    ASSERT_TRUE(store_->releaseRotation(1, "gitlab", "default", "host-b").ok());

    auto done = call("POST", "/api/v1/teams/docs/providers/gitlab/rotate");
    ASSERT_EQ(done.status, 200) << done.text;
    EXPECT_EQ(done.body["rotation"]["outcome"], "rotated");
    EXPECT_EQ(done.body["settings"]["status"], "active");
    EXPECT_EQ(done.body["settings"]["rotate"]["enabled"], false) << "on demand needs no setting";
    EXPECT_EQ(done.body["settings"]["expires_at"], dateOf(now() + std::chrono::days(365)));
    EXPECT_EQ(done.text.find(storedToken()), std::string::npos) << "the API never shows the token";
    EXPECT_EQ(rotateCalls(), 1);
    EXPECT_EQ(call("POST", "/api/v1/teams/docs/providers/nothing/rotate").status, 404);
}

TEST_F(TokenRotationTest, ARefusalBeforeActingKeepsTheOldTokenAndTriesAgainADayLater) {
    connectRotating();
    advance(std::chrono::days(27));
    sim_->faults({{"route", "POST .*/rotate"}, {"status", 400}, {"fail_next", 1}});
    auto job = maintenance();
    sim_->clearRequests();
    auto pass = job->runOnce();
    EXPECT_EQ(pass.rotations_failed, 1);
    EXPECT_EQ(storedToken(), kRotating);
    EXPECT_EQ(forgeStatus(kRotating), 200);
    auto s = settings();
    EXPECT_EQ(s["status"], "active");
    EXPECT_NE(s["rotate"]["last_error"].get<std::string>().find("HTTP 400"), std::string::npos) << s.dump();
    EXPECT_EQ(job->runOnce().rotations_failed, 0) << "not again the same day";
    EXPECT_EQ(rotateCalls(), 1);
    ASSERT_EQ(notices("token_rotation_failed").size(), 1u);
    EXPECT_EQ(notices("token_rotation_failed")[0]["details"]["outcome"], "refused");
    advance(std::chrono::days(1) + std::chrono::minutes(1));
    EXPECT_EQ(job->runOnce().tokens_rotated, 1);
    EXPECT_NE(storedToken(), kRotating);
    EXPECT_EQ(notices("token_rotation_failed").size(), 1u);
    EXPECT_EQ(notices("token_rotated").size(), 1u);
}

// Crash point 1: the intent is recorded, the host dies before asking the forge.
TEST_F(TokenRotationTest, CrashBeforeTheCallLeavesTheOldTokenWorkingAndTheNextPassRotates) {
    connectRotating();
    advance(std::chrono::days(27));
    fault_at_ = RotationPoint::intent_recorded;
    fault_ = RotationFault::crash;
    auto job = maintenance();
    sim_->clearRequests();
    job->runOnce();
    EXPECT_EQ(rotateCalls(), 0);
    EXPECT_EQ(settings()["rotate"]["state"], "rotating") << "the intent is durable";
    EXPECT_EQ(settings()["status"], "active");
    EXPECT_EQ(forgeStatus(kRotating), 200) << "the provider keeps working meanwhile";

    fault_ = RotationFault::none;
    EXPECT_EQ(job->runOnce().tokens_rotated, 0) << "the dead host's claim still holds";
    advance(std::chrono::minutes(6));  // the claim's lease ran out
    auto restarted = maintenance(*store_, options("host-restarted"));
    EXPECT_EQ(restarted->runOnce().tokens_rotated, 1) << "the old token still works: the forge never acted";
    EXPECT_EQ(rotateCalls(), 1);
    EXPECT_EQ(storedToken(), activeTokenOnForge());
    EXPECT_EQ(settings()["status"], "active");
    EXPECT_EQ(settings()["rotate"]["state"], "idle");
}

// Crash point 2: the forge acted and the connection dropped before its answer arrived.
TEST_F(TokenRotationTest, AnAnswerLostAfterTheForgeActedMarksTheProviderInvalidSayingWhatToDo) {
    connectRotating();
    advance(std::chrono::days(27));
    sim_->faults({{"route", "POST .*/rotate"}, {"reset_connection", true}, {"after_handling", true}, {"fail_next", 1}});
    auto job = maintenance();
    sim_->clearRequests();
    auto pass = job->runOnce();
    EXPECT_EQ(pass.rotations_lost, 1);
    EXPECT_EQ(rotateCalls(), 1) << "never asked twice: the old token would make GitLab revoke the new one too";
    expectInvalidSayingWhatToDo("may or may not have rotated");
    EXPECT_NE(activeTokenOnForge(), "") << "the forge holds a new token nobody received";
    EXPECT_EQ(storedToken(), kRotating);
    EXPECT_EQ(job->runOnce().rotations_lost, 0) << "an invalid token is not rotated again";
    EXPECT_EQ(rotateCalls(), 1);
    EXPECT_NE(logText().find("provider token rotation failed"), std::string::npos);
    // One "rotation failed" notice saying what to do; no "rotated" one; never a token.
    const auto failed = notices("token_rotation_failed");
    ASSERT_EQ(failed.size(), 1u);
    const std::string text = failed[0]["text"];
    EXPECT_NE(text.find("could not be rotated"), std::string::npos) << text;
    EXPECT_NE(text.find("Create a new token and save it"), std::string::npos) << text;
    EXPECT_EQ(failed[0]["details"]["outcome"], "lost");
    EXPECT_EQ(failed[0].dump().find(kRotating), std::string::npos);
    EXPECT_EQ(failed[0].dump().find(activeTokenOnForge()), std::string::npos);
    EXPECT_TRUE(notices("token_rotated").empty());

    // Saving a new token, as the message says, makes the provider work again.
    connectGitlab("docs", kBotToken);
    EXPECT_EQ(settings()["status"], "active");
    EXPECT_TRUE(settings()["feedback_paused"].is_null());
}

// Crash point 3a: the answer arrived, the store refused to save it.
TEST_F(TokenRotationTest, AnAnswerTheStoreCannotSaveMarksTheProviderInvalidAtOnce) {
    connectRotating();
    advance(std::chrono::days(27));
    fault_at_ = RotationPoint::answer_received;
    fault_ = RotationFault::fail_store;
    auto job = maintenance();
    sim_->clearRequests();
    EXPECT_EQ(job->runOnce().rotations_lost, 1);
    EXPECT_EQ(rotateCalls(), 1);
    expectInvalidSayingWhatToDo("could not store it");
}

// Crash point 3b: the answer arrived and the host died before writing anything.
TEST_F(TokenRotationTest, ACrashWithTheAnswerInHandIsFoundOutByTheNextPassWithoutAskingAgain) {
    connectRotating();
    advance(std::chrono::days(27));
    fault_at_ = RotationPoint::answer_received;
    fault_ = RotationFault::crash;
    auto job = maintenance();
    sim_->clearRequests();
    job->runOnce();
    EXPECT_EQ(rotateCalls(), 1);
    EXPECT_EQ(settings()["rotate"]["state"], "rotating");
    fault_ = RotationFault::none;
    advance(std::chrono::minutes(6));
    auto restarted = maintenance(*store_, options("host-restarted"));
    EXPECT_EQ(restarted->runOnce().rotations_lost, 1);
    EXPECT_EQ(rotateCalls(), 1) << "found out from the old token, never by rotating again";
    expectInvalidSayingWhatToDo("stopped, or lost the answer");
    EXPECT_NE(activeTokenOnForge(), "") << "the reuse detection was not triggered: the new token lives";
}

// Crash point 4: everything is stored, the host dies right after.
TEST_F(TokenRotationTest, ACrashAfterTheStoreLeavesTheNewTokenInUse) {
    connectRotating();
    advance(std::chrono::days(27));
    fault_at_ = RotationPoint::stored;
    fault_ = RotationFault::crash;
    auto job = maintenance();
    sim_->clearRequests();
    job->runOnce();
    fault_ = RotationFault::none;
    advance(std::chrono::minutes(6));
    EXPECT_EQ(maintenance(*store_, options("host-restarted"))->runOnce().tokens_rotated, 0);
    EXPECT_EQ(rotateCalls(), 1);
    EXPECT_EQ(storedToken(), activeTokenOnForge());
    auto s = settings();
    EXPECT_EQ(s["status"], "active");
    EXPECT_EQ(s["rotate"]["state"], "idle");
}

TEST_F(TokenRotationTest, TwoHostsOnOneStoreRotateTheTokenOnce) {
    connectRotating();
    advance(std::chrono::days(27));
    auto other = store::SqliteStore::open((dir_ / "forgelink.db").string(), box_);
    ASSERT_TRUE(other.ok()) << other.error().message;
    auto a = maintenance(*store_, options("host-a"));
    auto b = maintenance(*other.value(), options("host-b"));
    sim_->clearRequests();
    std::atomic<bool> go{false};
    MaintenancePass pass_a, pass_b;
    std::thread ta([&] { while (!go) std::this_thread::yield(); pass_a = a->runOnce(); });
    std::thread tb([&] { while (!go) std::this_thread::yield(); pass_b = b->runOnce(); });
    go = true;
    ta.join();
    tb.join();
    EXPECT_EQ(pass_a.tokens_rotated + pass_b.tokens_rotated, 1);
    EXPECT_EQ(pass_a.rotations_lost + pass_b.rotations_lost, 0);
    EXPECT_EQ(rotateCalls(), 1);
    EXPECT_EQ(storedToken(), activeTokenOnForge());
    EXPECT_EQ(a->runOnce().tokens_rotated + b->runOnce().tokens_rotated, 0);
    EXPECT_EQ(rotateCalls(), 1);
    EXPECT_EQ(notices("token_rotated").size(), 1u) << "one notice across the two hosts";
}

// Several named credentials per forge: each has its own setting and rotates on its own, on demand
// through .../credentials/{credential}/rotate and when due; the audit log records both (never the token).
TEST_F(TokenRotationTest, ANamedCredentialRotatesOnItsOwnAndTheAuditLogSaysSo) {
    createTeam("docs");
    connectGitlab("docs", kBotToken);  // 'default'
    auto saved = call("PUT", "/api/v1/teams/docs/providers/gitlab/credentials/ci", {{"token", kRotating}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    auto set = call("PATCH", "/api/v1/teams/docs/providers/gitlab/credentials/ci",
                    {{"rotate", {{"enabled", true}, {"days_before_expiry", 14}, {"new_lifetime_days", 90}}}});
    ASSERT_EQ(set.status, 200) << set.text;
    EXPECT_EQ(set.body["settings"]["name"], "ci");
    EXPECT_EQ(set.body["settings"]["rotate"]["enabled"], true);
    EXPECT_EQ(settings()["rotate"]["enabled"], false) << "'default' keeps its own setting";

    // When due, only 'ci' rotates; 'default' is untouched.
    advance(std::chrono::days(27));
    auto job = maintenance();
    sim_->clearRequests();
    EXPECT_EQ(job->runOnce().tokens_rotated, 1);
    EXPECT_EQ(rotateCalls(), 1);
    const std::string fresh = store_->providerCredentials(1, "gitlab", "ci").value().token;
    EXPECT_EQ(fresh, activeTokenOnForge());
    EXPECT_EQ(storedToken(), kBotToken) << "'default' untouched";

    // On demand, by name; the route without a name acts on 'default'.
    auto busy = store_->claimRotation(1, "gitlab", "ci", "host-b", now(), std::chrono::minutes(5));
    ASSERT_TRUE(busy.ok());
    EXPECT_EQ(call("POST", "/api/v1/teams/docs/providers/gitlab/credentials/ci/rotate").status, 409);
    ASSERT_TRUE(store_->releaseRotation(1, "gitlab", "ci", "host-b").ok());
    auto done = call("POST", "/api/v1/teams/docs/providers/gitlab/credentials/ci/rotate");
    ASSERT_EQ(done.status, 200) << done.text;
    EXPECT_EQ(done.body["settings"]["name"], "ci");
    EXPECT_EQ(rotateCalls(), 2);
    const std::string again = store_->providerCredentials(1, "gitlab", "ci").value().token;
    EXPECT_NE(again, fresh);
    EXPECT_EQ(again, activeTokenOnForge());
    EXPECT_EQ(storedToken(), kBotToken);
    EXPECT_EQ(call("POST", "/api/v1/teams/docs/providers/gitlab/credentials/nobody/rotate").status, 404);
    EXPECT_EQ(call("PATCH", "/api/v1/teams/docs/providers/gitlab/credentials/nobody", {{"rotate", {{"enabled", true}}}}).status,
              404);

    // The audit log: the setting (by the operator), the rotation when due (by the host itself) and
    // on demand (by the operator), each naming the credential and never a token.
    auto audit = call("GET", "/api/v1/teams/docs/audit?limit=200");
    ASSERT_EQ(audit.status, 200) << audit.text;
    std::vector<std::string> rotated_by;
    int settings_changed = 0;
    for (const auto& e : audit.body["items"]) {
        if (e["action"] == "provider_token.rotated") {
            EXPECT_EQ(e["target"], "gitlab/ci");
            EXPECT_EQ(e["details"]["credential"], "ci");
            rotated_by.push_back(e["actor"]["kind"]);
        }
        if (e["action"] == "provider_token.rotation_set") {
            ++settings_changed;
            EXPECT_EQ(e["target"], "gitlab/ci");
            EXPECT_EQ(e["details"]["enabled"], true);
        }
    }
    EXPECT_EQ(rotated_by, (std::vector<std::string>{"operator", "system"})) << audit.text;  // newest first
    EXPECT_EQ(settings_changed, 1) << audit.text;
    for (const auto& secret : {std::string(kRotating), fresh, again, std::string(kBotToken)})
        EXPECT_EQ(audit.text.find(secret), std::string::npos) << "never a token in the audit log";
}

// A forge whose plugin cannot rotate (GitHub's API has none; the example plugin stands for it):
// enabling rotation says so on save, the view keeps warning, and rotating on demand is refused.
TEST_F(TokenRotationTest, AForgeWithoutRotationIsSaidSoOnSaveAndKeepsWarning) {
    createTeam("docs");
    auto saved = call("PUT", "/api/v1/teams/docs/providers/example", {{"token", "good-token"}, {"rotate", {{"enabled", true}}}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    auto check = [](const nlohmann::json& s) {
        EXPECT_EQ(s["rotate"]["enabled"], true);
        EXPECT_EQ(s["rotate"]["available"], false) << s.dump();
        const std::string reason = s["rotate"]["unavailable_reason"].is_string() ? s["rotate"]["unavailable_reason"].get<std::string>() : "";
        EXPECT_NE(reason.find("cannot be rotated"), std::string::npos) << reason;
        bool warned = false;
        for (const auto& w : s["warnings"]) warned = warned || w["code"] == "rotation_unavailable";
        EXPECT_TRUE(warned) << s.dump();
    };
    check(saved.body["settings"]);
    advance(std::chrono::days(3));
    auto later = call("GET", "/api/v1/teams/docs/providers/example");
    ASSERT_EQ(later.status, 200) << later.text;
    check(later.body["settings"]);
    auto rotate = call("POST", "/api/v1/teams/docs/providers/example/rotate");
    EXPECT_EQ(rotate.status, 422) << rotate.text;
    EXPECT_EQ(rotate.body["error"]["code"], "rotation_unavailable");
}

class OldGitLabRotationTest : public TokenRotationTest {
protected:
    void SetUp() override {
        TokenRotationTest::SetUp();
        loadWorld("16.9.1-ee");
    }
};

TEST_F(OldGitLabRotationTest, AForgeThatCannotRotateIsSaidSoOnSaveAndTheExpiryWarningStays) {
    connectRotating();
    auto s = settings();
    EXPECT_EQ(s["rotate"]["enabled"], true);
    EXPECT_EQ(s["rotate"]["available"], false);
    const std::string reason = s["rotate"]["unavailable_reason"];
    EXPECT_NE(reason.find("GitLab 16.9.1-ee"), std::string::npos) << reason;
    EXPECT_NE(reason.find("16.10"), std::string::npos) << reason;
    bool warned = false;
    for (const auto& w : s["warnings"]) warned = warned || w["code"] == "rotation_unavailable";
    EXPECT_TRUE(warned) << s.dump();

    advance(std::chrono::days(27));
    auto job = maintenance();
    sim_->clearRequests();
    EXPECT_EQ(job->runOnce().rotations_failed, 1);
    EXPECT_EQ(rotateCalls(), 0) << "nothing asked of a forge that cannot";
    s = settings();
    EXPECT_EQ(s["status"], "active");
    EXPECT_EQ(s["health"]["state"], "expiring");
    bool expiring = false;
    for (const auto& w : s["warnings"]) expiring = expiring || w["code"] == "expires_soon";
    EXPECT_TRUE(expiring) << "the expiry warning stays: " << s.dump();
    EXPECT_EQ(call("POST", "/api/v1/teams/docs/providers/gitlab/rotate").status, 422);
}

}  // namespace
}  // namespace forgelink::service::testing
