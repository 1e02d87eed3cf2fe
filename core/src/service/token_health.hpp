// What the host itself knows about a stored forge token's life, shared by the API (saves and
// views) and the maintenance loop (re-checks): expiry warnings computed against the host's clock
// at the moment they are shown, when the next re-check is due, and the record a check produces.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <forgelink/types.hpp>

#include "store/records.hpp"

namespace forgelink::service {

// A token this close to its expiry (in days) is "expiring": health, warnings, the daily log line.
inline constexpr int kExpiringDays = 30;

// "YYYY-MM-DD" (UTC) of `at`.
std::string dateOf(store::Timestamp at);

// The warnings to show now: the stored ones (what the forge check found) without any stored
// "expires_soon", which was true only on the day of the check, plus one computed from `expires_at`
// against `now` when the token expires within kExpiringDays.
std::vector<TokenWarning> currentWarnings(const std::vector<TokenWarning>& stored,
                                          const std::optional<std::string>& expires_at, store::Timestamp now);

// now + every, moved by a random ±10%, so tokens saved together are not all re-checked in the same
// pass (and several hosts spread their load on the forge).
store::Timestamp nextCheckAt(store::Timestamp now, std::chrono::hours every);

// The settings a successful check stores (the token and base_url are the caller's).
store::ProviderSettingsInput settingsFromCheck(const TokenInfo& info);

}  // namespace forgelink::service
