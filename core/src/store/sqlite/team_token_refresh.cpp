// The SQLite side of renewing teams' OAuth tokens (kind oauth) before they expire, as users' login
// tokens are (login_token_refresh.cpp): a host claims a credential's refresh token (owner +
// lease) before spending it, because the forge rotates the pair and a second spend is refused. The
// refresh token is kept beside the credential it renews (team_refresh_tokens, keyed like
// provider_settings by team, provider and credential name), with a digest of the access token it
// goes with: a new token saved over it in the meantime makes it stale, and it is dropped unspent.
#include <sqlite3.h>

#include "store/seal_labels.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace forgelink::store {

using namespace sqlite;

Result<void> SqliteStore::saveTeamRefreshToken(const TeamTokenRefresh& in) {
    if (in.team_id <= 0 || in.provider.empty() || in.name.empty() || in.access_token.empty() || in.refresh_token.empty())
        return makeError(ErrorKind::invalid_input,
                         "saving a team's refresh token: team id, provider, credential name, access and refresh token "
                         "are required",
                         "missing_field");
    return guardedTeamClaim<void>("saving the refresh token of " + teamCredentialSubject(in.team_id, in.provider, in.name), [&]() -> Result<void> {
        auto c = pool_.acquire();
        std::optional<std::int64_t> expires;
        if (in.expires_at) expires = toUnixMillis(*in.expires_at);
        c->prepare("INSERT INTO team_refresh_tokens (team_id, provider, name, refresh_token_sealed, access_digest, "
                   "expires_at, claim_owner, claim_expires_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, ?7) "
                   "ON CONFLICT (team_id, provider, name) DO UPDATE SET refresh_token_sealed = excluded.refresh_token_sealed, "
                   "access_digest = excluded.access_digest, expires_at = excluded.expires_at, claim_owner = NULL, "
                   "claim_expires_at = NULL, updated_at = excluded.updated_at")
            .bind(1, in.team_id)
            .bind(2, in.provider)
            .bind(3, in.name)
            .bind(4, box_->seal(in.refresh_token, teamRefreshTokenLabel(in.team_id, in.provider, in.name)))
            .bind(5, teamAccessDigest(in.access_token))
            .bind(6, expires)
            .bind(7, toUnixMillis(now()))
            .run();
        return {};
    });
}

Result<void> SqliteStore::deleteTeamRefreshToken(std::int64_t team_id, std::string_view provider, std::string_view name) {
    return guardedTeamClaim<void>("removing a team's refresh token", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM team_refresh_tokens WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, name)
            .run();
        return {};
    });
}

