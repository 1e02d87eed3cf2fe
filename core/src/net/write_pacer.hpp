// Paces a forge's content-creating writes per key (a token's digest), for the transport policy
// (HttpRequest::pacing), so Forgelink stays under a forge's limit of content creations per minute
// (API-FACTS B10) instead of finding it with 403s. A token bucket per key: `burst` writes at once,
// then a steady refill so that no 60-second window holds more than `per_minute` writes (burst + 60 s
// of refill = per_minute). Thread-safe: reservations from several threads on one key queue up
// behind each other.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace forgelink::net {

struct PacingOptions {
    int per_minute = 80;
    int burst = 20;
    // A write that would wait longer is refused with a retry time rather than blocking a
    // worker thread: the host reschedules it.
    std::chrono::milliseconds max_wait{30000};
};

class WritePacer {
public:
    using Clock = std::chrono::steady_clock;
    using Options = PacingOptions;

    explicit WritePacer(Options options = {}, std::function<Clock::time_point()> now = {},
                        std::function<void(std::chrono::milliseconds)> sleep = {});

    // Takes one write slot for `key` (a token hash), sleeping until it is due. Returns nullopt
    // when the write may go, or how long to come back after when the wait would exceed max_wait
    // (the slot is then not taken).
    std::optional<std::chrono::milliseconds> acquire(const std::string& key);

    // The wait acquire() would need now for `key`, without taking a slot.
    std::chrono::milliseconds pendingWait(const std::string& key) const;

    const Options& options() const noexcept { return options_; }

private:
    struct Bucket {
        double tokens = 0;  // may go negative: reservations already promised to waiting callers
        Clock::time_point updated;
    };
    void refill(Bucket& bucket, Clock::time_point now) const;
    double ratePerMs() const;

    Options options_;
    std::function<Clock::time_point()> now_;
    std::function<void(std::chrono::milliseconds)> sleep_;
    mutable std::mutex mutex_;
    mutable std::map<std::string, Bucket> buckets_;
};

}  // namespace forgelink::net
