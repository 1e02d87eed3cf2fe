// The PostgreSQL side of builds and the feedback outbox: a build change and its tasks written in
// one transaction, coalescing per key, leases on due tasks (claimDueTasks), completion, retry,
// failure, pauses per team, and the comment remembered per merge request.
//
// Several hosts write at read committed, where SQLite had one database-wide writer. What keeps
// the outbox's rules across hosts:
// - Claims: the due rows are picked FOR UPDATE SKIP LOCKED in a CTE and leased by the UPDATE that
//   follows, in one statement: a row another host is claiming is skipped, never waited for, and a
//   row changed since the snapshot is re-checked when it is locked. The partial unique index
//   feedback_tasks_one_in_flight backs "one delivery per key in flight".
// - Coalescing (one waiting task per key, older never over newer): whoever may create a waiting
//   row of a key (enqueueTask, retryTask) first takes the key's transaction-scoped advisory lock,
//   so "is something waiting? then insert" is decided by one transaction at a time per key. Keys
//   are locked in one order (sorted hashes), before any row, so two changes cannot deadlock.
// - Pauses: enqueueing and retrying take a shared advisory lock on (team, provider) before they
//   read whether it is paused; pause and resume take it exclusively, so a task is never stored
//   pending past a pause nor paused past a resume.
// - A build's change locks its row (SELECT ... FOR UPDATE) before it checks the expected
//   version: of several hosts ending a build, one wins and the others get version_mismatch.
// - The delivered (build, version) per key only moves forward: one INSERT ... ON CONFLICT DO
//   UPDATE ... WHERE, atomic in PostgreSQL.
// - Tasks due now are announced on PostgresStore::kOutboxChannel (NOTIFY) once the transaction
//   that made them committed, so an idle host's dispatcher picks them up at once.
#include <algorithm>
#include <cstdint>
#include <set>

#include "store/postgres/pg_rows.hpp"
#include "store/postgres/postgres_store.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {

// The two-key advisory lock spaces of the outbox (pg_advisory_xact_lock(int, int)); PostgreSQL
// keeps them apart from the migration runner's single-key lock.
constexpr std::int32_t kFeedbackKeyLocks = 0x66656564;    // "feed": a coalescing key
constexpr std::int32_t kFeedbackPauseLocks = 0x70617573;  // "paus": a team's feedback through a provider

// FNV-1a: a stable 32-bit hash, the same in every host. Two keys that share a hash only share a lock.
std::int32_t lockHash(std::string_view text) {
    std::uint32_t hash = 2166136261u;
    for (unsigned char ch : text) {
        hash ^= ch;
        hash *= 16777619u;
    }
    return static_cast<std::int32_t>(hash);
}

std::int32_t pauseHash(std::int64_t team_id, std::string_view provider) {
    return lockHash(std::to_string(team_id) + "\n" + std::string(provider));
}

// An int[] literal of the hashes, sorted and without repeats: the order every host locks in.
std::string lockArray(const std::set<std::int32_t>& hashes) {
    std::string out = "{";
    for (std::int32_t h : hashes) {
        if (out.size() > 1) out += ',';
        out += std::to_string(h);
    }
    return out + "}";
}

// Takes what writing these tasks needs, before any row is touched: the pause locks of their
// (team, provider), shared, then their keys' locks. Held until the transaction ends.
void lockForEnqueue(PgConnection& c, const std::vector<NewFeedbackTask>& tasks) {
    if (tasks.empty()) return;
    std::set<std::int32_t> pauses;
    std::set<std::int32_t> keys;
    for (const auto& task : tasks) {
        pauses.insert(pauseHash(task.team_id, task.key.provider));
        keys.insert(lockHash(coalesceKey(task.key)));
    }
    run(c, "SELECT pg_advisory_xact_lock_shared($1::int, h) FROM unnest($2::int[]) AS h",
        {kFeedbackPauseLocks, lockArray(pauses)});
    run(c, "SELECT pg_advisory_xact_lock($1::int, h) FROM unnest($2::int[]) AS h", {kFeedbackKeyLocks, lockArray(keys)});
}

