// The host transport's rate-limit readers (net/rate_limit_headers.hpp names the SDK's
// forgelink/support/rate_limit.hpp): Retry-After (seconds or an
// HTTP-date), RateLimit-Reset / X-RateLimit-Reset, RateLimit-Remaining / X-RateLimit-Remaining.
// Input: a response (fuzz_http.hpp). Every wait lies in [0, kMaxRateLimitWait] and adding it to a
// clock cannot overflow.
#include <chrono>
#include <string>

#include "fuzz_http.hpp"
#include "fuzz_target.hpp"
#include "net/rate_limit_headers.hpp"

FORGELINK_FUZZ_TARGET(transport_headers) {
    using namespace forgelink;
    using std::chrono::milliseconds;
    const auto response = fuzz::readResponse(fuzz::asText(data, size));
    // A fixed "now" (2026-12-06 12:00 UTC) keeps every run of an input the same.
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1796558400));
    const auto inRange = [](milliseconds wait) { return wait >= milliseconds(0) && wait <= net::kMaxRateLimitWait; };
    for (const auto& [name, value] : response.headers) {
        if (const auto wait = net::parseRetryAfter(value, now)) {
            FUZZ_CHECK(inRange(*wait), name + ": " + std::to_string(wait->count()));
            (void)(std::chrono::steady_clock::now() + *wait);
        }
        (void)net::parseHeaderInteger(value);
    }
    if (const auto wait = net::parseRateLimitReset(response, now)) FUZZ_CHECK(inRange(*wait), std::to_string(wait->count()));
    if (const auto remaining = net::remainingQuota(response)) FUZZ_CHECK(*remaining >= 0, std::to_string(*remaining));
    // The body as one header value, so a fuzzer can grow long ones without the header syntax.
    if (const auto wait = net::parseRetryAfter(response.body, now)) FUZZ_CHECK(inRange(*wait), std::to_string(wait->count()));
    return 0;
}
