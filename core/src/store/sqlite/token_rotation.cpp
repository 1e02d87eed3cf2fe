// The SQLite side of rotating teams' forge tokens (issue 17): the rotation setting, the claim that
// keeps two hosts from rotating one token (owner + lease, as for refresh tokens and re-checks), the
// durable intent written before the forge is asked, and the transactions that end a rotation. The
// table is provider_rotations (migration 16), keyed like provider_settings (team, provider, credential).
#include <chrono>
#include <cstdio>

#include <sqlite3.h>

#include "store/seal_labels.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace forgelink::store {

using namespace sqlite;

Result<ProviderRotation> SqliteStore::saveRotationSettings(std::int64_t team_id, std::string_view provider,
                                                           std::string_view credential, const RotationSettings& settings,
                                                           const std::optional<std::string>& unavailable_reason) {
    return guardedClaim<ProviderRotation>("saving a rotation setting", [&]() -> Result<ProviderRotation> {
        if (team_id <= 0 || provider.empty() || credential.empty())
            raise(ErrorKind::invalid_input, "saving a rotation setting: team id, provider and credential are required",
                   "missing_field");
        auto c = pool_.acquire();
        Statement s = c->prepare(
            "INSERT INTO provider_rotations (team_id, provider, name, enabled, days_before_expiry, new_lifetime_days, "
            "unavailable_reason, availability_checked_at) VALUES (?1, ?2, ?8, ?3, ?4, ?5, ?6, ?7) "
            "ON CONFLICT (team_id, provider, name) DO UPDATE SET enabled = excluded.enabled, "
            "days_before_expiry = excluded.days_before_expiry, new_lifetime_days = excluded.new_lifetime_days, "
            "unavailable_reason = excluded.unavailable_reason, availability_checked_at = excluded.availability_checked_at, "
            "next_attempt_at = 0 RETURNING " + std::string(kRotationColumns));
        s.bind(1, team_id)
            .bind(2, provider)
            .bind(3, static_cast<std::int64_t>(settings.enabled ? 1 : 0))
            .bind(4, static_cast<std::int64_t>(settings.days_before_expiry))
            .bind(5, static_cast<std::int64_t>(settings.new_lifetime_days))
            .bind(6, unavailable_reason.value_or(std::string()))
            .bind(7, unavailable_reason ? std::optional<std::int64_t>(toUnixMillis(now())) : std::nullopt)
            .bind(8, credential);
        if (!s.step()) raise(ErrorKind::internal, "saving a rotation setting returned no row", "database");
        return readRotation(s);
    });
}

Result<ProviderRotation> SqliteStore::providerRotation(std::int64_t team_id, std::string_view provider,
                                                       std::string_view credential) {
    return guardedClaim<ProviderRotation>("reading a rotation setting", [&]() -> Result<ProviderRotation> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT " + std::string(kRotationColumns) +
                                 " FROM provider_rotations WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
        s.bind(1, team_id).bind(2, provider).bind(3, credential);
        if (!s.step())
            raise(ErrorKind::not_found, rotationSubject(team_id, provider, credential) + " has no rotation setting", "not_found");
        return readRotation(s);
    });
}

Result<std::vector<RotationClaim>> SqliteStore::claimRotations(std::string_view owner, Timestamp now_at,
                                                               std::chrono::milliseconds lease, std::size_t limit) {
    using Out = std::vector<RotationClaim>;
    return guardedClaim<Out>("claiming tokens to rotate", [&]() -> Result<Out> {
        if (owner.empty() || lease.count() <= 0)
            raise(ErrorKind::invalid_input, "claiming tokens to rotate: an owner and a positive lease are required",
                   "missing_field");
        const std::int64_t t = toUnixMillis(now_at);
        const std::string today = dayOf(now_at);
        auto c = pool_.acquire();
        // One statement decides and takes the claim under the write lock: two hosts never both
        // come away with one token. "YYYY-MM-DD" text orders like the dates it names.
        Statement s = c->prepare(
            "UPDATE provider_rotations SET claim_owner = ?1, claim_lease_until = ?2 WHERE rowid IN ("
            " SELECT r.rowid FROM provider_rotations r JOIN provider_settings p"
            " ON p.team_id = r.team_id AND p.provider = r.provider AND p.name = r.name"
            " WHERE (r.claim_owner IS NULL OR r.claim_lease_until <= ?3) AND (r.state = 'rotating' OR"
            " (r.enabled = 1 AND p.status = 'active' AND p.expires_at IS NOT NULL AND r.next_attempt_at <= ?3"
            " AND p.expires_at <= date(?4, '+' || r.days_before_expiry || ' days')))"
            " ORDER BY r.state DESC, p.expires_at LIMIT ?5)" + std::string(kRotationClaimReturning));
        s.bind(1, owner).bind(2, t + lease.count()).bind(3, t).bind(4, today).bind(5, static_cast<std::int64_t>(limit));
        Out claimed;
        while (s.step()) claimed.push_back(readRotationClaim(s));
        return claimed;
    });
}

