// The store's side of token rotation (issue 17): which tokens are due, the claim that gives each to
// one owner, the durable intent, and the transactions that end a rotation, each conditioned on the
// settings still holding the token that was rotated.
#include <thread>

#include "store_contract.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOld = "glpat-old-token-000000000000";
constexpr const char* kNew = "glpat-new-token-111111111111";

class RotationStoreTest : public StoreContract {
protected:
    void SetUp() override {
        StoreContract::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        team_ = must(store_->createTeam("docs", "Docs")).id;
        save(kOld, dayFromNow(10));
    }
    // now is 2023-11-14T22:13:20Z (the fixture's clock).
    std::string dayFromNow(int days) const {
        const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now()) + std::chrono::days(days)};
        char text[16];
        std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()));
        return text;
    }
    void save(const std::string& token, const std::string& expires, const std::string& name = "default") {
        ProviderSettingsInput in;
        in.team_id = team_;
        in.provider = "example";
        in.name = name;
        in.base_url = "https://forge.test";
        in.instance = "forge.test";
        in.token = token;
        in.kind = TokenKind::personal;
        in.expires_at = expires;
        must(store_->saveProviderSettings(in));
    }
    void enable(int days_before = 14, const std::string& name = "default") {
        RotationSettings settings;
        settings.enabled = true;
        settings.days_before_expiry = days_before;
        must(store_->saveRotationSettings(team_, "example", name, settings, std::string()));
    }
    std::vector<RotationClaim> claim(const std::string& owner) {
        return must(store_->claimRotations(owner, now(), 5min, 10));
    }
    std::int64_t team_ = 0;
};

TEST_P(RotationStoreTest, OnlyEnabledTokensInsideTheirWindowAreDueAndOneOwnerGetsEach) {
    EXPECT_TRUE(claim("a").empty()) << "no setting: never due";
    enable(7);
    EXPECT_TRUE(claim("a").empty()) << "10 days left, window 7";
    enable(10);
    auto got = claim("a");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].team_slug, "docs");
    EXPECT_EQ(got[0].provider, "example");
    EXPECT_EQ(got[0].settings.days_before_expiry, 10);
    EXPECT_EQ(got[0].state, RotationState::idle);
    EXPECT_TRUE(claim("b").empty()) << "a live claim is a's";
    advance(6min);
    EXPECT_EQ(claim("b").size(), 1u) << "after the lease anyone may";
    must(store_->releaseRotation(team_, "example", "default", "b"));
    must(store_->markProviderInvalid(team_, "example", "revoked"));
    EXPECT_TRUE(claim("a").empty()) << "an invalid token is not rotated";
}

TEST_P(RotationStoreTest, AnIntentLeftRotatingIsClaimedAgainWhateverItsWindow) {
    enable(10);
    ASSERT_EQ(claim("a").size(), 1u);
    must(store_->recordRotationIntent(team_, "example", "default", "a"));
    EXPECT_EQ(must(store_->providerRotation(team_, "example", "default")).state, RotationState::rotating);
    must(store_->saveRotationSettings(team_, "example", "default", RotationSettings{false, 14, 365}, std::nullopt));
    EXPECT_EQ(must(store_->providerRotation(team_, "example", "default")).state, RotationState::rotating) << "a setting change keeps it";
    advance(6min);
    auto again = claim("b");
    ASSERT_EQ(again.size(), 1u) << "disabled, yet its unknown outcome must be found out";
    EXPECT_EQ(again[0].state, RotationState::rotating);
    EXPECT_TRUE(again[0].started_at.has_value());
    EXPECT_EQ(store_->recordRotationIntent(team_, "example", "default", "a").error().kind, ErrorKind::conflict) << "a lost its claim";
}

TEST_P(RotationStoreTest, CompletingStoresTheNewTokenAndEndsTheRotationInOneStep) {
    enable(10);
    ASSERT_EQ(claim("a").size(), 1u);
    must(store_->recordRotationIntent(team_, "example", "default", "a"));
    ASSERT_EQ(must(store_->claimProviderChecks("checker", now() + 48h, 5min, 10)).size(), 1u);
    auto settings = must(store_->completeRotation(team_, "example", "default", kOld, kNew, dayFromNow(90), now()));
    EXPECT_EQ(settings.token_last4, "1111");
    EXPECT_EQ(settings.expires_at, dayFromNow(90));
    EXPECT_EQ(settings.status, ProviderStatus::active);
    EXPECT_EQ(must(store_->providerCredentials(team_, "example")).token, kNew);
    auto rotation = must(store_->providerRotation(team_, "example", "default"));
    EXPECT_EQ(rotation.state, RotationState::idle);
    EXPECT_TRUE(rotation.last_rotated_at.has_value());
    // A re-check claimed before (of the old token) can no longer record its verdict.
    ProviderCheckOutcome stale;
    stale.team_id = team_;
    stale.provider = "example";
    stale.valid = false;
    stale.invalid_reason = "revoked";
    stale.next_check_at = now();
    EXPECT_EQ(store_->completeProviderCheck(stale, "checker").error().kind, ErrorKind::conflict);
    EXPECT_TRUE(claim("a").empty()) << "90 days left: not due";
}

TEST_P(RotationStoreTest, ATokenSavedMeanwhileWinsOverTheRotatedOne) {
    enable(10);
    ASSERT_EQ(claim("a").size(), 1u);
    must(store_->recordRotationIntent(team_, "example", "default", "a"));
    save("glpat-saved-by-a-person-22222", dayFromNow(200));
    auto done = store_->completeRotation(team_, "example", "default", kOld, kNew, dayFromNow(90), now());
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(done.error().code, "token_replaced");
    EXPECT_EQ(must(store_->providerCredentials(team_, "example")).token, "glpat-saved-by-a-person-22222");
    EXPECT_FALSE(must(store_->abandonRotation(team_, "example", "default", kOld, "lost")))
        << "a lost rotation of the replaced token leaves the saved one alone";
    EXPECT_EQ(must(store_->providerSettings(team_, "example")).status, ProviderStatus::active);
    EXPECT_EQ(must(store_->providerRotation(team_, "example", "default")).state, RotationState::idle);
}

