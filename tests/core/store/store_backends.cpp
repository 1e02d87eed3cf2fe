// The backends the store contract suite runs against. A new backend registers here with one
// entry: its name and a factory for a new, empty database per test (store_contract.hpp).
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "pg_test_server.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_contract.hpp"
#include "temp_dir.hpp"

namespace forgelink::store::testing {
namespace {

// A database file in a private temporary directory, removed with it.
class SqliteDatabase final : public ContractDatabase {
public:
    Result<std::unique_ptr<Store>> open(std::shared_ptr<const secrets::SecretBox> box,
                                        std::function<Timestamp()> clock) override {
        SqliteStore::Options options;
        options.clock = std::move(clock);
        auto opened = SqliteStore::open((dir_ / "forgelink.db").string(), std::move(box), options);
        if (!opened) return opened.error();
        return std::unique_ptr<Store>(std::move(opened).value());
    }

private:
    forgelink::testing::TempDir dir_;
};

// A database of its own on the throwaway PostgreSQL server ctest starts (fixture 'postgres',
// FORGELINK_TEST_PG), dropped with it.
class PostgresDatabase final : public ContractDatabase {
public:
    Result<std::unique_ptr<Store>> open(std::shared_ptr<const secrets::SecretBox> box,
                                        std::function<Timestamp()> clock) override {
        pg::PgPoolOptions pool;
        pool.connect = database_.options();
        pool.size = 4;
        PostgresStore::Options options;
        options.clock = std::move(clock);
        auto opened = PostgresStore::open(std::move(pool), std::move(box), options);
        if (!opened) return opened.error();
        return std::unique_ptr<Store>(std::move(opened).value());
    }

private:
    pg::testing::TestDatabase database_;
};

bool havePostgresServer() { return std::getenv("FORGELINK_TEST_PG") != nullptr; }

}  // namespace

const std::vector<StoreBackend>& storeBackends() {
    static const std::vector<StoreBackend> backends = {
        {"sqlite", [] { return std::make_unique<SqliteDatabase>(); }},
        {"postgres",
         []() -> std::unique_ptr<ContractDatabase> {
             if (!havePostgresServer()) return nullptr;
             return std::make_unique<PostgresDatabase>();
         },
         [] {
             return std::string("no PostgreSQL test server (FORGELINK_TEST_PG): ctest runs these with one "
                                "(fixture 'postgres'); by hand see tests/core/store/postgres/README or "
                                "core/src/store/postgres/README.md");
         }},
    };
    return backends;
}

}  // namespace forgelink::store::testing
