// Notices to a team's admins and their delivery to the team's notification webhook (a small
// outbox, leased like feedback tasks). The contract every Store method keeps is in store/store.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <forgelink/result.hpp>

#include "store/records.hpp"

namespace forgelink::store {

class NoticeStore {
public:
    virtual ~NoticeStore() = default;

    // ---- notices to a team's admins ------------------------------------------------------
    // Records the notice unless the team already has one with the same dedupe key (then
    // std::nullopt: the event was recorded before, by this or another host). A team with a
    // notification webhook gets the notice queued for delivery (pending, due now) in the same
    // statement; otherwise its delivery is none. invalid_input when the team does not exist.
    virtual Result<std::optional<Notice>> recordNotice(const NewNotice& notice) = 0;
    // The team's notices, newest first; `before_id` > 0 pages backwards.
    virtual Result<std::vector<Notice>> listNotices(std::int64_t team_id, std::size_t limit,
                                                    std::int64_t before_id = 0) = 0;
    // Sets (or replaces) the team's webhook; the URL is sealed. Notices recorded from now on are
    // delivered to it; those still waiting go to the new URL.
    virtual Result<NotificationSettings> saveNotificationSettings(std::int64_t team_id, std::string_view webhook_url) = 0;
    // Without the URL (webhook_url empty). not_found when the team has no webhook.
    virtual Result<NotificationSettings> notificationSettings(std::int64_t team_id) = 0;
    // Removes the webhook; notices still waiting are not sent (delivery none). not_found when none.
    virtual Result<void> deleteNotificationSettings(std::int64_t team_id) = 0;
    // Leases up to `limit` due notice deliveries to `owner` until now + lease, atomically across
    // processes (pending and due, or in flight with the lease run out); attempts + 1. A notice
    // whose team has no webhook anymore becomes delivery none instead. Oldest first.
    virtual Result<std::vector<NoticeDeliveryTask>> claimNoticeDeliveries(std::string_view owner, Timestamp now,
                                                                          std::chrono::milliseconds lease,
                                                                          std::size_t limit) = 0;
    // The following need the lease still held (conflict otherwise: another owner took it).
    virtual Result<void> completeNoticeDelivery(std::int64_t notice_id, std::string_view owner) = 0;
    virtual Result<void> retryNoticeDelivery(std::int64_t notice_id, std::string_view owner, Timestamp next_attempt_at,
                                             std::string_view error) = 0;
    virtual Result<void> failNoticeDelivery(std::int64_t notice_id, std::string_view owner, std::string_view error) = 0;
};

}  // namespace forgelink::store
