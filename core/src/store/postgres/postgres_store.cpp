// The PostgreSQL backend of the Store: opening (migrating or checking the schema), the clock, the
// schema version. Each domain of the Store is in a file of its own beside this one.
#include "store/postgres/postgres_store.hpp"

#include "store/migrations.hpp"
#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_rows.hpp"

namespace forgelink::store {

using namespace postgres;

PostgresStore::PostgresStore(pg::PgPoolOptions pool, std::shared_ptr<const secrets::SecretBox> box, Options options)
    : box_(std::move(box)), options_(std::move(options)), pool_(std::move(pool)) {}

Timestamp PostgresStore::now() const { return options_.clock ? options_.clock() : nowTimestamp(); }

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(pg::PgPoolOptions pool,
                                                           std::shared_ptr<const secrets::SecretBox> box) {
    return open(std::move(pool), std::move(box), Options{});
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(pg::PgPoolOptions pool,
                                                           std::shared_ptr<const secrets::SecretBox> box,
                                                           Options options) {
    if (!box) return makeError(ErrorKind::invalid_input, "opening the PostgreSQL store: no sealing key given", "no_key");
    auto migrations = pg::schemaMigrations();
    if (!migrations) return migrations.error();
    std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(pool), std::move(box), std::move(options)));
    auto lease = store->pool_.acquire();
    if (!lease) return lease.error();
    if (store->options_.migrate) {
        auto report = pg::applyMigrations(*lease.value(), migrations.value());
        if (!report) return report.error();
    } else {
        auto version = pg::checkSchema(*lease.value(), migrations.value());
        if (!version) return version.error();
        if (version.value() != latestSchemaVersion()) {
            return makeError(ErrorKind::unsupported,
                             lease.value()->where() + " has schema version " + std::to_string(version.value()) +
                                 "; this build needs " + std::to_string(latestSchemaVersion()) +
                                 ": run `forgelink migrate --config FILE` first",
                             "schema_too_old");
        }
    }
    return store;
}

Result<int> PostgresStore::schemaVersion() {
    return guarded("reading the schema version", [&]() -> Result<int> {
        auto migrations = pg::schemaMigrations();
        if (!migrations) return migrations.error();
        auto lease = pool_.acquire();
        if (!lease) return lease.error();
        return pg::checkSchema(*lease.value(), migrations.value());
    });
}

}  // namespace forgelink::store
