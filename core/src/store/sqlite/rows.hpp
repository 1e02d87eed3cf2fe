// The pieces every file of the SQLite backend shares: how a failure becomes an Error (and rolls
// the transaction back) and the small statement helpers. The column lists and row readers every
// backend shares are in store/row_readers.hpp. Internal to the backend: nothing outside
// core/src/store/sqlite/ includes it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "secrets/secret_box.hpp"
#include "store/record_codecs.hpp"
#include "store/records.hpp"
#include "store/row_readers.hpp"
#include "store/sqlite/db.hpp"

namespace forgelink::store::sqlite {

using namespace forgelink::store::rows;
using nlohmann::json;

inline Error mapSqliteError(std::string_view what, const SqliteError& e) {
    const std::string prefix = std::string(what) + ": ";
    switch (e.extendedCode()) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            return makeError(ErrorKind::conflict, prefix + "already exists (" + e.what() + ")", "already_exists");
        case SQLITE_CONSTRAINT_FOREIGNKEY:
            return makeError(ErrorKind::invalid_input, prefix + "refers to a team, user, project or build that does not exist",
                             "missing_reference");
        case SQLITE_CONSTRAINT_CHECK:
        case SQLITE_CONSTRAINT_NOTNULL:
            return makeError(ErrorKind::invalid_input, prefix + e.what(), "invalid_value");
        default:
            break;
    }
    if (e.code() == SQLITE_BUSY || e.code() == SQLITE_LOCKED) {
        return makeError(ErrorKind::transient, prefix + "the database stayed locked by another writer; retry", "busy");
    }
    return makeError(ErrorKind::internal, prefix + e.what(), "database");
}

// Runs `body`, turning every failure into an Error that says what was being done.
template <class F>
inline auto guarded(std::string_view what, F&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const ErrorException& e) {
        return e.error;
    } catch (const SqliteError& e) {
        return mapSqliteError(what, e);
    } catch (const json::exception& e) {
        return makeError(ErrorKind::internal, std::string(what) + ": stored JSON is damaged: " + e.what(), "database");
    } catch (const std::exception& e) {
        return makeError(ErrorKind::internal, std::string(what) + ": " + e.what(), "database");
    }
}

// The guard of the files that claim and lease (refresh tokens, notices, rotations): a busy
// database is worth another pass; anything else is a failure of the store itself.
// guardedTeamClaim also says "the team does not exist" when a foreign key fails.
template <class T, class F>
Result<T> guardedClaimWith(std::string_view what, std::string_view missing_reference, F&& body) {
    try {
        return body();
    } catch (const ErrorException& e) {
        return e.error;
    } catch (const SqliteError& e) {
        if (e.code() == SQLITE_BUSY || e.code() == SQLITE_LOCKED)
            return makeError(ErrorKind::transient, std::string(what) + ": the database stayed locked; retry", "busy");
        if (!missing_reference.empty() && e.extendedCode() == SQLITE_CONSTRAINT_FOREIGNKEY)
            return makeError(ErrorKind::invalid_input, std::string(what) + ": " + std::string(missing_reference),
                             "missing_reference");
        return makeError(ErrorKind::internal, std::string(what) + ": " + e.what(), "database");
    } catch (const std::exception& e) {
        return makeError(ErrorKind::internal, std::string(what) + ": " + e.what(), "database");
    }
}
template <class T, class F>
Result<T> guardedClaim(std::string_view what, F&& body) {
    return guardedClaimWith<T>(what, {}, std::forward<F>(body));
}
template <class T, class F>
Result<T> guardedTeamClaim(std::string_view what, F&& body) {
    return guardedClaimWith<T>(what, "the team does not exist", std::forward<F>(body));
}

// Binds ?1, ?2, ... to `values` in order.
template <class... Values>
Statement& bindAll(Statement& s, const Values&... values) {
    int at = 0;
    (s.bind(++at, values), ...);
    return s;
}
template <class... Values>
Statement& bindAll(Statement&& s, const Values&... values) {
    return bindAll(s, values...);
}

// Runs `sql` with ?1, ?2, ... bound to `values` in order; returns how many rows it changed.
template <class... Values>
std::int64_t runChanging(Connection& c, std::string_view sql, const Values&... values) {
    bindAll(c.prepare(sql), values...).run();
    return c.changes();
}

// Both take the statement by lvalue (what bind() returns) or as a fresh temporary.
template <class T, class Reader>
inline T one(Statement& s, Reader read, ErrorKind missing_kind, const std::string& missing) {
    if (!s.step()) raise(missing_kind, missing, "not_found");
    T row = read(s);
    s.run();  // finish RETURNING statements so their changes are complete
    return row;
}
template <class T, class Reader>
inline T one(Statement&& s, Reader read, ErrorKind missing_kind, const std::string& missing) {
    return one<T>(s, read, missing_kind, missing);
}

template <class T, class Reader>
inline std::vector<T> all(Statement& s, Reader read) {
    std::vector<T> rows;
    while (s.step()) rows.push_back(read(s));
    return rows;
}
template <class T, class Reader>
inline std::vector<T> all(Statement&& s, Reader read) {
    return all<T>(s, read);
}

// Runs an INSERT ... RETURNING (or an upsert) with ?1, ?2, ... bound to `values` and reads the row
// it returns; internal "<what> returned no row" when there is none.
template <class T, class Reader, class... Values>
T insertReturning(Connection& c, std::string_view sql_text, Reader read, std::string_view what, const Values&... values) {
    return one<T>(bindAll(c.prepare(sql_text), values...), read, ErrorKind::internal, std::string(what) + " returned no row");
}

// Renames the row `id` of `table` (teams, projects) and returns it; not_found names `what` and the id.
template <class T, class Reader>
T renameById(Connection& c, std::string_view table, std::string_view columns, Reader read, std::string_view what,
             std::int64_t id, std::string_view name) {
    return one<T>(bindAll(c.prepare(sql({"UPDATE ", table, " SET name = ?2 WHERE id = ?1 RETURNING ", columns})), id, name),
                  read, ErrorKind::not_found, std::string(what) + " " + std::to_string(id) + " does not exist");
}

// Deletes the row `id` of `table` (what refers to it goes by ON DELETE CASCADE); not_found names
// `what` and the id.
inline void deleteById(Connection& c, std::string_view table, std::string_view what, std::int64_t id) {
    c.prepare(sql({"DELETE FROM ", table, " WHERE id = ?1"})).bind(1, id).run();
    if (c.changes() == 0) raise(ErrorKind::not_found, std::string(what) + " " + std::to_string(id) + " does not exist", "not_found");
}

inline std::vector<ProjectWithLink> readProjectsWithLinks(Connection& c, std::int64_t team_id) {
    return all<ProjectWithLink>(c.prepare(kProjectsWithLinksSelect).bind(1, team_id), readProjectWithLink);
}

}  // namespace forgelink::store::sqlite
