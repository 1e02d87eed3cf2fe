// The PostgreSQL side of re-checking stored forge tokens: the claim (owner + lease) that keeps two
// hosts from checking one token at once, the verdict, and the once-a-day expiry reminders.
#include "store/postgres/postgres_store.hpp"

#include <algorithm>

#include "store/postgres/pg_rows.hpp"
#include "store/seal_labels.hpp"

namespace forgelink::store {

using namespace postgres;

// ---- the claim, the verdict, the release -----------------------------------------------------

Result<std::vector<ProviderCheck>> PostgresStore::claimProviderChecks(std::string_view owner, Timestamp now_at,
                                                                      std::chrono::milliseconds lease, std::size_t limit) {
    return guarded("claiming provider tokens to re-check", [&]() -> Result<std::vector<ProviderCheck>> {
        requireText(owner, "owner");
        requireLease(lease);
        return inTransaction<std::vector<ProviderCheck>>(pool_, [&](PgConnection& c) {
            const std::int64_t t = toUnixMillis(now_at);
            // The due rows FOR UPDATE SKIP LOCKED, claimed in the same statement: a row another
            // host is claiming right now is skipped, never waited for nor claimed twice.
            auto rows = run(c,
                            "UPDATE provider_settings s SET check_owner = $1, check_lease_until = $2 FROM ("
                            " SELECT team_id, provider, name FROM provider_settings WHERE next_check_at <= $3"
                            " AND (check_owner IS NULL OR check_lease_until <= $3) ORDER BY next_check_at LIMIT $4"
                            " FOR UPDATE SKIP LOCKED) due"
                            " WHERE s.team_id = due.team_id AND s.provider = due.provider AND s.name = due.name"
                            " RETURNING s.team_id, s.provider, s.base_url, s.token_sealed, s.status, s.invalid_reason,"
                            " (SELECT slug FROM teams WHERE teams.id = s.team_id), s.name, s.next_check_at",
                            {owner, t + lease.count(), t, static_cast<std::int64_t>(limit)});
            std::vector<std::pair<std::int64_t, ProviderCheck>> claimed;
            for (int i = 0; i < rows.rows(); ++i) {
                const PgRow s(rows, i);
                if (auto check = openClaimedCheck(s, *box_)) {
                    claimed.emplace_back(s.int64(8), std::move(*check));
                    continue;
                }
                // Sealed under another key: nobody can check it; leave it to rekey or a new save.
                run(c,
                    "UPDATE provider_settings SET check_owner = NULL, check_lease_until = NULL "
                    "WHERE team_id = $1 AND provider = $2 AND name = $3",
                    {s.int64(0), s.text(1), s.text(7)});
            }
            // RETURNING keeps no order: the most overdue first, as they were chosen.
            std::stable_sort(claimed.begin(), claimed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            std::vector<ProviderCheck> out;
            for (auto& [due, check] : claimed) out.push_back(std::move(check));
            return out;
        });
    });
}

Result<ProviderCheckChange> PostgresStore::completeProviderCheck(const ProviderCheckOutcome& out, std::string_view owner) {
    return guarded("recording a provider token check", [&]() -> Result<ProviderCheckChange> {
        requireId(out.team_id, "team id");
        requireTexts({{out.provider, "provider"}, {out.name, "credential name"}, {owner, "owner"}});
        if (!out.valid) requireText(out.invalid_reason, "invalid reason");
        return inTransaction<ProviderCheckChange>(pool_, [&](PgConnection& c) {
            ProviderCheckChange change;
            // FOR UPDATE: the claim is still ours until the verdict is written.
            auto before = run(c,
                              "SELECT status, invalid_reason FROM provider_settings "
                              "WHERE team_id = $1 AND provider = $2 AND check_owner = $3 AND name = $4 FOR UPDATE",
                              {out.team_id, out.provider, owner, out.name});
            if (before.rows() == 0) throw ErrorException{checkClaimLost(out.team_id, out.provider, out.name)};
            change.status_before = PgRow(before, 0).text(0) == "invalid" ? ProviderStatus::invalid : ProviderStatus::active;
            change.reason_before = PgRow(before, 0).text(1);
            const std::int64_t t = toUnixMillis(now());
            const std::string settings = sql({" WHERE team_id = $1 AND provider = $2 AND name = $3 RETURNING ", kSettingsColumns});
            if (out.valid) {
                const auto& in = out.refreshed;
                change.after = one<ProviderSettings>(
                    run(c,
                        "UPDATE provider_settings SET instance = $4, kind = $5, identity = $6, scopes = $7, expires_at = $8, "
                        "warnings = $9, access = $10, status = 'active', invalid_reason = '', invalid_notified_at = NULL, "
                        "checked_at = $11, next_check_at = $12, check_owner = NULL, check_lease_until = NULL, "
                        "updated_at = CASE WHEN status = 'active' THEN updated_at ELSE $11 END" + settings,
                        {out.team_id, out.provider, out.name, in.instance, toString(in.kind), identityJson(in.identity),
                         json(in.scopes).dump(), orNull(in.expires_at), warningsJson(in.warnings), accessJson(in), t,
                         toUnixMillis(out.next_check_at)}),
                    readSettings, ErrorKind::internal, "the checked provider settings vanished");
            } else {
                change.after = one<ProviderSettings>(
                    run(c,
                        "UPDATE provider_settings SET status = 'invalid', "
                        "invalid_notified_at = CASE WHEN invalid_reason = $4 THEN invalid_notified_at ELSE NULL END, "
                        "updated_at = CASE WHEN status = 'invalid' AND invalid_reason = $4 THEN updated_at ELSE $5 END, "
                        "invalid_reason = $4, checked_at = $5, next_check_at = $6, check_owner = NULL, "
                        "check_lease_until = NULL" + settings,
                        {out.team_id, out.provider, out.name, out.invalid_reason, t, toUnixMillis(out.next_check_at)}),
                    readSettings, ErrorKind::internal, "the checked provider settings vanished");
            }
            return change;
        });
    });
}

Result<void> PostgresStore::releaseProviderCheck(std::int64_t team_id, std::string_view provider, std::string_view owner,
                                                 Timestamp next_check_at, std::string_view credential) {
    return guarded("releasing a provider token check", [&]() -> Result<void> {
        if (runOnce(pool_,
                    "UPDATE provider_settings SET check_owner = NULL, check_lease_until = NULL, next_check_at = $4 "
                    "WHERE team_id = $1 AND provider = $2 AND check_owner = $3 AND name = $5",
                    {team_id, provider, owner, toUnixMillis(next_check_at), credential})
                .affectedRows() == 0)
            return checkClaimLost(team_id, provider, credential);
        return {};
    });
}

Result<std::vector<ExpiryReminder>> PostgresStore::claimExpiryReminders(std::string_view today, std::string_view horizon) {
    return guarded("claiming token expiry reminders", [&]() -> Result<std::vector<ExpiryReminder>> {
        requireText(today, "today");
        requireText(horizon, "horizon");
        // "YYYY-MM-DD" strings order like the dates they name (COLLATE "C"). One conditional
        // UPDATE: a host that waited for another's row lock re-reads expiry_reminded_on and skips
        // the row that host reminded of today.
        return all<ExpiryReminder>(
            runOnce(pool_,
                    "UPDATE provider_settings SET expiry_reminded_on = $1 WHERE expires_at IS NOT NULL "
                    "AND expires_at <= $2 AND expiry_reminded_on <> $1 RETURNING team_id, "
                    "(SELECT slug FROM teams WHERE teams.id = provider_settings.team_id), provider, expires_at, name",
                    {today, horizon}),
            [](const PgRow& r) { return ExpiryReminder{r.int64(0), r.text(1), r.text(2), r.text(3), r.text(4)}; });
    });
}

}  // namespace forgelink::store
