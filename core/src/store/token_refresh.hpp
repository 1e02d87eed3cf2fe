// Refreshing OAuth tokens before they expire: users' login tokens and teams' OAuth credentials.
// A refresh spends the refresh token, so a host claims it (owner + lease) first. The contract
// every Store method keeps is in store/store.hpp.
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

class TokenRefreshStore {
public:
    virtual ~TokenRefreshStore() = default;

    // ---- refreshing login tokens in the background -------------------------------------------
    // A refresh spends the refresh token (the forge rotates the pair), so of several hosts only the
    // one holding the claim may spend it. Claims up to `limit` of `provider`'s user tokens that
    // have a refresh token and expire before `expiring_before`, for `owner` until now + lease,
    // in one statement: a pair claimed by another owner whose lease has not run out is skipped.
    // Soonest expiry first. saveUserTokens() (a new login) ends any claim on the pair.
    virtual Result<std::vector<UserTokens>> claimUserTokensToRefresh(std::string_view provider, std::string_view owner,
                                                                     Timestamp expiring_before, Timestamp now,
                                                                     std::chrono::milliseconds lease,
                                                                     std::size_t limit) = 0;
    // Stores the refreshed pair and ends the claim; conflict when `owner` no longer holds it (the
    // lease ran out and another host took it, or a login replaced the pair): keep nothing then.
    virtual Result<void> completeUserTokenRefresh(const UserTokens& tokens, std::string_view owner) = 0;
    // Ends the claim and keeps the pair (a transient failure: the next pass tries again).
    // conflict when `owner` no longer holds it.
    virtual Result<void> releaseUserTokenRefresh(std::int64_t user_id, std::string_view provider,
                                                 std::string_view owner) = 0;
    // The forge refused the refresh token for good: deletes the pair, only while `owner` holds
    // the claim (conflict otherwise, so a pair saved by a login meanwhile survives).
    virtual Result<void> dropClaimedUserTokens(std::int64_t user_id, std::string_view provider,
                                               std::string_view owner) = 0;

    // ---- refreshing teams' OAuth tokens ------------------------------------------------------
    // A credential of kind oauth saved with a refresh token is renewed before it expires, as login
    // tokens are. The refresh token is sealed beside the credential, with a digest of the access
    // token it goes with: a token saved over the credential later makes it stale (dropped unspent).
    // Saves (or replaces) the refresh token of `in.name`, for the access token `in.access_token`.
    virtual Result<void> saveTeamRefreshToken(const TeamTokenRefresh& in) = 0;
    virtual Result<void> deleteTeamRefreshToken(std::int64_t team_id, std::string_view provider,
                                                std::string_view name) = 0;
    // When the credential's access token expires (std::nullopt: unknown); not_found when it has no
    // refresh token.
    virtual Result<std::optional<Timestamp>> teamRefreshExpiry(std::int64_t team_id, std::string_view provider,
                                                               std::string_view name) = 0;
    // As claimUserTokensToRefresh: up to `limit` of `provider`'s team refresh tokens whose access
    // token expires before `expiring_before` (or whose expiry is unknown), claimed for `owner`
    // until now + lease in one statement, so of several hosts one spends each. Stale ones (the
    // credential removed or given a new token) are deleted instead.
    virtual Result<std::vector<TeamTokenRefresh>> claimTeamTokensToRefresh(std::string_view provider,
                                                                           std::string_view owner,
                                                                           Timestamp expiring_before, Timestamp now,
                                                                           std::chrono::milliseconds lease,
                                                                           std::size_t limit) = 0;
    // Seals and stores the new pair in one transaction (the credential's token, last four, expiry
    // date; active again) and ends the claim. conflict when `owner` lost the claim or a new token
    // was saved over the credential meanwhile (that one wins).
    virtual Result<void> completeTeamTokenRefresh(const TeamTokenRefresh& refreshed, std::string_view owner) = 0;
    // Ends the claim, keeping the refresh token (a transient failure). conflict when not held.
    virtual Result<void> releaseTeamTokenRefresh(std::int64_t team_id, std::string_view provider, std::string_view name,
                                                 std::string_view owner) = 0;
    // The forge refused the refresh token for good: deletes it while `owner` holds the claim.
    virtual Result<void> dropClaimedTeamRefreshToken(std::int64_t team_id, std::string_view provider,
                                                     std::string_view name, std::string_view owner) = 0;
};

}  // namespace forgelink::store
