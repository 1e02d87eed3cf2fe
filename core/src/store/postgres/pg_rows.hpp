// The pieces every file of the PostgreSQL backend shares: a row of a result in the shape the
// shared row readers take (store/row_readers.hpp), statements that raise their failure (so a
// transaction's work reads straight and inTransaction rolls back), and how a failure becomes the
// Store's Error, with the same kinds and codes as the SQLite backend. Internal to the backend:
// nothing outside core/src/store/postgres/ includes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/postgres/pg_transaction.hpp"
#include "store/row_readers.hpp"

namespace forgelink::store::postgres {

using namespace forgelink::store::rows;
using pg::PgConnection;
using pg::PgParams;
using pg::PgResult;

// One row of a result, read like SQLite's Statement: columns 0-based, text values.
class PgRow {
public:
    PgRow(const PgResult& result, int row) : result_(result), row_(row) {}

    std::int64_t int64(int column) const {
        if (auto value = result_.integer(row_, column)) return *value;
        raise(ErrorKind::internal,
              "column " + std::to_string(column) + " is not an integer: " + inQuotes(result_.text(row_, column)), "database");
    }
    std::string text(int column) const { return std::string(result_.text(row_, column)); }
    bool isNull(int column) const { return result_.isNull(row_, column); }
    std::optional<std::int64_t> optionalInt64(int column) const {
        if (isNull(column)) return std::nullopt;
        return int64(column);
    }
    std::optional<std::string> optionalText(int column) const { return result_.optionalText(row_, column); }

private:
    const PgResult& result_;
    int row_;
};

// The Store's Error for a failed statement: the kinds and codes SQLite's backend gives (a taken
// unique key is conflict/already_exists, a missing row referred to is invalid_input/
// missing_reference, a refused value invalid_input/invalid_value); the server's message stays,
// never its DETAIL (pg_connection.hpp).
inline Error storeError(std::string_view what, const Error& e) {
    const std::string prefix = std::string(what) + ": ";
    if (e.code == "unique_violation") return makeError(ErrorKind::conflict, prefix + "already exists (" + e.message + ")", "already_exists");
    if (e.code == "sqlstate_23503")
        return makeError(ErrorKind::invalid_input, prefix + "refers to a team, user, project or build that does not exist",
                         "missing_reference");
    if (e.code == "sqlstate_23514" || e.code == "sqlstate_23502")
        return makeError(ErrorKind::invalid_input, prefix + e.message, "invalid_value");
    return makeError(e.kind, prefix + e.message, e.code);
}

// A statement's failure, raised: what the caller's guarded() turns into the Error above.
struct PgFailure {
    Error error;
};

// A parameter from an optional value: SQL NULL when empty.
template <class T>
pg::PgParam orNull(const std::optional<T>& value) {
    if (!value) return pg::PgParam(std::nullopt);
    return pg::PgParam(*value);
}

// A statement both backends share (store/row_readers.hpp), written with SQLite's ?1, ?2...: the
// same with PostgreSQL's $1, $2... (a `?` followed by a digit; the shared texts have no other).
inline std::string dollarParams(std::string_view sqlite_text) {
    std::string out(sqlite_text);
    for (std::size_t i = 0; i + 1 < out.size(); ++i)
        if (out[i] == '?' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '$';
    return out;
}

// Runs one statement with $1, $2... bound to `params`; raises its failure.
inline PgResult run(PgConnection& c, std::string_view sql, const PgParams& params = {}) {
    auto result = c.exec(sql, params);
    if (!result) throw PgFailure{result.error()};
    return std::move(result).value();
}

// Runs one statement and returns how many rows it changed.
inline std::int64_t runChanging(PgConnection& c, std::string_view sql, const PgParams& params = {}) {
    return run(c, sql, params).affectedRows();
}

// The single row of `result` read by `read`; `missing_kind` naming `missing` when there is none.
template <class T, class Reader>
T one(const PgResult& result, Reader read, ErrorKind missing_kind, const std::string& missing) {
    if (result.rows() == 0) raise(missing_kind, missing, "not_found");
    return read(PgRow(result, 0));
}

template <class T, class Reader>
std::vector<T> all(const PgResult& result, Reader read) {
    std::vector<T> rows;
    rows.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) rows.push_back(read(PgRow(result, i)));
    return rows;
}

// Runs `body`, turning every failure into an Error that says what was being done.
template <class F>
auto guarded(std::string_view what, F&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const ErrorException& e) {
        return e.error;
    } catch (const PgFailure& e) {
        return storeError(what, e.error);
    } catch (const json::exception& e) {
        return makeError(ErrorKind::internal, std::string(what) + ": stored JSON is damaged: " + e.what(), "database");
    } catch (const std::exception& e) {
        return makeError(ErrorKind::internal, std::string(what) + ": " + e.what(), "database");
    }
}

// `work` in one transaction on a connection of `pool` (read committed unless asked), its value
// returned. Raised failures roll the transaction back and go to the caller's guarded(); a
// serialization failure or deadlock reruns `work` (pg_transaction.hpp), so `work` must have no
// effect outside the transaction.
template <class T, class F>
T inTransaction(pg::PgPool& pool, F&& work, pg::Isolation isolation = pg::Isolation::read_committed) {
    std::optional<T> value;
    pg::TransactionOptions options;
    options.isolation = isolation;
    auto done = pg::inTransaction(
        pool,
        [&](PgConnection& c) -> Result<void> {
            try {
                value.emplace(work(c));
            } catch (const PgFailure& e) {
                return e.error;  // inTransaction retries a serialization failure
            }
            return {};
        },
        options);
    if (!done) throw PgFailure{done.error()};
    return std::move(*value);
}

// The same for work with no value.
template <class F>
void inTransactionVoid(pg::PgPool& pool, F&& work, pg::Isolation isolation = pg::Isolation::read_committed) {
    inTransaction<bool>(
        pool, [&](PgConnection& c) {
            work(c);
            return true;
        },
        isolation);
}

// One statement on a connection of `pool`, outside any explicit transaction (one statement is
// its own transaction).
inline PgResult runOnce(pg::PgPool& pool, std::string_view sql, const PgParams& params = {}) {
    auto lease = pool.acquire();
    if (!lease) throw PgFailure{lease.error()};
    return run(*lease.value(), sql, params);
}

}  // namespace forgelink::store::postgres
