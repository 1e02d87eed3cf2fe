// Thin RAII over the SQLite C API for the SQLite store: connections with Forgelink's pragmas,
// cached prepared statements, transactions that roll back unless committed, and a small pool.
// Failures throw SqliteError; SqliteStore turns them into Results at its boundary.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace forgelink::store::sqlite {

class SqliteError : public std::runtime_error {
public:
    SqliteError(int extended_code, const std::string& message)
        : std::runtime_error(message), extended_code_(extended_code) {}
    int code() const noexcept { return extended_code_ & 0xff; }
    int extendedCode() const noexcept { return extended_code_; }

private:
    int extended_code_;
};

// A cached prepared statement borrowed from its connection; reset (bindings cleared) when it
// goes out of scope so the connection can hand it out again. Not copyable; one user at a time.
class Statement {
public:
    Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
    Statement(Statement&& other) noexcept : stmt_(other.stmt_), db_(other.db_) { other.stmt_ = nullptr; }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement& operator=(Statement&&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQL ("?1").
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bindNull(int index);
    Statement& bind(int index, const std::optional<std::int64_t>& value);
    Statement& bind(int index, const std::optional<std::string>& value);

    // Advances: true while a row is available.
    bool step();
    // Runs to completion, ignoring rows.
    void run();

    // Columns are 0-based, as in sqlite3_column_*.
    std::int64_t int64(int column) const;
    std::string text(int column) const;
    bool isNull(int column) const;
    std::optional<std::int64_t> optionalInt64(int column) const;
    std::optional<std::string> optionalText(int column) const;

private:
    sqlite3_stmt* stmt_;
    sqlite3* db_;
};

class Connection {
public:
    // Opens (creating if needed) with WAL, foreign keys ON, synchronous FULL and the busy timeout.
    Connection(const std::string& path, std::chrono::milliseconds busy_timeout);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Prepared once per connection and reused.
    Statement prepare(std::string_view sql);
    // For DDL and pragmas: runs one or more statements, uncached.
    void exec(const std::string& sql);
    // Rows changed by the last INSERT/UPDATE/DELETE.
    std::int64_t changes() const;
    sqlite3* handle() const noexcept { return db_; }

private:
    // SQLite's busy handler: waits for another connection's (or process's) lock in steps of at
    // most a millisecond, up to busy_timeout_. SQLite's own (sqlite3_busy_timeout) sleeps up to
    // 100 ms a step, so a writer whose rival commits back to back (a host's group commit under
    // load) can miss every free moment and give up: a CLI command beside a busy host did.
    static int waitWhileBusy(void* connection, int attempts);

    sqlite3* db_ = nullptr;
    std::chrono::milliseconds busy_timeout_;
    std::chrono::steady_clock::time_point busy_since_{};
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so a transaction
// that reads then writes never fails half-way on a lock upgrade.
class Transaction {
public:
    enum class Mode { deferred, immediate };
    explicit Transaction(Connection& connection, Mode mode = Mode::immediate);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    // Rolls back unless commit() succeeded.
    ~Transaction();
    void commit();

private:
    Connection& connection_;
    bool done_ = false;
};

// At most `max_size` connections to one database, opened on demand and reused; callers wait for
// a free one. Thread-safe.
class ConnectionPool {
public:
    ConnectionPool(std::string path, std::chrono::milliseconds busy_timeout, std::size_t max_size);

    class Lease {
    public:
        Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
            : pool_(&pool), connection_(std::move(connection)) {}
        Lease(Lease&&) noexcept = default;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (connection_) pool_->release(std::move(connection_));
        }
        Connection& operator*() const { return *connection_; }
        Connection* operator->() const { return connection_.get(); }

    private:
        ConnectionPool* pool_;
        std::unique_ptr<Connection> connection_;
    };

    Lease acquire();

private:
    void release(std::unique_ptr<Connection> connection);

    std::string path_;
    std::chrono::milliseconds busy_timeout_;
    std::size_t max_size_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;
};

}  // namespace forgelink::store::sqlite