Result<RotationClaim> SqliteStore::claimRotation(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                                 std::string_view owner, Timestamp now_at, std::chrono::milliseconds lease) {
    return guardedClaim<RotationClaim>("claiming a token to rotate", [&]() -> Result<RotationClaim> {
        if (owner.empty() || lease.count() <= 0)
            raise(ErrorKind::invalid_input, "claiming a token to rotate: an owner and a positive lease are required",
                   "missing_field");
        const std::int64_t t = toUnixMillis(now_at);
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("INSERT INTO provider_rotations (team_id, provider, name) SELECT ?1, ?2, ?3 WHERE EXISTS ("
                   "SELECT 1 FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3) ON CONFLICT DO NOTHING")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, credential)
            .run();
        Statement s = c->prepare(
            "UPDATE provider_rotations SET claim_owner = ?4, claim_lease_until = ?5"
            " WHERE team_id = ?1 AND provider = ?2 AND name = ?3"
            " AND EXISTS (SELECT 1 FROM provider_settings p WHERE p.team_id = ?1 AND p.provider = ?2 AND p.name = ?3)"
            " AND (claim_owner IS NULL OR claim_lease_until <= ?6)" + std::string(kRotationClaimReturning));
        s.bind(1, team_id).bind(2, provider).bind(3, credential).bind(4, owner).bind(5, t + lease.count()).bind(6, t);
        if (s.step()) {
            RotationClaim claim = readRotationClaim(s);
            while (s.step()) {
            }
            tx.commit();
            return claim;
        }
        Statement holder = c->prepare(
            "SELECT claim_owner FROM provider_rotations WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
        holder.bind(1, team_id).bind(2, provider).bind(3, credential);
        if (!holder.step()) throw ErrorException{noRotationSettings(team_id, provider, credential)};
        raise(ErrorKind::conflict,
               "a rotation of " + rotationSubject(team_id, provider, credential) + " is already under way (" + holder.text(0) + ")",
               "rotation_in_progress");
    });
}

Result<void> SqliteStore::recordRotationIntent(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                               std::string_view owner) {
    return guardedClaim<void>("recording a rotation's intent", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE provider_rotations SET state = 'rotating', started_at = ?5 "
                             "WHERE team_id = ?1 AND provider = ?2 AND name = ?3 AND claim_owner = ?4",
                        team_id, provider, credential, owner, toUnixMillis(now())) == 0)
            return rotationClaimLost(team_id, provider, credential);
        return {};
    });
}