// The team's pause lock alone, exclusively: pausing and resuming.
void lockPause(PgConnection& c, std::int64_t team_id, std::string_view provider) {
    run(c, "SELECT pg_advisory_xact_lock($1::int, $2::int)", {kFeedbackPauseLocks, pauseHash(team_id, provider)});
}

// `lock`: FOR UPDATE, held until the transaction ends.
Build loadBuild(PgConnection& c, std::int64_t id, bool lock = false) {
    return one<Build>(run(c, sql({"SELECT ", kBuildColumns, " FROM builds WHERE id = $1", lock ? " FOR UPDATE" : ""}), {id}),
                      readBuild, ErrorKind::not_found, "build " + std::to_string(id) + " does not exist");
}

FeedbackTask loadTask(PgConnection& c, std::int64_t id, bool lock = false) {
    return one<FeedbackTask>(
        run(c, sql({"SELECT ", kTaskColumns, " FROM feedback_tasks WHERE id = $1", lock ? " FOR UPDATE" : ""}), {id}),
        readTask, ErrorKind::not_found, "feedback task " + std::to_string(id) + " does not exist");
}

// The task locked, still leased to `owner` (complete/retry/fail); conflict otherwise.
FeedbackTask requireLease(PgConnection& c, std::int64_t task_id, std::string_view owner) {
    FeedbackTask task = loadTask(c, task_id, true);
    requireTaskLease(task, owner);
    return task;
}

bool feedbackPaused(PgConnection& c, std::int64_t team_id, std::string_view provider) {
    return run(c, "SELECT 1 FROM feedback_pauses WHERE team_id = $1 AND provider = $2", {team_id, provider}).rows() > 0;
}

// NOTIFY the outbox's channel, after the transaction that made tasks due has committed, in a
// transaction of its own whose commit does not wait for the disk (synchronous_commit off: a
// notification is never stored anyway). Not inside the change's transaction: PostgreSQL
// serializes the commits of every transaction that sent a NOTIFY (one lock for the whole
// cluster, held until the commit record is flushed), so each build change of every host waited
// for the fsync of the one before: bench/run's delivery on PostgreSQL found the sessions queued on
// that lock (pg_locks: object lock on pg_database 0) at 0.14 x SQLite's throughput, and a second
// host added nothing. A NOTIFY lost here (the connection breaks just after the commit) costs one
// poll interval of the dispatchers (feedback.poll_interval_ms), nothing else.
void announceDueTasks(pg::PgPool& pool) noexcept {
    try {
        auto lease = pool.acquire();
        if (!lease) return;
        (void)lease.value()->execScript(std::string("BEGIN; SET LOCAL synchronous_commit TO off; NOTIFY ") +
                                        PostgresStore::kOutboxChannel + "; COMMIT");
    } catch (...) {
        // Only a hint: the dispatchers' poll finds the tasks.
    }
}

std::string taskLabel(std::int64_t id) { return "feedback task " + std::to_string(id); }

