// A bounded pool of PostgreSQL connections for one host.
//
// At most `size` connections are open at once; acquire() hands one out as a lease, blocking up
// to `acquire_timeout` while all are leased (then a transient error, code pool_timeout). Idle
// connections are checked before they are handed out (PgConnection::checkAlive, no round trip),
// so after the server restarts or fails over only the requests that were in flight fail
// (store_unavailable); the next acquire() opens a new connection. A lease returned in the middle
// of a transaction is rolled back; a lost connection is closed, never reused.
//
// Threads: acquire() from any thread; a lease and its connection belong to one thread at a time.
// The pool must outlive every lease.
#pragma once

#include <forgelink/result.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "store/postgres/pg_connection.hpp"

namespace forgelink::store::pg {

struct PgPoolOptions {
    PgConnectOptions connect;
    std::size_t size = 8;                            // store.pool_size
    std::chrono::milliseconds acquire_timeout{5000};  // how long a request waits for a connection
};

class PgPool;

// One connection on loan; goes back to the pool (or is closed, when lost) at destruction.
class PgLease {
public:
    PgLease(PgLease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) { other.pool_ = nullptr; }
    PgLease& operator=(PgLease&&) = delete;
    PgLease(const PgLease&) = delete;
    ~PgLease();

    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }

private:
    friend class PgPool;
    PgLease(PgPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
};

class PgPool {
public:
    explicit PgPool(PgPoolOptions options);
    PgPool(const PgPool&) = delete;
    PgPool& operator=(const PgPool&) = delete;

    // A connection: an idle one that is still alive, else a new one while fewer than `size` are
    // open, else the first one returned within acquire_timeout.
    Result<PgLease> acquire();

    struct Stats {
        std::size_t open = 0;    // connections open or being opened, leased or idle
        std::size_t idle = 0;
        std::size_t opened = 0;  // connections opened since the pool was made (reconnects count)
    };
    Stats stats() const;
    const PgPoolOptions& options() const { return options_; }

private:
    friend class PgLease;
    void giveBack(std::unique_ptr<PgConnection> conn);

    const PgPoolOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<PgConnection>> idle_;
    std::size_t open_ = 0;
    std::size_t opened_ = 0;
};

}  // namespace forgelink::store::pg
