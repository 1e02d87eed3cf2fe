// Accounts: users and their linked forge identities, login sessions, pending OAuth logins and a
// user's own OAuth tokens. The contract every Store method keeps (threading, errors, secrets) is
// in store/store.hpp.
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

class AccountStore {
public:
    virtual ~AccountStore() = default;

    // ---- users ---------------------------------------------------------------------------
    // The user an identity belongs to (refreshing the identity's username and name); on the first
    // login with an identity that belongs to nobody, a new user with it. Returns the user.
    virtual Result<User> upsertUser(const UserProfile& profile) = 0;
    virtual Result<User> user(std::int64_t user_id) = 0;
    // The user the identity belongs to.
    virtual Result<User> findUser(std::string_view provider, std::string_view instance,
                                  std::string_view forge_user_id) = 0;
    // Attaches a forge identity to an existing user (refreshing names when it is already theirs).
    // conflict (code identity_taken) when it belongs to another user; conflict (code
    // provider_linked) when the user already has another identity of that provider;
    // not_found when the user does not exist.
    virtual Result<UserIdentity> linkIdentity(std::int64_t user_id, const UserProfile& profile) = 0;
    // The user's identities, oldest first.
    virtual Result<std::vector<UserIdentity>> userIdentities(std::int64_t user_id) = 0;
    // Detaches the user's identity of `provider` and deletes the user's login tokens for it.
    // not_found when the user has none; conflict (code last_identity) when it is the only one.
    virtual Result<void> unlinkIdentity(std::int64_t user_id, std::string_view provider) = 0;
    // Every linked forge identity named `username` (compared without case, as the
    // forges do), as its user's row with that identity's provider, instance, forge id and names;
    // `provider` empty for any forge. One person may appear twice (the same name on two linked
    // forges). Ordered by provider, instance, user id. Empty when nobody has that name.
    virtual Result<std::vector<User>> usersNamed(std::string_view username, std::string_view provider) = 0;

    // ---- sessions (only SHA-256(token) is stored) ----------------------------------------
    virtual Result<Session> createSession(std::string_view token, std::int64_t user_id, Timestamp expires_at) = 0;
    // not_found when unknown or expired at `now`.
    virtual Result<Session> findSession(std::string_view token, Timestamp now) = 0;
    virtual Result<void> deleteSession(std::string_view token) = 0;
    // Returns how many were removed.
    virtual Result<std::int64_t> deleteExpiredSessions(Timestamp now) = 0;

    // ---- OAuth login states --------------------------------------------------------------
    // conflict if the state string is already in use.
    virtual Result<void> saveOAuthState(const OAuthState& state) = 0;
    // Returns and deletes the state in one step: of two concurrent callbacks only one gets it.
    // not_found when unknown, already consumed, or expired at `now` (an expired one is deleted).
    virtual Result<OAuthState> consumeOAuthState(std::string_view state, Timestamp now) = 0;
    virtual Result<std::int64_t> deleteExpiredOAuthStates(Timestamp now) = 0;

    // ---- a user's own OAuth tokens -------------------------------------------------------
    // Replaces both tokens at once (a refresh rotates the pair).
    virtual Result<void> saveUserTokens(const UserTokens& tokens) = 0;
    virtual Result<UserTokens> userTokens(std::int64_t user_id, std::string_view provider) = 0;
    virtual Result<void> deleteUserTokens(std::int64_t user_id, std::string_view provider) = 0;
};

}  // namespace forgelink::store
