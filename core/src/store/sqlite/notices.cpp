// The SQLite side of notices to a team's admins: recorded once per event (UNIQUE team + dedupe
// key decides between hosts), and each a small outbox row towards the team's webhook, leased to
// one sender at a time like feedback tasks.
#include <sqlite3.h>

#include "store/seal_labels.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace forgelink::store {

using namespace sqlite;

Result<std::optional<Notice>> SqliteStore::recordNotice(const NewNotice& in) {
    using Out = std::optional<Notice>;
    if (in.team_id <= 0 || in.provider.empty() || in.dedupe_key.empty() || in.text.empty())
        return makeError(ErrorKind::invalid_input, "recording a notice: team id, provider, dedupe key and text are required",
                         "missing_field");
    return guardedTeamClaim<Out>("recording a notice for team " + std::to_string(in.team_id), [&]() -> Result<Out> {
        const std::int64_t t = toUnixMillis(now());
        auto c = pool_.acquire();
        // One statement: the unique key decides between hosts, and whether it is queued for the
        // webhook is read under the same write lock.
        Statement s = c->prepare(
            "INSERT INTO notices (team_id, provider, kind, dedupe_key, text, details, created_at, delivery, next_attempt_at, "
            " credential) "
            "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            " CASE WHEN EXISTS (SELECT 1 FROM team_notifications WHERE team_id = ?1) THEN 'pending' ELSE 'none' END, "
            " CASE WHEN EXISTS (SELECT 1 FROM team_notifications WHERE team_id = ?1) THEN ?7 ELSE NULL END, ?8 "
            // "WHERE true": SQLite's parser needs it to tell the upsert clause from a join.
            "WHERE true ON CONFLICT (team_id, dedupe_key) DO NOTHING RETURNING id");
        s.bind(1, in.team_id)
            .bind(2, in.provider)
            .bind(3, toString(in.kind))
            .bind(4, in.dedupe_key)
            .bind(5, in.text)
            .bind(6, (in.details.is_object() ? in.details : nlohmann::json::object()).dump())
            .bind(7, t)
            .bind(8, in.credential.empty() ? std::string(kDefaultCredential) : in.credential);
        if (!s.step()) return Out{};
        const std::int64_t id = s.int64(0);
        while (s.step()) {
        }
        Statement read = c->prepare(std::string("SELECT ") + std::string(kNoticeColumns) + " FROM notices n WHERE n.id = ?1");
        read.bind(1, id);
        if (!read.step()) return makeError(ErrorKind::internal, "the recorded notice vanished", "database");
        return Out{readNotice(read)};
    });
}

Result<std::vector<Notice>> SqliteStore::listNotices(std::int64_t team_id, std::size_t limit, std::int64_t before_id) {
    using Out = std::vector<Notice>;
    return guardedTeamClaim<Out>("listing notices", [&]() -> Result<Out> {
        auto c = pool_.acquire();
        Statement s = c->prepare(std::string("SELECT ") + std::string(kNoticeColumns) +
                                 " FROM notices n WHERE n.team_id = ?1 AND (?2 <= 0 OR n.id < ?2) ORDER BY n.id DESC LIMIT ?3");
        s.bind(1, team_id).bind(2, before_id).bind(3, static_cast<std::int64_t>(limit));
        Out out;
        while (s.step()) out.push_back(readNotice(s));
        return out;
    });
}

Result<NotificationSettings> SqliteStore::saveNotificationSettings(std::int64_t team_id, std::string_view webhook_url) {
    if (team_id <= 0 || webhook_url.empty())
        return makeError(ErrorKind::invalid_input, "saving notification settings: team id and webhook URL are required",
                         "missing_field");
    return guardedTeamClaim<NotificationSettings>("saving the notification webhook of team " + std::to_string(team_id),
                                             [&]() -> Result<NotificationSettings> {
        NotificationSettings out;
        out.team_id = team_id;
        out.url_hint = webhookHint(webhook_url);
        out.updated_at = now();
        auto c = pool_.acquire();
        c->prepare("INSERT INTO team_notifications (team_id, webhook_url_sealed, url_hint, updated_at) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT (team_id) DO UPDATE SET webhook_url_sealed = excluded.webhook_url_sealed, "
                   "url_hint = excluded.url_hint, updated_at = excluded.updated_at")
            .bind(1, team_id)
            .bind(2, box_->seal(webhook_url, notificationWebhookLabel(team_id)))
            .bind(3, out.url_hint)
            .bind(4, toUnixMillis(out.updated_at))
            .run();
        return out;
    });
}

Result<NotificationSettings> SqliteStore::notificationSettings(std::int64_t team_id) {
    return guardedTeamClaim<NotificationSettings>("reading notification settings", [&]() -> Result<NotificationSettings> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT url_hint, updated_at FROM team_notifications WHERE team_id = ?1");
        s.bind(1, team_id);
        if (!s.step())
            return makeError(ErrorKind::not_found, "team " + std::to_string(team_id) + " has no notification webhook",
                             "not_found");
        return NotificationSettings{team_id, "", s.text(0), fromUnixMillis(s.int64(1))};
    });
}

