// Running work in one PostgreSQL transaction, retried when the server says it must be.
#pragma once

#include <forgelink/result.hpp>

#include <chrono>
#include <functional>

#include "store/postgres/pg_pool.hpp"

namespace forgelink::store::pg {

enum class Isolation { read_committed, repeatable_read, serializable };

struct TransactionOptions {
    Isolation isolation = Isolation::read_committed;
    // Attempts in all when the transaction fails with serialization_failure (SQLSTATE 40001) or
    // a deadlock (40P01): the whole transaction is retried after a short random pause.
    int max_attempts = 5;
    std::chrono::milliseconds first_backoff{5};
};

using TransactionWork = std::function<Result<void>(PgConnection&)>;

// BEGIN (at the isolation asked), work, COMMIT. When work returns an error or throws, ROLLBACK
// and the error (or the exception) goes to the caller. Work may run several times (retries): it
// must have no effect outside the transaction. A lost connection is not retried here: the error
// (store_unavailable) goes to the caller and the pool reconnects for the next request.
Result<void> inTransaction(PgConnection& conn, const TransactionWork& work, const TransactionOptions& options = {});
// The same on a connection leased from `pool` for the whole transaction.
Result<void> inTransaction(PgPool& pool, const TransactionWork& work, const TransactionOptions& options = {});

}  // namespace forgelink::store::pg
