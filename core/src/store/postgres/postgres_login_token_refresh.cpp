// The PostgreSQL side of claiming users' OAuth token pairs for a refresh, so that of several hosts
// on one database only one spends a refresh token (the forge rotates the pair: a second spend
// would be refused and the user logged out).
#include <algorithm>

#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/seal_labels.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {

// Runs `statement` ($1 user id, $2 provider, $3 claim owner); conflict when it touched no row.
Result<void> endClaim(pg::PgPool& pool, std::string_view what, std::string_view statement, std::int64_t user_id,
                      std::string_view provider, std::string_view owner) {
    return guarded(what, [&]() -> Result<void> {
        if (runOnce(pool, statement, {user_id, provider, owner}).affectedRows() == 0) return userRefreshClaimLost(user_id, provider);
        return {};
    });
}

}  // namespace

Result<std::vector<UserTokens>> PostgresStore::claimUserTokensToRefresh(std::string_view provider, std::string_view owner,
                                                                       Timestamp expiring_before, Timestamp now_at,
                                                                       std::chrono::milliseconds lease, std::size_t limit) {
    using Out = std::vector<UserTokens>;
    return guarded("claiming user tokens to refresh", [&]() -> Result<Out> {
        requireUserTokenClaim(provider, owner, lease);
        const std::int64_t t = toUnixMillis(now_at);
        return inTransaction<Out>(pool_, [&](PgConnection& c) {
            // The due pairs FOR UPDATE SKIP LOCKED, claimed in the same statement: two hosts can
            // never both come away with the same pair, and neither waits for the other's.
            auto rows = run(c,
                            "UPDATE user_tokens SET refresh_claim_owner = $1, refresh_claim_expires_at = $2"
                            " WHERE (user_id, provider) IN (SELECT user_id, provider FROM user_tokens"
                            " WHERE provider = $3 AND refresh_token_sealed IS NOT NULL AND expires_at IS NOT NULL"
                            " AND expires_at < $4 AND (refresh_claim_owner IS NULL OR refresh_claim_expires_at <= $5)"
                            " ORDER BY expires_at LIMIT $6 FOR UPDATE SKIP LOCKED)"
                            " RETURNING user_id, access_token_sealed, refresh_token_sealed, expires_at, updated_at",
                            {owner, t + lease.count(), provider, toUnixMillis(expiring_before), t,
                             static_cast<std::int64_t>(limit)});
            Out claimed;
            for (int i = 0; i < rows.rows(); ++i) {
                const PgRow s(rows, i);
                if (auto tokens = openClaimedUserTokens(s, *box_, provider)) {
                    claimed.push_back(std::move(*tokens));
                    continue;
                }
                // Sealed under another key or damaged: nobody can refresh it, so leave it
                // unclaimed for rekey or a new login rather than failing the whole batch.
                run(c,
                    "UPDATE user_tokens SET refresh_claim_owner = NULL, refresh_claim_expires_at = NULL "
                    "WHERE user_id = $1 AND provider = $2",
                    {s.int64(0), provider});
            }
            std::sort(claimed.begin(), claimed.end(),
                      [](const UserTokens& a, const UserTokens& b) { return a.expires_at < b.expires_at; });
            return claimed;
        });
    });
}

Result<void> PostgresStore::completeUserTokenRefresh(const UserTokens& tokens, std::string_view owner) {
    return guarded("storing refreshed user tokens", [&]() -> Result<void> {
        requireRefreshedTokens(tokens, owner);
        const SealedUserTokens sealed = sealUserTokens(*box_, tokens);
        // Both tokens and the end of the claim in one conditional row update: the pair is never
        // half-rotated, and a claim lost meanwhile (a new login) touches nothing.
        const auto changed = runOnce(pool_,
                                     "UPDATE user_tokens SET access_token_sealed = $4, refresh_token_sealed = $5, "
                                     "expires_at = $6, updated_at = $7, refresh_claim_owner = NULL, "
                                     "refresh_claim_expires_at = NULL "
                                     "WHERE user_id = $1 AND provider = $2 AND refresh_claim_owner = $3",
                                     {tokens.user_id, tokens.provider, owner, sealed.access, orNull(sealed.refresh),
                                      orNull(sealed.expires_at), toUnixMillis(now())})
                                 .affectedRows();
        return changed == 0 ? Result<void>(userRefreshClaimLost(tokens.user_id, tokens.provider)) : Result<void>();
    });
}

Result<void> PostgresStore::releaseUserTokenRefresh(std::int64_t user_id, std::string_view provider, std::string_view owner) {
    return endClaim(pool_, "releasing a token refresh claim",
                    "UPDATE user_tokens SET refresh_claim_owner = NULL, refresh_claim_expires_at = NULL "
                    "WHERE user_id = $1 AND provider = $2 AND refresh_claim_owner = $3",
                    user_id, provider, owner);
}

Result<void> PostgresStore::dropClaimedUserTokens(std::int64_t user_id, std::string_view provider, std::string_view owner) {
    return endClaim(pool_, "dropping refused user tokens",
                    "DELETE FROM user_tokens WHERE user_id = $1 AND provider = $2 AND refresh_claim_owner = $3", user_id,
                    provider, owner);
}

}  // namespace forgelink::store
