#include "delivery/backoff.hpp"

#include <algorithm>

namespace forgelink::delivery {

std::chrono::milliseconds backoffCeiling(const BackoffPolicy& policy, std::int64_t attempts) {
    const auto base = std::max<std::int64_t>(policy.base.count(), 0);
    const auto cap = std::max<std::int64_t>(policy.cap.count(), 0);
    std::int64_t ceiling = base;
    // Doubling stops at the cap, so no shift can overflow however many attempts there were.
    for (std::int64_t i = 1; i < attempts && ceiling < cap; ++i) ceiling *= 2;
    return std::chrono::milliseconds(std::min(ceiling, cap));
}

std::chrono::milliseconds retryDelay(const BackoffPolicy& policy, std::int64_t attempts,
                                     std::optional<std::chrono::seconds> retry_after, double unit) {
    unit = std::clamp(unit, 0.0, 1.0);
    const auto ceiling = backoffCeiling(policy, attempts);
    auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(ceiling.count()) * unit));
    if (retry_after && *retry_after > delay) delay = *retry_after;
    return delay;
}

}  // namespace forgelink::delivery
