// `forgelink store copy`: every row of one store copied into another, empty one, of any backend
// (SQLite -> PostgreSQL is the point; PostgreSQL -> SQLite and SQLite -> SQLite come free).
//
// The copy works table by table through a small backend-neutral row interface (CopySource,
// CopyTarget), not through the Store's domain methods: rows go over as they are stored, ids and
// sealed secrets byte for byte (a secret is never opened, so never in clear in memory), with no
// rule of the domains repeated here. What is copied is the schema's own list (copiedTables(),
// checked against both databases' tables before anything is written: a migration that adds a
// table must add it there, or the copy refuses and tests/core/store's CopyTables test fails).
//
// The plan, whichever the backends:
//   1. both keys loaded; the target's must open what the source's seals (a check value sealed
//      with one and opened with the other): refused before either database is opened;
//   2. the source opened in one read transaction (SQLite: one WAL snapshot, the hosts keep
//      writing; PostgreSQL: REPEATABLE READ): its schema must be this build's latest;
//   3. the target opened, migrated to the latest schema, one write transaction begun: every
//      copied table must be empty;
//   4. each table's rows streamed in batches in primary-key order; every sealed value (columns
//      named *_sealed) must name the source's key id, or the copy stops;
//   5. the counts per table compared (source snapshot, rows read, target after writing); the
//      target's id sequences moved past the copied ids; commit. Any failure rolls the target
//      back: it stays as empty as it was.
#pragma once

#include <forgelink/result.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "secrets/secret_box.hpp"

namespace forgelink::store::copy {

// Every column of the schema is an integer or text: a value travels as its text (an integer in
// decimal), SQL NULL as std::nullopt. Both backends store text given for an integer column as the
// integer.
using Value = std::optional<std::string>;
using Row = std::vector<Value>;

// How many rows a source hands over at a time (and a target writes with one statement at most).
inline constexpr std::size_t kBatchRows = 500;

struct CopiedTable {
    std::string_view name;
    // Written by the target's own triggers while the other tables are copied (the per-team
    // project list versions): cleared, then given the source's rows, after those tables.
    bool derived = false;
};

// Every table of the schema a copy carries, parents before the tables that refer to them.
const std::vector<CopiedTable>& copiedTables();

// A table each backend keeps for itself and a copy leaves alone: the record of applied
// migrations (the target's own run writes it), SQLite's internal tables.
bool isBackendBookkeeping(std::string_view table);

// One side of a copy; it holds its transaction from opening until it is destroyed (rolled back)
// or, for a target, committed by finish(). Failures throw rows::ErrorException (or
// std::exception), which copyStore turns into its Error.
class CopyEnd {
public:
    virtual ~CopyEnd() = default;
    // For messages: "SQLite database /var/lib/forgelink/forgelink.db", "PostgreSQL at h:5432/db".
    virtual std::string where() const = 0;
    // The schema version its migrations record (0: none applied).
    virtual int schemaVersion() = 0;
    // Every table in the database (bookkeeping included).
    virtual std::vector<std::string> tables() = 0;
    // A table's columns, in the table's order.
    virtual std::vector<std::string> columns(const std::string& table) = 0;
    virtual std::int64_t count(const std::string& table) = 0;
};

class CopySource : public CopyEnd {
public:
    // Calls `take` with up to kBatchRows rows of `table` at a time (the values of `columns`, in
    // that order), in primary-key order, until every row was given.
    virtual void read(const std::string& table, const std::vector<std::string>& columns,
                      const std::function<void(const std::vector<Row>&)>& take) = 0;
};

class CopyTarget : public CopyEnd {
public:
    // Inserts `rows` (values of `columns`, in that order), ids and all.
    virtual void insert(const std::string& table, const std::vector<std::string>& columns,
                        const std::vector<Row>& rows) = 0;
    // Deletes every row of `table` (a derived table, before the source's rows are inserted).
    virtual void clear(const std::string& table) = 0;
    // Moves the id sequences past the copied ids (PostgreSQL's identity columns; SQLite hands
    // out max(id) + 1 by itself) and commits.
    virtual void finish() = 0;
};

// SQL text both backends write alike: a table's or column's name in double quotes (the names are
// the schema's own: no quote in them), a column list, and the VALUES of `rows` rows of `columns`
// parameters each, numbered from 1 behind `mark` ('?' for SQLite, '$' for PostgreSQL).
inline std::string quotedName(std::string_view name) { return "\"" + std::string(name) + "\""; }
inline std::string columnList(const std::vector<std::string>& columns) {
    std::string list;
    for (const auto& column : columns) list += (list.empty() ? "" : ", ") + quotedName(column);
    return list;
}

inline std::string insertStatement(const std::string& table, const std::vector<std::string>& columns, std::size_t rows,
                            char mark) {
    std::string sql = "INSERT INTO " + quotedName(table) + " (" + columnList(columns) + ") VALUES ";
    std::size_t n = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        sql += r == 0 ? "(" : ", (";
        for (std::size_t c = 0; c < columns.size(); ++c) sql += (c == 0 ? "" : ", ") + std::string(1, mark) + std::to_string(++n);
        sql += ")";
    }
    return sql;
}


using SourceOpener = std::function<Result<std::unique_ptr<CopySource>>()>;
// Opens the target, creating and migrating it to the latest schema as `forgelink migrate` does.
using TargetOpener = std::function<Result<std::unique_ptr<CopyTarget>>()>;

struct TableCount {
    std::string table;
    std::int64_t source_rows = 0;  // in the source's snapshot
    std::int64_t target_rows = 0;  // in the target after the copy
};

struct CopyReport {
    std::string source;  // where(): "SQLite database ...", "PostgreSQL at ..."
    std::string target;
    int schema_version = 0;
    std::string key_id;  // of the key both sides seal with
    std::vector<TableCount> tables;  // copiedTables()' order
};

// The whole copy (the plan above). Errors: invalid_input "different_key" (the target's key does
// not open the source's values) or "sealed_with_other_key" (a stored value names another key);
// unsupported "schema_too_new" / "schema_too_old" (the source is not at this build's schema),
// "unknown_table" (a table the copy does not know), "target_not_empty"; transient
// "store_unavailable" (a database cannot be reached); internal "count_mismatch" and the
// databases' own failures. Whatever fails, the target keeps nothing of the copy.
// `copied`, if given, hears of each table as soon as it is written (not yet committed): progress
// for a long copy.
Result<CopyReport> copyStore(const SourceOpener& open_source, const TargetOpener& open_target,
                             const secrets::SecretBox& source_key, const secrets::SecretBox& target_key,
                             const std::function<void(const TableCount&)>& copied = {});

}  // namespace forgelink::store::copy
