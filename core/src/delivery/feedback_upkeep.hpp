// The feedback side of the host's maintenance pass (service/maintenance.hpp runs it beside the
// token upkeep, on its own thread):
//  - ends builds whose result never came: a build still queued or in progress
//    feedback.build_timeout_seconds after its creation becomes errored ("timed out: no result
//    within 6 h") through the ordinary build change (Store::recordBuildChange, with the feedback
//    tasks of delivery/feedback_plan.hpp), so its status and merge-request comment follow through
//    the outbox. The change is conditioned on the build's version as read: of several hosts on one
//    database exactly one ends a build, and a result that arrives meanwhile wins over the timeout.
//  - says which finished outbox tasks are past retention and removes them.
//
// Threads: one caller at a time (the maintenance pass). Lifetime: the store, metrics, logger and
// warnings are borrowed and must outlive the FeedbackUpkeep.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "common/log.hpp"
#include "common/warn_once.hpp"
#include "net/metrics.hpp"
#include "store/store.hpp"

namespace forgelink::delivery {

struct FeedbackUpkeepOptions {
    // Timed-out builds ended per pass (the rest wait for the next pass).
    std::size_t timeout_batch = 200;
    // Done and failed outbox tasks are kept this long for GET /builds/{id}, then purged.
    std::chrono::milliseconds finished_task_retention{std::chrono::hours(24 * 7)};
};

class FeedbackUpkeep {
public:
    FeedbackUpkeep(store::Store& store, net::Metrics& metrics, common::JsonLogger& log, common::WarnOnce& warnings,
                   FeedbackUpkeepOptions options = {});

    // Ends the builds still unfinished `timeout_seconds` (config feedback.build_timeout_seconds;
    // 0 or less: never) before `now` as errored, with comment tasks when `comment` (config
    // feedback.comment); stops early when `stopping` says so. Returns how many it ended.
    std::int64_t timeOutBuilds(store::Timestamp now, std::int64_t timeout_seconds, bool comment,
                               const std::function<bool()>& stopping);

    // Removes the done and failed outbox tasks finished longer than the retention before `now`.
    Result<std::int64_t> purgeFinishedTasks(store::Timestamp now);

private:
    store::Store& store_;
    net::Metrics& metrics_;
    common::JsonLogger& log_;
    common::WarnOnce& warnings_;
    FeedbackUpkeepOptions options_;
};

}  // namespace forgelink::delivery
