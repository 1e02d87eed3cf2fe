// One background thread that runs a pass, waits a period (or until stopped) and runs the next:
// what the host's background workers (maintenance, notice delivery) share.
//
// A pass that throws is reported to `on_failure` and the next one starts afresh: a pass must never
// take the host down. start() and stop() may be called from any thread; stop() wakes the wait at
// once and joins the thread (so not from inside a pass). The owner destroys its loop (or calls
// stop()) before anything the pass uses goes away.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace forgelink::common {

class PeriodicLoop {
public:
    PeriodicLoop(std::function<void()> pass, std::function<void(const std::exception&)> on_failure);
    ~PeriodicLoop();
    PeriodicLoop(const PeriodicLoop&) = delete;
    PeriodicLoop& operator=(const PeriodicLoop&) = delete;

    // Starts the thread, its first pass at once; false (and nothing done) when it already runs.
    bool start(std::chrono::milliseconds period);
    // Idempotent; true when it stopped a running thread.
    bool stop();
    // True once stop() was called (until the next start()): long passes check it between steps.
    bool stopping();

private:
    void run(std::chrono::milliseconds period);

    std::function<void()> pass_;
    std::function<void(const std::exception&)> on_failure_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace forgelink::common
