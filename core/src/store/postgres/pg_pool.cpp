#include "store/postgres/pg_pool.hpp"

namespace forgelink::store::pg {

PgPool::PgPool(PgPoolOptions options) : options_(std::move(options)) {}

Result<PgLease> PgPool::acquire() {
    const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
        while (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            if (conn->checkAlive()) return PgLease(this, std::move(conn));
            // The server closed it while it sat idle (a restart): close it, open another below.
            --open_;
            lock.unlock();
            conn.reset();
            lock.lock();
        }
        if (open_ < options_.size) {
            ++open_;
            ++opened_;
            lock.unlock();
            auto conn = PgConnection::open(options_.connect);
            if (conn.ok()) return PgLease(this, std::move(conn).value());
            lock.lock();
            --open_;
            returned_.notify_one();  // the slot is free again for someone else to try
            return conn.error();
        }
        if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= options_.size) {
            return makeError(ErrorKind::transient,
                             "all " + std::to_string(options_.size) + " connections to PostgreSQL are busy; none was "
                             "free within " + std::to_string(options_.acquire_timeout.count()) +
                                 " ms (store.pool_size)",
                             "pool_timeout");
        }
    }
}

void PgPool::giveBack(std::unique_ptr<PgConnection> conn) {
    // A transaction left open (an early return, an exception) is rolled back before reuse.
    if (!conn->broken() && conn->transactionStatus() != PQTRANS_IDLE) {
        if (conn->transactionStatus() == PQTRANS_ACTIVE || !conn->exec("ROLLBACK").ok()) conn.reset();
    }
    if (conn && conn->broken()) conn.reset();
    std::lock_guard lock(mutex_);
    if (conn) idle_.push_back(std::move(conn));
    else --open_;
    returned_.notify_one();
}

PgPool::Stats PgPool::stats() const {
    std::lock_guard lock(mutex_);
    return {open_, idle_.size(), opened_};
}

PgLease::~PgLease() {
    if (pool_ != nullptr && conn_) pool_->giveBack(std::move(conn_));
}

}  // namespace forgelink::store::pg
