#include "store/sqlite/db.hpp"

#include <sqlite3.h>

#include <thread>

namespace forgelink::store::sqlite {

namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
    const int extended = db ? sqlite3_extended_errcode(db) : rc;
    std::string message(what);
    message += ": ";
    message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw SqliteError(extended, message);
}
}  // namespace

Statement::~Statement() {
    if (stmt_ != nullptr) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
}

Statement& Statement::bind(int index, std::int64_t value) {
    int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) fail(db_, rc, "binding a parameter");
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) fail(db_, rc, "binding a parameter");
    return *this;
}

Statement& Statement::bindNull(int index) {
    int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK) fail(db_, rc, "binding a parameter");
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bindNull(index);
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, std::string_view(*value)) : bindNull(index);
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Reset here so the error is reported with the statement's own extended code.
    fail(db_, rc, "running SQL");
}

void Statement::run() {
    while (step()) {
    }
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::isNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::optional<std::int64_t> Statement::optionalInt64(int column) const {
    if (isNull(column)) return std::nullopt;
    return int64(column);
}

std::optional<std::string> Statement::optionalText(int column) const {
    if (isNull(column)) return std::nullopt;
    return text(column);
}

int Connection::waitWhileBusy(void* connection, int attempts) {
    auto& self = *static_cast<Connection*>(connection);
    const auto now = std::chrono::steady_clock::now();
    if (attempts == 0) self.busy_since_ = now;
    if (now - self.busy_since_ >= self.busy_timeout_) return 0;  // SQLITE_BUSY to the caller
    // A short first wait for a lock held by a quick statement, then every millisecond.
    std::this_thread::sleep_for(attempts < 4 ? std::chrono::microseconds(100 << attempts)
                                             : std::chrono::microseconds(1000));
    return 1;
}

Connection::Connection(const std::string& path, std::chrono::milliseconds busy_timeout)
    : busy_timeout_(busy_timeout) {
    // NOMUTEX: the pool hands a connection to one thread at a time.
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        std::string message = "cannot open database " + path + ": " +
                              (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
        const int extended = db_ ? sqlite3_extended_errcode(db_) : rc;
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw SqliteError(extended, message);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_handler(db_, &Connection::waitWhileBusy, this);
    try {
        exec("PRAGMA foreign_keys = ON");
        {
            Statement wal = prepare("PRAGMA journal_mode = WAL");
            if (!wal.step() || wal.text(0) != "wal") {
                throw SqliteError(SQLITE_ERROR, "database " + path + " cannot use WAL journaling (" +
                                                    (wal.isNull(0) ? std::string("?") : wal.text(0)) + ")");
            }
        }
        // FULL: a build accepted with 202 must survive a power loss, not only a crash.
        exec("PRAGMA synchronous = FULL");
    } catch (...) {
        for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
        cache_.clear();
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw;
    }
}

Connection::~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
}

Statement Connection::prepare(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it == cache_.end()) {
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                    nullptr);
        if (rc != SQLITE_OK) fail(db_, rc, "preparing SQL");
        it = cache_.emplace(std::move(key), stmt).first;
    }
    return Statement(it->second, db_);
}

void Connection::exec(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        std::string message = error ? error : sqlite3_errstr(rc);
        sqlite3_free(error);
        throw SqliteError(sqlite3_extended_errcode(db_), "running SQL: " + message);
    }
}

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

Transaction::Transaction(Connection& connection, Mode mode) : connection_(connection) {
    connection_.exec(mode == Mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction() {
    if (!done_) {
        // Nothing useful to do if the rollback itself fails: the connection's next BEGIN would.
        sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void Transaction::commit() {
    connection_.exec("COMMIT");
    done_ = true;
}

ConnectionPool::ConnectionPool(std::string path, std::chrono::milliseconds busy_timeout, std::size_t max_size)
    : path_(std::move(path)), busy_timeout_(busy_timeout), max_size_(max_size == 0 ? 1 : max_size) {}

ConnectionPool::Lease ConnectionPool::acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < max_size_; });
    if (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(connection));
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(*this, std::make_unique<Connection>(path_, busy_timeout_));
    } catch (...) {
        lock.lock();
        --open_;
        available_.notify_one();
        throw;
    }
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(connection));
    }
    available_.notify_one();
}

}  // namespace forgelink::store::sqlite
