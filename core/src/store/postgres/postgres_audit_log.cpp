// The PostgreSQL side of the audit log.
#include "store/postgres/postgres_store.hpp"

#include "store/postgres/pg_rows.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {
// LIMIT $n of a size: NULL (no limit) where SQLite's negative LIMIT would mean none.
pg::PgParam limitOf(std::size_t limit) {
    if (limit > static_cast<std::size_t>(INT64_MAX)) return pg::PgParam(std::nullopt);
    return pg::PgParam(static_cast<std::int64_t>(limit));
}
}  // namespace

// ---- the audit log ---------------------------------------------------------------------------

Result<AuditEvent> PostgresStore::recordAuditEvent(const AuditEventInput& in) {
    return guarded("recording an audit event", [&]() -> Result<AuditEvent> {
        requireId(in.team_id, "team id");
        requireText(in.action, "audit action");
        const auto optionalId = [](std::int64_t id) { return id > 0 ? pg::PgParam(id) : pg::PgParam(std::nullopt); };
        return one<AuditEvent>(
            runOnce(pool_,
                    sql({"INSERT INTO audit_events (team_id, at, actor_kind, actor_user_id, actor_token_id, actor_name, "
                         "client_address, action, target, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                         "RETURNING ",
                         kAuditColumns}),
                    {in.team_id, toUnixMillis(now()), toString(in.actor.kind), optionalId(in.actor.user_id),
                     optionalId(in.actor.token_id), in.actor.name, in.client_address, in.action, in.target,
                     (in.details.is_null() ? json::object() : in.details).dump()}),
            readAuditEvent, ErrorKind::internal, "recording an audit event returned no row");
    });
}

Result<std::vector<AuditEvent>> PostgresStore::listAuditEvents(std::int64_t team_id, std::size_t limit,
                                                               std::int64_t before_id) {
    return guarded("listing audit events", [&]() -> Result<std::vector<AuditEvent>> {
        return all<AuditEvent>(
            runOnce(pool_,
                    sql({"SELECT ", kAuditColumns,
                         " FROM audit_events WHERE team_id = $1 AND ($2::bigint <= 0 OR id < $2::bigint) "
                         "ORDER BY id DESC LIMIT $3::bigint"}),
                    {team_id, before_id, limitOf(limit)}),
            readAuditEvent);
    });
}

Result<std::int64_t> PostgresStore::purgeAuditEvents(Timestamp before) {
    return guarded("purging audit events", [&]() -> Result<std::int64_t> {
        return runOnce(pool_, "DELETE FROM audit_events WHERE at < $1", {toUnixMillis(before)}).affectedRows();
    });
}

}  // namespace forgelink::store
