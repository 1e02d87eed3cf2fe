// The PostgreSQL side of notices to a team's admins: recorded once per event (the UNIQUE team +
// dedupe key decides between hosts: INSERT ... ON CONFLICT DO NOTHING), and each a small outbox
// row towards the team's webhook, leased to one sender at a time like feedback tasks (claimed with
// FOR UPDATE SKIP LOCKED, so two hosts never take one notice and never wait for each other).
#include <algorithm>

#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/seal_labels.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {

std::string noWebhook(std::int64_t team_id) { return "team " + std::to_string(team_id) + " has no notification webhook"; }

}  // namespace

Result<std::optional<Notice>> PostgresStore::recordNotice(const NewNotice& in) {
    using Out = std::optional<Notice>;
    if (in.team_id <= 0 || in.provider.empty() || in.dedupe_key.empty() || in.text.empty())
        return makeError(ErrorKind::invalid_input, "recording a notice: team id, provider, dedupe key and text are required",
                         "missing_field");
    return guarded("recording a notice for team " + std::to_string(in.team_id), [&]() -> Result<Out> {
        const std::int64_t t = toUnixMillis(now());
        return inTransaction<Out>(pool_, [&](PgConnection& c) -> Out {
            // One statement: the unique key decides between hosts (a second host's insert waits
            // for the first's commit, then does nothing), and whether it is queued for the
            // webhook is read in the same statement.
            PgResult inserted = run(
                c,
                "INSERT INTO notices (team_id, provider, kind, dedupe_key, text, details, created_at, delivery, "
                "next_attempt_at, credential) "
                "SELECT $1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, "
                " CASE WHEN EXISTS (SELECT 1 FROM team_notifications WHERE team_id = $1::bigint) THEN 'pending' ELSE 'none' END, "
                " CASE WHEN EXISTS (SELECT 1 FROM team_notifications WHERE team_id = $1::bigint) THEN $7::bigint END, $8::text "
                "ON CONFLICT (team_id, dedupe_key) DO NOTHING RETURNING id",
                {in.team_id, in.provider, toString(in.kind), in.dedupe_key, in.text,
                 (in.details.is_object() ? in.details : json::object()).dump(), t,
                 in.credential.empty() ? std::string(kDefaultCredential) : in.credential});
            if (inserted.rows() == 0) return Out{};
            return Out{one<Notice>(run(c, sql({"SELECT ", kNoticeColumns, " FROM notices n WHERE n.id = $1"}),
                                       {PgRow(inserted, 0).int64(0)}),
                                   readNotice, ErrorKind::internal, "the recorded notice vanished")};
        });
    });
}

Result<std::vector<Notice>> PostgresStore::listNotices(std::int64_t team_id, std::size_t limit, std::int64_t before_id) {
    return guarded("listing notices", [&]() -> Result<std::vector<Notice>> {
        return all<Notice>(runOnce(pool_,
                                   sql({"SELECT ", kNoticeColumns,
                                        " FROM notices n WHERE n.team_id = $1 AND ($2::bigint <= 0 OR n.id < $2::bigint) "
                                        "ORDER BY n.id DESC LIMIT $3"}),
                                   {team_id, before_id, static_cast<std::int64_t>(limit)}),
                           readNotice);
    });
}

Result<NotificationSettings> PostgresStore::saveNotificationSettings(std::int64_t team_id, std::string_view webhook_url) {
    if (team_id <= 0 || webhook_url.empty())
        return makeError(ErrorKind::invalid_input, "saving notification settings: team id and webhook URL are required",
                         "missing_field");
    return guarded("saving the notification webhook of team " + std::to_string(team_id), [&]() -> Result<NotificationSettings> {
        NotificationSettings out;
        out.team_id = team_id;
        out.url_hint = webhookHint(webhook_url);
        out.updated_at = now();
        runOnce(pool_,
                "INSERT INTO team_notifications (team_id, webhook_url_sealed, url_hint, updated_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (team_id) DO UPDATE SET webhook_url_sealed = excluded.webhook_url_sealed, "
                "url_hint = excluded.url_hint, updated_at = excluded.updated_at",
                {team_id, box_->seal(webhook_url, notificationWebhookLabel(team_id)), out.url_hint,
                 toUnixMillis(out.updated_at)});
        return out;
    });
}

Result<NotificationSettings> PostgresStore::notificationSettings(std::int64_t team_id) {
    return guarded("reading notification settings", [&]() -> Result<NotificationSettings> {
        return one<NotificationSettings>(
            runOnce(pool_, "SELECT url_hint, updated_at FROM team_notifications WHERE team_id = $1", {team_id}),
            [&](const PgRow& s) { return NotificationSettings{team_id, "", s.text(0), fromUnixMillis(s.int64(1))}; },
            ErrorKind::not_found, noWebhook(team_id));
    });
}

Result<void> PostgresStore::deleteNotificationSettings(std::int64_t team_id) {
    return guarded("removing a notification webhook", [&]() -> Result<void> {
        inTransactionVoid(pool_, [&](PgConnection& c) {
            if (runChanging(c, "DELETE FROM team_notifications WHERE team_id = $1", {team_id}) == 0)
                raise(ErrorKind::not_found, noWebhook(team_id), "not_found");
            run(c,
                "UPDATE notices SET delivery = 'none', next_attempt_at = NULL, last_error = 'the webhook was removed' "
                "WHERE team_id = $1 AND delivery = 'pending'",
                {team_id});
        });
        return {};
    });
}

