// The SQLite side of background maintenance: claiming users' OAuth token pairs for a refresh so
// that of several hosts on one database only one spends a refresh token (the forge rotates the
// pair: a second spend would be refused and the user logged out).
#include <algorithm>

#include <sqlite3.h>

#include "store/seal_labels.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace forgelink::store {

using namespace sqlite;

namespace {

Error claimLost(std::int64_t user_id, std::string_view provider) {
    return makeError(ErrorKind::conflict,
                     "the refresh claim on user " + std::to_string(user_id) + "'s " + std::string(provider) +
                         " tokens is no longer held (its lease ran out, or a new login replaced the pair)",
                     "claim_lost");
}

// Runs `sql` (?1 user id, ?2 provider, ?3 claim owner); conflict when it touched no row.
Result<void> endClaim(sqlite::ConnectionPool& pool, std::string_view what, std::string_view sql, std::int64_t user_id,
                      std::string_view provider, std::string_view owner) {
    return guardedClaim<void>(what, [&]() -> Result<void> {
        auto c = pool.acquire();
        c->prepare(sql).bind(1, user_id).bind(2, provider).bind(3, owner).run();
        if (c->changes() == 0) return claimLost(user_id, provider);
        return {};
    });
}

}  // namespace

Result<std::vector<UserTokens>> SqliteStore::claimUserTokensToRefresh(std::string_view provider, std::string_view owner,
                                                                     Timestamp expiring_before, Timestamp now_at,
                                                                     std::chrono::milliseconds lease, std::size_t limit) {
    using Out = std::vector<UserTokens>;
    if (provider.empty() || owner.empty())
        return makeError(ErrorKind::invalid_input, "claiming user tokens: provider and owner must not be empty", "missing_field");
    if (lease.count() <= 0)
        return makeError(ErrorKind::invalid_input, "claiming user tokens: the lease must be positive", "bad_lease");
    return guardedClaim<Out>("claiming user tokens to refresh", [&]() -> Result<Out> {
        const std::int64_t t = toUnixMillis(now_at);
        auto c = pool_.acquire();
        Transaction tx(*c);
        // One statement decides and takes the claim under the write lock: two hosts can never
        // both come away with the same pair.
        Statement s = c->prepare(
            "UPDATE user_tokens SET refresh_claim_owner = ?1, refresh_claim_expires_at = ?2 WHERE rowid IN ("
            " SELECT rowid FROM user_tokens WHERE provider = ?3 AND refresh_token_sealed IS NOT NULL"
            " AND expires_at IS NOT NULL AND expires_at < ?4"
            " AND (refresh_claim_owner IS NULL OR refresh_claim_expires_at <= ?5)"
            " ORDER BY expires_at LIMIT ?6)"
            " RETURNING user_id, access_token_sealed, refresh_token_sealed, expires_at, updated_at");
        bindAll(s, owner, t + lease.count(), provider, toUnixMillis(expiring_before), t, static_cast<std::int64_t>(limit));
        Out claimed;
        std::vector<std::int64_t> unreadable;
        while (s.step()) {
            UserTokens tokens;
            tokens.user_id = s.int64(0);
            tokens.provider = std::string(provider);
            auto access = box_->open(s.text(1), userTokenLabel(tokens.user_id, provider, "access_token"));
            auto refresh = box_->open(s.text(2), userTokenLabel(tokens.user_id, provider, "refresh_token"));
            if (!access || !refresh) {
                // Sealed under another key or damaged: nobody can refresh it, so leave it
                // unclaimed for rekey or a new login rather than failing the whole batch.
                unreadable.push_back(tokens.user_id);
                continue;
            }
            tokens.access_token = std::move(access).value();
            tokens.refresh_token = std::move(refresh).value();
            if (auto at = s.optionalInt64(3)) tokens.expires_at = fromUnixMillis(*at);
            tokens.updated_at = fromUnixMillis(s.int64(4));
            claimed.push_back(std::move(tokens));
        }
        for (std::int64_t user_id : unreadable) {
            c->prepare("UPDATE user_tokens SET refresh_claim_owner = NULL, refresh_claim_expires_at = NULL "
                       "WHERE user_id = ?1 AND provider = ?2")
                .bind(1, user_id)
                .bind(2, provider)
                .run();
        }
        tx.commit();
        std::sort(claimed.begin(), claimed.end(),
                  [](const UserTokens& a, const UserTokens& b) { return a.expires_at < b.expires_at; });
        return claimed;
    });
}

Result<void> SqliteStore::completeUserTokenRefresh(const UserTokens& tokens, std::string_view owner) {
    if (tokens.user_id <= 0 || tokens.provider.empty() || tokens.access_token.empty() || owner.empty())
        return makeError(ErrorKind::invalid_input,
                         "completing a token refresh: user id, provider, access token and owner are required",
                         "missing_field");
    return guardedClaim<void>("storing refreshed user tokens", [&]() -> Result<void> {
        std::optional<std::string> refresh;
        if (!tokens.refresh_token.empty())
            refresh = box_->seal(tokens.refresh_token, userTokenLabel(tokens.user_id, tokens.provider, "refresh_token"));
        std::optional<std::int64_t> expires;
        if (tokens.expires_at) expires = toUnixMillis(*tokens.expires_at);
        auto c = pool_.acquire();
        // Both tokens and the end of the claim in one row update: the pair is never half-rotated.
        if (runChanging(*c, "UPDATE user_tokens SET access_token_sealed = ?4, refresh_token_sealed = ?5, expires_at = ?6, "
                             "updated_at = ?7, refresh_claim_owner = NULL, refresh_claim_expires_at = NULL "
                             "WHERE user_id = ?1 AND provider = ?2 AND refresh_claim_owner = ?3",
                        tokens.user_id, tokens.provider, owner, box_->seal(tokens.access_token, userTokenLabel(tokens.user_id, tokens.provider, "access_token")), refresh, expires, toUnixMillis(now())) == 0)
            return claimLost(tokens.user_id, tokens.provider);
        return {};
    });
}

Result<void> SqliteStore::releaseUserTokenRefresh(std::int64_t user_id, std::string_view provider,
                                                  std::string_view owner) {
    return endClaim(pool_, "releasing a token refresh claim",
                    "UPDATE user_tokens SET refresh_claim_owner = NULL, refresh_claim_expires_at = NULL "
                    "WHERE user_id = ?1 AND provider = ?2 AND refresh_claim_owner = ?3",
                    user_id, provider, owner);
}

Result<void> SqliteStore::dropClaimedUserTokens(std::int64_t user_id, std::string_view provider,
                                                std::string_view owner) {
    return endClaim(pool_, "dropping refused user tokens",
                    "DELETE FROM user_tokens WHERE user_id = ?1 AND provider = ?2 AND refresh_claim_owner = ?3",
                    user_id, provider, owner);
}

}  // namespace forgelink::store
