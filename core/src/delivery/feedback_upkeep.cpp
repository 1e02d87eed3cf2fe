#include "delivery/feedback_upkeep.hpp"

#include <string>

#include "delivery/comment_body.hpp"
#include "delivery/feedback_plan.hpp"

namespace forgelink::delivery {

namespace {

constexpr const char* kTimedOut = "forgelink_builds_timed_out_total";

}  // namespace

FeedbackUpkeep::FeedbackUpkeep(store::Store& store, net::Metrics& metrics, common::JsonLogger& log,
                               common::WarnOnce& warnings, FeedbackUpkeepOptions options)
    : store_(store), metrics_(metrics), log_(log), warnings_(warnings), options_(options) {
    if (options_.timeout_batch == 0) options_.timeout_batch = 1;
    metrics_.describe(kTimedOut, "counter",
                      "Builds this host ended as errored because no result arrived within feedback.build_timeout_seconds.");
}

std::int64_t FeedbackUpkeep::timeOutBuilds(store::Timestamp now, std::int64_t timeout, bool comment,
                                           const std::function<bool()>& stopping) {
    if (timeout <= 0) return 0;
    auto stale = store_.unfinishedBuilds(now - std::chrono::seconds(timeout), options_.timeout_batch);
    if (!stale) {
        warnings_.warn("timeout", "maintenance: cannot list unfinished builds", stale.error().message,
                       {{"reason", stale.error().message}});
        return 0;
    }
    warnings_.forget("timeout");
    std::int64_t ended = 0;
    for (const auto& build : stale.value()) {
        if (stopping()) break;
        const std::string id = std::to_string(build.id);
        auto project = store_.project(build.project_id);
        if (!project) {
            if (project.error().kind != ErrorKind::not_found)
                warnings_.warn("timeout:" + id, "maintenance: cannot end a timed-out build", project.error().message,
                               {{"build", id}, {"reason", project.error().message}});
            continue;  // deleted meanwhile: its builds went with it
        }
        // Only from the version read above (changeOf): another host that ended it first, or a
        // result that arrived since, makes this change a conflict, and the build is left as they made it.
        store::BuildInput input = store::changeOf(build, BuildState::errored);
        input.timed_out_after_seconds = timeout;
        auto change = planBuildChange(store_, project.value(), input, comment);
        auto recorded = change ? store_.recordBuildChange(change.value()) : Result<store::RecordedBuild>(change.error());
        if (!recorded) {
            if (recorded.error().kind == ErrorKind::conflict) {
                log_.log(LogLevel::debug, "build changed before its timeout was recorded; left as it is",
                         {{"build", id}, {"reason", recorded.error().message}});
                continue;
            }
            warnings_.warn("timeout:" + id, "maintenance: cannot end a timed-out build", recorded.error().message,
                           {{"build", id}, {"reason", recorded.error().message}});
            continue;
        }
        warnings_.forget("timeout:" + id);
        ++ended;
        metrics_.increment(kTimedOut, {});
        log_.log(LogLevel::info, "build timed out: ended as errored",
                 {{"build", id},
                  {"project", std::to_string(build.project_id)},
                  {"state_was", std::string(toString(build.state))},
                  {"reason", timedOutText(timeout)},
                  {"feedback_tasks", std::to_string(recorded->tasks.size())}});
    }
    return ended;
}

Result<std::int64_t> FeedbackUpkeep::purgeFinishedTasks(store::Timestamp now) {
    return store_.purgeFinishedTasks(now - options_.finished_task_retention);
}

}  // namespace forgelink::delivery
