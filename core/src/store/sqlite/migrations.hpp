// Applying the schema's migrations (store/migrations.hpp, the SQLite text of each) to a SQLite
// database.
#pragma once

#include "store/migrations.hpp"
#include "store/records.hpp"
#include "store/sqlite/db.hpp"

namespace forgelink::store::sqlite {

// The version recorded in the database (0 for a new, empty database).
int currentSchemaVersion(Connection& connection);

// Applies the missing migrations in order, each in its own transaction with its row in
// schema_migrations, so an interrupted upgrade resumes where it stopped and two processes
// starting together apply each migration once. Throws SqliteError, and std::runtime_error when
// the database is newer than this build (saying both versions).
void migrate(Connection& connection, Timestamp now);

}  // namespace forgelink::store::sqlite
