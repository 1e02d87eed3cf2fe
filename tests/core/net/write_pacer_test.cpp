// The host's pacing of a forge's content-creating writes (net::WritePacer, HttpRequest::pacing), on
// a fake clock. Moved here from the GitHub plugin's tests with the pacer: the host owns every wait.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "net/write_pacer.hpp"

namespace forgelink::net {
namespace {

struct FakeTime {
    WritePacer::Clock::time_point now{};
    std::vector<std::chrono::milliseconds> sleeps;
    std::mutex mutex;
};

TEST(WritePacer, BurstThenSteadyAndNeverMoreThanPerMinute) {
    FakeTime time;
    WritePacer pacer({80, 20, std::chrono::milliseconds(30000)}, [&] { return time.now; },
                     [&](std::chrono::milliseconds d) {
                         time.sleeps.push_back(d);
                         time.now += d;
                     });
    // 200 writes as fast as the pacer lets them: count those inside the first 60 s.
    std::vector<WritePacer::Clock::time_point> at;
    for (int i = 0; i < 200; ++i) {
        ASSERT_FALSE(pacer.acquire("t").has_value());
        at.push_back(time.now);
    }
    for (std::size_t i = 0; i < at.size(); ++i) {
        std::size_t in_window = 0;
        for (std::size_t k = i; k < at.size() && at[k] - at[i] < std::chrono::seconds(60); ++k) ++in_window;
        ASSERT_LE(in_window, 80u) << "window starting at write " << i;
    }
    EXPECT_TRUE(time.sleeps.size() >= 180u);  // the first 20 went at once
    // Another token has its own bucket.
    auto before = time.sleeps.size();
    EXPECT_FALSE(pacer.acquire("other").has_value());
    EXPECT_EQ(time.sleeps.size(), before);
}

TEST(WritePacer, RefusesAWaitLongerThanTheLimit) {
    FakeTime time;
    WritePacer pacer({80, 2, std::chrono::milliseconds(1500)}, [&] { return time.now; },
                     [&](std::chrono::milliseconds) {});  // nobody advances the clock: reservations pile up
    EXPECT_FALSE(pacer.acquire("t").has_value());
    EXPECT_FALSE(pacer.acquire("t").has_value());
    EXPECT_FALSE(pacer.acquire("t").has_value());  // waits ~0.8 s (78 per minute refill)
    auto refused = pacer.acquire("t");            // would wait ~1.6 s
    ASSERT_TRUE(refused.has_value());
    EXPECT_GT(refused->count(), 1500);
}

TEST(WritePacer, ThreadSafeUnderContention) {
    WritePacer pacer({80, 80, std::chrono::milliseconds(30000)});
    std::atomic<int> granted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                if (!pacer.acquire("shared").has_value()) ++granted;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(granted.load(), 80);  // exactly the burst, no sleeping needed
    EXPECT_GT(pacer.pendingWait("shared").count(), 0);
}

}  // namespace
}  // namespace forgelink::net
