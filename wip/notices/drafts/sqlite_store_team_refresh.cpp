// The SQLite side of renewing teams' OAuth tokens (kind oauth) before they expire, as users' login
// tokens are (sqlite_store_maintenance.cpp): a host claims a team's refresh token (owner + lease)
// before spending it, because the forge rotates the pair and a second spend would be refused. The
// refresh token is kept beside the settings it renews, with a digest of the access token it goes
// with: a new token saved over it in the meantime makes it stale, and it is dropped unspent.
#include <sqlite3.h>

#include "secrets/digest.hpp"
#include "store/seal_labels.hpp"
#include "store/sqlite_store.hpp"

namespace forgelink::store {

using sqlite::SqliteError;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

template <class T, class F>
Result<T> refreshGuard(std::string_view what, F&& body) {
    try {
        return body();
    } catch (const SqliteError& e) {
        if (e.code() == SQLITE_BUSY || e.code() == SQLITE_LOCKED)
            return makeError(ErrorKind::transient, std::string(what) + ": the database stayed locked; retry", "busy");
        return makeError(ErrorKind::internal, std::string(what) + ": " + e.what(), "database");
    } catch (const std::exception& e) {
        return makeError(ErrorKind::internal, std::string(what) + ": " + e.what(), "database");
    }
}

Error teamClaimLost(std::int64_t team_id, std::string_view provider) {
    return makeError(ErrorKind::conflict,
                     "the refresh claim on team " + std::to_string(team_id) + "'s " + std::string(provider) +
                         " token is no longer held (its lease ran out, or a new token was saved)",
                     "claim_lost");
}

std::string accessDigest(std::string_view token) { return secrets::sha256Hex(token); }

}  // namespace

Result<void> SqliteStore::saveTeamRefreshToken(std::int64_t team_id, std::string_view provider,
                                               std::string_view access_token, std::string_view refresh_token,
                                               std::optional<Timestamp> expires_at) {
    if (team_id <= 0 || provider.empty() || access_token.empty() || refresh_token.empty())
        return makeError(ErrorKind::invalid_input,
                         "saving a team's refresh token: team id, provider, access and refresh token are required",
                         "missing_field");
    return refreshGuard<void>("saving the refresh token of team " + std::to_string(team_id), [&]() -> Result<void> {
        auto c = pool_.acquire();
        std::optional<std::int64_t> expires;
        if (expires_at) expires = toUnixMillis(*expires_at);
        c->prepare("INSERT INTO provider_refresh_tokens (team_id, provider, refresh_token_sealed, access_digest, "
                   "expires_at, claim_owner, claim_expires_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, ?6) "
                   "ON CONFLICT (team_id, provider) DO UPDATE SET refresh_token_sealed = excluded.refresh_token_sealed, "
                   "access_digest = excluded.access_digest, expires_at = excluded.expires_at, claim_owner = NULL, "
                   "claim_expires_at = NULL, updated_at = excluded.updated_at")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, box_->seal(refresh_token, teamRefreshTokenLabel(team_id, provider)))
            .bind(4, accessDigest(access_token))
            .bind(5, expires)
            .bind(6, toUnixMillis(now()))
            .run();
        return {};
    });
}

Result<void> SqliteStore::deleteTeamRefreshToken(std::int64_t team_id, std::string_view provider) {
    return refreshGuard<void>("removing a team's refresh token", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM provider_refresh_tokens WHERE team_id = ?1 AND provider = ?2")
            .bind(1, team_id)
            .bind(2, provider)
            .run();
        return {};
    });
}

