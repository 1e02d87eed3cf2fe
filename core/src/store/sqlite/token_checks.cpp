// The SQLite side of re-checking stored forge tokens: the claim (owner + lease) that keeps two
// hosts from checking one token at once, the verdict, and the once-a-day expiry reminders.
#include "store/sqlite/sqlite_store.hpp"

#include <tuple>

#include "store/seal_labels.hpp"
#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

// ---- re-checking stored tokens ---------------------------------------------------------------

Result<std::vector<ProviderCheck>> SqliteStore::claimProviderChecks(std::string_view owner, Timestamp now_at,
                                                                    std::chrono::milliseconds lease, std::size_t limit) {
    using Out = std::vector<ProviderCheck>;
    return guarded("claiming provider tokens to re-check", [&]() -> Result<Out> {
        requireText(owner, "owner");
        requireLease(lease);
        const std::int64_t t = toUnixMillis(now_at);
        auto c = pool_.acquire();
        Transaction tx(*c);
        // One statement decides and takes the claim under the write lock.
        Statement s = c->prepare(
            "UPDATE provider_settings SET check_owner = ?1, check_lease_until = ?2 WHERE rowid IN ("
            " SELECT rowid FROM provider_settings WHERE next_check_at <= ?3"
            " AND (check_owner IS NULL OR check_lease_until <= ?3) ORDER BY next_check_at LIMIT ?4)"
            " RETURNING team_id, provider, base_url, token_sealed, status, invalid_reason,"
            " (SELECT slug FROM teams WHERE teams.id = provider_settings.team_id), name");
        s.bind(1, owner).bind(2, t + lease.count()).bind(3, t).bind(4, static_cast<std::int64_t>(limit));
        Out claimed;
        std::vector<std::tuple<std::int64_t, std::string, std::string>> unreadable;
        while (s.step()) {
            if (auto check = openClaimedCheck(s, *box_)) claimed.push_back(std::move(*check));
            else unreadable.push_back({s.int64(0), s.text(1), s.text(7)});
        }
        for (const auto& [team_id, provider, name] : unreadable) {
            runChanging(*c, "UPDATE provider_settings SET check_owner = NULL, check_lease_until = NULL "
                            "WHERE team_id = ?1 AND provider = ?2 AND name = ?3",
                        team_id, provider, name);
        }
        tx.commit();
        return claimed;
    });
}

Result<ProviderCheckChange> SqliteStore::completeProviderCheck(const ProviderCheckOutcome& out, std::string_view owner) {
    return guarded("recording a provider token check", [&]() -> Result<ProviderCheckChange> {
        requireId(out.team_id, "team id");
        requireText(out.provider, "provider");
        requireText(out.name, "credential name");
        requireText(owner, "owner");
        if (!out.valid) requireText(out.invalid_reason, "invalid reason");
        auto c = pool_.acquire();
        Transaction tx(*c);
        ProviderCheckChange change;
        {
            Statement before = c->prepare("SELECT status, invalid_reason FROM provider_settings "
                                          "WHERE team_id = ?1 AND provider = ?2 AND check_owner = ?3 AND name = ?4");
            before.bind(1, out.team_id).bind(2, out.provider).bind(3, owner).bind(4, out.name);
            if (!before.step()) return checkClaimLost(out.team_id, out.provider, out.name);
            change.status_before = before.text(0) == "invalid" ? ProviderStatus::invalid : ProviderStatus::active;
            change.reason_before = before.text(1);
        }
        const std::int64_t t = toUnixMillis(now());
        if (out.valid) {
            const auto& in = out.refreshed;
            c->prepare("UPDATE provider_settings SET instance = ?3, kind = ?4, identity = ?5, scopes = ?6, "
                       "expires_at = ?7, warnings = ?8, access = ?9, status = 'active', invalid_reason = '', "
                       "invalid_notified_at = NULL, checked_at = ?10, next_check_at = ?11, check_owner = NULL, "
                       "check_lease_until = NULL, updated_at = CASE WHEN status = 'active' THEN updated_at ELSE ?10 END "
                       "WHERE team_id = ?1 AND provider = ?2 AND name = ?12")
                .bind(1, out.team_id)
                .bind(2, out.provider)
                .bind(3, in.instance)
                .bind(4, toString(in.kind))
                .bind(5, identityJson(in.identity))
                .bind(6, json(in.scopes).dump())
                .bind(7, in.expires_at)
                .bind(8, warningsJson(in.warnings))
                .bind(9, accessJson(in))
                .bind(10, t)
                .bind(11, toUnixMillis(out.next_check_at))
                .bind(12, out.name)
                .run();
        } else {
            c->prepare("UPDATE provider_settings SET status = 'invalid', "
                       "invalid_notified_at = CASE WHEN invalid_reason = ?3 THEN invalid_notified_at ELSE NULL END, "
                       "updated_at = CASE WHEN status = 'invalid' AND invalid_reason = ?3 THEN updated_at ELSE ?4 END, "
                       "invalid_reason = ?3, checked_at = ?4, next_check_at = ?5, check_owner = NULL, "
                       "check_lease_until = NULL WHERE team_id = ?1 AND provider = ?2 AND name = ?6")
                .bind(1, out.team_id)
                .bind(2, out.provider)
                .bind(3, out.invalid_reason)
                .bind(4, t)
                .bind(5, toUnixMillis(out.next_check_at))
                .bind(6, out.name)
                .run();
        }
        change.after = one<ProviderSettings>(
            c->prepare(sql({"SELECT ", kSettingsColumns,
                            " FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3"}))
                .bind(1, out.team_id)
                .bind(2, out.provider)
                .bind(3, out.name),
            readSettings, ErrorKind::internal, "the checked provider settings vanished");
        tx.commit();
        return change;
    });
}

Result<void> SqliteStore::releaseProviderCheck(std::int64_t team_id, std::string_view provider, std::string_view owner,
                                               Timestamp next_check_at, std::string_view credential) {
    return guarded("releasing a provider token check", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE provider_settings SET check_owner = NULL, check_lease_until = NULL, next_check_at = ?4 "
                             "WHERE team_id = ?1 AND provider = ?2 AND check_owner = ?3 AND name = ?5",
                        team_id, provider, owner, toUnixMillis(next_check_at), credential) == 0)
            return checkClaimLost(team_id, provider, credential);
        return {};
    });
}

Result<std::vector<ExpiryReminder>> SqliteStore::claimExpiryReminders(std::string_view today, std::string_view horizon) {
    return guarded("claiming token expiry reminders", [&]() -> Result<std::vector<ExpiryReminder>> {
        requireText(today, "today");
        requireText(horizon, "horizon");
        auto c = pool_.acquire();
        // "YYYY-MM-DD" strings order like the dates they name.
        return all<ExpiryReminder>(
            c->prepare("UPDATE provider_settings SET expiry_reminded_on = ?1 WHERE expires_at IS NOT NULL "
                       "AND expires_at <= ?2 AND expiry_reminded_on <> ?1 RETURNING team_id, "
                       "(SELECT slug FROM teams WHERE teams.id = provider_settings.team_id), provider, expires_at, name")
                .bind(1, today)
                .bind(2, horizon),
            [](const Statement& st) {
                return ExpiryReminder{st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4)};
            });
    });
}

}  // namespace forgelink::store