Result<void> SqliteStore::deleteNotificationSettings(std::int64_t team_id) {
    return guardedTeamClaim<void>("removing a notification webhook", [&]() -> Result<void> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("DELETE FROM team_notifications WHERE team_id = ?1").bind(1, team_id).run();
        if (c->changes() == 0)
            return makeError(ErrorKind::not_found, "team " + std::to_string(team_id) + " has no notification webhook",
                             "not_found");
        c->prepare("UPDATE notices SET delivery = 'none', next_attempt_at = NULL, last_error = 'the webhook was removed' "
                   "WHERE team_id = ?1 AND delivery = 'pending'")
            .bind(1, team_id)
            .run();
        tx.commit();
        return {};
    });
}

Result<std::vector<NoticeDeliveryTask>> SqliteStore::claimNoticeDeliveries(std::string_view owner, Timestamp now_at,
                                                                           std::chrono::milliseconds lease,
                                                                           std::size_t limit) {
    using Out = std::vector<NoticeDeliveryTask>;
    if (owner.empty() || lease.count() <= 0)
        return makeError(ErrorKind::invalid_input, "claiming notice deliveries: an owner and a positive lease are required",
                         "missing_field");
    return guardedTeamClaim<Out>("claiming notice deliveries", [&]() -> Result<Out> {
        const std::int64_t t = toUnixMillis(now_at);
        auto c = pool_.acquire();
        Transaction tx(*c);
        // Waiting notices of teams that removed their webhook meanwhile are not sent.
        c->prepare("UPDATE notices SET delivery = 'none', next_attempt_at = NULL, lease_owner = NULL, "
                   "lease_expires_at = NULL, last_error = 'the webhook was removed' "
                   "WHERE delivery IN ('pending', 'in_flight') AND (delivery = 'pending' OR lease_expires_at <= ?1) "
                   "AND NOT EXISTS (SELECT 1 FROM team_notifications t WHERE t.team_id = notices.team_id)")
            .bind(1, t)
            .run();
        std::vector<std::int64_t> ids;
        {
            Statement s = c->prepare(
                "UPDATE notices SET delivery = 'in_flight', lease_owner = ?1, lease_expires_at = ?2, attempts = attempts + 1 "
                "WHERE id IN (SELECT id FROM notices WHERE (delivery = 'pending' AND next_attempt_at <= ?3) "
                " OR (delivery = 'in_flight' AND lease_expires_at <= ?3) ORDER BY id LIMIT ?4) RETURNING id");
            s.bind(1, owner).bind(2, t + lease.count()).bind(3, t).bind(4, static_cast<std::int64_t>(limit));
            while (s.step()) ids.push_back(s.int64(0));
        }
        Out out;
        for (std::int64_t id : ids) {
            Statement s = c->prepare(std::string("SELECT ") + std::string(kNoticeColumns) +
                                     ", t.webhook_url_sealed FROM notices n JOIN team_notifications t ON t.team_id = n.team_id "
                                     "WHERE n.id = ?1");
            s.bind(1, id);
            if (!s.step()) continue;
            NoticeDeliveryTask task;
            task.notice = readNotice(s);
            auto url = box_->open(s.text(14), notificationWebhookLabel(task.notice.team_id));
            if (!url) {
                // Sealed under another key: nobody can send it; say so rather than retry forever.
                c->prepare("UPDATE notices SET delivery = 'failed', lease_owner = NULL, lease_expires_at = NULL, "
                           "last_error = 'the webhook URL cannot be opened with this host''s secret key; save it again' "
                           "WHERE id = ?1")
                    .bind(1, id)
                    .run();
                continue;
            }
            task.webhook_url = std::move(url).value();
            out.push_back(std::move(task));
        }
        tx.commit();
        return out;
    });
}

Result<void> SqliteStore::completeNoticeDelivery(std::int64_t notice_id, std::string_view owner) {
    return guardedTeamClaim<void>("recording a notice delivery", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE notices SET delivery = 'delivered', delivered_at = ?3, lease_owner = NULL, "
                             "lease_expires_at = NULL, next_attempt_at = NULL, last_error = '' "
                             "WHERE id = ?1 AND delivery = 'in_flight' AND lease_owner = ?2",
                        notice_id, owner, toUnixMillis(now())) == 0)
            return noticeLeaseLost(notice_id);
        return {};
    });
}

Result<void> SqliteStore::retryNoticeDelivery(std::int64_t notice_id, std::string_view owner, Timestamp next_attempt_at,
                                              std::string_view error) {
    return guardedTeamClaim<void>("rescheduling a notice delivery", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE notices SET delivery = 'pending', next_attempt_at = ?3, last_error = ?4, lease_owner = NULL, "
                             "lease_expires_at = NULL WHERE id = ?1 AND delivery = 'in_flight' AND lease_owner = ?2",
                        notice_id, owner, toUnixMillis(next_attempt_at), error) == 0)
            return noticeLeaseLost(notice_id);
        return {};
    });
}

Result<void> SqliteStore::failNoticeDelivery(std::int64_t notice_id, std::string_view owner, std::string_view error) {
    return guardedTeamClaim<void>("recording a failed notice delivery", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE notices SET delivery = 'failed', next_attempt_at = NULL, last_error = ?3, lease_owner = NULL, "
                             "lease_expires_at = NULL WHERE id = ?1 AND delivery = 'in_flight' AND lease_owner = ?2",
                        notice_id, owner, error) == 0)
            return noticeLeaseLost(notice_id);
        return {};
    });
}

}  // namespace forgelink::store
