// The SQLite side of the audit log.
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

// ---- the audit log ---------------------------------------------------------------------------

Result<AuditEvent> SqliteStore::recordAuditEvent(const AuditEventInput& in) {
    return guarded("recording an audit event", [&]() -> Result<AuditEvent> {
        requireId(in.team_id, "team id");
        requireText(in.action, "audit action");
        auto c = pool_.acquire();
        return one<AuditEvent>(
            c->prepare(sql({"INSERT INTO audit_events (team_id, at, actor_kind, actor_user_id, actor_token_id, "
                            "actor_name, client_address, action, target, details) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING ",
                            kAuditColumns}))
                .bind(1, in.team_id)
                .bind(2, toUnixMillis(now()))
                .bind(3, toString(in.actor.kind))
                .bind(4, in.actor.user_id > 0 ? std::optional<std::int64_t>(in.actor.user_id) : std::nullopt)
                .bind(5, in.actor.token_id > 0 ? std::optional<std::int64_t>(in.actor.token_id) : std::nullopt)
                .bind(6, in.actor.name)
                .bind(7, in.client_address)
                .bind(8, in.action)
                .bind(9, in.target)
                .bind(10, (in.details.is_null() ? json::object() : in.details).dump()),
            readAuditEvent, ErrorKind::internal, "recording an audit event returned no row");
    });
}

Result<std::vector<AuditEvent>> SqliteStore::listAuditEvents(std::int64_t team_id, std::size_t limit,
                                                             std::int64_t before_id) {
    return guarded("listing audit events", [&]() -> Result<std::vector<AuditEvent>> {
        auto c = pool_.acquire();
        return all<AuditEvent>(
            c->prepare(sql({"SELECT ", kAuditColumns,
                            " FROM audit_events WHERE team_id = ?1 AND (?2 <= 0 OR id < ?2) ORDER BY id DESC LIMIT ?3"}))
                .bind(1, team_id)
                .bind(2, before_id)
                .bind(3, static_cast<std::int64_t>(limit)),
            readAuditEvent);
    });
}

Result<std::int64_t> SqliteStore::purgeAuditEvents(Timestamp before) {
    return guarded("purging audit events", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM audit_events WHERE at < ?1").bind(1, toUnixMillis(before)).run();
        return c->changes();
    });
}

}  // namespace forgelink::store
