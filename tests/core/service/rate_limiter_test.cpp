// RateLimiter (server.limits.api_requests_per_minute, login_requests_per_minute): the token
// bucket per client, its refill and the bound on the addresses it tracks. Time is passed in.
#include <gtest/gtest.h>

#include "service/rate_limiter.hpp"

namespace forgelink::service {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST(RateLimitKey, Ipv4AsItIsIpv6ByItsSlash64MappedIpv4AsIpv4) {
    EXPECT_EQ(rateLimitKey("198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(rateLimitKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    EXPECT_EQ(rateLimitKey("2001:DB8:1:2::ffff"), "2001:db8:1:2::/64");
    EXPECT_EQ(rateLimitKey("2001:db8:1:3::1"), "2001:db8:1:3::/64");
    EXPECT_EQ(rateLimitKey("::1"), "::/64");
    EXPECT_EQ(rateLimitKey("fe80::1"), "fe80::/64");
    EXPECT_EQ(rateLimitKey("::ffff:198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(rateLimitKey("::ffff:c633:6407"), "198.51.100.7");
    EXPECT_EQ(rateLimitKey("not an address"), "not an address");
    EXPECT_EQ(rateLimitKey(""), "");
}

TEST(RateLimiter, AMinutesWorthAtOnceThenTheRate) {
    RateLimiter limiter(60);
    const auto t0 = Clock::time_point{} + 1h;
    for (int i = 0; i < 60; ++i) ASSERT_FALSE(limiter.take("198.51.100.1", t0)) << "request " << i;
    const auto refused = limiter.take("198.51.100.1", t0);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->count(), 1);  // one request a second comes back
    // Another client has its own budget.
    EXPECT_FALSE(limiter.take("198.51.100.2", t0));
    // Refill: one request a second; half a second is not enough.
    EXPECT_TRUE(limiter.take("198.51.100.1", t0 + 500ms));
    EXPECT_FALSE(limiter.take("198.51.100.1", t0 + 1100ms));
    EXPECT_TRUE(limiter.take("198.51.100.1", t0 + 1200ms));
    // A long pause refills to a minute's worth, never more.
    const auto later = t0 + 1h;
    for (int i = 0; i < 60; ++i) ASSERT_FALSE(limiter.take("198.51.100.1", later)) << "request " << i;
    EXPECT_TRUE(limiter.take("198.51.100.1", later));
}

TEST(RateLimiter, RetryAfterIsTheWaitForOneRequestRoundedUp) {
    RateLimiter limiter(3);  // one request every 20 s
    const auto t0 = Clock::time_point{} + 1h;
    for (int i = 0; i < 3; ++i) ASSERT_FALSE(limiter.take("a", t0));
    auto wait = limiter.take("a", t0);
    ASSERT_TRUE(wait);
    EXPECT_EQ(wait->count(), 20);
    wait = limiter.take("a", t0 + 15500ms);  // a refused request takes nothing
    ASSERT_TRUE(wait);
    EXPECT_EQ(wait->count(), 5);
    EXPECT_FALSE(limiter.take("a", t0 + 21s));
}

TEST(RateLimiter, ZeroMeansNoLimitAndNoTracking) {
    RateLimiter limiter(0);
    const auto t0 = Clock::time_point{} + 1h;
    for (int i = 0; i < 10000; ++i) ASSERT_FALSE(limiter.take("a", t0));
    EXPECT_EQ(limiter.trackedClients(), 0u);
}

TEST(RateLimiter, TrackedAddressesAreBounded) {
    RateLimiter limiter(10, 100);
    const auto t0 = Clock::time_point{} + 1h;
    for (int i = 0; i < 5000; ++i) {
        limiter.take("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), t0 + std::chrono::milliseconds(i));
        ASSERT_LE(limiter.trackedClients(), 100u) << "after " << i + 1 << " addresses";
    }
}

TEST(RateLimiter, ClientsWithAFullBucketAreForgottenFirst) {
    RateLimiter limiter(60, 4);
    const auto t0 = Clock::time_point{} + 1h;
    // "busy" spends its budget; three others make one request each.
    for (int i = 0; i < 60; ++i) ASSERT_FALSE(limiter.take("busy", t0));
    for (const char* other : {"b", "c", "d"}) ASSERT_FALSE(limiter.take(other, t0));
    // 2 s later the three are full again (1 used, 2 refilled), "busy" is not: a new client
    // displaces them, and "busy" is still refused.
    const auto t1 = t0 + 2s;
    EXPECT_FALSE(limiter.take("e", t1));
    EXPECT_EQ(limiter.trackedClients(), 2u);
    EXPECT_FALSE(limiter.take("busy", t1));  // 2 refilled
    EXPECT_FALSE(limiter.take("busy", t1));
    EXPECT_TRUE(limiter.take("busy", t1)) << "a spent budget survives the eviction of idle clients";
}

TEST(RateLimiter, WhenAllAreActiveTheLeastRecentlySeenHalfIsForgotten) {
    RateLimiter limiter(60, 4);
    const auto t0 = Clock::time_point{} + 1h;
    // Four clients spend their budgets, "a" first, "d" last.
    const char* names[] = {"a", "b", "c", "d"};
    for (int n = 0; n < 4; ++n)
        for (int i = 0; i < 60; ++i) limiter.take(names[n], t0 + std::chrono::milliseconds(n));
    ASSERT_TRUE(limiter.take("d", t0 + 10ms));
    EXPECT_FALSE(limiter.take("e", t0 + 10ms));
    EXPECT_EQ(limiter.trackedClients(), 3u);  // "a" and "b" forgotten, "e" added
    EXPECT_FALSE(limiter.take("a", t0 + 10ms)) << "a forgotten client starts with a full budget";
    EXPECT_TRUE(limiter.take("c", t0 + 10ms)) << "the more recent ones are kept";
}

}  // namespace
}  // namespace forgelink::service
