#include "delivery/backoff.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using forgelink::delivery::BackoffPolicy;
using forgelink::delivery::backoffCeiling;
using forgelink::delivery::retryDelay;

TEST(Backoff, CeilingDoublesFromOneSecondUpToFiveMinutes) {
    const BackoffPolicy policy;  // the defaults: base 1 s, cap 5 min
    EXPECT_EQ(backoffCeiling(policy, 1), 1000ms);
    EXPECT_EQ(backoffCeiling(policy, 2), 2000ms);
    EXPECT_EQ(backoffCeiling(policy, 5), 16000ms);
    EXPECT_EQ(backoffCeiling(policy, 9), 256000ms);
    EXPECT_EQ(backoffCeiling(policy, 10), 300000ms);
    EXPECT_EQ(backoffCeiling(policy, 1000000), 300000ms);  // no overflow however many attempts
    EXPECT_EQ(backoffCeiling(policy, 0), 1000ms);
}

TEST(Backoff, FullJitterSpansTheWholeWindow) {
    const BackoffPolicy policy;
    EXPECT_EQ(retryDelay(policy, 3, std::nullopt, 0.0), 0ms);
    EXPECT_EQ(retryDelay(policy, 3, std::nullopt, 0.5), 2000ms);
    EXPECT_EQ(retryDelay(policy, 3, std::nullopt, 0.999), 3996ms);
    EXPECT_EQ(retryDelay(policy, 3, std::nullopt, 7.0), 4000ms);  // clamped
}

TEST(Backoff, RetryAfterIsAFloor) {
    const BackoffPolicy policy;
    EXPECT_EQ(retryDelay(policy, 1, std::chrono::seconds(30), 0.5), 30000ms);
    // A jittered delay already past Retry-After stays.
    EXPECT_EQ(retryDelay(policy, 12, std::chrono::seconds(30), 0.5), 150000ms);
}
