// The store contract suite: behaviour every backend of the Store keeps, written against the
// interface (store/store.hpp) and run once per backend in storeBackends() (store_backends.cpp).
// A test is TEST_P on a fixture derived from StoreContract; the file ends with
// INSTANTIATE_STORE_CONTRACT(Fixture). Each test gets a new, empty database; openStore() opens
// another store on it, as a second host on the same database would.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.hpp"
#include "store_fixture.hpp"

namespace forgelink::store::testing {

// One database of a backend, new and empty, for one test; removed when destroyed (after every
// store opened on it is gone).
class ContractDatabase {
public:
    virtual ~ContractDatabase() = default;
    // A store on this database, sealing with `box`, reading the time from `clock`. Every store
    // opened on one database sees the same data.
    virtual Result<std::unique_ptr<Store>> open(std::shared_ptr<const secrets::SecretBox> box,
                                                std::function<Timestamp()> clock) = 0;
};

struct StoreBackend {
    std::string name;  // the test name's suffix: letters, digits and '_' only
    // A new database for one test. nullptr when the backend cannot run here (for example no
    // database server was given): its tests are then skipped with `unavailable()` as the reason.
    std::function<std::unique_ptr<ContractDatabase>()> create;
    std::function<std::string()> unavailable = [] { return std::string(); };
};

// Every backend the contract suite runs against (store_backends.cpp).
const std::vector<StoreBackend>& storeBackends();

inline void PrintTo(const StoreBackend& backend, std::ostream* out) { *out << backend.name; }

class StoreContract : public StoreTestBase, public ::testing::WithParamInterface<StoreBackend> {
protected:
    void SetUp() override {
        database_ = GetParam().create();
        if (!database_) GTEST_SKIP() << GetParam().name << ": " << GetParam().unavailable();
        store_ = openStore();
        ASSERT_NE(store_, nullptr);
    }

    // Another store on the test's database (another host), sealing with `box` (default: box_).
    std::unique_ptr<Store> openStore(std::shared_ptr<const secrets::SecretBox> box = nullptr) {
        auto opened = database_->open(box ? box : box_, clock());
        EXPECT_TRUE(opened.ok()) << opened.error().message;
        return opened.ok() ? std::move(opened).value() : nullptr;
    }

    std::unique_ptr<ContractDatabase> database_;  // declared first: outlives store_
    std::unique_ptr<Store> store_;
};

}  // namespace forgelink::store::testing

#define INSTANTIATE_STORE_CONTRACT(Fixture)                                                           \
    INSTANTIATE_TEST_SUITE_P(Backends, Fixture, ::testing::ValuesIn(::forgelink::store::testing::storeBackends()), \
                             [](const ::testing::TestParamInfo<::forgelink::store::testing::StoreBackend>& info) { \
                                 return info.param.name;                                      \
                             })
