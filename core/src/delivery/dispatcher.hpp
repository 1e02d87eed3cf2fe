// The delivery dispatcher: takes due feedback tasks from the store's outbox and delivers them to
// the forges through the provider plugins, on a bounded pool of worker threads.
//
//  - Claims with a lease (Store::claimDueTasks): a task is delivered by one owner at a time across
//    threads and processes; a crashed owner's task is claimed again after its lease expires (at once
//    when a host starts on the same machine and sees that the owner's process is gone). The
//    store never hands out two tasks of one key (repository, commit, context) at once, and keeps
//    them in order, so a final state is always delivered after the in-progress one it follows.
//  - A status task older than one already delivered for its key is completed without calling the
//    forge (Store::isSuperseded). Comment tasks are not checked that way: their body is rendered at
//    delivery from the newest builds, so delivering one late never shows an older state, and a
//    comment task of another project (a different build id) must not be skipped.
//  - Outcomes: delivered -> completeTask; transient, rate_limited, conflict -> retryTask after
//    exponential backoff with full jitter (never before the forge's Retry-After); a 429 with
//    Retry-After also holds back every delivery to that forge instance until then; unauthorized ->
//    the team's feedback through that provider is paused (and this task with it) until a new token
//    is saved, and people are told once; other errors -> failTask with the provider's message.
//  - A status task that asks for it ("find_head", delivery/feedback_task.hpp) also puts the status on
//    the head commit of the build's merge request when the build ran on another commit (merged
//    results, a merge commit): the head is read once per build (Provider::getMergeRequest, on
//    plugins with FORGELINK_CAP_MERGE_REQUEST_HEAD) and that status goes out as a follow-up task
//    of the head commit, enqueued with the completion, so it is ordered, coalesced and retried
//    like any other status.
//  - Comments carry the marker "<!-- forgelink:instance=<instance_id> -->": a delivery repeated
//    after a crash updates the same comment instead of adding one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <forgelink/provider.hpp>

#include "common/log.hpp"
#include "delivery/backoff.hpp"
#include "net/metrics.hpp"
#include "plugin/registry.hpp"
#include "store/store.hpp"

namespace forgelink::delivery {

struct DispatcherOptions {
    // The lease owner: unique per running dispatcher. Empty = "<hostname>:<pid>:<random>".
    std::string owner;
    // This Forgelink installation in the comment marker (config server.instance_id). Must stay the
    // same across restarts and be shared by every host process of one installation. Empty = "default".
    std::string instance_id;
    std::size_t workers = 8;
    // Longer than the transport's deadline (30 s by default) so that a live delivery keeps its task.
    std::chrono::milliseconds lease{120000};
    // How often the outbox is polled when nobody calls wake().
    std::chrono::milliseconds poll_interval{500};
    BackoffPolicy backoff;
    // How often the forgelink_outbox_tasks and forgelink_feedback_paused gauges are refreshed from
    // the store (so pauses, resumes and deleted teams of other hosts sharing it show here too).
    std::chrono::milliseconds gauge_interval{5000};
    // Store time (leases, due times, latency); tests inject one. Default: the system clock.
    std::function<store::Timestamp()> clock;
};

class Dispatcher {
public:
    // Everything passed in must outlive the dispatcher.
    Dispatcher(store::Store& store, plugin::Registry& registry, net::Metrics& metrics, common::JsonLogger& log,
               DispatcherOptions options = {});
    ~Dispatcher();  // stop()
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    // Starts the claiming loop and the workers. Idempotent.
    void start();
    // Stops claiming, hands tasks claimed but not started back to the outbox (due now, so another
    // process can take them), waits for the deliveries in progress, then joins every thread.
    // Idempotent; the dispatcher can be started again.
    void stop();
    // Something was enqueued: look at the outbox now instead of at the next poll.
    void wake();

    const std::string& owner() const noexcept { return options_.owner; }
    const std::string& marker() const noexcept { return marker_; }

private:
    using InstanceKey = std::pair<std::string, std::string>;  // (provider, instance)

    void loop();
    void work();
    void handle(const store::FeedbackTask& task);
    Result<store::TaskCompletion> deliverStatus(Provider& provider, const Credentials& credentials,
                                                const store::FeedbackTask& task);
    Result<store::TaskCompletion> deliverComment(Provider& provider, const Credentials& credentials,
                                                 const store::FeedbackTask& task);
    // The head commit of the task's merge request: remembered with the build, or asked of the forge
    // once and remembered. "" when it cannot be known (the plugin lacks the capability, no such
    // MR, the token may not read it: logged); an error only for what a retry can fix.
    Result<std::string> mergeRequestHead(Provider& provider, const Credentials& credentials,
                                         const store::FeedbackTask& task, const std::string& repository,
                                         const std::string& merge_request);
    // The credential that serves the task's repository; std::nullopt when there is none to use
    // now (the task is then retried or paused, and the reason recorded).
    std::optional<store::NamedCredentials> servingCredentials(const store::FeedbackTask& task);
    void onError(const store::FeedbackTask& task, const store::NamedCredentials& used, const Error& error);
    void pauseForRejectedToken(const store::FeedbackTask& task, const store::NamedCredentials& used,
                               const Error& error);
    void pauseForMissingToken(const store::FeedbackTask& task, const std::string& why);

    void complete(const store::FeedbackTask& task, const store::TaskCompletion& completion, const char* outcome);
    void retry(const store::FeedbackTask& task, store::Timestamp when, const std::string& why, const char* outcome,
               bool count_retry);
    void fail(const store::FeedbackTask& task, const std::string& why);
    void count(const store::FeedbackTask& task, const std::string& outcome);

    store::Timestamp now() const;
    std::chrono::milliseconds backoffFor(const store::FeedbackTask& task, const Error& error);
    store::Timestamp notBefore(const InstanceKey& key);
    void holdInstance(const InstanceKey& key, store::Timestamp until);
    void refreshGauges();
    // A process of this machine that died (kill -9, OOM) leaves its tasks leased; a restarted host
    // takes them back at once instead of waiting out the lease.
    void takeBackLeasesOfGoneProcesses();
    // Rebuilds forgelink_feedback_paused from the store: one series per team and provider that is
    // connected or paused; none for teams that no longer exist.
    void reconcilePausedGauges();
    void setPausedGauge(std::int64_t team_id, const std::string& provider);

    store::Store& store_;
    plugin::Registry& registry_;
    net::Metrics& metrics_;
    common::JsonLogger& log_;
    DispatcherOptions options_;
    std::string marker_;

    std::mutex mutex_;  // guards everything below up to the threads
    std::condition_variable loop_cv_;
    std::condition_variable work_cv_;
    std::deque<store::FeedbackTask> queue_;
    std::size_t busy_ = 0;
    bool running_ = false;
    bool stopping_ = false;
    bool woken_ = false;
    std::thread loop_thread_;
    std::vector<std::thread> workers_;

    std::mutex hold_mutex_;
    std::map<InstanceKey, store::Timestamp> not_before_;

    // Serialises "mark invalid, pause, tell people once" between workers of this process, and
    // with the rebuild of the paused gauge.
    std::mutex pause_mutex_;

    std::mutex rng_mutex_;
    std::mt19937_64 rng_;
};

}  // namespace forgelink::delivery
