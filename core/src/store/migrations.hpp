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

}  // namespace forgelink::store
