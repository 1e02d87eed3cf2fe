// Re-checking stored forge tokens in the maintenance loop (claimed, owner + lease) and the daily
// expiry reminders. The contract every Store method keeps is in store/store.hpp.
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

class TokenCheckStore {
public:
    virtual ~TokenCheckStore() = default;

    // ---- re-checking stored forge tokens -----------------------------------------------------
    // Claims up to `limit` provider settings whose next check is due at `now` (next_check_at <=
    // now) and that no other owner holds a live claim on, for `owner` until now + lease, in one
    // statement: of several hosts only one checks a token at a time. Most overdue first. A token
    // that does not open (another key) is skipped. saveProviderSettings() ends any claim.
    virtual Result<std::vector<ProviderCheck>> claimProviderChecks(std::string_view owner, Timestamp now,
                                                                   std::chrono::milliseconds lease,
                                                                   std::size_t limit) = 0;
    // Records what the check found and ends the claim, in one step: valid replaces the stored
    // facts and makes the settings active (invalid fields cleared); refused makes them invalid
    // with the reason (invalid_notified_at cleared when the reason changes). conflict when `owner`
    // no longer holds the claim (a new token was saved meanwhile: it wins).
    virtual Result<ProviderCheckChange> completeProviderCheck(const ProviderCheckOutcome& outcome,
                                                              std::string_view owner) = 0;
    // Ends the claim without a verdict (the forge could not answer) and sets the next check.
    virtual Result<void> releaseProviderCheck(std::int64_t team_id, std::string_view provider, std::string_view owner,
                                              Timestamp next_check_at,
                                              std::string_view credential = kDefaultCredential) = 0;
    // Every token that expires on or before `horizon` (YYYY-MM-DD, expired ones included) and has
    // not been reminded of on `today`, marked reminded for today in the same statement: of
    // several hosts exactly one gets each token once a day.
    virtual Result<std::vector<ExpiryReminder>> claimExpiryReminders(std::string_view today,
                                                                     std::string_view horizon) = 0;
};

}  // namespace forgelink::store
