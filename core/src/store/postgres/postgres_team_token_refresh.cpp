// The PostgreSQL side of renewing teams' OAuth tokens (kind oauth) before they expire: a host
// claims a credential's refresh token (owner + lease) before spending it, because the forge
// rotates the pair and a second spend is refused. The refresh token is kept beside the credential
// it renews (team_refresh_tokens), with a digest of the access token it goes with: a new token
// saved over it meanwhile makes it stale, and it is dropped unspent.
//
// Across hosts: the claim picks its rows FOR UPDATE SKIP LOCKED and claims them in the same
// statement, so of several hosts one spends each refresh token; completing locks the claim's row
// and then the credential's (FOR UPDATE) before it compares, so a token saved meanwhile either
// waits for it or is seen and wins.
#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/seal_labels.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {

constexpr std::string_view kOneRefreshToken = " WHERE team_id = $1 AND provider = $2 AND name = $3";

}  // namespace

Result<void> PostgresStore::saveTeamRefreshToken(const TeamTokenRefresh& in) {
    if (in.team_id <= 0 || in.provider.empty() || in.name.empty() || in.access_token.empty() || in.refresh_token.empty())
        return makeError(ErrorKind::invalid_input,
                         "saving a team's refresh token: team id, provider, credential name, access and refresh token "
                         "are required",
                         "missing_field");
    return guarded("saving the refresh token of " + teamCredentialSubject(in.team_id, in.provider, in.name), [&]() -> Result<void> {
        std::optional<std::int64_t> expires;
        if (in.expires_at) expires = toUnixMillis(*in.expires_at);
        runOnce(pool_,
                "INSERT INTO team_refresh_tokens (team_id, provider, name, refresh_token_sealed, access_digest, "
                "expires_at, claim_owner, claim_expires_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7) "
                "ON CONFLICT (team_id, provider, name) DO UPDATE SET refresh_token_sealed = excluded.refresh_token_sealed, "
                "access_digest = excluded.access_digest, expires_at = excluded.expires_at, claim_owner = NULL, "
                "claim_expires_at = NULL, updated_at = excluded.updated_at",
                {in.team_id, in.provider, in.name, box_->seal(in.refresh_token, teamRefreshTokenLabel(in.team_id, in.provider, in.name)),
                 teamAccessDigest(in.access_token), orNull(expires), toUnixMillis(now())});
        return {};
    });
}

Result<void> PostgresStore::deleteTeamRefreshToken(std::int64_t team_id, std::string_view provider, std::string_view name) {
    return guarded("removing a team's refresh token", [&]() -> Result<void> {
        runOnce(pool_, sql({"DELETE FROM team_refresh_tokens", kOneRefreshToken}), {team_id, provider, name});
        return {};
    });
}

Result<std::optional<Timestamp>> PostgresStore::teamRefreshExpiry(std::int64_t team_id, std::string_view provider,
                                                                  std::string_view name) {
    using Out = std::optional<Timestamp>;
    return guarded("reading a team's refresh token", [&]() -> Result<Out> {
        return one<Out>(runOnce(pool_, sql({"SELECT expires_at FROM team_refresh_tokens", kOneRefreshToken}), {team_id, provider, name}),
                        [](const PgRow& s) { return optionalTimeAt(s, 0); }, ErrorKind::not_found,
                        teamCredentialSubject(team_id, provider, name) + " has no refresh token");
    });
}

Result<std::vector<TeamTokenRefresh>> PostgresStore::claimTeamTokensToRefresh(std::string_view provider, std::string_view owner,
                                                                             Timestamp expiring_before, Timestamp now_at,
                                                                             std::chrono::milliseconds lease,
                                                                             std::size_t limit) {
    using Out = std::vector<TeamTokenRefresh>;
    if (provider.empty() || owner.empty() || lease.count() <= 0)
        return makeError(ErrorKind::invalid_input, "claiming team tokens: provider, owner and a positive lease are required",
                         "missing_field");
    return guarded("claiming team tokens to refresh", [&]() -> Result<Out> {
        const std::int64_t t = toUnixMillis(now_at);
        return inTransaction<Out>(pool_, [&](PgConnection& c) -> Out {
            // One statement picks (FOR UPDATE SKIP LOCKED) and claims: of several hosts one spends
            // each refresh token. An unknown expiry is due at once (the answer tells it).
            auto rows = all<ClaimedTeamRefresh>(
                run(c,
                    sql({"WITH picked AS (SELECT team_id AS p_team, name AS p_name FROM team_refresh_tokens WHERE provider = $3"
                         " AND (expires_at IS NULL OR expires_at < $4) AND (claim_owner IS NULL OR claim_expires_at <= $5)"
                         " ORDER BY coalesce(expires_at, 0) LIMIT $6 FOR UPDATE SKIP LOCKED)"
                         " UPDATE team_refresh_tokens SET claim_owner = $1, claim_expires_at = $2 FROM picked"
                         " WHERE team_id = picked.p_team AND provider = $3 AND name = picked.p_name",
                         kTeamRefreshClaimReturning}),
                    {owner, t + lease.count(), provider, toUnixMillis(expiring_before), t, static_cast<std::int64_t>(limit)}),
                readClaimedTeamRefresh);
            sortBySoonestExpiry(rows);
            Out claimed;
            for (const auto& row : rows) {
                PgResult found = run(c,
                                     "SELECT p.base_url, p.token_sealed, t.slug FROM provider_settings p JOIN teams t ON t.id = p.team_id "
                                     "WHERE p.team_id = $1 AND p.provider = $2 AND p.name = $3",
                                     {row.team_id, provider, row.name});
                std::optional<TeamRefreshCredential> credential;
                if (found.rows() > 0) credential = readTeamRefreshCredential(PgRow(found, 0));
                TeamTokenRefresh r;
                switch (openClaimedTeamRefresh(*box_, provider, row, credential, r)) {
                    case TeamRefreshFate::claimed: claimed.push_back(std::move(r)); break;
                    case TeamRefreshFate::stale:
                        run(c, sql({"DELETE FROM team_refresh_tokens", kOneRefreshToken}), {row.team_id, provider, row.name});
                        break;
                    case TeamRefreshFate::unreadable:
                        run(c, sql({"UPDATE team_refresh_tokens SET claim_owner = NULL, claim_expires_at = NULL", kOneRefreshToken}),
                            {row.team_id, provider, row.name});
                        break;
                }
            }
            return claimed;
        });
    });
}

