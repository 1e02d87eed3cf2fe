// A fresh database in a private temp dir per test, with a controllable clock.
#pragma once

#include <atomic>
#include <memory>

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace forgelink::store::testing {

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        box_ = std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate());
        store_ = openStore();
    }

    std::unique_ptr<SqliteStore> openStore(std::shared_ptr<const secrets::SecretBox> box = nullptr) {
        SqliteStore::Options options;
        options.clock = [this] { return fromUnixMillis(clock_ms_.load()); };
        auto opened = SqliteStore::open(dbPath(), box ? box : box_, options);
        EXPECT_TRUE(opened.ok()) << opened.error().message;
        return opened.ok() ? std::move(opened).value() : nullptr;
    }

    std::string dbPath() const { return (dir_ / "forgelink.db").string(); }
    Timestamp now() const { return fromUnixMillis(clock_ms_.load()); }
    void advance(std::chrono::milliseconds by) { clock_ms_ += by.count(); }

    template <class T>
    static T must(Result<T> result) {
        if (!result.ok()) {
            ADD_FAILURE() << toString(result.error().kind) << ": " << result.error().message;
            throw std::runtime_error("store call failed");
        }
        return std::move(result).value();
    }
    static void must(Result<void> result) {
        if (!result.ok()) {
            ADD_FAILURE() << toString(result.error().kind) << ": " << result.error().message;
            throw std::runtime_error("store call failed");
        }
    }

    forgelink::testing::TempDir dir_;
    std::atomic<std::int64_t> clock_ms_{1'700'000'000'000};
    std::shared_ptr<const secrets::SecretBox> box_;
    std::unique_ptr<SqliteStore> store_;
};

}  // namespace forgelink::store::testing
