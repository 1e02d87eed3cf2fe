#include "store/postgres/pg_transaction.hpp"

#include <random>
#include <thread>

namespace forgelink::store::pg {

namespace {

const char* beginStatement(Isolation isolation) {
    switch (isolation) {
        case Isolation::read_committed: return "BEGIN ISOLATION LEVEL READ COMMITTED";
        case Isolation::repeatable_read: return "BEGIN ISOLATION LEVEL REPEATABLE READ";
        case Isolation::serializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    }
    return "BEGIN";
}

// Rolls back unless committed: on an error return and on an exception from the work alike.
class RollbackGuard {
public:
    explicit RollbackGuard(PgConnection& conn) : conn_(conn) {}
    ~RollbackGuard() {
        if (!done_ && !conn_.broken() && conn_.transactionStatus() != PQTRANS_IDLE) (void)conn_.exec("ROLLBACK");
    }
    void done() { done_ = true; }

private:
    PgConnection& conn_;
    bool done_ = false;
};

bool retryable(const Error& error) { return error.code == "serialization_failure"; }

}  // namespace

Result<void> inTransaction(PgConnection& conn, const TransactionWork& work, const TransactionOptions& options) {
    thread_local std::minstd_rand random{std::random_device{}()};
    auto backoff = options.first_backoff;
    for (int attempt = 1;; ++attempt) {
        Result<void> outcome;
        {
            auto begun = conn.exec(beginStatement(options.isolation));
            if (!begun.ok()) return begun.error();
            RollbackGuard guard(conn);
            outcome = work(conn);
            if (outcome.ok()) {
                auto committed = conn.exec("COMMIT");
                if (committed.ok()) {
                    guard.done();
                    return {};
                }
                outcome = committed.error();
            }
        }
        if (!retryable(outcome.error()) || attempt >= options.max_attempts) {
            if (retryable(outcome.error())) {
                Error error = outcome.error();
                error.message += " (after " + std::to_string(attempt) + " attempts)";
                return error;
            }
            return outcome;
        }
        std::uniform_int_distribution<long long> jitter(0, backoff.count());
        std::this_thread::sleep_for(backoff + std::chrono::milliseconds(jitter(random)));
        backoff *= 2;
    }
}

Result<void> inTransaction(PgPool& pool, const TransactionWork& work, const TransactionOptions& options) {
    auto lease = pool.acquire();
    if (!lease.ok()) return lease.error();
    return inTransaction(*lease.value(), work, options);
}

}  // namespace forgelink::store::pg