Result<void> PostgresStore::completeTeamTokenRefresh(const TeamTokenRefresh& refreshed, std::string_view owner) {
    if (refreshed.team_id <= 0 || refreshed.provider.empty() || refreshed.name.empty() || refreshed.access_token.empty() ||
        refreshed.refresh_token.empty() || owner.empty())
        return makeError(ErrorKind::invalid_input,
                         "completing a team token refresh: team, provider, credential, both tokens and owner are required",
                         "missing_field");
    return guarded("storing a team's refreshed token", [&]() -> Result<void> {
        const auto team_id = refreshed.team_id;
        const auto& provider = refreshed.provider;
        const auto& name = refreshed.name;
        const auto lost = [&] { return ErrorException{teamRefreshClaimLost(team_id, provider, name)}; };
        inTransactionVoid(pool_, [&](PgConnection& c) {
            // The credential's row first, then the claim's (the order saving a credential takes
            // them in). A token saved meanwhile wins over the refreshed one.
            PgResult current = run(c, "SELECT token_sealed FROM provider_settings WHERE team_id = $1 AND provider = $2 AND name = $3 FOR UPDATE",
                                   {team_id, provider, name});
            PgResult claim = run(c, sql({"SELECT access_digest FROM team_refresh_tokens", kOneRefreshToken, " AND claim_owner = $4 FOR UPDATE"}),
                                 {team_id, provider, name, owner});
            if (claim.rows() == 0 || current.rows() == 0) throw lost();
            auto opened = box_->open(PgRow(current, 0).text(0), providerTokenLabel(team_id, provider, name));
            if (!opened || teamAccessDigest(opened.value()) != PgRow(claim, 0).text(0)) throw lost();
            // The new pair in one transaction: the team is never left with a spent refresh token
            // and an access token it does not know. A re-check of the old token still under way
            // loses its claim (its verdict is about a token the forge just retired).
            std::optional<std::string> expires_on;
            std::optional<std::int64_t> expires;
            if (refreshed.expires_at) {
                expires_on = dayOf(*refreshed.expires_at);
                expires = toUnixMillis(*refreshed.expires_at);
            }
            const std::int64_t t = toUnixMillis(now());
            run(c,
                "UPDATE provider_settings SET token_sealed = $4, token_last4 = $5, "
                "expires_at = coalesce($6::text, expires_at), status = 'active', invalid_reason = '', "
                "invalid_notified_at = NULL, check_owner = NULL, check_lease_until = NULL, updated_at = $7 "
                "WHERE team_id = $1 AND provider = $2 AND name = $3",
                {team_id, provider, name, box_->seal(refreshed.access_token, providerTokenLabel(team_id, provider, name)),
                 lastFour(refreshed.access_token), orNull(expires_on), t});
            run(c,
                sql({"UPDATE team_refresh_tokens SET refresh_token_sealed = $4, access_digest = $5, expires_at = $6, "
                     "claim_owner = NULL, claim_expires_at = NULL, updated_at = $7",
                     kOneRefreshToken}),
                {team_id, provider, name, box_->seal(refreshed.refresh_token, teamRefreshTokenLabel(team_id, provider, name)),
                 teamAccessDigest(refreshed.access_token), orNull(expires), t});
        });
        return {};
    });
}

Result<void> PostgresStore::releaseTeamTokenRefresh(std::int64_t team_id, std::string_view provider, std::string_view name,
                                                    std::string_view owner) {
    return guarded("releasing a team token refresh claim", [&]() -> Result<void> {
        if (runOnce(pool_,
                    sql({"UPDATE team_refresh_tokens SET claim_owner = NULL, claim_expires_at = NULL", kOneRefreshToken,
                         " AND claim_owner = $4"}),
                    {team_id, provider, name, owner})
                .affectedRows() == 0)
            return teamRefreshClaimLost(team_id, provider, name);
        return {};
    });
}

Result<void> PostgresStore::dropClaimedTeamRefreshToken(std::int64_t team_id, std::string_view provider,
                                                        std::string_view name, std::string_view owner) {
    return guarded("dropping a refused team refresh token", [&]() -> Result<void> {
        if (runOnce(pool_, sql({"DELETE FROM team_refresh_tokens", kOneRefreshToken, " AND claim_owner = $4"}),
                    {team_id, provider, name, owner})
                .affectedRows() == 0)
            return teamRefreshClaimLost(team_id, provider, name);
        return {};
    });
}

}  // namespace forgelink::store