TEST_P(RotationStoreTest, AbandoningMarksTheSettingsInvalidWithTheReasonWhoeverHoldsTheClaim) {
    enable(10);
    ASSERT_EQ(claim("a").size(), 1u);
    must(store_->recordRotationIntent(team_, "example", "default", "a"));
    EXPECT_TRUE(must(store_->abandonRotation(team_, "example", "default", kOld, "the answer was lost; create a new token")));
    auto settings = must(store_->providerSettings(team_, "example"));
    EXPECT_EQ(settings.status, ProviderStatus::invalid);
    EXPECT_EQ(settings.invalid_reason, "the answer was lost; create a new token");
    auto rotation = must(store_->providerRotation(team_, "example", "default"));
    EXPECT_EQ(rotation.state, RotationState::idle);
    EXPECT_EQ(rotation.last_error, "the answer was lost; create a new token");
    EXPECT_TRUE(claim("b").empty());
}

TEST_P(RotationStoreTest, FinishingWithoutRotatingWaitsUntilTheNextAttempt) {
    enable(10);
    ASSERT_EQ(claim("a").size(), 1u);
    must(store_->finishRotation(team_, "example", "default", "a", "HTTP 400", now() + 24h));
    EXPECT_EQ(must(store_->providerRotation(team_, "example", "default")).last_error, "HTTP 400");
    EXPECT_TRUE(claim("a").empty());
    advance(24h + 1min);
    EXPECT_EQ(claim("a").size(), 1u);
}

TEST_P(RotationStoreTest, OnDemandClaimsNeedSettingsAndRefuseWhileAnotherHoldsIt) {
    auto first = must(store_->claimRotation(team_, "example", "default", "api-a", now(), 5min));
    EXPECT_FALSE(first.settings.enabled) << "created disabled";
    auto busy = store_->claimRotation(team_, "example", "default", "api-b", now(), 5min);
    ASSERT_FALSE(busy.ok());
    EXPECT_EQ(busy.error().code, "rotation_in_progress");
    EXPECT_NE(busy.error().message.find("api-a"), std::string::npos) << busy.error().message;
    EXPECT_EQ(store_->claimRotation(team_, "nothing", "default", "api-b", now(), 5min).error().kind, ErrorKind::not_found);
    must(store_->deleteProviderSettings(team_, "example"));
    EXPECT_EQ(store_->providerRotation(team_, "example", "default").error().kind, ErrorKind::not_found)
        << "the setting goes with the token";
}

TEST_P(RotationStoreTest, ConcurrentClaimsFromTwoStoresGiveTheTokenToOne) {
    enable(10);
    auto other = openStore();
    std::vector<RotationClaim> a, b;
    std::thread ta([&] { a = must(store_->claimRotations("a", now(), 5min, 10)); });
    std::thread tb([&] { b = must(other->claimRotations("b", now(), 5min, 10)); });
    ta.join();
    tb.join();
    EXPECT_EQ(a.size() + b.size(), 1u);
}

TEST_P(RotationStoreTest, EachNamedCredentialRotatesOnItsOwn) {
    constexpr const char* kBot = "glpat-bot-token-222222222222";
    constexpr const char* kBotNew = "glpat-bot-new-token-33333333";
    save(kBot, dayFromNow(5), "bot");
    enable(7, "bot");  // 'default' (10 days left) has no setting: only 'bot' is due
    auto got = claim("a");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].name, "bot");
    EXPECT_EQ(store_->providerRotation(team_, "example", "default").error().kind, ErrorKind::not_found);

    must(store_->recordRotationIntent(team_, "example", "bot", "a"));
    EXPECT_EQ(store_->completeRotation(team_, "example", "bot", kOld, kBotNew, dayFromNow(90), now()).error().code,
              "token_replaced")
        << "the old token must be bot's own, not another credential's";
    auto settings = must(store_->completeRotation(team_, "example", "bot", kBot, kBotNew, dayFromNow(90), now()));
    EXPECT_EQ(settings.name, "bot");
    EXPECT_EQ(must(store_->providerCredentials(team_, "example", "bot")).token, kBotNew);
    EXPECT_EQ(must(store_->providerCredentials(team_, "example")).token, kOld) << "default untouched";
    EXPECT_TRUE(must(store_->providerRotation(team_, "example", "bot")).last_rotated_at.has_value());

    // Each keeps its own claim: an on-demand claim of 'default' is not refused by one on 'bot'.
    must(store_->claimRotation(team_, "example", "bot", "api-a", now(), 5min));
    EXPECT_TRUE(store_->claimRotation(team_, "example", "default", "api-b", now(), 5min).ok());
    EXPECT_EQ(store_->claimRotation(team_, "example", "nobody", "api-b", now(), 5min).error().kind, ErrorKind::not_found);

    // Removing 'bot' takes only its rotation row.
    must(store_->deleteProviderSettings(team_, "example", "bot"));
    EXPECT_EQ(store_->providerRotation(team_, "example", "bot").error().kind, ErrorKind::not_found);
    EXPECT_TRUE(store_->providerRotation(team_, "example", "default").ok());
}

INSTANTIATE_STORE_CONTRACT(RotationStoreTest);

}  // namespace
}  // namespace forgelink::store::testing
