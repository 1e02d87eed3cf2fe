// The SQLite side of builds and the feedback outbox: a build change and its tasks written in one
// transaction, coalescing per key, leases on due tasks (claimDueTasks), completion, retry,
// failure, pauses per team, and the comment remembered per merge request.
#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>

#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

namespace {

Build loadBuild(Connection& c, std::int64_t id) {
    return one<Build>(c.prepare(sql({"SELECT ", kBuildColumns, " FROM builds WHERE id = ?1"})).bind(1, id), readBuild,
                      ErrorKind::not_found, "build " + std::to_string(id) + " does not exist");
}

FeedbackTask loadTask(Connection& c, std::int64_t id) {
    return one<FeedbackTask>(c.prepare(sql({"SELECT ", kTaskColumns, " FROM feedback_tasks WHERE id = ?1"})).bind(1, id),
                             readTask, ErrorKind::not_found, "feedback task " + std::to_string(id) + " does not exist");
}

bool feedbackPaused(Connection& c, std::int64_t team_id, std::string_view provider) {
    return c.prepare("SELECT 1 FROM feedback_pauses WHERE team_id = ?1 AND provider = ?2")
        .bind(1, team_id)
        .bind(2, provider)
        .step();
}

// The lease check shared by complete/retry/fail; returns the task as it is now.
FeedbackTask requireLease(Connection& c, std::int64_t task_id, std::string_view owner) {
    FeedbackTask task = loadTask(c, task_id);
    requireTaskLease(task, owner);
    return task;
}

std::string taskLabel(std::int64_t id) { return "feedback task " + std::to_string(id); }

}  // namespace

// ---- builds and the outbox -------------------------------------------------------------------

namespace {

// Enqueues one feedback task of (build_id, build_version) under the outbox's rules: it replaces
// the waiting task of its key in place when that is an older version of the same build, and marks
// an older build's waiting task 'superseded'; behind a newer waiting change it is dropped;
// otherwise it is a new row (after whatever of its key is in flight), paused when the team's
// feedback through that provider is. Returns the row it went into, if any.
std::optional<std::int64_t> enqueueTask(Connection& connection, const NewFeedbackTask& task, std::int64_t build_id,
                                        std::int64_t build_version, std::int64_t t) {
    Connection* c = &connection;
    const std::string key = coalesceKey(task.key);
    const std::string payload = task.payload.dump();
    // Replace the waiting task of this key unless it is newer than this change: in place when it is
    // this build's own (an older version of it); a waiting task of an older build ends 'superseded'
    // there, so that build still shows what became of its feedback, and this change gets a task of
    // its own.
    {
        Statement s = c->prepare(
            "UPDATE feedback_tasks SET team_id = ?2, payload = ?3, build_version = ?5, "
            "last_error = '', updated_at = ?6 WHERE coalesce_key = ?1 AND state IN ('pending', 'paused') "
            "AND build_id = ?4 AND build_version <= ?5 RETURNING id");
        s.bind(1, key).bind(2, task.team_id).bind(3, payload).bind(4, build_id);
        s.bind(5, build_version).bind(6, t);
        if (s.step()) {
            return s.int64(0);
        }
    }
    c->prepare("UPDATE feedback_tasks SET state = 'superseded', next_attempt_at = ?3, "
               "last_error = 'superseded by build ' || ?2 || ' before it was delivered', "
               "updated_at = ?3 WHERE coalesce_key = ?1 AND state IN ('pending', 'paused') "
               "AND build_id < ?2")
        .bind(1, key)
        .bind(2, build_id)
        .bind(3, t)
        .run();
    if (c->prepare("SELECT 1 FROM feedback_tasks WHERE coalesce_key = ?1 AND state IN ('pending', 'paused')")
            .bind(1, key)
            .step()) {
        return std::nullopt;  // a newer change of this key is already waiting
    }
    Statement s = c->prepare(
        "INSERT INTO feedback_tasks (team_id, provider, instance, repository_id, commit_sha, context, "
        "kind, mr_number, coalesce_key, payload, build_id, build_version, state, attempts, "
        "next_attempt_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, 0, ?14, ?14, ?14) RETURNING id");
    s.bind(1, task.team_id)
        .bind(2, task.key.provider)
        .bind(3, task.key.instance)
        .bind(4, task.key.repository_id)
        .bind(5, task.key.commit_sha)
        .bind(6, task.key.context)
        .bind(7, toString(task.key.kind))
        .bind(8, task.key.mr_number)
        .bind(9, key)
        .bind(10, payload)
        .bind(11, build_id)
        .bind(12, build_version)
        .bind(13, feedbackPaused(*c, task.team_id, task.key.provider) ? "paused" : "pending")
        .bind(14, t);
    s.step();
    return s.int64(0);
}

}  // namespace

