// The answer to one PostgreSQL statement, owning libpq's PGresult (freed with PQclear when the
// wrapper goes). Values are read as text (every statement asks libpq for text results).
//
// Threads: one wrapper is read by one thread at a time; it holds no connection, so it may outlive
// the lease it came from.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace forgelink::store::pg {

class PgResult {
public:
    explicit PgResult(PGresult* result) : result_(result, &PQclear) {}

    int rows() const { return PQntuples(result_.get()); }
    int columns() const { return PQnfields(result_.get()); }
    // The column's index by name, or -1.
    int column(const char* name) const { return PQfnumber(result_.get(), name); }
    bool isNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    // The value as PostgreSQL writes it; "" for NULL (tell them apart with isNull).
    std::string_view text(int row, int column) const {
        return {PQgetvalue(result_.get(), row, column),
                static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
    }
    std::optional<std::string> optionalText(int row, int column) const {
        if (isNull(row, column)) return std::nullopt;
        return std::string(text(row, column));
    }
    // An integer column (smallint, integer, bigint); std::nullopt for NULL or anything else.
    std::optional<std::int64_t> integer(int row, int column) const;
    // A bytea column's bytes (PostgreSQL's text form "\x..." decoded); std::nullopt for NULL.
    std::optional<std::string> bytes(int row, int column) const;
    // Rows changed by INSERT, UPDATE, DELETE (PQcmdTuples); 0 for other statements.
    std::int64_t affectedRows() const;

    PGresult* raw() const { return result_.get(); }

private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

}  // namespace forgelink::store::pg
