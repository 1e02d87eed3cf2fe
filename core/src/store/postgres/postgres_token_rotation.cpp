// The PostgreSQL side of rotating teams' forge tokens (issue 17): the rotation setting, the claim
// that keeps two hosts from rotating one token (owner + lease), the durable intent written before
// the forge is asked, and the transactions that end a rotation (provider_rotations, keyed like
// provider_settings by team, provider and credential).
//
// Across hosts: claimRotations picks its rows FOR UPDATE SKIP LOCKED and claims them in the same
// statement; claimRotation's UPDATE re-checks the claim on the newest row after waiting for
// another host's (read committed), so of two hosts one gets it and the other sees it held;
// completeRotation and abandonRotation lock the settings row (FOR UPDATE) before they compare its
// token, so a token saved meanwhile is either seen or waits for them.
#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/seal_labels.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {

// The credential's sealed token, locked until the transaction ends; std::nullopt when the
// credential is gone.
std::optional<std::string> lockedToken(PgConnection& c, std::int64_t team_id, std::string_view provider,
                                       std::string_view credential) {
    PgResult r = run(c, "SELECT token_sealed FROM provider_settings WHERE team_id = $1 AND provider = $2 AND name = $3 FOR UPDATE",
                     {team_id, provider, credential});
    if (r.rows() == 0) return std::nullopt;
    return PgRow(r, 0).text(0);
}

}  // namespace

Result<ProviderRotation> PostgresStore::saveRotationSettings(std::int64_t team_id, std::string_view provider,
                                                             std::string_view credential, const RotationSettings& settings,
                                                             const std::optional<std::string>& unavailable_reason) {
    return guarded("saving a rotation setting", [&]() -> Result<ProviderRotation> {
        if (team_id <= 0 || provider.empty() || credential.empty())
            raise(ErrorKind::invalid_input, "saving a rotation setting: team id, provider and credential are required",
                  "missing_field");
        std::optional<std::int64_t> checked_at;
        if (unavailable_reason) checked_at = toUnixMillis(now());
        return one<ProviderRotation>(
            runOnce(pool_,
                    sql({"INSERT INTO provider_rotations (team_id, provider, name, enabled, days_before_expiry, "
                         "new_lifetime_days, unavailable_reason, availability_checked_at) VALUES ($1, $2, $8, $3, $4, $5, $6, $7) "
                         "ON CONFLICT (team_id, provider, name) DO UPDATE SET enabled = excluded.enabled, "
                         "days_before_expiry = excluded.days_before_expiry, new_lifetime_days = excluded.new_lifetime_days, "
                         "unavailable_reason = excluded.unavailable_reason, "
                         "availability_checked_at = excluded.availability_checked_at, next_attempt_at = 0 RETURNING ",
                         kRotationColumns}),
                    {team_id, provider, static_cast<std::int64_t>(settings.enabled ? 1 : 0),
                     static_cast<std::int64_t>(settings.days_before_expiry), static_cast<std::int64_t>(settings.new_lifetime_days),
                     unavailable_reason.value_or(std::string()), orNull(checked_at), credential}),
            readRotation, ErrorKind::internal, "saving a rotation setting returned no row");
    });
}

Result<ProviderRotation> PostgresStore::providerRotation(std::int64_t team_id, std::string_view provider,
                                                         std::string_view credential) {
    return guarded("reading a rotation setting", [&]() -> Result<ProviderRotation> {
        return one<ProviderRotation>(
            runOnce(pool_, sql({"SELECT ", kRotationColumns, " FROM provider_rotations WHERE team_id = $1 AND provider = $2 AND name = $3"}),
                    {team_id, provider, credential}),
            readRotation, ErrorKind::not_found, rotationSubject(team_id, provider, credential) + " has no rotation setting");
    });
}

