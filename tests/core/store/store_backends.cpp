// The backends the store contract suite runs against. A new backend registers here with one
// entry: its name and a factory for a new, empty database per test (store_contract.hpp).
#include <memory>
#include <string>
#include <vector>

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

}  // namespace

const std::vector<StoreBackend>& storeBackends() {
    static const std::vector<StoreBackend> backends = {
        {"sqlite", [] { return std::make_unique<SqliteDatabase>(); }},
    };
    return backends;
}

}  // namespace forgelink::store::testing
