#include "service/rate_limiter.hpp"

#include "common/host_policy.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace forgelink::service {

std::string rateLimitKey(std::string_view address) {
    auto parsed = common::IpAddress::parse(address);
    if (!parsed) return std::string(address);
    if (!parsed->v6) return parsed->toString();
    static constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(std::begin(kMappedPrefix), std::end(kMappedPrefix), parsed->bytes.begin())) {
        common::IpAddress v4;
        std::copy(parsed->bytes.begin() + 12, parsed->bytes.end(), v4.bytes.begin());
        return v4.toString();
    }
    std::fill(parsed->bytes.begin() + 8, parsed->bytes.end(), 0);
    return parsed->toString() + "/64";
}

RateLimiter::RateLimiter(unsigned per_minute, std::size_t max_clients)
    : per_minute_(per_minute), max_clients_(std::max<std::size_t>(max_clients, 1)) {}

double RateLimiter::refill(const Bucket& bucket, Clock::time_point now) const {
    const double seconds = std::chrono::duration<double>(now - bucket.updated).count();
    return std::min<double>(per_minute_, bucket.tokens + std::max(seconds, 0.0) * per_minute_ / 60.0);
}

std::optional<std::chrono::seconds> RateLimiter::take(std::string_view client, Clock::time_point now) {
    if (per_minute_ == 0) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(std::string(client));
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_clients_) forgetSome(now);
        it = buckets_.emplace(std::string(client), Bucket{static_cast<double>(per_minute_), now}).first;
    }
    Bucket& bucket = it->second;
    bucket.tokens = refill(bucket, now);
    bucket.updated = now;
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return std::nullopt;
    }
    // The time until the bucket holds one whole request again.
    const double wait = (1.0 - bucket.tokens) * 60.0 / per_minute_;
    return std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(wait))));
}

void RateLimiter::forgetSome(Clock::time_point now) {
    // Clients whose bucket has filled up again are indistinguishable from new ones.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        if (refill(it->second, now) >= per_minute_) it = buckets_.erase(it);
        else ++it;
    }
    // Still full (many clients, all active): forget the least recently seen half. A client
    // forgotten this way starts again with a full budget; memory stays bounded.
    if (buckets_.size() >= max_clients_) {
        std::vector<std::pair<Clock::time_point, std::string>> seen;
        seen.reserve(buckets_.size());
        for (const auto& [client, bucket] : buckets_) seen.emplace_back(bucket.updated, client);
        const auto half = seen.begin() + static_cast<std::ptrdiff_t>(seen.size() / 2);
        std::nth_element(seen.begin(), half, seen.end());
        for (auto it = seen.begin(); it != half; ++it) buckets_.erase(it->second);
    }
}

std::size_t RateLimiter::trackedClients() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

}  // namespace forgelink::service
