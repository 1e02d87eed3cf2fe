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

// Runs `sql` (?1 user id, ?2 provider, ?3 claim owner); conflict when it touched no row.
Result<void> endClaim(sqlite::ConnectionPool& pool, std::string_view what, std::string_view sql, std::int64_t user_id,
                      std::string_view provider, std::string_view owner) {
    return guardedClaim<void>(what, [&]() -> Result<void> {
        auto c = pool.acquire();
        c->prepare(sql).bind(1, user_id).bind(2, provider).bind(3, owner).run();
        if (c->changes() == 0) return userRefreshClaimLost(user_id, provider);
        return {};
    });
}

}  // namespace

Result<std::vector<UserTokens>> SqliteStore::claimUserTokensToRefresh(std::string_view provider, std::string_view owner,
                                                                     Timestamp expiring_before, Timestamp now_at,
                                                                     std::chrono::milliseconds lease, std::size_t limit) {
    using Out = std::vector<UserTokens>;
    return guardedClaim<Out>("claiming user tokens to refresh", [&]() -> Result<Out> {
        requireUserTokenClaim(provider, owner, lease);
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
            if (auto tokens = openClaimedUserTokens(s, *box_, provider)) claimed.push_back(std::move(*tokens));
            else unreadable.push_back(s.int64(0));
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
    return guardedClaim<void>("storing refreshed user tokens", [&]() -> Result<void> {
        requireRefreshedTokens(tokens, owner);
        const SealedUserTokens sealed = sealUserTokens(*box_, tokens);
        auto c = pool_.acquire();
        // Both tokens and the end of the claim in one row update: the pair is never half-rotated.
        if (runChanging(*c, "UPDATE user_tokens SET access_token_sealed = ?4, refresh_token_sealed = ?5, expires_at = ?6, "
                             "updated_at = ?7, refresh_claim_owner = NULL, refresh_claim_expires_at = NULL "
                             "WHERE user_id = ?1 AND provider = ?2 AND refresh_claim_owner = ?3",
                        tokens.user_id, tokens.provider, owner, sealed.access, sealed.refresh, sealed.expires_at,
                        toUnixMillis(now())) == 0)
            return userRefreshClaimLost(tokens.user_id, tokens.provider);
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
