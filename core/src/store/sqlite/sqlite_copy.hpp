// The SQLite ends of `forgelink store copy` (store/store_copy.hpp): a database file read in one
// WAL snapshot while hosts keep writing to it, or written in one transaction.
#pragma once

#include <forgelink/result.hpp>

#include <memory>
#include <string>

#include "store/store_copy.hpp"

namespace forgelink::store::sqlite {

// Reads the database at `path` (which must exist: never created) in one read transaction, begun
// here: every table is read as it was at this moment, whatever is committed meanwhile.
Result<std::unique_ptr<copy::CopySource>> openCopySource(const std::string& path);

// The database at `path` (created with its directory if missing), migrated to the latest
// schema, then written in one transaction begun here (BEGIN IMMEDIATE) and committed by finish().
Result<std::unique_ptr<copy::CopyTarget>> openCopyTarget(const std::string& path);

}  // namespace forgelink::store::sqlite
