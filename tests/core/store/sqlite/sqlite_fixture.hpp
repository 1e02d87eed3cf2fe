// SQLite-only store tests: a fresh database file in a private temp dir per test, opened as the
// SqliteStore itself (its schema version, its file, plain SQL beside it).
#pragma once

#include <memory>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "store_fixture.hpp"
#include "temp_dir.hpp"

namespace forgelink::store::testing {

class StoreTest : public StoreTestBase {
protected:
    void SetUp() override { store_ = openStore(); }

    std::unique_ptr<SqliteStore> openStore(std::shared_ptr<const secrets::SecretBox> box = nullptr) {
        SqliteStore::Options options;
        options.clock = clock();
        auto opened = SqliteStore::open(dbPath(), box ? box : box_, options);
        EXPECT_TRUE(opened.ok()) << opened.error().message;
        return opened.ok() ? std::move(opened).value() : nullptr;
    }

    std::string dbPath() const { return (dir_ / "forgelink.db").string(); }

    forgelink::testing::TempDir dir_;
    std::unique_ptr<SqliteStore> store_;
};

}  // namespace forgelink::store::testing