// Enqueues one feedback task of (build_id, build_version) under the outbox's rules, as SQLite's
// enqueueTask does: it replaces the waiting task of its key in place when that is an older version
// of the same build, and marks an older build's waiting task 'superseded'; behind a newer waiting
// change it is dropped; otherwise it is a new row (after whatever of its key is in flight), paused
// when the team's feedback through that provider is. The caller holds lockForEnqueue() of it.
// Returns the row it went into, if any.
std::optional<std::int64_t> enqueueTask(PgConnection& c, const NewFeedbackTask& task, std::int64_t build_id,
                                        std::int64_t build_version, std::int64_t t) {
    const std::string key = coalesceKey(task.key);
    const std::string payload = task.payload.dump();
    // A waiting row being claimed right now is waited for, then no longer waiting: this change
    // then becomes a row of its own, delivered after that one.
    PgResult replaced = run(c,
                            "UPDATE feedback_tasks SET team_id = $2, payload = $3, build_version = $5, last_error = '', "
                            "updated_at = $6 WHERE coalesce_key = $1 AND state IN ('pending', 'paused') "
                            "AND build_id = $4 AND build_version <= $5 RETURNING id",
                            {key, task.team_id, payload, build_id, build_version, t});
    if (replaced.rows() > 0) return PgRow(replaced, 0).int64(0);
    run(c,
        "UPDATE feedback_tasks SET state = 'superseded', next_attempt_at = $3, "
        "last_error = 'superseded by build ' || $2::bigint::text || ' before it was delivered', "
        "updated_at = $3 WHERE coalesce_key = $1 AND state IN ('pending', 'paused') AND build_id < $2::bigint",
        {key, build_id, t});
    if (run(c, "SELECT 1 FROM feedback_tasks WHERE coalesce_key = $1 AND state IN ('pending', 'paused')", {key}).rows() > 0)
        return std::nullopt;  // a newer change of this key is already waiting
    PgResult inserted = run(
        c,
        "INSERT INTO feedback_tasks (team_id, provider, instance, repository_id, commit_sha, context, kind, mr_number, "
        "coalesce_key, payload, build_id, build_version, state, attempts, next_attempt_at, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $14, $14) RETURNING id",
        {task.team_id, task.key.provider, task.key.instance, task.key.repository_id, task.key.commit_sha, task.key.context,
         toString(task.key.kind), task.key.mr_number, key, payload, build_id, build_version,
         feedbackPaused(c, task.team_id, task.key.provider) ? "paused" : "pending", t});
    return PgRow(inserted, 0).int64(0);
}

}  // namespace

// ---- builds and the outbox -------------------------------------------------------------------

Result<RecordedBuild> PostgresStore::recordBuildChange(const BuildChange& change) {
    const BuildInput& in = change.build;
    return guarded(in.id == 0 ? std::string("recording a new build") : "recording a change of build " + std::to_string(in.id),
                   [&]() -> Result<RecordedBuild> {
                       requireBuildChange(change);
                       const std::int64_t t = toUnixMillis(now());
                       bool due = false;
                       RecordedBuild done = inTransaction<RecordedBuild>(pool_, [&](PgConnection& c) {
                           lockForEnqueue(c, change.tasks);
                           std::int64_t build_id = in.id;
                           if (build_id == 0) {
                               PgResult inserted = run(
                                   c,
                                   "INSERT INTO builds (project_id, commit_sha, branch, mr_number, head_sha, state, stats, url, "
                                   "created_at, updated_at, version, timed_out_at, timed_out_after) VALUES ($1, $2, $3, $4, $5, "
                                   "$6, $7, $8, $9, $9, 1, CASE WHEN $10::bigint IS NULL THEN NULL ELSE $9::bigint END, $10) RETURNING id",
                                   {in.project_id, in.commit_sha, in.branch, in.mr_number, in.head_sha, toString(in.state),
                                    statsJson(in.stats), in.url, t, orNull(in.timed_out_after_seconds)});
                               build_id = PgRow(inserted, 0).int64(0);
                           } else {
                               // Locked until commit: a concurrent change of this build (another
                               // host's timeout, a result) waits, then finds the new version.
                               requireBuildChangeFits(loadBuild(c, build_id, true), in);
                               // A change made by the build timeout records when; any other change clears it.
                               run(c,
                                   "UPDATE builds SET commit_sha = $2, branch = $3, mr_number = $4, head_sha = $5, "
                                   "state = $6, stats = $7, url = $8, updated_at = $9, version = version + 1, "
                                   "timed_out_at = CASE WHEN $10::bigint IS NULL THEN NULL ELSE $9::bigint END, "
                                   "timed_out_after = $10 WHERE id = $1",
                                   {build_id, in.commit_sha, in.branch, in.mr_number, in.head_sha, toString(in.state),
                                    statsJson(in.stats), in.url, t, orNull(in.timed_out_after_seconds)});
                           }
                           RecordedBuild recorded{loadBuild(c, build_id), {}};
                           std::vector<std::int64_t> task_ids;
                           for (const auto& task : change.tasks) {
                               if (auto id = enqueueTask(c, task, build_id, recorded.build.version, t)) task_ids.push_back(*id);
                           }
                           std::sort(task_ids.begin(), task_ids.end());
                           task_ids.erase(std::unique(task_ids.begin(), task_ids.end()), task_ids.end());
                           for (std::int64_t id : task_ids) recorded.tasks.push_back(loadTask(c, id));
                           due = std::any_of(recorded.tasks.begin(), recorded.tasks.end(),
                                             [](const FeedbackTask& task) { return task.state == TaskState::pending; });
                           return recorded;
                       });
                       if (due) announceDueTasks(pool_);
                       return done;
                   });
}