Result<std::vector<NoticeDeliveryTask>> PostgresStore::claimNoticeDeliveries(std::string_view owner, Timestamp now_at,
                                                                             std::chrono::milliseconds lease,
                                                                             std::size_t limit) {
    using Out = std::vector<NoticeDeliveryTask>;
    if (owner.empty() || lease.count() <= 0)
        return makeError(ErrorKind::invalid_input, "claiming notice deliveries: an owner and a positive lease are required",
                         "missing_field");
    return guarded("claiming notice deliveries", [&]() -> Result<Out> {
        const std::int64_t t = toUnixMillis(now_at);
        return inTransaction<Out>(pool_, [&](PgConnection& c) -> Out {
            // Waiting notices of teams that removed their webhook meanwhile are not sent. Rows
            // another host is claiming right now are skipped, not waited for.
            run(c,
                "UPDATE notices SET delivery = 'none', next_attempt_at = NULL, lease_owner = NULL, "
                "lease_expires_at = NULL, last_error = 'the webhook was removed' "
                "WHERE id IN (SELECT n.id FROM notices n WHERE n.delivery IN ('pending', 'in_flight') "
                " AND (n.delivery = 'pending' OR n.lease_expires_at <= $1) "
                " AND NOT EXISTS (SELECT 1 FROM team_notifications t WHERE t.team_id = n.team_id) "
                " FOR UPDATE SKIP LOCKED)",
                {t});
            // The claim: the due rows are locked FOR UPDATE SKIP LOCKED in the CTE (run once), then
            // leased; a row another host locked is skipped, and a row changed since this
            // statement's snapshot is re-checked against the condition when locked, so of several
            // hosts exactly one leases each notice.
            PgResult claimed = run(
                c,
                "WITH due AS (SELECT id FROM notices WHERE (delivery = 'pending' AND next_attempt_at <= $3) "
                " OR (delivery = 'in_flight' AND lease_expires_at <= $3) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) "
                "UPDATE notices SET delivery = 'in_flight', lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1 "
                "FROM due WHERE notices.id = due.id RETURNING notices.id",
                {owner, t + lease.count(), t, static_cast<std::int64_t>(limit)});
            std::vector<std::int64_t> ids;
            for (int i = 0; i < claimed.rows(); ++i) ids.push_back(PgRow(claimed, i).int64(0));
            std::sort(ids.begin(), ids.end());
            Out out;
            for (std::int64_t id : ids) {
                PgResult row = run(c,
                                   sql({"SELECT ", kNoticeColumns,
                                        ", t.webhook_url_sealed FROM notices n JOIN team_notifications t ON t.team_id = n.team_id "
                                        "WHERE n.id = $1"}),
                                   {id});
                if (row.rows() == 0) continue;
                NoticeDeliveryTask task;
                task.notice = readNotice(PgRow(row, 0));
                auto url = box_->open(PgRow(row, 0).text(14), notificationWebhookLabel(task.notice.team_id));
                if (!url) {
                    // Sealed under another key: nobody can send it; say so rather than retry forever.
                    run(c,
                        "UPDATE notices SET delivery = 'failed', lease_owner = NULL, lease_expires_at = NULL, "
                        "last_error = 'the webhook URL cannot be opened with this host''s secret key; save it again' "
                        "WHERE id = $1",
                        {id});
                    continue;
                }
                task.webhook_url = std::move(url).value();
                out.push_back(std::move(task));
            }
            return out;
        });
    });
}

Result<void> PostgresStore::completeNoticeDelivery(std::int64_t notice_id, std::string_view owner) {
    return guarded("recording a notice delivery", [&]() -> Result<void> {
        if (runOnce(pool_,
                    "UPDATE notices SET delivery = 'delivered', delivered_at = $3, lease_owner = NULL, "
                    "lease_expires_at = NULL, next_attempt_at = NULL, last_error = '' "
                    "WHERE id = $1 AND delivery = 'in_flight' AND lease_owner = $2",
                    {notice_id, owner, toUnixMillis(now())})
                .affectedRows() == 0)
            return noticeLeaseLost(notice_id);
        return {};
    });
}

Result<void> PostgresStore::retryNoticeDelivery(std::int64_t notice_id, std::string_view owner, Timestamp next_attempt_at,
                                                std::string_view error) {
    return guarded("rescheduling a notice delivery", [&]() -> Result<void> {
        if (runOnce(pool_,
                    "UPDATE notices SET delivery = 'pending', next_attempt_at = $3, last_error = $4, lease_owner = NULL, "
                    "lease_expires_at = NULL WHERE id = $1 AND delivery = 'in_flight' AND lease_owner = $2",
                    {notice_id, owner, toUnixMillis(next_attempt_at), error})
                .affectedRows() == 0)
            return noticeLeaseLost(notice_id);
        return {};
    });
}

Result<void> PostgresStore::failNoticeDelivery(std::int64_t notice_id, std::string_view owner, std::string_view error) {
    return guarded("recording a failed notice delivery", [&]() -> Result<void> {
        if (runOnce(pool_,
                    "UPDATE notices SET delivery = 'failed', next_attempt_at = NULL, last_error = $3, lease_owner = NULL, "
                    "lease_expires_at = NULL WHERE id = $1 AND delivery = 'in_flight' AND lease_owner = $2",
                    {notice_id, owner, error})
                .affectedRows() == 0)
            return noticeLeaseLost(notice_id);
        return {};
    });
}

}  // namespace forgelink::store