Result<RecordedBuild> SqliteStore::recordBuildChange(const BuildChange& change) {
    const BuildInput& in = change.build;
    return guarded(in.id == 0 ? std::string("recording a new build") : "recording a change of build " + std::to_string(in.id),
                   [&]() -> Result<RecordedBuild> {
                       requireBuildChange(change);
                       const std::int64_t t = toUnixMillis(now());
                       RecordedBuild out{};
                       writes_.run([&](Connection& shared) {
                           Connection* c = &shared;
                           std::int64_t build_id = in.id;
                           if (build_id == 0) {
                               Statement s = c->prepare(
                                   "INSERT INTO builds (project_id, commit_sha, branch, mr_number, head_sha, state, stats, url, "
                                   "created_at, updated_at, version, timed_out_at, timed_out_after) VALUES (?1, ?2, ?3, ?4, ?5, "
                                   "?6, ?7, ?8, ?9, ?9, 1, CASE WHEN ?10 IS NULL THEN NULL ELSE ?9 END, ?10) RETURNING id");
                               s.bind(1, in.project_id)
                                   .bind(2, in.commit_sha)
                                   .bind(3, in.branch)
                                   .bind(4, in.mr_number)
                                   .bind(5, in.head_sha)
                                   .bind(6, toString(in.state))
                                   .bind(7, statsJson(in.stats))
                                   .bind(8, in.url)
                                   .bind(9, t)
                                   .bind(10, in.timed_out_after_seconds);
                               s.step();
                               build_id = s.int64(0);
                           } else {
                               const Build current = loadBuild(*c, build_id);
                               requireBuildChangeFits(current, in);
                               // A change made by the build timeout records when; any other change clears it.
                               c->prepare("UPDATE builds SET commit_sha = ?2, branch = ?3, mr_number = ?4, head_sha = ?5, "
                                          "state = ?6, stats = ?7, url = ?8, updated_at = ?9, version = version + 1, "
                                          "timed_out_at = CASE WHEN ?10 IS NULL THEN NULL ELSE ?9 END, timed_out_after = ?10 "
                                          "WHERE id = ?1")
                                   .bind(1, build_id)
                                   .bind(2, in.commit_sha)
                                   .bind(3, in.branch)
                                   .bind(4, in.mr_number)
                                   .bind(5, in.head_sha)
                                   .bind(6, toString(in.state))
                                   .bind(7, statsJson(in.stats))
                                   .bind(8, in.url)
                                   .bind(9, t)
                                   .bind(10, in.timed_out_after_seconds)
                                   .run();
                           }
                           RecordedBuild recorded{loadBuild(*c, build_id), {}};
                           std::vector<std::int64_t> task_ids;
                           for (const auto& task : change.tasks) {
                               if (auto id = enqueueTask(*c, task, build_id, recorded.build.version, t)) task_ids.push_back(*id);
                           }
                           std::sort(task_ids.begin(), task_ids.end());
                           task_ids.erase(std::unique(task_ids.begin(), task_ids.end()), task_ids.end());
                           for (std::int64_t id : task_ids) recorded.tasks.push_back(loadTask(*c, id));
                           out = std::move(recorded);
                       });
                       return out;
                   });
}

Result<Build> SqliteStore::build(std::int64_t build_id) {
    return guarded("reading build", [&]() -> Result<Build> {
        auto c = pool_.acquire();
        return loadBuild(*c, build_id);
    });
}

Result<std::vector<Build>> SqliteStore::listBuilds(std::int64_t project_id, std::size_t limit, std::int64_t before_id) {
    return guarded("listing builds", [&]() -> Result<std::vector<Build>> {
        auto c = pool_.acquire();
        return all<Build>(c->prepare(sql({"SELECT ", kBuildColumns,
                                          " FROM builds WHERE project_id = ?1 AND (?2 <= 0 OR id < ?2) ORDER BY id DESC LIMIT ?3"}))
                              .bind(1, project_id)
                              .bind(2, before_id)
                              .bind(3, static_cast<std::int64_t>(limit)),
                          readBuild);
    });
}

Result<std::vector<Build>> SqliteStore::unfinishedBuilds(Timestamp created_before, std::size_t limit) {
    return guarded("listing unfinished builds", [&]() -> Result<std::vector<Build>> {
        auto c = pool_.acquire();
        return all<Build>(c->prepare(sql({"SELECT ", kBuildColumns,
                                          " FROM builds WHERE state IN ('queued', 'in_progress') AND created_at < ?1 "
                                          "ORDER BY created_at, id LIMIT ?2"}))
                              .bind(1, toUnixMillis(created_before))
                              .bind(2, static_cast<std::int64_t>(limit)),
                          readBuild);
    });
}

