#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/periodic_loop.hpp"

namespace forgelink::common {
namespace {

using namespace std::chrono_literals;

bool waitFor(const std::atomic<int>& value, int at_least) {
    for (int i = 0; i < 500 && value.load() < at_least; ++i) std::this_thread::sleep_for(10ms);
    return value.load() >= at_least;
}

TEST(PeriodicLoop, RunsAPassEveryPeriodUntilStopped) {
    std::atomic<int> passes{0};
    PeriodicLoop loop([&] { ++passes; }, [](const std::exception&) { ADD_FAILURE() << "no pass throws"; });
    EXPECT_FALSE(loop.stopping());
    EXPECT_TRUE(loop.start(5ms));
    EXPECT_FALSE(loop.start(5ms)) << "a second start while running does nothing";
    EXPECT_TRUE(waitFor(passes, 3));
    EXPECT_TRUE(loop.stop());
    EXPECT_TRUE(loop.stopping());
    const int after_stop = passes.load();
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(passes.load(), after_stop);
    EXPECT_FALSE(loop.stop()) << "stop is idempotent";
}

TEST(PeriodicLoop, StopWakesALongWaitAtOnce) {
    std::atomic<int> passes{0};
    PeriodicLoop loop([&] { ++passes; }, [](const std::exception&) {});
    ASSERT_TRUE(loop.start(std::chrono::hours(1)));
    ASSERT_TRUE(waitFor(passes, 1));
    const auto before = std::chrono::steady_clock::now();
    EXPECT_TRUE(loop.stop());
    EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
    EXPECT_EQ(passes.load(), 1);
}

TEST(PeriodicLoop, AFailingPassIsReportedAndTheNextOneRuns) {
    std::atomic<int> passes{0};
    std::atomic<int> failures{0};
    std::string last_failure;
    PeriodicLoop loop(
        [&] {
            if (++passes == 1) throw std::runtime_error("first pass broke");
        },
        [&](const std::exception& e) {
            last_failure = e.what();
            ++failures;
        });
    ASSERT_TRUE(loop.start(1ms));
    EXPECT_TRUE(waitFor(passes, 3));
    loop.stop();
    EXPECT_EQ(failures.load(), 1);
    EXPECT_EQ(last_failure, "first pass broke");
}

TEST(PeriodicLoop, StopBeforeStartAndRestart) {
    std::atomic<int> passes{0};
    PeriodicLoop loop([&] { ++passes; }, [](const std::exception&) {});
    EXPECT_FALSE(loop.stop());
    EXPECT_TRUE(loop.stopping());
    EXPECT_TRUE(loop.start(1h));
    EXPECT_FALSE(loop.stopping()) << "start clears an earlier stop";
    EXPECT_TRUE(waitFor(passes, 1));
    EXPECT_TRUE(loop.stop());
}

}  // namespace
}  // namespace forgelink::common
