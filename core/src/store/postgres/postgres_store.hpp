// The PostgreSQL backend of the Store: any number of host processes on one database, each with a
// bounded pool of connections (store/postgres/pg_pool.hpp). Every method is one transaction on
// one leased connection; claims take their rows with FOR UPDATE SKIP LOCKED, so two hosts never
// claim the same row and never wait for each other's claimed rows.
//
// Each domain of the Store is in a file of its own beside this one (postgres_<domain>.cpp), as
// in the SQLite backend; the row readers are the ones SQLite uses (store/row_readers.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "secrets/secret_box.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/store.hpp"

namespace forgelink::store {

class PostgresStore final : public Store {
public:
    struct Options {
        // The clock for created_at/updated_at and for when new tasks are due; tests inject one.
        std::function<Timestamp()> clock;
        // Apply the migrations this build knows (under the advisory lock, so hosts starting at
        // once apply each one once). false: only check that the schema is the one this build
        // knows, and refuse (schema_too_new, schema_mismatch, or an older schema) otherwise.
        bool migrate = true;
    };

    // Connects (the first connection of the pool), migrates or checks the schema. Refuses a
    // schema newer than this build, or a different one, with a message naming both versions.
    // `box` seals and opens every secret column.
    static Result<std::unique_ptr<PostgresStore>> open(pg::PgPoolOptions pool,
                                                       std::shared_ptr<const secrets::SecretBox> box);
    static Result<std::unique_ptr<PostgresStore>> open(pg::PgPoolOptions pool,
                                                       std::shared_ptr<const secrets::SecretBox> box,
                                                       Options options);

    // The schema version the database is at.
    Result<int> schemaVersion();

    // The channel every host's store NOTIFYs (delivered at commit) when feedback tasks become due
    // now: a build change or a completion's follow-ups enqueued them, a pause ended, a gone
    // owner's leases were ended. A dispatcher LISTENing on it (pg::PgListener) looks at the outbox
    // at once instead of at its next poll, whichever host took the change.
    static constexpr const char* kOutboxChannel = "forgelink_outbox";

    // Every method of the Store (store.hpp), declared once for both backends.
#include "store/store_overrides.inc"

private:
    PostgresStore(pg::PgPoolOptions pool, std::shared_ptr<const secrets::SecretBox> box, Options options);
    Timestamp now() const;

    std::shared_ptr<const secrets::SecretBox> box_;
    Options options_;
    pg::PgPool pool_;
};

}  // namespace forgelink::store
