// The PostgreSQL ends of `forgelink store copy` (store/store_copy.hpp): a database read in one
// REPEATABLE READ snapshot while hosts keep writing to it, or written in one transaction.
#pragma once

#include <forgelink/result.hpp>

#include <memory>

#include "store/postgres/pg_connection.hpp"
#include "store/store_copy.hpp"

namespace forgelink::store::postgres {

// Reads the database in one READ ONLY, REPEATABLE READ transaction begun here (one snapshot),
// through a cursor. Its schema must be of this build's list (pg::checkSchema).
Result<std::unique_ptr<copy::CopySource>> openCopySource(const pg::PgConnectOptions& options);

// The database migrated to the latest schema (pg::applyMigrations, under its advisory lock),
// then written in one transaction begun here and committed by finish().
Result<std::unique_ptr<copy::CopyTarget>> openCopyTarget(const pg::PgConnectOptions& options);

}  // namespace forgelink::store::postgres