Result<ProviderSettings> SqliteStore::completeRotation(std::int64_t team_id, std::string_view provider,
                                                       std::string_view credential, std::string_view old_token,
                                                       std::string_view new_token,
                                                       const std::optional<std::string>& expires_at,
                                                       Timestamp next_check_at) {
    return guardedClaim<ProviderSettings>("storing a rotated token", [&]() -> Result<ProviderSettings> {
        if (new_token.empty()) raise(ErrorKind::invalid_input, "storing a rotated token: the new token is empty", "missing_field");
        const std::string label = providerTokenLabel(team_id, provider, credential);
        {
            auto c = pool_.acquire();
            Transaction tx(*c);
            {
                Statement held = c->prepare(
                    "SELECT token_sealed FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
                held.bind(1, team_id).bind(2, provider).bind(3, credential);
                if (!held.step())
                    raise(ErrorKind::conflict,
                           noRotationSettings(team_id, provider, credential, " any more (deleted while the token was rotated)").message,
                           "token_replaced");
                auto opened = box_->open(held.text(0), label);
                if (!opened || opened.value() != old_token)
                    raise(ErrorKind::conflict,
                           "a new " + std::string(provider) + " token was saved as credential '" + std::string(credential) +
                               "' of team " + std::to_string(team_id) + " while the old one was rotated; the saved one stays",
                           "token_replaced");
            }
            const std::int64_t t = toUnixMillis(now());
            c->prepare("UPDATE provider_settings SET token_sealed = ?4, token_last4 = ?5, expires_at = ?6, status = 'active', "
                       "invalid_reason = '', invalid_notified_at = NULL, updated_at = ?7, next_check_at = ?8, "
                       "check_owner = NULL, check_lease_until = NULL, expiry_reminded_on = '' "
                       "WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
                .bind(1, team_id)
                .bind(2, provider)
                .bind(3, credential)
                .bind(4, box_->seal(new_token, label))
                .bind(5, lastFour(new_token))
                .bind(6, expires_at)
                .bind(7, t)
                .bind(8, toUnixMillis(next_check_at))
                .run();
            c->prepare("UPDATE provider_rotations SET state = 'idle', started_at = NULL, claim_owner = NULL, "
                       "claim_lease_until = NULL, last_rotated_at = ?4, last_error = '', next_attempt_at = 0 "
                       "WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
                .bind(1, team_id)
                .bind(2, provider)
                .bind(3, credential)
                .bind(4, t)
                .run();
            tx.commit();
        }  // the connection goes back to the pool before the settings are read
        auto settings = providerSettings(team_id, provider, credential);
        if (!settings) raise(settings.error().kind, settings.error().message, settings.error().code);
        return std::move(settings).value();
    });
}

Result<void> SqliteStore::finishRotation(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                         std::string_view owner, std::string_view error, Timestamp next_attempt_at) {
    return guardedClaim<void>("recording a rotation that did not happen", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE provider_rotations SET state = 'idle', started_at = NULL, claim_owner = NULL, "
                             "claim_lease_until = NULL, last_error = ?5, last_failed_at = ?6, next_attempt_at = ?7 "
                             "WHERE team_id = ?1 AND provider = ?2 AND name = ?3 AND claim_owner = ?4",
                        team_id, provider, credential, owner, error, toUnixMillis(now()), toUnixMillis(next_attempt_at)) == 0)
            return rotationClaimLost(team_id, provider, credential);
        return {};
    });
}

Result<bool> SqliteStore::abandonRotation(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                          std::string_view old_token, std::string_view reason) {
    return guardedClaim<bool>("recording a lost rotation", [&]() -> Result<bool> {
        if (reason.empty()) raise(ErrorKind::invalid_input, "recording a lost rotation: the reason is empty", "missing_field");
        auto c = pool_.acquire();
        Transaction tx(*c);
        bool holds_old = false;
        {
            Statement held = c->prepare(
                "SELECT token_sealed FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
            held.bind(1, team_id).bind(2, provider).bind(3, credential);
            if (held.step()) {
                auto opened = box_->open(held.text(0), providerTokenLabel(team_id, provider, credential));
                holds_old = opened && opened.value() == old_token;
            }
        }
        const std::int64_t t = toUnixMillis(now());
        if (holds_old) {
            c->prepare("UPDATE provider_settings SET status = 'invalid', "
                       "invalid_notified_at = CASE WHEN invalid_reason = ?4 THEN invalid_notified_at ELSE NULL END, "
                       "invalid_reason = ?4, updated_at = ?5, check_owner = NULL, check_lease_until = NULL "
                       "WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
                .bind(1, team_id)
                .bind(2, provider)
                .bind(3, credential)
                .bind(4, reason)
                .bind(5, t)
                .run();
        }
        c->prepare("UPDATE provider_rotations SET state = 'idle', started_at = NULL, claim_owner = NULL, "
                   "claim_lease_until = NULL, last_error = ?4, last_failed_at = ?5 "
                   "WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, credential)
            .bind(4, reason)
            .bind(5, t)
            .run();
        tx.commit();
        return holds_old;
    });
}

Result<void> SqliteStore::releaseRotation(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                          std::string_view owner) {
    return guardedClaim<void>("releasing a rotation claim", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE provider_rotations SET claim_owner = NULL, claim_lease_until = NULL "
                             "WHERE team_id = ?1 AND provider = ?2 AND name = ?3 AND claim_owner = ?4",
                        team_id, provider, credential, owner) == 0)
            return rotationClaimLost(team_id, provider, credential);
        return {};
    });
}

}  // namespace forgelink::store
