#include <gtest/gtest.h>

#include "net/rate_limit_headers.hpp"

namespace forgelink::net {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// 2026-12-06 12:00:00 UTC
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1796558400));

HttpResponse withHeaders(Headers headers) {
    HttpResponse r;
    r.status = 429;
    r.headers = std::move(headers);
    return r;
}

TEST(RateLimitHeaders, RetryAfterSecondsAndDates) {
    EXPECT_EQ(parseRetryAfter("3", kNow), milliseconds(3000));
    EXPECT_EQ(parseRetryAfter(" 0 ", kNow), milliseconds(0));
    // IMF-fixdate, RFC 850 and asctime, 90 s after kNow.
    EXPECT_EQ(parseRetryAfter("Sun, 06 Dec 2026 12:01:30 GMT", kNow), milliseconds(90000));
    EXPECT_EQ(parseRetryAfter("Sunday, 06-Dec-26 12:01:30 GMT", kNow), milliseconds(90000));
    EXPECT_EQ(parseRetryAfter("Sun Dec  6 12:01:30 2026", kNow), milliseconds(90000));
    // A date in the past: no wait.
    EXPECT_EQ(parseRetryAfter("Sun, 06 Dec 2020 12:01:30 GMT", kNow), milliseconds(0));
    EXPECT_FALSE(parseRetryAfter("", kNow));
    EXPECT_FALSE(parseRetryAfter("-5", kNow));
    EXPECT_FALSE(parseRetryAfter("3 s", kNow));
    EXPECT_FALSE(parseRetryAfter("1234567890123456789", kNow));  // 19 digits
}

// Found writing the fuzz target for these headers: 18 digits of seconds overflowed the
// milliseconds and an epoch or date far in the future overflowed system_clock's nanoseconds
// (undefined behaviour; a reset of 999999999999999999 came out as "no wait").
TEST(RateLimitHeaders, HugeValuesAreCappedNotWrapped) {
    EXPECT_EQ(parseRetryAfter("999999999999999999", kNow), kMaxRateLimitWait);
    EXPECT_EQ(parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", kNow), kMaxRateLimitWait);
    // A reset no forge's window reaches is not believed (it would throttle the origin for days).
    EXPECT_FALSE(parseRateLimitReset(withHeaders({{"RateLimit-Reset", "999999999999999999"}}), kNow));
    EXPECT_FALSE(parseRateLimitReset(withHeaders({{"X-RateLimit-Reset", "999999999"}}), kNow));
    EXPECT_EQ(parseRateLimitReset(withHeaders({{"RateLimit-Reset", "604799"}}), kNow), kMaxRateLimitWait - 1000ms);
}

// A NUL inside the header value ends the C string strptime reads: the date must not be taken
// with the rest ignored.
TEST(RateLimitHeaders, RetryAfterDateWithTrailingNulIsRefused) {
    const std::string value("Sun, 06 Dec 2026 12:01:30 GMT\0junk", 35);
    EXPECT_FALSE(parseRetryAfter(value, kNow));
}

TEST(RateLimitHeaders, ResetEpochOrDeltaAndRemaining) {
    EXPECT_EQ(parseRateLimitReset(withHeaders({{"RateLimit-Reset", "1796558460"}}), kNow), milliseconds(60000));
    EXPECT_EQ(parseRateLimitReset(withHeaders({{"x-ratelimit-reset", "1796558000"}}), kNow), milliseconds(0));
    EXPECT_EQ(parseRateLimitReset(withHeaders({{"RateLimit-Reset", "30"}}), kNow), milliseconds(30000));
    EXPECT_FALSE(parseRateLimitReset(withHeaders({{"RateLimit-Reset", "soon"}}), kNow));
    EXPECT_FALSE(parseRateLimitReset(withHeaders({}), kNow));
    EXPECT_EQ(remainingQuota(withHeaders({{"X-RateLimit-Remaining", "0"}})), 0);
    EXPECT_EQ(remainingQuota(withHeaders({{"RateLimit-Remaining", " 12 "}})), 12);
    EXPECT_FALSE(remainingQuota(withHeaders({{"RateLimit-Remaining", "-1"}})));
}

}  // namespace
}  // namespace forgelink::net
