// Applying the migrations to a SQLite database (migrations.hpp).
#include "store/sqlite/migrations.hpp"

#include <stdexcept>
#include <string>

namespace forgelink::store::sqlite {

namespace {

void ensureMigrationsTable(Connection& connection) {
    connection.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL,"
        " applied_at INTEGER NOT NULL)");
}

void refuseNewer(int found) {
    if (found > latestSchemaVersion()) {
        throw std::runtime_error("the database has schema version " + std::to_string(found) +
                                 " but this Forgelink knows versions up to " + std::to_string(latestSchemaVersion()) +
                                 "; it was upgraded by a newer Forgelink: run that version (or restore a backup "
                                 "taken before the upgrade)");
    }
}

}  // namespace

int currentSchemaVersion(Connection& connection) {
    Statement exists = connection.prepare(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
    exists.step();
    if (exists.int64(0) == 0) return 0;
    Statement max = connection.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
    max.step();
    return static_cast<int>(max.int64(0));
}

void migrate(Connection& connection, Timestamp now) {
    ensureMigrationsTable(connection);
    refuseNewer(currentSchemaVersion(connection));
    for (const Migration& migration : migrations()) {
        Transaction transaction(connection);
        // Re-read inside the write lock: another process may have applied it meanwhile.
        const int current = currentSchemaVersion(connection);
        refuseNewer(current);
        if (migration.version <= current) continue;
        connection.exec(migration.sqlite);
        connection.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)")
            .bind(1, static_cast<std::int64_t>(migration.version))
            .bind(2, migration.name)
            .bind(3, toUnixMillis(now))
            .run();
        transaction.commit();
    }
}

}  // namespace forgelink::store::sqlite