Result<std::vector<RotationClaim>> PostgresStore::claimRotations(std::string_view owner, Timestamp now_at,
                                                                 std::chrono::milliseconds lease, std::size_t limit) {
    using Out = std::vector<RotationClaim>;
    return guarded("claiming tokens to rotate", [&]() -> Result<Out> {
        if (owner.empty() || lease.count() <= 0)
            raise(ErrorKind::invalid_input, "claiming tokens to rotate: an owner and a positive lease are required",
                  "missing_field");
        const std::int64_t t = toUnixMillis(now_at);
        // One statement: the rows are picked FOR UPDATE SKIP LOCKED (a row another host is claiming
        // is skipped; one claimed since the snapshot is re-checked when locked) and claimed.
        // "YYYY-MM-DD" text orders like the dates it names; NULLS FIRST as SQLite orders them.
        return all<RotationClaim>(
            runOnce(pool_,
                    sql({"WITH picked AS (SELECT r.team_id AS p_team, r.provider AS p_provider, r.name AS p_name"
                         " FROM provider_rotations r JOIN provider_settings p"
                         " ON p.team_id = r.team_id AND p.provider = r.provider AND p.name = r.name"
                         " WHERE (r.claim_owner IS NULL OR r.claim_lease_until <= $3) AND (r.state = 'rotating' OR"
                         " (r.enabled = 1 AND p.status = 'active' AND p.expires_at IS NOT NULL AND r.next_attempt_at <= $3"
                         " AND p.expires_at <= to_char($4::date + r.days_before_expiry::int, 'YYYY-MM-DD')))"
                         " ORDER BY r.state DESC, p.expires_at NULLS FIRST LIMIT $5 FOR UPDATE OF r SKIP LOCKED)"
                         " UPDATE provider_rotations SET claim_owner = $1, claim_lease_until = $2 FROM picked"
                         " WHERE team_id = picked.p_team AND provider = picked.p_provider AND name = picked.p_name",
                         kRotationClaimReturning}),
                    {owner, t + lease.count(), t, dayOf(now_at), static_cast<std::int64_t>(limit)}),
            readRotationClaim);
    });
}

Result<RotationClaim> PostgresStore::claimRotation(std::int64_t team_id, std::string_view provider,
                                                   std::string_view credential, std::string_view owner, Timestamp now_at,
                                                   std::chrono::milliseconds lease) {
    return guarded("claiming a token to rotate", [&]() -> Result<RotationClaim> {
        if (owner.empty() || lease.count() <= 0)
            raise(ErrorKind::invalid_input, "claiming a token to rotate: an owner and a positive lease are required",
                  "missing_field");
        const std::int64_t t = toUnixMillis(now_at);
        return inTransaction<RotationClaim>(pool_, [&](PgConnection& c) {
            run(c,
                "INSERT INTO provider_rotations (team_id, provider, name) SELECT $1::bigint, $2::text, $3::text WHERE EXISTS ("
                "SELECT 1 FROM provider_settings WHERE team_id = $1::bigint AND provider = $2::text AND name = $3::text) "
                "ON CONFLICT DO NOTHING",
                {team_id, provider, credential});
            // Another host's claim in progress is waited for, then re-checked on the newest row.
            PgResult claimed = run(
                c,
                sql({"UPDATE provider_rotations SET claim_owner = $4, claim_lease_until = $5"
                     " WHERE team_id = $1 AND provider = $2 AND name = $3"
                     " AND EXISTS (SELECT 1 FROM provider_settings p WHERE p.team_id = $1 AND p.provider = $2 AND p.name = $3)"
                     " AND (claim_owner IS NULL OR claim_lease_until <= $6)",
                     kRotationClaimReturning}),
                {team_id, provider, credential, owner, t + lease.count(), t});
            if (claimed.rows() > 0) return readRotationClaim(PgRow(claimed, 0));
            PgResult holder = run(c, "SELECT claim_owner FROM provider_rotations WHERE team_id = $1 AND provider = $2 AND name = $3",
                                  {team_id, provider, credential});
            if (holder.rows() == 0) throw ErrorException{noRotationSettings(team_id, provider, credential)};
            raise(ErrorKind::conflict,
                  "a rotation of " + rotationSubject(team_id, provider, credential) + " is already under way (" +
                      PgRow(holder, 0).text(0) + ")",
                  "rotation_in_progress");
        });
    });
}

Result<void> PostgresStore::recordRotationIntent(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                                 std::string_view owner) {
    return guarded("recording a rotation's intent", [&]() -> Result<void> {
        if (runOnce(pool_,
                    "UPDATE provider_rotations SET state = 'rotating', started_at = $5 "
                    "WHERE team_id = $1 AND provider = $2 AND name = $3 AND claim_owner = $4",
                    {team_id, provider, credential, owner, toUnixMillis(now())})
                .affectedRows() == 0)
            return rotationClaimLost(team_id, provider, credential);
        return {};
    });
}

