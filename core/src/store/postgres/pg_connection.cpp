#include "store/postgres/pg_connection.hpp"

#include <charconv>
#include <poll.h>
#include <cstring>

namespace forgelink::store::pg {

std::optional<std::int64_t> PgResult::integer(int row, int column) const {
    if (isNull(row, column)) return std::nullopt;
    const auto text = this->text(row, column);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<std::string> PgResult::bytes(int row, int column) const {
    if (isNull(row, column)) return std::nullopt;
    std::size_t length = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, column)),
                                         &length);
    if (raw == nullptr) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(raw), length);
    PQfreemem(raw);
    return out;
}

std::int64_t PgResult::affectedRows() const {
    const char* count = PQcmdTuples(result_.get());
    if (count == nullptr || *count == '\0') return 0;
    std::int64_t value = 0;
    std::from_chars(count, count + std::strlen(count), value);
    return value;
}

namespace {

// libpq's messages end with a newline and may continue on indented lines: one line for logs.
std::string oneLine(const char* message) {
    std::string out;
    for (const char* c = message; c != nullptr && *c != '\0'; ++c) {
        if (*c == '\n' || *c == '\t' || *c == '\r') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += *c;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string describeTarget(const PGconn* conn) {
    auto text = [](const char* value) { return value != nullptr && *value != '\0' ? std::string(value) : std::string(); };
    std::string host = text(PQhost(conn));
    if (host.empty()) host = "the local socket";
    std::string port = text(PQport(conn));
    std::string where = "PostgreSQL at " + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
    if (!port.empty()) where += ":" + port;
    if (auto db = text(PQdb(conn)); !db.empty()) where += "/" + db;
    return where;
}

PgConnection::PgConnection(PGconn* conn) : conn_(conn), where_(describeTarget(conn)) {}

PgConnection::~PgConnection() { PQfinish(conn_); }

Result<std::unique_ptr<PgConnection>> PgConnection::open(const PgConnectOptions& options) {
    // Later keywords win: our defaults first, then everything store.url says (expand_dbname),
    // then the password, which store.url never carries.
    const std::string connect_timeout = std::to_string(std::max<long long>(1, options.connect_timeout.count()));
    std::vector<const char*> keys = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                                     "keepalives_count", "fallback_application_name", "dbname"};
    std::vector<const char*> values = {connect_timeout.c_str(), "1", "30", "10", "3",
                                       options.application_name.c_str(), options.conninfo.c_str()};
    if (!options.password.empty()) {
        keys.push_back("password");
        values.push_back(options.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* raw = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
    if (raw == nullptr) return makeError(ErrorKind::transient, "cannot connect to PostgreSQL: out of memory", "store_unavailable");
    std::unique_ptr<PgConnection> conn(new PgConnection(raw));
    // libpq prints the server's notices (NOTICE, WARNING) to stderr by default, which would break
    // the host's JSON log lines; none of them is an error (errors come back as results).
    PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);
    if (PQstatus(raw) != CONNECTION_OK) {
        return makeError(ErrorKind::transient,
                         "cannot connect to " + conn->where() + ": " + oneLine(PQerrorMessage(raw)),
                         "store_unavailable");
    }
    // Per session, so it holds whatever the server's or the role's default is.
    const std::string timeout = std::to_string(options.statement_timeout.count());
    auto set = conn->exec("SELECT set_config('statement_timeout', $1, false)", {timeout});
    if (!set.ok()) return set.error();
    return conn;
}

bool PgConnection::checkAlive() {
    // A server that shut down sent an idle session an error ("terminating connection due to
    // administrator command") and closed the socket. One PQconsumeInput reads the message, the
    // next one meets the end of the stream and turns the status bad; a healthy idle socket has
    // nothing to read, so this costs no round trip.
    bool alive = !lost_ && PQstatus(conn_) == CONNECTION_OK;
    for (int reads = 0; alive && reads < 8; ++reads) {
        pollfd socket{PQsocket(conn_), POLLIN, 0};
        if (socket.fd < 0 || ::poll(&socket, 1, 0) < 0) alive = false;
        else if (socket.revents == 0) break;
        else alive = PQconsumeInput(conn_) != 0 && PQstatus(conn_) == CONNECTION_OK;
    }
    // Nothing should be pending on an idle connection: one still busy is not reusable either.
    if (alive && PQisBusy(conn_) != 0) alive = false;
    if (!alive) lost_ = true;
    return alive;
}

bool PgConnection::broken() const { return lost_ || PQstatus(conn_) != CONNECTION_OK; }

Error PgConnection::errorFrom(const PGresult* result, std::string_view doing) const {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state != nullptr ? state : "";
    const char* primary = result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    // Without a server message the failure is libpq's own (the connection went away mid-statement).
    std::string message = primary != nullptr ? oneLine(primary) : oneLine(PQerrorMessage(conn_));
    if (message.empty()) message = "no answer";
    std::string text = std::string(doing) + " on " + where_ + " failed: " + message;
    if (!sqlstate.empty()) text += " (SQLSTATE " + sqlstate + ")";
    // Class 08: connection exceptions; 57P01-57P03: the server shut down or is starting;
    // no SQLSTATE with a bad connection: the socket closed.
    const bool lost = startsWith(sqlstate, "08") || sqlstate == "57P01" || sqlstate == "57P02" ||
                      sqlstate == "57P03" || (sqlstate.empty() && PQstatus(conn_) != CONNECTION_OK);
    if (lost) return makeError(ErrorKind::transient, text + "; the store is unavailable, retry shortly", "store_unavailable");
    if (sqlstate == "57014") return makeError(ErrorKind::transient, text, "statement_timeout");
    if (sqlstate == "40001" || sqlstate == "40P01") return makeError(ErrorKind::conflict, text, "serialization_failure");
    if (sqlstate == "23505") return makeError(ErrorKind::conflict, text, "unique_violation");
    return makeError(ErrorKind::internal, text, sqlstate.empty() ? "store_error" : "sqlstate_" + sqlstate);
}

Result<PgResult> PgConnection::finish(PGresult* raw, std::string_view doing) {
    PgResult result(raw);
    const auto status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return result;
    Error error = errorFrom(raw, doing);
    if (error.code == "store_unavailable") lost_ = true;
    return error;
}

namespace {

struct Bound {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
};

Bound bind(const PgParams& params) {
    Bound b;
    for (const auto& p : params) {
        b.values.push_back(p.value ? p.value->data() : nullptr);
        b.lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
        b.formats.push_back(p.binary ? 1 : 0);
    }
    return b;
}

}  // namespace

Result<PgResult> PgConnection::exec(std::string_view sql, const PgParams& params) {
    const std::string statement(sql);
    const Bound b = bind(params);
    PGresult* raw = PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), nullptr, b.values.data(),
                                 b.lengths.data(), b.formats.data(), /*resultFormat=*/0);
    return finish(raw, "a statement");
}

Result<std::int64_t> PgConnection::copyIn(std::string_view copy_statement, std::string_view data) {
    const std::string statement(copy_statement);
    PGresult* started = PQexec(conn_, statement.c_str());
    if (started == nullptr || PQresultStatus(started) != PGRES_COPY_IN) {
        auto failed = finish(started, "a COPY");
        if (!failed) return failed.error();
        return makeError(ErrorKind::internal, where_ + ": " + statement + " did not start a COPY FROM STDIN", "copy");
    }
    PQclear(started);
    // A failure to send is told by the result below (the connection's error).
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) == 1) PQputCopyEnd(conn_, nullptr);
    else PQputCopyEnd(conn_, "forgelink could not send the rows");
    Result<std::int64_t> outcome = std::int64_t{0};
    while (PGresult* raw = PQgetResult(conn_)) {
        auto done = finish(raw, "a COPY");
        if (!done) {
            if (outcome) outcome = done.error();
        } else if (outcome) {
            outcome = done->affectedRows();
        }
    }
    return outcome;
}

Result<void> PgConnection::execScript(std::string_view sql) {
    const std::string script(sql);
    // The simple query protocol: several statements in one string (PQexecParams takes one).
    auto done = finish(PQexec(conn_, script.c_str()), "a script");
    if (!done.ok()) return done.error();
    return {};
}

Result<PgResult> PgConnection::execPrepared(const std::string& name, std::string_view sql, const PgParams& params) {
    if (!prepared_.count(name)) {
        const std::string statement(sql);
        auto prepared = finish(PQprepare(conn_, name.c_str(), statement.c_str(), 0, nullptr), "preparing " + name);
        if (!prepared.ok()) return prepared.error();
        prepared_.insert(name);
    }
    const Bound b = bind(params);
    PGresult* raw = PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), b.values.data(),
                                   b.lengths.data(), b.formats.data(), /*resultFormat=*/0);
    return finish(raw, name);
}

}  // namespace forgelink::store::pg
