// Schema migrations on PostgreSQL: an ordered list applied once, whichever hosts start at once.
//
// The runner takes a session advisory lock (pg_advisory_lock, one fixed key) before it reads the
// schema version, so of several hosts starting together one applies what is missing and the
// others wait, then find nothing left to do. Each migration runs in its own transaction with its
// row in forgelink_schema_migrations (version, name, applied_at): interrupted, nothing of it stays.
// A database whose schema is newer than the list (a newer release migrated it) is refused, and so
// is one whose recorded names differ from the list (a different list, not an older one).
//
// Threads: one runner per connection; the lock makes concurrent runners on different connections
// (threads, processes, hosts) safe.
#pragma once

#include <forgelink/result.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.hpp"

namespace forgelink::store::pg {

struct PgMigration {
    int version = 0;   // 1, 2, 3... contiguous, in order
    std::string name;  // what it does, stored with the version
    // Run in order in one transaction; constant SQL (no parameters), each one or more statements.
    std::vector<std::string> statements;
};

// Forgelink's schema: the PostgreSQL texts of the one list of migrations (store/migrations.hpp).
// internal error naming the migration when one has no PostgreSQL text.
Result<std::vector<PgMigration>> schemaMigrations();

struct MigrationReport {
    int from_version = 0;       // the schema's version before
    int to_version = 0;         // and after
    std::vector<int> applied;   // by this runner
};

// The advisory lock's key: "forgelnk" in ASCII, shared by every Forgelink host on the database.
inline constexpr std::int64_t kMigrationLockKey = 0x666f7267656c6e6bLL;

// Applies every migration newer than the database's schema, under the advisory lock. The
// session's statement_timeout is lifted for the duration (a migration may take long), then
// restored. Errors: unsupported (code schema_too_new, schema_mismatch) when the database is not
// of this list; a failed migration names its version and name.
Result<MigrationReport> applyMigrations(PgConnection& conn, const std::vector<PgMigration>& migrations);

// The database's schema version without changing anything (0: never migrated), refusing a newer
// or different schema like applyMigrations. For `serve`, which must not start on a schema it
// does not know.
Result<int> checkSchema(PgConnection& conn, const std::vector<PgMigration>& migrations);

}  // namespace forgelink::store::pg
