// store/token_refresh.hpp: the claims that let one host of several spend a user's refresh token.
// A refresh spends the refresh token (the forge rotates the pair), so the claim, its lease, and
// what ends it (completion, release, drop, a new login) are the store's promise, tested here
// through the Store interface on every backend. The maintenance loop that relies on them is
// tested in tests/core/service/maintenance_test.cpp; teams' refresh tokens in credentials_test.cpp.
#include "store_contract.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class TokenRefreshTest : public StoreContract {
protected:
    void SetUp() override {
        StoreContract::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        alice_ = must(store_->upsertUser({"example", "forge.test", "1", "alice", ""}));
        bob_ = must(store_->upsertUser({"example", "forge.test", "2", "bob", ""}));
    }

    // A login's pair for `user`, expiring `expires_in` from now.
    UserTokens pair(const User& user, const std::string& n, std::chrono::milliseconds expires_in) {
        return {user.id, "example", "access-" + n, "refresh-" + n, now() + expires_in, {}};
    }
    std::vector<UserTokens> claim(Store& store, const std::string& owner, Timestamp at) {
        return must(store.claimUserTokensToRefresh("example", owner, at + 10min, at, 1min, 10));
    }

    User alice_;
    User bob_;
};

TEST_P(TokenRefreshTest, OnlyPairsWithARefreshTokenExpiringWithinTheMarginAreClaimedSoonestFirst) {
    must(store_->saveUserTokens(pair(alice_, "a", 8min)));
    must(store_->saveUserTokens(pair(bob_, "b", 5min)));
    const User carol = must(store_->upsertUser({"example", "forge.test", "3", "carol", ""}));
    must(store_->saveUserTokens(pair(carol, "c", 2h)));  // far from expiry
    const User dave = must(store_->upsertUser({"example", "forge.test", "4", "dave", ""}));
    must(store_->saveUserTokens({dave.id, "example", "access-d", "", now() + 1min, {}}));  // no refresh token

    auto claimed = claim(*store_, "host-a", now());
    ASSERT_EQ(claimed.size(), 2u);
    EXPECT_EQ(claimed[0].user_id, bob_.id);
    EXPECT_EQ(claimed[0].refresh_token, "refresh-b");
    EXPECT_EQ(claimed[0].access_token, "access-b");
    EXPECT_EQ(claimed[1].user_id, alice_.id);
    // Another provider's pairs are not this claim's.
    EXPECT_TRUE(must(store_->claimUserTokensToRefresh("other", "host-a", now() + 10min, now(), 1min, 10)).empty());
    // limit
    auto second_host = openStore();
    must(store_->releaseUserTokenRefresh(bob_.id, "example", "host-a"));
    must(store_->releaseUserTokenRefresh(alice_.id, "example", "host-a"));
    auto one = must(second_host->claimUserTokensToRefresh("example", "host-b", now() + 10min, now(), 1min, 1));
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].user_id, bob_.id);
}

TEST_P(TokenRefreshTest, AClaimHeldByALiveHostIsSkippedUntilItsLeaseRunsOut) {
    must(store_->saveUserTokens(pair(alice_, "1", 5min)));
    auto second_host = openStore();
    auto held = claim(*store_, "crashed-host", now());
    ASSERT_EQ(held.size(), 1u);
    EXPECT_EQ(held[0].refresh_token, "refresh-1");

    // Leased to another host: neither claimed nor stored, released or dropped by this one.
    EXPECT_TRUE(claim(*second_host, "host-b", now()).empty());
    auto next = held[0];
    next.access_token = "access-2";
    next.refresh_token = "refresh-2";
    EXPECT_EQ(second_host->completeUserTokenRefresh(next, "host-b").error().kind, ErrorKind::conflict);
    EXPECT_EQ(second_host->releaseUserTokenRefresh(alice_.id, "example", "host-b").error().kind, ErrorKind::conflict);
    EXPECT_EQ(second_host->dropClaimedUserTokens(alice_.id, "example", "host-b").error().kind, ErrorKind::conflict);

    // The lease runs out (that host died): the pair is claimed again, and the first claimant's
    // late result is refused.
    auto again = claim(*second_host, "host-b", now() + 2min);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].refresh_token, "refresh-1");
    auto late = held[0];
    late.access_token = "access-late";
    late.refresh_token = "refresh-late";
    EXPECT_EQ(store_->completeUserTokenRefresh(late, "crashed-host").error().kind, ErrorKind::conflict);

    // The holder stores the rotated pair and the claim ends with it.
    next.expires_at = now() + 2h;
    must(second_host->completeUserTokenRefresh(next, "host-b"));
    const auto stored = must(store_->userTokens(alice_.id, "example"));
    EXPECT_EQ(stored.access_token, "access-2");
    EXPECT_EQ(stored.refresh_token, "refresh-2");
    EXPECT_TRUE(claim(*store_, "host-a", now() + 2min).empty());  // not due for two hours
    EXPECT_EQ(claim(*store_, "host-a", now() + 2h).size(), 1u);   // and no claim left on it
}

TEST_P(TokenRefreshTest, AReleasedClaimKeepsThePairForTheNextPass) {
    must(store_->saveUserTokens(pair(alice_, "1", 5min)));
    ASSERT_EQ(claim(*store_, "host-a", now()).size(), 1u);
    must(store_->releaseUserTokenRefresh(alice_.id, "example", "host-a"));
    EXPECT_EQ(store_->releaseUserTokenRefresh(alice_.id, "example", "host-a").error().kind, ErrorKind::conflict);
    auto again = claim(*openStore(), "host-b", now());
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].refresh_token, "refresh-1");
}

TEST_P(TokenRefreshTest, ALoginEndsAClaimAndTheClaimantStoresNothingOverItsPair) {
    must(store_->saveUserTokens(pair(alice_, "1", 5min)));
    auto claimed = claim(*store_, "slow-host", now());
    ASSERT_EQ(claimed.size(), 1u);
    must(store_->saveUserTokens(pair(alice_, "login", 5min)));
    auto rotated = claimed[0];
    rotated.access_token = "access-2";
    rotated.refresh_token = "refresh-2";
    EXPECT_EQ(store_->completeUserTokenRefresh(rotated, "slow-host").error().kind, ErrorKind::conflict);
    EXPECT_EQ(store_->dropClaimedUserTokens(alice_.id, "example", "slow-host").error().kind, ErrorKind::conflict);
    const auto stored = must(store_->userTokens(alice_.id, "example"));
    EXPECT_EQ(stored.access_token, "access-login");
    EXPECT_EQ(stored.refresh_token, "refresh-login");
    // The new pair is free to claim at once.
    EXPECT_EQ(claim(*store_, "host-a", now()).size(), 1u);
}

TEST_P(TokenRefreshTest, ARefusedRefreshTokenIsDroppedByItsClaimant) {
    must(store_->saveUserTokens(pair(alice_, "1", 5min)));
    ASSERT_EQ(claim(*store_, "host-a", now()).size(), 1u);
    must(store_->dropClaimedUserTokens(alice_.id, "example", "host-a"));
    EXPECT_EQ(store_->userTokens(alice_.id, "example").error().kind, ErrorKind::not_found);
    EXPECT_TRUE(claim(*store_, "host-a", now() + 2min).empty());
}

INSTANTIATE_STORE_CONTRACT(TokenRefreshTest);

}  // namespace
}  // namespace forgelink::store::testing
