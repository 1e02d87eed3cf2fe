// The schema, as one ordered list of migrations for every backend. Each migration has a version
// (contiguous from 1), a name, and the SQL text of each backend: the same change said in each
// database's dialect. A backend applies the texts of its own column in order, each once, and
// records the versions it applied (SQLite: store/sqlite/migrations.hpp).
//
// Append only: a released migration never changes (databases in the field already ran it). A new
// migration comes with the text of every backend.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace forgelink::store {

struct Migration {
    int version = 0;
    std::string_view name;
    std::string sqlite;    // SQLite's text (one or more statements)
    std::string postgres;  // PostgreSQL's text (one or more statements)
};

// Every migration, oldest first.
const std::vector<Migration>& migrations();

// The newest schema version this build knows.
int latestSchemaVersion();

// SQLite's text as PostgreSQL says it, for the statements both share (CREATE TABLE and INDEX,
// ALTER TABLE ... ADD COLUMN, INSERT ... SELECT): SQLite's `id INTEGER PRIMARY KEY` (the row id,
// assigned on insert) is an identity column, every other INTEGER a bigint (times in milliseconds
// pass 32 bits), every TEXT a text compared byte by byte (COLLATE "C", SQLite's BINARY: the order
// of a listing and what a unique key calls equal must not depend on the database's locale).
// Constraint names come out the same: PostgreSQL names a column's CHECK
// <table>_<column>_check and a primary key <table>_pkey, which migrations 10 and 13 alter.
// Only whole words change (`CONTEXT`, `user_id INTEGER PRIMARY KEY` or `text` stay as they are).
std::string postgresOf(std::string_view sqlite);

}  // namespace forgelink::store