Result<std::string> SqliteStore::recordMergeRequestHead(std::int64_t build_id, std::string_view head_sha) {
    return guarded("remembering the merge request head of build " + std::to_string(build_id), [&]() -> Result<std::string> {
        requireText(head_sha, "merge request head sha");
        std::string stored;
        writes_.run([&](Connection& c) {
            c.prepare("UPDATE builds SET mr_head_sha = ?2 WHERE id = ?1 AND mr_head_sha = ''").bind(1, build_id).bind(2, head_sha).run();
            stored = loadBuild(c, build_id).mr_head_sha;
        });
        return stored;
    });
}

Result<std::vector<FeedbackTask>> SqliteStore::claimDueTasks(std::string_view owner, Timestamp now_at,
                                                             std::chrono::milliseconds lease, std::size_t limit) {
    return guarded("claiming feedback tasks", [&]() -> Result<std::vector<FeedbackTask>> {
        requireText(owner, "lease owner");
        if (lease.count() <= 0) raise(ErrorKind::invalid_input, "the lease must be positive", "bad_lease");
        const std::int64_t t = toUnixMillis(now_at);
        std::vector<FeedbackTask> out{};
        writes_.run([&](Connection& shared) {
            Connection* c = &shared;
            // Each statement decides and takes the lease under the database write lock: two
            // dispatchers (threads or processes) can never both get the same row. Leases that ran
            // out come first (they are the oldest work), then due tasks whose key has nothing in
            // flight. Two statements, not one with OR: apart, the due tasks are read in the order
            // of feedback_tasks_due and the read stops at the limit; an OR made SQLite gather and
            // sort every due task of the backlog on each claim.
            auto take = [&](const char* which, std::int64_t room) {
                return all<FeedbackTask>(
                    c->prepare(sql({"UPDATE feedback_tasks SET state = 'in_flight', lease_owner = ?1, lease_expires_at = ?2, "
                                    "attempts = attempts + 1, updated_at = ?3 WHERE id IN (SELECT t.id FROM feedback_tasks t WHERE ",
                                    which, " ORDER BY t.next_attempt_at, t.id LIMIT ?4) RETURNING ", kTaskColumns}))
                        .bind(1, owner)
                        .bind(2, t + lease.count())
                        .bind(3, t)
                        .bind(4, room),
                    readTask);
            };
            out = take("t.state = 'in_flight' AND t.lease_expires_at <= ?3", static_cast<std::int64_t>(limit));
            if (out.size() < limit) {
                auto due = take("t.state = 'pending' AND t.next_attempt_at <= ?3 AND NOT EXISTS ("
                                "SELECT 1 FROM feedback_tasks o WHERE o.coalesce_key = t.coalesce_key AND o.state = 'in_flight')",
                                static_cast<std::int64_t>(limit - out.size()));
                std::move(due.begin(), due.end(), std::back_inserter(out));
            }
        });
        sortByDueTime(out);
        return out;
    });
}

Result<bool> SqliteStore::isSuperseded(const FeedbackTask& task) {
    return guarded("checking feedback order", [&]() -> Result<bool> {
        auto c = pool_.acquire();
        return c->prepare("SELECT 1 FROM feedback_delivered WHERE coalesce_key = ?1 AND (build_id, build_version) > (?2, ?3)")
            .bind(1, coalesceKey(task.key))
            .bind(2, task.build_id)
            .bind(3, task.build_version)
            .step();
    });
}

