// What every store test has: a clock it controls (the store's created_at, updated_at and due
// times follow it), the sealing key, and must().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>

#include <gtest/gtest.h>

#include "secrets/secret_box.hpp"
#include "store/records.hpp"

namespace forgelink::store::testing {

class StoreTestBase : public ::testing::Test {
protected:
    StoreTestBase() : box_(std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate())) {}

    Timestamp now() const { return fromUnixMillis(clock_ms_.load()); }
    void advance(std::chrono::milliseconds by) { clock_ms_ += by.count(); }
    // What a store opened by the test reads the time from.
    std::function<Timestamp()> clock() {
        return [this] { return fromUnixMillis(clock_ms_.load()); };
    }

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

    std::atomic<std::int64_t> clock_ms_{1'700'000'000'000};
    std::shared_ptr<const secrets::SecretBox> box_;
};

}  // namespace forgelink::store::testing
