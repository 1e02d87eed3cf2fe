// Notices to a team's admins about its forge tokens (issue 17, "admins told, once"): token
// invalid, expiring within 30 / 7 / 1 days, rotated, rotation failed. Each is recorded once per
// event in the store (Store::recordNotice: the dedupe key decides across hosts and restarts),
// listed at GET /api/v1/teams/{team}/notices and, when the team set a notification webhook,
// delivered to it through the notice outbox (delivery/notice_sender.hpp).
//
// Callers build the dedupe key from what makes the event one event: the credential's name, the
// token (tokenFingerprint, never the token itself), the kind and, for expiry, the expiry date and the threshold crossed.
// Text and details must never hold a token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "store/store.hpp"

namespace forgelink::service {

// Records the notice unless its event was recorded before, and logs it (warn) when it is new.
// Returns the notice when this call recorded it, std::nullopt when it was recorded before or the
// store failed (logged). Never throws; safe from any thread.
std::optional<store::Notice> recordNotice(store::Store& store, common::JsonLogger& log, std::int64_t team_id,
                                          const std::string& provider, const std::string& credential,
                                          store::NoticeKind kind,
                                          const std::string& dedupe_key, const std::string& text,
                                          nlohmann::json details = nlohmann::json::object());

// A short one-way digest of a token for dedupe keys (16 hex characters of SHA-256 over a
// Forgelink-specific prefix): tells two tokens apart, reveals nothing usable about either.
std::string tokenFingerprint(const std::string& token);

// The notice threshold a token with `days_left` has crossed: 1, 7 or 30; none above 30 days or
// once expired (an expired token is refused by its forge: that is a token_invalid notice).
std::optional<int> expiryThreshold(int days_left);

}  // namespace forgelink::service