Result<Build> PostgresStore::build(std::int64_t build_id) {
    return guarded("reading build", [&]() -> Result<Build> {
        return one<Build>(runOnce(pool_, sql({"SELECT ", kBuildColumns, " FROM builds WHERE id = $1"}), {build_id}), readBuild,
                          ErrorKind::not_found, "build " + std::to_string(build_id) + " does not exist");
    });
}

Result<std::vector<Build>> PostgresStore::listBuilds(std::int64_t project_id, std::size_t limit, std::int64_t before_id) {
    return guarded("listing builds", [&]() -> Result<std::vector<Build>> {
        return all<Build>(runOnce(pool_,
                                  sql({"SELECT ", kBuildColumns,
                                       " FROM builds WHERE project_id = $1 AND ($2::bigint <= 0 OR id < $2::bigint) "
                                       "ORDER BY id DESC LIMIT $3"}),
                                  {project_id, before_id, static_cast<std::int64_t>(limit)}),
                          readBuild);
    });
}

Result<std::vector<Build>> PostgresStore::unfinishedBuilds(Timestamp created_before, std::size_t limit) {
    return guarded("listing unfinished builds", [&]() -> Result<std::vector<Build>> {
        return all<Build>(runOnce(pool_,
                                  sql({"SELECT ", kBuildColumns,
                                       " FROM builds WHERE state IN ('queued', 'in_progress') AND created_at < $1 "
                                       "ORDER BY created_at, id LIMIT $2"}),
                                  {toUnixMillis(created_before), static_cast<std::int64_t>(limit)}),
                          readBuild);
    });
}

Result<std::string> PostgresStore::recordMergeRequestHead(std::int64_t build_id, std::string_view head_sha) {
    return guarded("remembering the merge request head of build " + std::to_string(build_id), [&]() -> Result<std::string> {
        requireText(head_sha, "merge request head sha");
        return inTransaction<std::string>(pool_, [&](PgConnection& c) {
            // A second host's UPDATE waits for the first's commit, then finds the head set and
            // changes nothing; the read after it (a new snapshot) sees the first one's.
            run(c, "UPDATE builds SET mr_head_sha = $2 WHERE id = $1 AND mr_head_sha = ''", {build_id, head_sha});
            return loadBuild(c, build_id).mr_head_sha;
        });
    });
}

Result<std::vector<FeedbackTask>> PostgresStore::claimDueTasks(std::string_view owner, Timestamp now_at,
                                                               std::chrono::milliseconds lease, std::size_t limit) {
    return guarded("claiming feedback tasks", [&]() -> Result<std::vector<FeedbackTask>> {
        requireText(owner, "lease owner");
        if (lease.count() <= 0) raise(ErrorKind::invalid_input, "the lease must be positive", "bad_lease");
        const std::int64_t t = toUnixMillis(now_at);
        auto out = inTransaction<std::vector<FeedbackTask>>(pool_, [&](PgConnection& c) {
            // Each statement picks its rows FOR UPDATE SKIP LOCKED (rows another host is claiming
            // are skipped, rows changed since the snapshot are re-checked when locked) and leases
            // them: no row goes to two owners. Leases that ran out come first (the oldest work),
            // then due tasks whose key has nothing in flight, as on SQLite.
            auto take = [&](std::string_view which, std::int64_t room) {
                return all<FeedbackTask>(
                    run(c,
                        sql({"WITH picked AS (SELECT t.id AS picked_id FROM feedback_tasks t WHERE ", which,
                             " ORDER BY t.next_attempt_at, t.id LIMIT $4 FOR UPDATE SKIP LOCKED) "
                             "UPDATE feedback_tasks SET state = 'in_flight', lease_owner = $1, lease_expires_at = $2, "
                             "attempts = attempts + 1, updated_at = $3 FROM picked WHERE id = picked.picked_id RETURNING ",
                             kTaskColumns}),
                        {owner, t + lease.count(), t, room}),
                    readTask);
            };
            auto claimed = take("t.state = 'in_flight' AND t.lease_expires_at <= $3", static_cast<std::int64_t>(limit));
            if (claimed.size() < limit) {
                auto due = take("t.state = 'pending' AND t.next_attempt_at <= $3 AND NOT EXISTS ("
                                "SELECT 1 FROM feedback_tasks o WHERE o.coalesce_key = t.coalesce_key AND o.state = 'in_flight')",
                                static_cast<std::int64_t>(limit - claimed.size()));
                std::move(due.begin(), due.end(), std::back_inserter(claimed));
            }
            return claimed;
        });
        sortByDueTime(out);
        return out;
    });
}