Result<void> SqliteStore::completeTask(std::int64_t task_id, std::string_view owner, const TaskCompletion& completion) {
    return guarded("completing " + taskLabel(task_id), [&]() -> Result<void> {
        const std::int64_t t = toUnixMillis(now());
        writes_.run([&](Connection& shared) {
            Connection* c = &shared;
            const FeedbackTask task = requireLease(*c, task_id, owner);
            const json result = completionResult(completion);
            const bool superseded = completedAsSuperseded(result);
            c->prepare("UPDATE feedback_tasks SET state = ?4, result = ?2, last_error = '', lease_owner = NULL, "
                       "lease_expires_at = NULL, updated_at = ?3 WHERE id = ?1")
                .bind(1, task_id)
                .bind(2, result.dump())
                .bind(3, t)
                .bind(4, superseded ? "superseded" : "done")
                .run();
            // Remember the newest delivered version; an older one never moves it back.
            c->prepare("INSERT INTO feedback_delivered (coalesce_key, build_id, build_version, delivered_at) VALUES (?1, ?2, ?3, ?4) "
                       "ON CONFLICT (coalesce_key) DO UPDATE SET build_id = excluded.build_id, "
                       "build_version = excluded.build_version, delivered_at = excluded.delivered_at "
                       "WHERE (excluded.build_id, excluded.build_version) > (feedback_delivered.build_id, feedback_delivered.build_version)")
                .bind(1, coalesceKey(task.key))
                .bind(2, task.build_id)
                .bind(3, task.build_version)
                .bind(4, t)
                .run();
            for (const auto& follow_up : completion.follow_ups) {
                requireText(follow_up.key.commit_sha, "follow-up task commit sha");
                enqueueTask(*c, follow_up, task.build_id, task.build_version, t);
            }
            if (!completion.comment_id.empty() && !task.key.mr_number.empty()) {
                c->prepare("INSERT INTO mr_comments (provider, instance, repository_id, mr_number, comment_id, updated_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (provider, instance, repository_id, mr_number) "
                           "DO UPDATE SET comment_id = excluded.comment_id, updated_at = excluded.updated_at")
                    .bind(1, task.key.provider)
                    .bind(2, task.key.instance)
                    .bind(3, task.key.repository_id)
                    .bind(4, task.key.mr_number)
                    .bind(5, completion.comment_id)
                    .bind(6, t)
                    .run();
            }
        });
        return {};
    });
}

Result<RetryOutcome> SqliteStore::retryTask(std::int64_t task_id, std::string_view owner, Timestamp next_attempt_at,
                                            std::string_view error) {
    return guarded("rescheduling " + taskLabel(task_id), [&]() -> Result<RetryOutcome> {
        const std::int64_t t = toUnixMillis(now());
        RetryOutcome out{};
        writes_.run([&](Connection& shared) {
            Connection* c = &shared;
            const FeedbackTask task = requireLease(*c, task_id, owner);
            RetryOutcome outcome = RetryOutcome::scheduled;
            std::string state = "pending";
            std::string last_error(error);
            Statement waiting = c->prepare(
                "SELECT id FROM feedback_tasks WHERE coalesce_key = ?1 AND state IN ('pending', 'paused') AND id <> ?2");
            waiting.bind(1, coalesceKey(task.key)).bind(2, task_id);
            if (waiting.step()) {
                // A newer change of the same feedback is queued; retrying this one would only be overwritten.
                outcome = RetryOutcome::superseded;
                state = "superseded";
                last_error = "superseded by " + taskLabel(waiting.int64(0)) + " after: " + last_error;
            } else if (feedbackPaused(*c, task.team_id, task.key.provider)) {
                outcome = RetryOutcome::paused;
                state = "paused";
            }
            waiting.run();
            c->prepare("UPDATE feedback_tasks SET state = ?2, next_attempt_at = ?3, last_error = ?4, lease_owner = NULL, "
                       "lease_expires_at = NULL, updated_at = ?5 WHERE id = ?1")
                .bind(1, task_id)
                .bind(2, state)
                .bind(3, toUnixMillis(next_attempt_at))
                .bind(4, last_error)
                .bind(5, t)
                .run();
            out = outcome;
        });
        return out;
    });
}

Result<void> SqliteStore::failTask(std::int64_t task_id, std::string_view owner, std::string_view error) {
    return guarded("failing " + taskLabel(task_id), [&]() -> Result<void> {
        writes_.run([&](Connection& shared) {
            Connection* c = &shared;
            requireLease(*c, task_id, owner);
            c->prepare("UPDATE feedback_tasks SET state = 'failed', last_error = ?2, lease_owner = NULL, lease_expires_at = NULL, "
                       "updated_at = ?3 WHERE id = ?1")
                .bind(1, task_id)
                .bind(2, error)
                .bind(3, toUnixMillis(now()))
                .run();
        });
        return {};
    });
}

Result<std::int64_t> SqliteStore::pauseTasksForTeam(std::int64_t team_id, std::string_view provider, std::string_view reason) {
    return guarded("pausing feedback of team " + std::to_string(team_id), [&]() -> Result<std::int64_t> {
        requireText(provider, "provider");
        requireText(reason, "reason");
        const std::int64_t t = toUnixMillis(now());
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("INSERT INTO feedback_pauses (team_id, provider, reason, paused_at) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT (team_id, provider) DO UPDATE SET reason = excluded.reason")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, reason)
            .bind(4, t)
            .run();
        c->prepare("UPDATE feedback_tasks SET state = 'paused', updated_at = ?3 "
                   "WHERE team_id = ?1 AND provider = ?2 AND state = 'pending'")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, t)
            .run();
        const std::int64_t paused = c->changes();
        tx.commit();
        return paused;
    });
}

