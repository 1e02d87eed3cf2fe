// When to try a failed delivery again: exponential backoff with full jitter, never sooner than
// the forge asked (Retry-After).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace forgelink::delivery {

struct BackoffPolicy {
    std::chrono::milliseconds base{1000};
    std::chrono::milliseconds cap{300000};
};

// The ceiling of the jitter window after `attempts` failed attempts (1 = the first failure):
// min(cap, base * 2^(attempts - 1)).
std::chrono::milliseconds backoffCeiling(const BackoffPolicy& policy, std::int64_t attempts);

// Full jitter: a delay drawn as `unit` * ceiling, with `unit` uniform in [0, 1). Spreading the
// retries of many tasks over the whole window keeps them from hitting a recovering forge together.
// A Retry-After is a floor: the forge said it will not accept the call before then.
std::chrono::milliseconds retryDelay(const BackoffPolicy& policy, std::int64_t attempts,
                                     std::optional<std::chrono::seconds> retry_after, double unit);

}  // namespace forgelink::delivery
