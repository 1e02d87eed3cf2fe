// A per-client request budget (server.limits.api_requests_per_minute and
// login_requests_per_minute): a token bucket per client address that holds `per_minute` requests
// and refills at `per_minute` a minute, so a client may burst a minute's worth and then keep the
// rate. Thread-safe. Memory is bounded: at most `max_clients` addresses are tracked; the ones whose
// bucket is full again are forgotten first (they lose nothing by it).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace forgelink::service {

// The budget key for a client address: an IPv4 address as it is; an IPv6 address by its /64
// network ("2001:db8:1:2::/64"), since one host is routinely given a whole /64 and could otherwise
// take a fresh budget for each of its 2^64 addresses; an IPv4-mapped IPv6 address
// (::ffff:198.51.100.7, what a dual-stack listener reports for IPv4 peers) as its IPv4 address, so
// a client counts the same whichever way it arrived. Text that is not an address is kept as it is.
std::string rateLimitKey(std::string_view address);

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    // `per_minute` 0: no limit.
    explicit RateLimiter(unsigned per_minute, std::size_t max_clients = 10000);

    // Takes one request for `client` at `now`. std::nullopt when it may go ahead; otherwise the
    // whole seconds (at least 1) until it may, for Retry-After.
    std::optional<std::chrono::seconds> take(std::string_view client, Clock::time_point now = Clock::now());

    unsigned perMinute() const noexcept { return per_minute_; }
    std::size_t trackedClients() const;

private:
    struct Bucket {
        double tokens = 0;
        Clock::time_point updated;
    };
    double refill(const Bucket& bucket, Clock::time_point now) const;
    void forgetSome(Clock::time_point now);

    const unsigned per_minute_;
    const std::size_t max_clients_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace forgelink::service
