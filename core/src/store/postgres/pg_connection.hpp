// One libpq connection to PostgreSQL and the statements run on it.
//
// Only parameterized statements: exec() and execPrepared() go through PQexecParams /
// PQprepare + PQexecPrepared, which take exactly one statement and send every value apart from
// the SQL text, so no value can ever change a statement. Results are text.
//
// Errors (forgelink::Error) say what failed and where ("PostgreSQL at 127.0.0.1:5432/forgelink"),
// with the server's primary message and SQLSTATE, never its DETAIL (which can quote row values),
// the connection string's secrets or the password. Error::code is one of:
//   store_unavailable      the connection failed or was lost (a restart, a failover): transient,
//                          the API answers 503; the pool reconnects for the next request
//   statement_timeout      the statement ran past the session's statement_timeout: transient
//   serialization_failure  SQLSTATE 40001 or 40P01 (deadlock): conflict, retry the transaction
//   unique_violation       SQLSTATE 23505: conflict
//   sqlstate_XXXXX         anything else: internal
//
// Threads: a connection is used by one thread at a time (the pool hands it out by lease).
#pragma once

#include <forgelink/result.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "store/postgres/pg_result.hpp"

namespace forgelink::store::pg {

// One statement parameter, sent apart from the SQL text. Text unless `binary` (bytea's raw bytes).
struct PgParam {
    std::optional<std::string> value;  // std::nullopt = SQL NULL
    bool binary = false;

    PgParam(std::nullopt_t) {}
    PgParam(std::string text) : value(std::move(text)) {}
    PgParam(std::string_view text) : value(std::string(text)) {}
    PgParam(const char* text) : value(std::string(text)) {}
    template <class Integer, class = std::enable_if_t<std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>>>
    PgParam(Integer number) : value(std::to_string(number)) {}
    PgParam(bool flag) : value(flag ? "true" : "false") {}
    static PgParam bytes(std::string raw) {
        PgParam p(std::move(raw));
        p.binary = true;
        return p;
    }
};
using PgParams = std::vector<PgParam>;

// How to reach the server. Built from store.* by poolOptionsFrom (pg_settings.hpp).
struct PgConnectOptions {
    // A libpq connection string or URI (store.url), checked to carry no password.
    std::string conninfo;
    // Given to libpq apart from conninfo; empty = none (libpq's own means: ~/.pgpass, certificates).
    std::string password;
    std::chrono::seconds connect_timeout{10};
    // Set on every new session; a longer statement is cancelled by the server (statement_timeout).
    std::chrono::milliseconds statement_timeout{30000};
    std::string application_name = "forgelink";
};

class PgConnection {
public:
    // Connects and sets the session's statement_timeout. store_unavailable when the server cannot
    // be reached or refuses the login (its message, e.g. "password authentication failed for user
    // "forgelink"", never the password).
    static Result<std::unique_ptr<PgConnection>> open(const PgConnectOptions& options);

    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;
    ~PgConnection();

    // Runs one statement with $1, $2... bound to `params`.
    Result<PgResult> exec(std::string_view sql, const PgParams& params = {});
    // Runs constant SQL of one or more statements (no parameters), as a migration's text: stops
    // at the first that fails, whose error it returns.
    Result<void> execScript(std::string_view sql);
    // The same through a statement prepared once per connection under `name` (the same name must
    // always come with the same SQL).
    Result<PgResult> execPrepared(const std::string& name, std::string_view sql, const PgParams& params = {});

    // Runs `copy_statement` (COPY ... FROM STDIN, constant SQL) with `data` as its rows, in COPY's
    // text format (a row a line, values apart by tabs, NULL as \N, backslash escapes); returns how
    // many rows were copied. Much faster than INSERTs for many rows (forgelink store copy).
    Result<std::int64_t> copyIn(std::string_view copy_statement, std::string_view data);

    // Whether the connection still works as far as can be told without a round trip: reads what
    // the server sent while the connection sat idle, so a server that restarted (and closed the
    // socket) is noticed here, not by the next request.
    bool checkAlive();
    // Whether the connection is known lost (a statement failed for that reason, or checkAlive).
    bool broken() const;
    // PQtransactionStatus: idle, in a transaction, in a failed transaction...
    PGTransactionStatusType transactionStatus() const { return PQtransactionStatus(conn_); }
    // "PostgreSQL at 127.0.0.1:5432/forgelink": for messages (no user, no password).
    const std::string& where() const { return where_; }
    // The libpq handle, for LISTEN/NOTIFY (pg_listener) and nothing that could run a statement
    // around exec().
    PGconn* raw() const { return conn_; }
    // The server's process id of this session (pg_backend_pid), for tests and logs.
    int backendPid() const { return PQbackendPID(conn_); }

    // The Error for a failed result, or for a libpq failure without one (`result` null).
    Error errorFrom(const PGresult* result, std::string_view doing) const;

private:
    explicit PgConnection(PGconn* conn);
    Result<PgResult> finish(PGresult* result, std::string_view doing);

    PGconn* conn_;
    std::string where_;
    std::set<std::string> prepared_;
    bool lost_ = false;
};

// "PostgreSQL at host:port/dbname" of a connection, even a failed one.
std::string describeTarget(const PGconn* conn);

}  // namespace forgelink::store::pg