Result<ProviderSettings> PostgresStore::completeRotation(std::int64_t team_id, std::string_view provider,
                                                         std::string_view credential, std::string_view old_token,
                                                         std::string_view new_token,
                                                         const std::optional<std::string>& expires_at,
                                                         Timestamp next_check_at) {
    return guarded("storing a rotated token", [&]() -> Result<ProviderSettings> {
        if (new_token.empty()) raise(ErrorKind::invalid_input, "storing a rotated token: the new token is empty", "missing_field");
        const std::string label = providerTokenLabel(team_id, provider, credential);
        inTransactionVoid(pool_, [&](PgConnection& c) {
            const auto held = lockedToken(c, team_id, provider, credential);
            if (!held)
                raise(ErrorKind::conflict,
                      noRotationSettings(team_id, provider, credential, " any more (deleted while the token was rotated)").message,
                      "token_replaced");
            auto opened = box_->open(*held, label);
            if (!opened || opened.value() != old_token)
                raise(ErrorKind::conflict,
                      "a new " + std::string(provider) + " token was saved as credential '" + std::string(credential) +
                          "' of team " + std::to_string(team_id) + " while the old one was rotated; the saved one stays",
                      "token_replaced");
            const std::int64_t t = toUnixMillis(now());
            run(c,
                "UPDATE provider_settings SET token_sealed = $4, token_last4 = $5, expires_at = $6, status = 'active', "
                "invalid_reason = '', invalid_notified_at = NULL, updated_at = $7, next_check_at = $8, "
                "check_owner = NULL, check_lease_until = NULL, expiry_reminded_on = '' "
                "WHERE team_id = $1 AND provider = $2 AND name = $3",
                {team_id, provider, credential, box_->seal(new_token, label), lastFour(new_token), orNull(expires_at), t,
                 toUnixMillis(next_check_at)});
            run(c,
                "UPDATE provider_rotations SET state = 'idle', started_at = NULL, claim_owner = NULL, "
                "claim_lease_until = NULL, last_rotated_at = $4, last_error = '', next_attempt_at = 0 "
                "WHERE team_id = $1 AND provider = $2 AND name = $3",
                {team_id, provider, credential, t});
        });
        auto settings = providerSettings(team_id, provider, credential);
        if (!settings) raise(settings.error().kind, settings.error().message, settings.error().code);
        return std::move(settings).value();
    });
}

Result<void> PostgresStore::finishRotation(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                           std::string_view owner, std::string_view error, Timestamp next_attempt_at) {
    return guarded("recording a rotation that did not happen", [&]() -> Result<void> {
        if (runOnce(pool_,
                    "UPDATE provider_rotations SET state = 'idle', started_at = NULL, claim_owner = NULL, "
                    "claim_lease_until = NULL, last_error = $5, last_failed_at = $6, next_attempt_at = $7 "
                    "WHERE team_id = $1 AND provider = $2 AND name = $3 AND claim_owner = $4",
                    {team_id, provider, credential, owner, error, toUnixMillis(now()), toUnixMillis(next_attempt_at)})
                .affectedRows() == 0)
            return rotationClaimLost(team_id, provider, credential);
        return {};
    });
}

Result<bool> PostgresStore::abandonRotation(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                            std::string_view old_token, std::string_view reason) {
    return guarded("recording a lost rotation", [&]() -> Result<bool> {
        if (reason.empty()) raise(ErrorKind::invalid_input, "recording a lost rotation: the reason is empty", "missing_field");
        return inTransaction<bool>(pool_, [&](PgConnection& c) {
            bool holds_old = false;
            if (const auto held = lockedToken(c, team_id, provider, credential)) {
                auto opened = box_->open(*held, providerTokenLabel(team_id, provider, credential));
                holds_old = opened && opened.value() == old_token;
            }
            const std::int64_t t = toUnixMillis(now());
            if (holds_old) {
                run(c,
                    "UPDATE provider_settings SET status = 'invalid', "
                    "invalid_notified_at = CASE WHEN invalid_reason = $4 THEN invalid_notified_at ELSE NULL END, "
                    "invalid_reason = $4, updated_at = $5, check_owner = NULL, check_lease_until = NULL "
                    "WHERE team_id = $1 AND provider = $2 AND name = $3",
                    {team_id, provider, credential, reason, t});
            }
            run(c,
                "UPDATE provider_rotations SET state = 'idle', started_at = NULL, claim_owner = NULL, "
                "claim_lease_until = NULL, last_error = $4, last_failed_at = $5 "
                "WHERE team_id = $1 AND provider = $2 AND name = $3",
                {team_id, provider, credential, reason, t});
            return holds_old;
        });
    });
}

Result<void> PostgresStore::releaseRotation(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                            std::string_view owner) {
    return guarded("releasing a rotation claim", [&]() -> Result<void> {
        if (runOnce(pool_,
                    "UPDATE provider_rotations SET claim_owner = NULL, claim_lease_until = NULL "
                    "WHERE team_id = $1 AND provider = $2 AND name = $3 AND claim_owner = $4",
                    {team_id, provider, credential, owner})
                .affectedRows() == 0)
            return rotationClaimLost(team_id, provider, credential);
        return {};
    });
}

}  // namespace forgelink::store