Result<std::optional<Timestamp>> SqliteStore::teamRefreshExpiry(std::int64_t team_id, std::string_view provider,
                                                                std::string_view name) {
    using Out = std::optional<Timestamp>;
    return guardedTeamClaim<Out>("reading a team's refresh token", [&]() -> Result<Out> {
        auto c = pool_.acquire();
        Statement s = c->prepare(
            "SELECT expires_at FROM team_refresh_tokens WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
        s.bind(1, team_id).bind(2, provider).bind(3, name);
        if (!s.step())
            return makeError(ErrorKind::not_found, teamCredentialSubject(team_id, provider, name) + " has no refresh token", "not_found");
        if (auto at = s.optionalInt64(0)) return Out{fromUnixMillis(*at)};
        return Out{};
    });
}

Result<std::vector<TeamTokenRefresh>> SqliteStore::claimTeamTokensToRefresh(std::string_view provider,
                                                                           std::string_view owner,
                                                                           Timestamp expiring_before, Timestamp now_at,
                                                                           std::chrono::milliseconds lease,
                                                                           std::size_t limit) {
    using Out = std::vector<TeamTokenRefresh>;
    if (provider.empty() || owner.empty() || lease.count() <= 0)
        return makeError(ErrorKind::invalid_input,
                         "claiming team tokens: provider, owner and a positive lease are required", "missing_field");
    return guardedTeamClaim<Out>("claiming team tokens to refresh", [&]() -> Result<Out> {
        const std::int64_t t = toUnixMillis(now_at);
        auto c = pool_.acquire();
        Transaction tx(*c);
        std::vector<ClaimedTeamRefresh> rows;
        {
            // One statement decides and takes the claim under the write lock: of several hosts one
            // spends each refresh token. An unknown expiry is due at once (the answer tells it).
            Statement s = c->prepare(
                "UPDATE team_refresh_tokens SET claim_owner = ?1, claim_expires_at = ?2 WHERE rowid IN ("
                " SELECT rowid FROM team_refresh_tokens WHERE provider = ?3"
                " AND (expires_at IS NULL OR expires_at < ?4)"
                " AND (claim_owner IS NULL OR claim_expires_at <= ?5)"
                " ORDER BY coalesce(expires_at, 0) LIMIT ?6)" + std::string(kTeamRefreshClaimReturning));
            bindAll(s, owner, t + lease.count(), provider, toUnixMillis(expiring_before), t, static_cast<std::int64_t>(limit));
            while (s.step()) rows.push_back(readClaimedTeamRefresh(s));
        }
        sortBySoonestExpiry(rows);
        Out claimed;
        for (const auto& row : rows) {
            std::optional<TeamRefreshCredential> credential;
            {
                Statement s = c->prepare(
                    "SELECT p.base_url, p.token_sealed, t.slug FROM provider_settings p JOIN teams t ON t.id = p.team_id "
                    "WHERE p.team_id = ?1 AND p.provider = ?2 AND p.name = ?3");
                s.bind(1, row.team_id).bind(2, provider).bind(3, row.name);
                if (s.step()) credential = readTeamRefreshCredential(s);
            }
            TeamTokenRefresh r;
            switch (openClaimedTeamRefresh(*box_, provider, row, credential, r)) {
                case TeamRefreshFate::claimed: claimed.push_back(std::move(r)); break;
                case TeamRefreshFate::stale:
                    c->prepare("DELETE FROM team_refresh_tokens WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
                        .bind(1, row.team_id)
                        .bind(2, provider)
                        .bind(3, row.name)
                        .run();
                    break;
                case TeamRefreshFate::unreadable:
                    c->prepare("UPDATE team_refresh_tokens SET claim_owner = NULL, claim_expires_at = NULL "
                               "WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
                        .bind(1, row.team_id)
                        .bind(2, provider)
                        .bind(3, row.name)
                        .run();
                    break;
            }
        }
        tx.commit();
        return claimed;
    });
}

Result<void> SqliteStore::completeTeamTokenRefresh(const TeamTokenRefresh& refreshed, std::string_view owner) {
    if (refreshed.team_id <= 0 || refreshed.provider.empty() || refreshed.name.empty() ||
        refreshed.access_token.empty() || refreshed.refresh_token.empty() || owner.empty())
        return makeError(ErrorKind::invalid_input,
                         "completing a team token refresh: team, provider, credential, both tokens and owner are required",
                         "missing_field");
    return guardedTeamClaim<void>("storing a team's refreshed token", [&]() -> Result<void> {
        const auto team_id = refreshed.team_id;
        const auto& provider = refreshed.provider;
        const auto& name = refreshed.name;
        auto c = pool_.acquire();
        Transaction tx(*c);
        std::string digest;
        {
            Statement s = c->prepare("SELECT access_digest FROM team_refresh_tokens "
                                     "WHERE team_id = ?1 AND provider = ?2 AND name = ?3 AND claim_owner = ?4");
            s.bind(1, team_id).bind(2, provider).bind(3, name).bind(4, owner);
            if (!s.step()) return teamRefreshClaimLost(team_id, provider, name);
            digest = s.text(0);
        }
        {
            // A token saved meanwhile wins over the refreshed one.
            Statement s = c->prepare(
                "SELECT token_sealed FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
            s.bind(1, team_id).bind(2, provider).bind(3, name);
            if (!s.step()) return teamRefreshClaimLost(team_id, provider, name);
            auto current = box_->open(s.text(0), providerTokenLabel(team_id, provider, name));
            if (!current || teamAccessDigest(current.value()) != digest) return teamRefreshClaimLost(team_id, provider, name);
        }
        // The new pair in one transaction: the team is never left with a spent refresh token and
        // an access token it does not know. A re-check of the old token still under way loses its
        // claim (its verdict is about a token the forge just retired).
        std::optional<std::string> expires_on;
        if (refreshed.expires_at) expires_on = dayOf(*refreshed.expires_at);
        const std::int64_t t = toUnixMillis(now());
        c->prepare("UPDATE provider_settings SET token_sealed = ?4, token_last4 = ?5, "
                   "expires_at = coalesce(?6, expires_at), status = 'active', invalid_reason = '', "
                   "invalid_notified_at = NULL, check_owner = NULL, check_lease_until = NULL, updated_at = ?7 "
                   "WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, name)
            .bind(4, box_->seal(refreshed.access_token, providerTokenLabel(team_id, provider, name)))
            .bind(5, lastFour(refreshed.access_token))
            .bind(6, expires_on)
            .bind(7, t)
            .run();
        std::optional<std::int64_t> expires;
        if (refreshed.expires_at) expires = toUnixMillis(*refreshed.expires_at);
        c->prepare("UPDATE team_refresh_tokens SET refresh_token_sealed = ?4, access_digest = ?5, expires_at = ?6, "
                   "claim_owner = NULL, claim_expires_at = NULL, updated_at = ?7 "
                   "WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, name)
            .bind(4, box_->seal(refreshed.refresh_token, teamRefreshTokenLabel(team_id, provider, name)))
            .bind(5, teamAccessDigest(refreshed.access_token))
            .bind(6, expires)
            .bind(7, t)
            .run();
        tx.commit();
        return {};
    });
}

Result<void> SqliteStore::releaseTeamTokenRefresh(std::int64_t team_id, std::string_view provider, std::string_view name,
                                                  std::string_view owner) {
    return guardedTeamClaim<void>("releasing a team token refresh claim", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE team_refresh_tokens SET claim_owner = NULL, claim_expires_at = NULL "
                             "WHERE team_id = ?1 AND provider = ?2 AND name = ?3 AND claim_owner = ?4",
                        team_id, provider, name, owner) == 0)
            return teamRefreshClaimLost(team_id, provider, name);
        return {};
    });
}

Result<void> SqliteStore::dropClaimedTeamRefreshToken(std::int64_t team_id, std::string_view provider,
                                                      std::string_view name, std::string_view owner) {
    return guardedTeamClaim<void>("dropping a refused team refresh token", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "DELETE FROM team_refresh_tokens WHERE team_id = ?1 AND provider = ?2 AND name = ?3 AND claim_owner = ?4",
                        team_id, provider, name, owner) == 0)
            return teamRefreshClaimLost(team_id, provider, name);
        return {};
    });
}

}  // namespace forgelink::store
