#include "common/periodic_loop.hpp"

#include <utility>

namespace forgelink::common {

PeriodicLoop::PeriodicLoop(std::function<void()> pass, std::function<void(const std::exception&)> on_failure)
    : pass_(std::move(pass)), on_failure_(std::move(on_failure)) {}

PeriodicLoop::~PeriodicLoop() { stop(); }

bool PeriodicLoop::start(std::chrono::milliseconds period) {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return false;
    stop_ = false;
    thread_ = std::thread([this, period] { run(period); });
    return true;
}

bool PeriodicLoop::stop() {
    std::thread thread;
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        thread = std::move(thread_);
    }
    wake_.notify_all();
    if (!thread.joinable()) return false;
    thread.join();
    return true;
}

bool PeriodicLoop::stopping() {
    std::lock_guard lock(mutex_);
    return stop_;
}

void PeriodicLoop::run(std::chrono::milliseconds period) {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        lock.unlock();
        try {
            pass_();
        } catch (const std::exception& e) {
            on_failure_(e);
        }
        lock.lock();
        wake_.wait_for(lock, period, [this] { return stop_; });
    }
}

}  // namespace forgelink::common