Result<bool> PostgresStore::isSuperseded(const FeedbackTask& task) {
    return guarded("checking feedback order", [&]() -> Result<bool> {
        return runOnce(pool_,
                       "SELECT 1 FROM feedback_delivered WHERE coalesce_key = $1 "
                       "AND (build_id, build_version) > ($2::bigint, $3::bigint)",
                       {coalesceKey(task.key), task.build_id, task.build_version})
                   .rows() > 0;
    });
}

Result<void> PostgresStore::completeTask(std::int64_t task_id, std::string_view owner, const TaskCompletion& completion) {
    return guarded("completing " + taskLabel(task_id), [&]() -> Result<void> {
        for (const auto& follow_up : completion.follow_ups) requireText(follow_up.key.commit_sha, "follow-up task commit sha");
        const std::int64_t t = toUnixMillis(now());
        inTransactionVoid(pool_, [&](PgConnection& c) {
            lockForEnqueue(c, completion.follow_ups);
            const FeedbackTask task = requireLease(c, task_id, owner);
            const json result = completionResult(completion);
            run(c,
                "UPDATE feedback_tasks SET state = $4, result = $2, last_error = '', lease_owner = NULL, "
                "lease_expires_at = NULL, updated_at = $3 WHERE id = $1",
                {task_id, result.dump(), t, completedAsSuperseded(result) ? "superseded" : "done"});
            // Remember the newest delivered version; an older one never moves it back. One
            // statement: two hosts completing the same key at once are ordered by the row's lock.
            run(c,
                "INSERT INTO feedback_delivered (coalesce_key, build_id, build_version, delivered_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (coalesce_key) DO UPDATE SET build_id = excluded.build_id, "
                "build_version = excluded.build_version, delivered_at = excluded.delivered_at "
                "WHERE (excluded.build_id, excluded.build_version) > (feedback_delivered.build_id, feedback_delivered.build_version)",
                {coalesceKey(task.key), task.build_id, task.build_version, t});
            for (const auto& follow_up : completion.follow_ups) enqueueTask(c, follow_up, task.build_id, task.build_version, t);
            if (!completion.comment_id.empty() && !task.key.mr_number.empty()) {
                run(c,
                    "INSERT INTO mr_comments (provider, instance, repository_id, mr_number, comment_id, updated_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, instance, repository_id, mr_number) "
                    "DO UPDATE SET comment_id = excluded.comment_id, updated_at = excluded.updated_at",
                    {task.key.provider, task.key.instance, task.key.repository_id, task.key.mr_number, completion.comment_id, t});
            }
        });
        if (!completion.follow_ups.empty()) announceDueTasks(pool_);
        return {};
    });
}

