// The audit log: every change of a team's settings. The contract every Store method keeps is in
// store/store.hpp.
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

class AuditLogStore {
public:
    virtual ~AuditLogStore() = default;

    // ---- the audit log ------------------------------------------------------------------
    // Appends one event, stamped with the store's clock; invalid_input when the team does not
    // exist. Events go with their team when it is deleted.
    virtual Result<AuditEvent> recordAuditEvent(const AuditEventInput& event) = 0;
    // The team's events, newest first, at most `limit`; `before_id` > 0 pages backwards.
    virtual Result<std::vector<AuditEvent>> listAuditEvents(std::int64_t team_id, std::size_t limit,
                                                            std::int64_t before_id = 0) = 0;
    // Deletes every event older than `before` (audit.retention_days). Returns how many.
    virtual Result<std::int64_t> purgeAuditEvents(Timestamp before) = 0;
};

}  // namespace forgelink::store