Result<std::int64_t> SqliteStore::resumeTasksForTeam(std::int64_t team_id, std::string_view provider, Timestamp now_at) {
    return guarded("resuming feedback of team " + std::to_string(team_id), [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("DELETE FROM feedback_pauses WHERE team_id = ?1 AND provider = ?2").bind(1, team_id).bind(2, provider).run();
        c->prepare("UPDATE feedback_tasks SET state = 'pending', next_attempt_at = ?3, updated_at = ?3 "
                   "WHERE team_id = ?1 AND provider = ?2 AND state = 'paused'")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, toUnixMillis(now_at))
            .run();
        const std::int64_t resumed = c->changes();
        tx.commit();
        return resumed;
    });
}

Result<std::optional<std::string>> SqliteStore::feedbackPause(std::int64_t team_id, std::string_view provider) {
    return guarded("reading feedback pause", [&]() -> Result<std::optional<std::string>> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT reason FROM feedback_pauses WHERE team_id = ?1 AND provider = ?2");
        s.bind(1, team_id).bind(2, provider);
        if (!s.step()) return std::optional<std::string>();
        return std::optional<std::string>(s.text(0));
    });
}

Result<FeedbackTask> SqliteStore::feedbackTask(std::int64_t task_id) {
    return guarded("reading " + taskLabel(task_id), [&]() -> Result<FeedbackTask> {
        auto c = pool_.acquire();
        return loadTask(*c, task_id);
    });
}

Result<std::vector<FeedbackTask>> SqliteStore::listTasksOfBuild(std::int64_t build_id) {
    return guarded("listing feedback tasks", [&]() -> Result<std::vector<FeedbackTask>> {
        auto c = pool_.acquire();
        return all<FeedbackTask>(
            c->prepare(sql({"SELECT ", kTaskColumns, " FROM feedback_tasks WHERE build_id = ?1 ORDER BY id"})).bind(1, build_id),
            readTask);
    });
}

Result<TaskCounts> SqliteStore::countTasks() {
    return guarded("counting feedback tasks", [&]() -> Result<TaskCounts> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT state, count(*) FROM feedback_tasks GROUP BY state");
        TaskCounts counts;
        while (s.step()) {
            countTasksIn(counts, s.text(0), s.int64(1));
        }
        return counts;
    });
}

Result<std::vector<std::string>> SqliteStore::leaseOwners() {
    return guarded("listing lease owners", [&]() -> Result<std::vector<std::string>> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT DISTINCT lease_owner FROM feedback_tasks WHERE state = 'in_flight' "
                                 "AND lease_owner IS NOT NULL ORDER BY lease_owner");
        std::vector<std::string> owners;
        while (s.step()) owners.push_back(s.text(0));
        return owners;
    });
}

Result<std::int64_t> SqliteStore::expireLeases(std::string_view owner, Timestamp now_at) {
    return guarded("ending the leases of " + inQuotes(owner), [&]() -> Result<std::int64_t> {
        requireText(owner, "lease owner");
        std::int64_t changed = 0;
        writes_.run([&](Connection& c) {
            c.prepare("UPDATE feedback_tasks SET lease_expires_at = ?2 WHERE state = 'in_flight' AND lease_owner = ?1")
                .bind(1, owner)
                .bind(2, toUnixMillis(now_at))
                .run();
            changed = c.changes();
        });
        return changed;
    });
}

Result<std::int64_t> SqliteStore::purgeFinishedTasks(Timestamp before) {
    return guarded("purging finished feedback tasks", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM feedback_tasks WHERE state IN ('done', 'failed', 'superseded') AND updated_at < ?1")
            .bind(1, toUnixMillis(before))
            .run();
        return c->changes();
    });
}

Result<std::optional<std::string>> SqliteStore::knownCommentId(std::string_view provider, std::string_view instance,
                                                               std::string_view repository_id, std::string_view mr_number) {
    return guarded("reading the known comment id", [&]() -> Result<std::optional<std::string>> {
        auto c = pool_.acquire();
        Statement s = c->prepare("SELECT comment_id FROM mr_comments WHERE provider = ?1 AND instance = ?2 "
                                 "AND repository_id = ?3 AND mr_number = ?4");
        s.bind(1, provider).bind(2, instance).bind(3, repository_id).bind(4, mr_number);
        if (!s.step()) return std::optional<std::string>();
        return std::optional<std::string>(s.text(0));
    });
}

}  // namespace forgelink::store