Result<RetryOutcome> PostgresStore::retryTask(std::int64_t task_id, std::string_view owner, Timestamp next_attempt_at,
                                              std::string_view error) {
    return guarded("rescheduling " + taskLabel(task_id), [&]() -> Result<RetryOutcome> {
        const std::int64_t t = toUnixMillis(now());
        return inTransaction<RetryOutcome>(pool_, [&](PgConnection& c) {
            // Back to pending makes a waiting row of its key: the key's lock first (a task's key
            // and team never change, so they are read before it), then the row.
            const FeedbackTask seen = loadTask(c, task_id);
            NewFeedbackTask as_enqueued;
            as_enqueued.team_id = seen.team_id;
            as_enqueued.key = seen.key;
            lockForEnqueue(c, {as_enqueued});
            const FeedbackTask task = requireLease(c, task_id, owner);
            RetryOutcome outcome = RetryOutcome::scheduled;
            std::string state = "pending";
            std::string last_error(error);
            PgResult waiting = run(c,
                                   "SELECT id FROM feedback_tasks WHERE coalesce_key = $1 AND state IN ('pending', 'paused') "
                                   "AND id <> $2",
                                   {coalesceKey(task.key), task_id});
            if (waiting.rows() > 0) {
                // A newer change of the same feedback is queued; retrying this one would only be overwritten.
                outcome = RetryOutcome::superseded;
                state = "superseded";
                last_error = "superseded by " + taskLabel(PgRow(waiting, 0).int64(0)) + " after: " + last_error;
            } else if (feedbackPaused(c, task.team_id, task.key.provider)) {
                outcome = RetryOutcome::paused;
                state = "paused";
            }
            run(c,
                "UPDATE feedback_tasks SET state = $2, next_attempt_at = $3, last_error = $4, lease_owner = NULL, "
                "lease_expires_at = NULL, updated_at = $5 WHERE id = $1",
                {task_id, state, toUnixMillis(next_attempt_at), last_error, t});
            return outcome;
        });
    });
}

Result<void> PostgresStore::failTask(std::int64_t task_id, std::string_view owner, std::string_view error) {
    return guarded("failing " + taskLabel(task_id), [&]() -> Result<void> {
        const std::int64_t t = toUnixMillis(now());
        inTransactionVoid(pool_, [&](PgConnection& c) {
            requireLease(c, task_id, owner);
            run(c,
                "UPDATE feedback_tasks SET state = 'failed', last_error = $2, lease_owner = NULL, lease_expires_at = NULL, "
                "updated_at = $3 WHERE id = $1",
                {task_id, error, t});
        });
        return {};
    });
}

Result<std::int64_t> PostgresStore::pauseTasksForTeam(std::int64_t team_id, std::string_view provider, std::string_view reason) {
    return guarded("pausing feedback of team " + std::to_string(team_id), [&]() -> Result<std::int64_t> {
        requireText(provider, "provider");
        requireText(reason, "reason");
        const std::int64_t t = toUnixMillis(now());
        return inTransaction<std::int64_t>(pool_, [&](PgConnection& c) {
            // Exclusive: an enqueue that read "not paused" commits its pending task first, and this
            // UPDATE (a new snapshot) then pauses it too.
            lockPause(c, team_id, provider);
            run(c,
                "INSERT INTO feedback_pauses (team_id, provider, reason, paused_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (team_id, provider) DO UPDATE SET reason = excluded.reason",
                {team_id, provider, reason, t});
            return runChanging(c,
                               "UPDATE feedback_tasks SET state = 'paused', updated_at = $3 "
                               "WHERE team_id = $1 AND provider = $2 AND state = 'pending'",
                               {team_id, provider, t});
        });
    });
}

Result<std::int64_t> PostgresStore::resumeTasksForTeam(std::int64_t team_id, std::string_view provider, Timestamp now_at) {
    return guarded("resuming feedback of team " + std::to_string(team_id), [&]() -> Result<std::int64_t> {
        const std::int64_t resumed = inTransaction<std::int64_t>(pool_, [&](PgConnection& c) {
            lockPause(c, team_id, provider);
            run(c, "DELETE FROM feedback_pauses WHERE team_id = $1 AND provider = $2", {team_id, provider});
            return runChanging(c,
                               "UPDATE feedback_tasks SET state = 'pending', next_attempt_at = $3, "
                               "updated_at = $3 WHERE team_id = $1 AND provider = $2 AND state = 'paused'",
                               {team_id, provider, toUnixMillis(now_at)});
        });
        if (resumed > 0) announceDueTasks(pool_);
        return resumed;
    });
}

