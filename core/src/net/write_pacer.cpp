#include "net/write_pacer.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

namespace forgelink::net {

WritePacer::WritePacer(Options options, std::function<Clock::time_point()> now,
                       std::function<void(std::chrono::milliseconds)> sleep)
    : options_(options), now_(std::move(now)), sleep_(std::move(sleep)) {
    options_.per_minute = std::max(1, options_.per_minute);
    options_.burst = std::clamp(options_.burst, 1, options_.per_minute);
    if (!now_) now_ = [] { return Clock::now(); };
    if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

double WritePacer::ratePerMs() const {
    // With burst == per_minute there is nothing left to refill within the minute: refill over
    // the next minute instead, which still keeps any 60 s window at per_minute + a trickle.
    int refill_per_minute = std::max(1, options_.per_minute - options_.burst);
    return refill_per_minute / 60000.0;
}

void WritePacer::refill(Bucket& bucket, Clock::time_point now) const {
    auto elapsed = std::chrono::duration<double, std::milli>(now - bucket.updated).count();
    if (elapsed > 0) {
        bucket.tokens = std::min<double>(options_.burst, bucket.tokens + elapsed * ratePerMs());
        bucket.updated = now;
    }
}

std::optional<std::chrono::milliseconds> WritePacer::acquire(const std::string& key) {
    std::chrono::milliseconds wait{0};
    {
        std::lock_guard lock(mutex_);
        const auto now = now_();
        auto [it, fresh] = buckets_.try_emplace(key);
        Bucket& b = it->second;
        if (fresh) {
            b.tokens = options_.burst;
            b.updated = now;
        }
        refill(b, now);
        if (b.tokens < 1.0) {
            wait = std::chrono::milliseconds(static_cast<long long>(std::ceil((1.0 - b.tokens) / ratePerMs())));
            if (wait > options_.max_wait) return wait;
        }
        b.tokens -= 1.0;
        // Forget idle tokens now and then: a full bucket carries no state worth keeping.
        if (buckets_.size() > 1024) {
            for (auto i = buckets_.begin(); i != buckets_.end();) {
                refill(i->second, now);
                i = i->second.tokens >= options_.burst && i != it ? buckets_.erase(i) : std::next(i);
            }
        }
    }
    if (wait.count() > 0) sleep_(wait);
    return std::nullopt;
}

std::chrono::milliseconds WritePacer::pendingWait(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) return std::chrono::milliseconds(0);
    Bucket b = it->second;
    refill(b, now_());
    if (b.tokens >= 1.0) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<long long>(std::ceil((1.0 - b.tokens) / ratePerMs())));
}

}  // namespace forgelink::net
