// Reading a forge's rate-limit headers: Retry-After (RFC 9110 10.2.3: delta-seconds or an
// HTTP-date), RateLimit-Reset / X-RateLimit-Reset and RateLimit-Remaining / X-RateLimit-Remaining.
// The one reader of these headers: the host's transport policy decides its waits and retries with
// it, and a plugin that words a rate_limited Error from a 429 it got back reads the same wait. A forge (or whatever answers at a base URL) may send any text: every wait
// read here lies in [0, kMaxRateLimitWait], so the callers' time arithmetic cannot overflow, and a
// wait that long is refused by the policy anyway (max_retry_after).
//
// Part of Forgelink::plugin_support. Plain functions, any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include <forgelink/transport.hpp>

namespace forgelink::support {

inline constexpr std::chrono::milliseconds kMaxRateLimitWait = std::chrono::hours(24 * 7);

// Decimal digits only (surrounding white space allowed), at most 18 of them; else nullopt.
std::optional<long long> parseHeaderInteger(std::string_view text);

// How long Retry-After `value` asks to wait, seen at `now`; nullopt when it is neither form.
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

// The wait until the quota resets: RateLimit-Reset or X-RateLimit-Reset, unix seconds (what
// forges send) or, up to 1e9, delta seconds (the IETF draft). nullopt when absent, not a number, or
// kMaxRateLimitWait or more away (no forge's window is that long: the header is not believed).
std::optional<std::chrono::milliseconds> parseRateLimitReset(const HttpResponse& response,
                                                             std::chrono::system_clock::time_point now);

// RateLimit-Remaining or X-RateLimit-Remaining; nullopt when absent or not a number.
std::optional<long long> remainingQuota(const HttpResponse& response);

}  // namespace forgelink::support