Result<std::optional<std::string>> PostgresStore::feedbackPause(std::int64_t team_id, std::string_view provider) {
    return guarded("reading feedback pause", [&]() -> Result<std::optional<std::string>> {
        PgResult r = runOnce(pool_, "SELECT reason FROM feedback_pauses WHERE team_id = $1 AND provider = $2", {team_id, provider});
        if (r.rows() == 0) return std::optional<std::string>();
        return std::optional<std::string>(PgRow(r, 0).text(0));
    });
}

Result<FeedbackTask> PostgresStore::feedbackTask(std::int64_t task_id) {
    return guarded("reading " + taskLabel(task_id), [&]() -> Result<FeedbackTask> {
        return one<FeedbackTask>(runOnce(pool_, sql({"SELECT ", kTaskColumns, " FROM feedback_tasks WHERE id = $1"}), {task_id}),
                                 readTask, ErrorKind::not_found, taskLabel(task_id) + " does not exist");
    });
}

Result<std::vector<FeedbackTask>> PostgresStore::listTasksOfBuild(std::int64_t build_id) {
    return guarded("listing feedback tasks", [&]() -> Result<std::vector<FeedbackTask>> {
        return all<FeedbackTask>(
            runOnce(pool_, sql({"SELECT ", kTaskColumns, " FROM feedback_tasks WHERE build_id = $1 ORDER BY id"}), {build_id}),
            readTask);
    });
}

Result<TaskCounts> PostgresStore::countTasks() {
    return guarded("counting feedback tasks", [&]() -> Result<TaskCounts> {
        PgResult r = runOnce(pool_, "SELECT state, count(*) FROM feedback_tasks GROUP BY state");
        TaskCounts counts;
        for (int i = 0; i < r.rows(); ++i) countTasksIn(counts, PgRow(r, i).text(0), PgRow(r, i).int64(1));
        return counts;
    });
}

Result<std::vector<std::string>> PostgresStore::leaseOwners() {
    return guarded("listing lease owners", [&]() -> Result<std::vector<std::string>> {
        return all<std::string>(runOnce(pool_,
                                        "SELECT DISTINCT lease_owner FROM feedback_tasks WHERE state = 'in_flight' "
                                        "AND lease_owner IS NOT NULL ORDER BY lease_owner"),
                                [](const PgRow& s) { return s.text(0); });
    });
}

Result<std::int64_t> PostgresStore::expireLeases(std::string_view owner, Timestamp now_at) {
    return guarded("ending the leases of " + inQuotes(owner), [&]() -> Result<std::int64_t> {
        requireText(owner, "lease owner");
        const std::int64_t ended = inTransaction<std::int64_t>(pool_, [&](PgConnection& c) {
            return runChanging(c, "UPDATE feedback_tasks SET lease_expires_at = $2 WHERE state = 'in_flight' AND lease_owner = $1",
                               {owner, toUnixMillis(now_at)});
        });
        if (ended > 0) announceDueTasks(pool_);
        return ended;
    });
}

Result<std::int64_t> PostgresStore::purgeFinishedTasks(Timestamp before) {
    return guarded("purging finished feedback tasks", [&]() -> Result<std::int64_t> {
        return runOnce(pool_, "DELETE FROM feedback_tasks WHERE state IN ('done', 'failed', 'superseded') AND updated_at < $1",
                       {toUnixMillis(before)})
            .affectedRows();
    });
}

Result<std::optional<std::string>> PostgresStore::knownCommentId(std::string_view provider, std::string_view instance,
                                                                 std::string_view repository_id, std::string_view mr_number) {
    return guarded("reading the known comment id", [&]() -> Result<std::optional<std::string>> {
        PgResult r = runOnce(pool_,
                             "SELECT comment_id FROM mr_comments WHERE provider = $1 AND instance = $2 "
                             "AND repository_id = $3 AND mr_number = $4",
                             {provider, instance, repository_id, mr_number});
        if (r.rows() == 0) return std::optional<std::string>();
        return std::optional<std::string>(PgRow(r, 0).text(0));
    });
}

}  // namespace forgelink::store
