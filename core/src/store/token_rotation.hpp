// Rotating teams' stored forge tokens before they expire: the setting, the claim, the durable
// intent and the transactions that end a rotation. The contract every Store method keeps is in
// store/store.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <forgelink/result.hpp>

#include "store/records.hpp"

namespace forgelink::store {

class TokenRotationStore {
public:
    virtual ~TokenRotationStore() = default;

    // ---- rotating stored forge tokens --------------------------------------------------------
    // One row per team and provider that ever had a rotation setting, keyed like the provider
    // settings. The protocol (service/token_rotation.hpp): claim, record the intent (durable
    // before the forge is asked), then complete (the new token and the success in one
    // transaction), finish (the forge refused: nothing changed) or abandon (the answer is lost).

    // Saves the setting and what is known of the token's ability to rotate ("" = it can, a
    // reason = it cannot, none = not known: not asked); keeps the state.
    virtual Result<ProviderRotation> saveRotationSettings(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                                          const RotationSettings& settings,
                                                          const std::optional<std::string>& unavailable_reason) = 0;
    // not_found when the team never had a rotation setting for the provider.
    virtual Result<ProviderRotation> providerRotation(std::int64_t team_id, std::string_view provider, std::string_view credential) = 0;
    // Claims up to `limit` rotations for `owner` until now + lease, in one statement (of several
    // hosts exactly one gets each): enabled ones whose active token expires within
    // days_before_expiry of `now` (YYYY-MM-DD, UTC) and whose next attempt is due, and every one
    // left `rotating` (its outcome unknown), unless another owner holds a live claim.
    virtual Result<std::vector<RotationClaim>> claimRotations(std::string_view owner, Timestamp now,
                                                              std::chrono::milliseconds lease, std::size_t limit) = 0;
    // Claims the one rotation of the team and provider now, due or not (rotation on demand);
    // creates its row (disabled) when there is none. conflict when another owner holds a live
    // claim; not_found when the team has no settings for the provider.
    virtual Result<RotationClaim> claimRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner,
                                                Timestamp now, std::chrono::milliseconds lease) = 0;
    // Records that `owner` is about to ask the forge (state rotating, started_at now). conflict
    // when `owner` no longer holds the claim.
    virtual Result<void> recordRotationIntent(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner) = 0;
    // The forge rotated the token: stores `new_token` (sealed) with its expiry as the settings'
    // token, makes them active, ends any re-check claim (a check of the old token would find it
    // revoked) and schedules a re-check at `next_check_at`, and ends the rotation (idle,
    // last_rotated_at), all in one transaction. It needs no claim (the answer is the only copy
    // of the new token and wins over whoever took the claim over meanwhile), only that the
    // settings still hold `old_token`: conflict otherwise (a token saved meanwhile wins).
    virtual Result<ProviderSettings> completeRotation(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                                      std::string_view old_token, std::string_view new_token,
                                                      const std::optional<std::string>& expires_at,
                                                      Timestamp next_check_at) = 0;
    // The forge did not rotate (it refused, or the old token still works): idle with the error,
    // next attempt at `next_attempt_at`, claim ended. conflict when `owner` lost the claim.
    virtual Result<void> finishRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner,
                                        std::string_view error, Timestamp next_attempt_at) = 0;
    // The forge rotated but the new token is lost: marks the settings invalid with `reason` when
    // they still hold `old_token`, and ends the rotation (idle, the reason as its error), in one
    // transaction, whoever holds the claim. Returns whether the settings were marked (false: a
    // token saved meanwhile replaced the old one, and only the rotation was ended).
    virtual Result<bool> abandonRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view old_token,
                                         std::string_view reason) = 0;
    // Ends `owner`'s claim and keeps the state (its outcome still unknown: the next pass looks).
    virtual Result<void> releaseRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner) = 0;
};

}  // namespace forgelink::store
