// Builds and the feedback outbox: a build change and its feedback tasks written together, tasks
// leased to one dispatcher at a time (claimDueTasks), completed, retried, failed, paused per team,
// and the comment each merge request carries. The contract every Store method keeps is in
// store/store.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <forgelink/result.hpp>

#include "store/records.hpp"

namespace forgelink::store {

class OutboxStore {
public:
    virtual ~OutboxStore() = default;

    // ---- builds and the feedback outbox --------------------------------------------------
    // Writes the build (insert, or update with version + 1) and enqueues its feedback tasks in ONE
    // transaction: either all of it is stored or nothing. A task whose key matches a task that is
    // still waiting (pending or paused) replaces that task's payload and build version instead of
    // adding a row (if the waiting task comes from a newer build than this change, the incoming
    // task is dropped instead: older never replaces newer); a task whose key is being delivered
    // right now (in_flight) is added as a new
    // pending row that is delivered only after the in-flight one finishes. Tasks for a team whose
    // feedback is paused for that provider are stored paused.
    virtual Result<RecordedBuild> recordBuildChange(const BuildChange& change) = 0;
    virtual Result<Build> build(std::int64_t build_id) = 0;
    // Newest first; `before_id` > 0 pages backwards.
    virtual Result<std::vector<Build>> listBuilds(std::int64_t project_id, std::size_t limit,
                                                  std::int64_t before_id = 0) = 0;

    // Builds still queued or in progress that were created before `created_before`, oldest first,
    // at most `limit`: those the build timeout ends (each through recordBuildChange with the
    // version read here as expected_version, so of several hosts only one ends a build, and a
    // result arriving meanwhile wins).
    virtual Result<std::vector<Build>> unfinishedBuilds(Timestamp created_before, std::size_t limit) = 0;
    // Remembers the head commit of the build's merge request unless one is remembered already
    // (the first delivery that asked the forge wins); returns the one remembered. not_found when
    // the build does not exist.
    virtual Result<std::string> recordMergeRequestHead(std::int64_t build_id, std::string_view head_sha) = 0;

    // Leases up to `limit` due tasks to `owner` until now + lease, atomically across processes:
    // pending tasks with next_attempt_at <= now whose key has no delivery in flight, and in_flight
    // tasks whose lease expired (their owner crashed). No task is handed to two owners at once.
    // Claiming increments attempts. Oldest due first.
    virtual Result<std::vector<FeedbackTask>> claimDueTasks(std::string_view owner, Timestamp now,
                                                            std::chrono::milliseconds lease, std::size_t limit) = 0;
    // True when a task with the same key and a newer (build_id, build_version) was already
    // delivered: the dispatcher should then completeTask() without calling the forge, so an older
    // state never overwrites a newer one.
    virtual Result<bool> isSuperseded(const FeedbackTask& task) = 0;
    // The following require the caller to still hold the lease (in_flight, lease_owner == owner);
    // conflict otherwise (the lease expired and another owner took the task).
    // Delivered: done; remembers the comment id for (provider, instance, repository, MR) and
    // enqueues the completion's follow-up tasks, all in one transaction.
    virtual Result<void> completeTask(std::int64_t task_id, std::string_view owner,
                                      const TaskCompletion& completion) = 0;
    // A transient failure: back to pending at next_attempt_at (see RetryOutcome).
    virtual Result<RetryOutcome> retryTask(std::int64_t task_id, std::string_view owner, Timestamp next_attempt_at,
                                           std::string_view error) = 0;
    // A permanent failure: failed, never retried.
    virtual Result<void> failTask(std::int64_t task_id, std::string_view owner, std::string_view error) = 0;
    // Stops delivery of the team's feedback through `provider` (e.g. its token was revoked):
    // waiting tasks become paused, and tasks enqueued later are stored paused. Returns how many
    // tasks were paused now. Idempotent.
    virtual Result<std::int64_t> pauseTasksForTeam(std::int64_t team_id, std::string_view provider,
                                                   std::string_view reason) = 0;
    // Undoes the pause: paused tasks become pending, due at `now`. Returns how many.
    virtual Result<std::int64_t> resumeTasksForTeam(std::int64_t team_id, std::string_view provider,
                                                    Timestamp now) = 0;
    // The pause reason, or std::nullopt when not paused.
    virtual Result<std::optional<std::string>> feedbackPause(std::int64_t team_id, std::string_view provider) = 0;
    virtual Result<FeedbackTask> feedbackTask(std::int64_t task_id) = 0;
    virtual Result<std::vector<FeedbackTask>> listTasksOfBuild(std::int64_t build_id) = 0;
    virtual Result<TaskCounts> countTasks() = 0;
    // The owners that hold leases on in-flight tasks, so a host starting up can recognise the
    // leases of an earlier process of its own that died (kill -9, OOM) and not wait them out.
    virtual Result<std::vector<std::string>> leaseOwners() = 0;
    // Ends every lease `owner` holds, because that owner is known to be gone: its in-flight tasks
    // become claimable at `now`, exactly as if their leases had run out. Returns how many.
    virtual Result<std::int64_t> expireLeases(std::string_view owner, Timestamp now) = 0;
    // Deletes done and failed tasks last updated before `before`. Returns how many.
    virtual Result<std::int64_t> purgeFinishedTasks(Timestamp before) = 0;

    // The comment Forgelink last wrote on this MR, for CommentRequest::known_comment_id.
    virtual Result<std::optional<std::string>> knownCommentId(std::string_view provider, std::string_view instance,
                                                              std::string_view repository_id,
                                                              std::string_view mr_number) = 0;
};

}  // namespace forgelink::store