Result<std::optional<Timestamp>> SqliteStore::teamRefreshExpiry(std::int64_t team_id, std::string_view provider) {
    using Out = std::optional<Timestamp>;
    return refreshGuard<Out>("reading a team's refresh token", [&]() -> Result<Out> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT expires_at FROM provider_refresh_tokens WHERE team_id = ?1 AND provider = ?2");
        s.bind(1, team_id).bind(2, provider);
        if (!s.step())
            return makeError(ErrorKind::not_found,
                             "team " + std::to_string(team_id) + "'s " + std::string(provider) + " token has no refresh token",
                             "not_found");
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
    return refreshGuard<Out>("claiming team tokens to refresh", [&]() -> Result<Out> {
        const std::int64_t t = toUnixMillis(now_at);
        auto c = pool_.acquire();
        Transaction tx(*c);
        struct Claimed {
            std::int64_t team_id;
            std::string refresh_sealed;
            std::string digest;
            std::optional<std::int64_t> expires_at;
        };
        std::vector<Claimed> rows;
        {
            // One statement decides and takes the claim under the write lock.
            Statement s = c->prepare(
                "UPDATE provider_refresh_tokens SET claim_owner = ?1, claim_expires_at = ?2 WHERE rowid IN ("
                " SELECT rowid FROM provider_refresh_tokens WHERE provider = ?3"
                " AND (expires_at IS NULL OR expires_at < ?4)"
                " AND (claim_owner IS NULL OR claim_expires_at <= ?5)"
                " ORDER BY coalesce(expires_at, 0) LIMIT ?6)"
                " RETURNING team_id, refresh_token_sealed, access_digest, expires_at");
            s.bind(1, owner)
                .bind(2, t + lease.count())
                .bind(3, provider)
                .bind(4, toUnixMillis(expiring_before))
                .bind(5, t)
                .bind(6, static_cast<std::int64_t>(limit));
            while (s.step()) rows.push_back({s.int64(0), s.text(1), s.text(2), s.optionalInt64(3)});
        }
        Out claimed;
        std::vector<std::int64_t> stale;
        std::vector<std::int64_t> unreadable;
        for (const auto& row : rows) {
            Statement s = c->prepare(
                "SELECT p.base_url, p.token_sealed, t.slug FROM provider_settings p JOIN teams t ON t.id = p.team_id "
                "WHERE p.team_id = ?1 AND p.provider = ?2");
            s.bind(1, row.team_id).bind(2, provider);
            if (!s.step()) {
                stale.push_back(row.team_id);  // the settings were removed
                continue;
            }
            TeamTokenRefresh r;
            r.team_id = row.team_id;
            r.provider = std::string(provider);
            r.base_url = s.text(0);
            r.team_slug = s.text(2);
            auto access = box_->open(s.text(1), providerTokenLabel(row.team_id, provider));
            auto refresh = box_->open(row.refresh_sealed, teamRefreshTokenLabel(row.team_id, provider));
            if (!access || !refresh) {
                unreadable.push_back(row.team_id);  // another key: left for rekey or a new save
                continue;
            }
            if (accessDigest(access.value()) != row.digest) {
                stale.push_back(row.team_id);  // a new token was saved over the one it renews
                continue;
            }
            r.access_token = std::move(access).value();
            r.refresh_token = std::move(refresh).value();
            if (row.expires_at) r.expires_at = fromUnixMillis(*row.expires_at);
            claimed.push_back(std::move(r));
        }
        for (std::int64_t team_id : stale)
            c->prepare("DELETE FROM provider_refresh_tokens WHERE team_id = ?1 AND provider = ?2")
                .bind(1, team_id)
                .bind(2, provider)
                .run();
        for (std::int64_t team_id : unreadable)
            c->prepare("UPDATE provider_refresh_tokens SET claim_owner = NULL, claim_expires_at = NULL "
                       "WHERE team_id = ?1 AND provider = ?2")
                .bind(1, team_id)
                .bind(2, provider)
                .run();
        tx.commit();
        return claimed;
    });
}

Result<void> SqliteStore::completeTeamTokenRefresh(const TeamTokenRefresh& refreshed, std::string_view owner) {
    if (refreshed.team_id <= 0 || refreshed.provider.empty() || refreshed.access_token.empty() ||
        refreshed.refresh_token.empty() || owner.empty())
        return makeError(ErrorKind::invalid_input,
                         "completing a team token refresh: team, provider, both tokens and owner are required",
                         "missing_field");
    return refreshGuard<void>("storing a team's refreshed token", [&]() -> Result<void> {
        const auto team_id = refreshed.team_id;
        const auto& provider = refreshed.provider;
        auto c = pool_.acquire();
        Transaction tx(*c);
        std::string digest;
        {
            Statement s = c->prepare("SELECT access_digest FROM provider_refresh_tokens "
                                     "WHERE team_id = ?1 AND provider = ?2 AND claim_owner = ?3");
            s.bind(1, team_id).bind(2, provider).bind(3, owner);
            if (!s.step()) return teamClaimLost(team_id, provider);
            digest = s.text(0);
        }
        {
            // A token saved meanwhile wins over the refreshed one.
            Statement s = c->prepare("SELECT token_sealed FROM provider_settings WHERE team_id = ?1 AND provider = ?2");
            s.bind(1, team_id).bind(2, provider);
            if (!s.step()) return teamClaimLost(team_id, provider);
            auto current = box_->open(s.text(0), providerTokenLabel(team_id, provider));
            if (!current || accessDigest(current.value()) != digest) return teamClaimLost(team_id, provider);
        }
        // The new pair in one transaction: the team is never left with a spent refresh token and
        // an access token it does not know.
        c->prepare("UPDATE provider_settings SET token_sealed = ?3, token_last4 = ?4 WHERE team_id = ?1 AND provider = ?2")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, box_->seal(refreshed.access_token, providerTokenLabel(team_id, provider)))
            .bind(4, lastFour(refreshed.access_token))
            .run();
        std::optional<std::int64_t> expires;
        if (refreshed.expires_at) expires = toUnixMillis(*refreshed.expires_at);
        c->prepare("UPDATE provider_refresh_tokens SET refresh_token_sealed = ?3, access_digest = ?4, expires_at = ?5, "
                   "claim_owner = NULL, claim_expires_at = NULL, updated_at = ?6 WHERE team_id = ?1 AND provider = ?2")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, box_->seal(refreshed.refresh_token, teamRefreshTokenLabel(team_id, provider)))
            .bind(4, accessDigest(refreshed.access_token))
            .bind(5, expires)
            .bind(6, toUnixMillis(now()))
            .run();
        tx.commit();
        return {};
    });
}

Result<void> SqliteStore::releaseTeamTokenRefresh(std::int64_t team_id, std::string_view provider,
                                                  std::string_view owner) {
    return refreshGuard<void>("releasing a team token refresh claim", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("UPDATE provider_refresh_tokens SET claim_owner = NULL, claim_expires_at = NULL "
                   "WHERE team_id = ?1 AND provider = ?2 AND claim_owner = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, owner)
            .run();
        if (c->changes() == 0) return teamClaimLost(team_id, provider);
        return {};
    });
}

Result<void> SqliteStore::dropClaimedTeamRefreshToken(std::int64_t team_id, std::string_view provider,
                                                      std::string_view owner) {
    return refreshGuard<void>("dropping a refused team refresh token", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM provider_refresh_tokens WHERE team_id = ?1 AND provider = ?2 AND claim_owner = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, owner)
            .run();
        if (c->changes() == 0) return teamClaimLost(team_id, provider);
        return {};
    });
}

}  // namespace forgelink::store
