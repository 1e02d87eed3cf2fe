#include "delivery/dispatcher.hpp"

#include <algorithm>
#include <thread>
#include <cstdio>

#include <forgelink/abi.h>

#include "common/lease_owner.hpp"
#include "delivery/comment_body.hpp"
#include "delivery/feedback_task.hpp"

namespace forgelink::delivery {

namespace {

constexpr const char* kDeliveries = "forgelink_deliveries_total";
constexpr const char* kRetries = "forgelink_delivery_retries_total";
constexpr const char* kRateLimitWaits = "forgelink_delivery_rate_limit_waits_total";
constexpr const char* kLatency = "forgelink_delivery_latency_seconds";
constexpr const char* kOutbox = "forgelink_outbox_tasks";
constexpr const char* kPaused = "forgelink_feedback_paused";

}  // namespace

Dispatcher::Dispatcher(store::Store& store, plugin::Registry& registry, net::Metrics& metrics,
                       common::JsonLogger& log, DispatcherOptions options)
    : store_(store), registry_(registry), metrics_(metrics), log_(log), options_(std::move(options)),
      rng_(std::random_device{}()) {
    if (options_.owner.empty()) options_.owner = common::leaseOwner();
    if (options_.workers == 0) options_.workers = 1;
    if (options_.lease <= std::chrono::milliseconds(0)) options_.lease = std::chrono::milliseconds(120000);
    if (options_.poll_interval <= std::chrono::milliseconds(0)) options_.poll_interval = std::chrono::milliseconds(500);
    if (!options_.clock) options_.clock = store::nowTimestamp;
    marker_ = commentMarker(options_.instance_id);

    metrics_.describe(kDeliveries, "counter", "Feedback deliveries by provider, kind and outcome.");
    metrics_.describe(kRetries, "counter", "Feedback deliveries rescheduled after a retryable failure.");
    metrics_.describe(kRateLimitWaits, "counter",
                      "Times a forge instance's rate limit held back every delivery to it (429 with Retry-After).");
    metrics_.describe(kLatency, "histogram", "Time from a feedback task's creation to its delivery.");
    metrics_.describe(kOutbox, "gauge", "Feedback tasks in the outbox by state.");
    metrics_.describe(kPaused, "gauge", "1 while a team's feedback through a provider is paused (token rejected or missing), 0 while "
                      "it is delivered.");
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
    {
        std::lock_guard lock(mutex_);
        if (running_) return;
        running_ = true;
        stopping_ = false;
        woken_ = true;  // look at the outbox at once: a restart resumes what was left
    }
    takeBackLeasesOfGoneProcesses();
    // After a restart nothing is claimed for a paused team, so nothing else would raise its gauge.
    reconcilePausedGauges();
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work(); });
        loop_thread_ = std::thread([this] { loop(); });
    }
    log_.log(LogLevel::info, "delivery dispatcher started",
             {{"owner", options_.owner}, {"workers", std::to_string(options_.workers)}});
}

void Dispatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!running_ || stopping_) return;
        stopping_ = true;
    }
    loop_cv_.notify_all();
    if (loop_thread_.joinable()) loop_thread_.join();
    std::deque<store::FeedbackTask> unstarted;
    {
        std::lock_guard lock(mutex_);
        unstarted.swap(queue_);
    }
    work_cv_.notify_all();
    // Claimed but never started: give them back now rather than let them wait out the lease.
    for (const auto& task : unstarted) {
        auto r = store_.retryTask(task.id, options_.owner, now(), "handed back: the host was stopping");
        if (!r) log_.log(LogLevel::warn, "could not hand a task back", {{"task", std::to_string(task.id)},
                                                                         {"reason", r.error().message}});
    }
    for (auto& t : workers_) t.join();
    workers_.clear();
    {
        std::lock_guard lock(mutex_);
        running_ = false;
        stopping_ = false;
    }
    log_.log(LogLevel::info, "delivery dispatcher stopped", {{"owner", options_.owner}});
}

void Dispatcher::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    loop_cv_.notify_all();
}

store::Timestamp Dispatcher::now() const { return options_.clock(); }

void Dispatcher::loop() {
    auto next_gauges = std::chrono::steady_clock::now();
    bool claim_failing = false;
    for (;;) {
        std::size_t free = 0;
        {
            std::unique_lock lock(mutex_);
            if (stopping_) return;
            woken_ = false;
            const std::size_t taken = queue_.size() + busy_;
            free = taken < options_.workers ? options_.workers - taken : 0;
        }
        std::size_t claimed = 0;
        if (free > 0) {
            auto tasks = store_.claimDueTasks(options_.owner, now(), options_.lease, free);
            if (!tasks) {
                // Logged when it starts failing, not on every poll.
                if (!claim_failing)
                    log_.log(LogLevel::warn, "cannot claim feedback tasks; will keep trying",
                             {{"reason", tasks.error().message}});
                claim_failing = true;
            } else {
                if (claim_failing) log_.log(LogLevel::info, "claiming feedback tasks works again");
                claim_failing = false;
                claimed = tasks->size();
                if (claimed > 0) {
                    std::lock_guard lock(mutex_);
                    for (auto& t : tasks.value()) queue_.push_back(std::move(t));
                }
            }
            if (claimed > 0) work_cv_.notify_all();
        }
        if (std::chrono::steady_clock::now() >= next_gauges) {
            refreshGauges();
            next_gauges = std::chrono::steady_clock::now() + options_.gauge_interval;
        }
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        // A full claim means more may be due: claim again as soon as a worker is free.
        if (claimed > 0 && claimed == free) {
            loop_cv_.wait_for(lock, options_.poll_interval, [this] {
                return stopping_ || queue_.size() + busy_ < options_.workers;
            });
        } else {
            loop_cv_.wait_for(lock, options_.poll_interval, [this] { return stopping_ || woken_; });
        }
    }
}

void Dispatcher::work() {
    for (;;) {
        store::FeedbackTask task;
        {
            std::unique_lock lock(mutex_);
            work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping
            task = std::move(queue_.front());
            queue_.pop_front();
            ++busy_;
        }
        try {
            handle(task);
        } catch (const std::exception& e) {
            // A bug; the lease brings the task back later.
            log_.log(LogLevel::error, "delivery failed unexpectedly", {{"task", std::to_string(task.id)},
                                                                       {"reason", e.what()}});
        }
        {
            std::lock_guard lock(mutex_);
            --busy_;
        }
        loop_cv_.notify_all();
    }
}

void Dispatcher::handle(const store::FeedbackTask& task) {
    const std::string& provider_name = task.key.provider;
    if (task.key.kind == store::FeedbackKind::status) {
        auto superseded = store_.isSuperseded(task);
        if (!superseded) {
            retry(task, now() + backoffFor(task, superseded.error()), superseded.error().message, "retried", true);
            return;
        }
        if (superseded.value()) {
            complete(task, {"", {{"superseded", true}}, {}}, "superseded");
            return;
        }
    }

    const InstanceKey instance{provider_name, task.key.instance};
    const store::Timestamp held_until = notBefore(instance);
    if (held_until > now()) {
        retry(task, held_until, "waiting for the rate limit of " + provider_name + " at " + task.key.instance,
              "deferred", false);
        return;
    }

    Provider* provider = registry_.provider(provider_name);
    if (provider == nullptr) {
        // A configuration problem fixed by a restart with the plugin: keep the task, retry slowly.
        Error e = makeError(ErrorKind::transient, "the provider plugin \"" + provider_name +
                                                      "\" is not loaded; add it to plugins.paths and restart",
                            "provider_not_loaded");
        log_.log(LogLevel::warn, "cannot deliver feedback", {{"task", std::to_string(task.id)}, {"reason", e.message}});
        retry(task, now() + backoffFor(task, e), e.message, "retried", true);
        return;
    }

    auto serving = servingCredentials(task);
    if (!serving) return;
    auto delivered = task.key.kind == store::FeedbackKind::status
                         ? deliverStatus(*provider, serving->credentials, task)
                         : deliverComment(*provider, serving->credentials, task);
    if (delivered) {
        complete(task, delivered.value(), "delivered");
    } else {
        onError(task, *serving, delivered.error());
    }
}

std::optional<store::NamedCredentials> Dispatcher::servingCredentials(const store::FeedbackTask& task) {
    const std::string& provider_name = task.key.provider;
    // The credential the team's link to the repository names (issue 17: each repository is served
    // by its most specific credential); a repository no longer linked falls back to 'default'.
    auto serving = store_.servingCredentials(task.team_id, provider_name, task.key.instance, task.key.repository_id);
    if (!serving && serving.error().code == "not_linked") {
        auto fallback = store_.providerCredentials(task.team_id, provider_name);
        serving = fallback ? Result<store::NamedCredentials>(
                                 store::NamedCredentials{std::string(store::kDefaultCredential), std::move(fallback).value()})
                           : Result<store::NamedCredentials>(fallback.error());
    }
    if (serving) return std::move(serving).value();
    if (serving.error().kind != ErrorKind::not_found) {
        retry(task, now() + backoffFor(task, serving.error()), serving.error().message, "retried", true);
        return std::nullopt;
    }
    auto others = store::hasOtherActiveCredential(store_, task.team_id, provider_name, "");
    if (others && others.value() && serving.error().code == "credential_removed") {
        // Only this repository lost its credential: keep trying (a credential saved again under
        // that name, or the repository connected again, resumes it), and leave the others be.
        retry(task, now() + backoffFor(task, serving.error()),
              serving.error().message + "; save a credential under that name or connect the repository again",
              "retried", true);
        return std::nullopt;
    }
    pauseForMissingToken(task, "no " + provider_name + " token is saved for team " + std::to_string(task.team_id) +
                                   "; save one to resume feedback");
    return std::nullopt;
}

Result<store::TaskCompletion> Dispatcher::deliverStatus(Provider& provider, const Credentials& credentials,
                                                        const store::FeedbackTask& task) {
    auto payload = parseStatusPayload(task.payload);
    if (!payload) return payload.error();
    StatusRequest request;
    request.repository = payload->repository;
    request.sha = payload->sha;
    request.ref = payload->ref;
    request.state = payload->state;
    request.context = payload->context.empty() ? task.key.context : payload->context;
    request.target_url = payload->target_url;
    request.description = payload->description;
    // Asked before posting: a forge that cannot answer now retries the whole task, nothing posted.
    std::string head;
    if (payload->find_head && !payload->merge_request.empty()) {
        auto found = mergeRequestHead(provider, credentials, task, payload->repository, payload->merge_request);
        if (!found) return found.error();
        head = found.value();
    }
    auto result = provider.publishStatus(credentials, request);
    if (!result) return result.error();
    store::TaskCompletion completion;
    completion.result = {{"state", std::string(toString(payload->state))},
                         {"forge_state", result->forge_state},
                         {"status_id", result->status_id},
                         {"already_current", result->already_current}};
    if (!head.empty() && head != payload->sha) {
        // The same status on the commit the merge request shows, as its own task of that commit.
        StatusPayload on_head = payload.value();
        on_head.sha = head;
        on_head.find_head = false;
        store::NewFeedbackTask follow_up;
        follow_up.team_id = task.team_id;
        follow_up.key = task.key;
        follow_up.key.commit_sha = head;
        follow_up.payload = toJson(on_head);
        follow_up.payload["build_commit"] = payload->sha;
        completion.follow_ups.push_back(std::move(follow_up));
        completion.result["merge_request_head"] = head;
    }
    return completion;
}

Result<std::string> Dispatcher::mergeRequestHead(Provider& provider, const Credentials& credentials,
                                                 const store::FeedbackTask& task, const std::string& repository,
                                                 const std::string& merge_request) {
    const auto* info = registry_.info(task.key.provider);
    if (info == nullptr || (info->capabilities & FORGELINK_CAP_MERGE_REQUEST_HEAD) == 0) return std::string();
    auto build = store_.build(task.build_id);
    if (!build) {
        if (build.error().kind == ErrorKind::not_found) return std::string();  // deleted meanwhile
        return makeError(ErrorKind::transient, build.error().message, "store");
    }
    if (!build->mr_head_sha.empty()) return build->mr_head_sha;
    auto mr = provider.getMergeRequest(credentials, repository, merge_request);
    if (!mr) {
        const Error& e = mr.error();
        if (e.kind == ErrorKind::transient || e.kind == ErrorKind::rate_limited || e.kind == ErrorKind::conflict ||
            e.kind == ErrorKind::unauthorized)
            return e;
        log_.log(LogLevel::warn, "cannot read the merge request's head: the status goes on the build's commit only",
                 {{"task", std::to_string(task.id)},
                  {"provider", task.key.provider},
                  {"merge_request", merge_request},
                  {"reason", e.message}});
        return std::string();
    }
    if (mr->head_sha.empty()) return std::string();
    auto stored = store_.recordMergeRequestHead(task.build_id, mr->head_sha);
    if (!stored) {
        if (stored.error().kind == ErrorKind::not_found) return std::string();
        return makeError(ErrorKind::transient, stored.error().message, "store");
    }
    return stored.value();
}

Result<store::TaskCompletion> Dispatcher::deliverComment(Provider& provider, const Credentials& credentials,
                                                         const store::FeedbackTask& task) {
    auto payload = parseCommentPayload(task.payload);
    if (!payload) return payload.error();
    std::vector<std::string> numbers;
    if (!payload->merge_request.empty()) {
        numbers.push_back(payload->merge_request);
    } else {
        // The build named no merge request: comment on the open ones that contain the commit,
        // as the forge knows them now.
        auto mrs = provider.findMergeRequests(credentials, payload->repository, payload->sha);
        if (!mrs) return mrs.error();
        for (const auto& mr : mrs.value()) numbers.push_back(mr.number);
    }

    store::TaskCompletion completion;
    nlohmann::json comments = nlohmann::json::array();
    for (const auto& number : numbers) {
        CommentScope scope{task.team_id, task.key.provider, task.key.instance, task.key.repository_id,
                           payload->merge_request.empty() ? std::string() : number, payload->sha};
        auto rows = collectCommentRows(store_, scope);
        if (!rows) return rows.error();
        if (rows->empty()) continue;  // no build of this team reports to it (anymore)
        auto known = store_.knownCommentId(task.key.provider, task.key.instance, task.key.repository_id, number);
        if (!known) return known.error();
        CommentRequest request;
        request.repository = payload->repository;
        request.merge_request = number;
        request.marker = marker_;
        request.body = renderCommentBody(rows.value());
        request.known_comment_id = known->value_or("");
        auto upserted = provider.upsertComment(credentials, request);
        if (!upserted) return upserted.error();
        comments.push_back({{"merge_request", number},
                            {"comment_id", upserted->comment_id},
                            {"action", std::string(toString(upserted->action))}});
        if (number == task.key.mr_number) completion.comment_id = upserted->comment_id;
    }
    completion.result = {{"comments", comments}};
    return completion;
}

void Dispatcher::onError(const store::FeedbackTask& task, const store::NamedCredentials& used, const Error& error) {
    switch (error.kind) {
        case ErrorKind::rate_limited: {
            if (error.retry_after) {
                const store::Timestamp until = now() + std::chrono::milliseconds(*error.retry_after);
                holdInstance({task.key.provider, task.key.instance}, until);
                metrics_.increment(kRateLimitWaits, {{"provider", task.key.provider}, {"instance", task.key.instance}});
                log_.log(LogLevel::info, "forge rate limit: holding deliveries to this instance",
                         {{"provider", task.key.provider},
                          {"instance", task.key.instance},
                          {"seconds", std::to_string(error.retry_after->count())}});
            }
            retry(task, now() + backoffFor(task, error), error.message, "retried", true);
            return;
        }
        case ErrorKind::transient:
        case ErrorKind::conflict:
            retry(task, now() + backoffFor(task, error), error.message, "retried", true);
            return;
        case ErrorKind::unauthorized:
            pauseForRejectedToken(task, used, error);
            return;
        default:
            fail(task, error.message);
            return;
    }
}

void Dispatcher::pauseForRejectedToken(const store::FeedbackTask& task, const store::NamedCredentials& used,
                                       const Error& error) {
    const std::string& provider = task.key.provider;
    std::lock_guard lock(pause_mutex_);
    // A new token saved while this call was on its way: the rejection is about the old one.
    auto current = store_.providerCredentials(task.team_id, provider, used.name);
    if (current && current->token != used.credentials.token) {
        retry(task, now(), error.message + " (the token has been replaced since; retrying)", "retried", true);
        return;
    }
    // One reason per kind of rejection, not per call: the store clears "notified" when the reason
    // changes, and people must hear about one revoked token once.
    const std::string whose = used.name == store::kDefaultCredential ? std::string("the team's token")
                                                                     : "the team's token '" + used.name + "'";
    const std::string reason = provider + " no longer accepts " + whose + " (" +
                               (error.code.empty() ? std::string("unauthorized") : error.code) +
                               "); save a new token to resume feedback";
    auto marked = store_.markProviderInvalid(task.team_id, provider, reason, used.name);
    if (!marked && marked.error().kind != ErrorKind::not_found) {
        retry(task, now() + backoffFor(task, marked.error()), marked.error().message, "retried", true);
        return;
    }
    // The team's other credentials still serve their repositories: only when none is left working
    // is the team's feedback to this forge paused; otherwise this repository's tasks keep retrying
    // until the refused credential is saved again (or re-checked valid).
    auto others = store::hasOtherActiveCredential(store_, task.team_id, provider, used.name);
    const bool pause_team = !others || !others.value();
    if (pause_team) {
        auto paused = store_.pauseTasksForTeam(task.team_id, provider, reason);
        if (!paused) {
            retry(task, now() + backoffFor(task, paused.error()), paused.error().message, "retried", true);
            return;
        }
    }
    auto settings = store_.providerSettings(task.team_id, provider, used.name);
    if (settings && !settings->invalid_notified_at) {
        log_.log(LogLevel::error,
                 pause_team ? "feedback paused: the forge rejected the team's token"
                            : "feedback held: the forge rejected one of the team's tokens",
                 {{"team", std::to_string(task.team_id)},
                  {"provider", provider},
                  {"credential", used.name},
                  {"instance", task.key.instance},
                  {"reason", reason},
                  {"detail", error.message}});
        auto notified = store_.markProviderInvalidNotified(task.team_id, provider, now(), used.name);
        if (!notified)
            log_.log(LogLevel::warn, "could not record that the team was told",
                     {{"team", std::to_string(task.team_id)}, {"reason", notified.error().message}});
    }
    if (!pause_team) {
        retry(task, now() + backoffFor(task, error), reason, "retried", true);
        return;
    }
    setPausedGauge(task.team_id, provider);
    // The team is paused now, so the store parks this task with the others (RetryOutcome::paused).
    retry(task, now(), error.message, "paused", false);
}

void Dispatcher::pauseForMissingToken(const store::FeedbackTask& task, const std::string& why) {
    std::lock_guard lock(pause_mutex_);
    auto before = store_.feedbackPause(task.team_id, task.key.provider);
    auto paused = store_.pauseTasksForTeam(task.team_id, task.key.provider, why);
    if (!paused) {
        retry(task, now() + backoffFor(task, paused.error()), paused.error().message, "retried", true);
        return;
    }
    if (before && !before->has_value()) {
        log_.log(LogLevel::error, "feedback paused: no token", {{"team", std::to_string(task.team_id)},
                                                                {"provider", task.key.provider},
                                                                {"reason", why}});
    }
    setPausedGauge(task.team_id, task.key.provider);
    retry(task, now(), why, "paused", false);
}

namespace {

// Records a delivery's outcome, again while the store is briefly unavailable (PostgreSQL
// restarting or failing over, SQLite's write lock held long): the forge has been written to
// already, and an outcome left unrecorded lets the lease expire and the task be delivered again.
// About 12 s in all (waits of 0.1 s doubling), then the error goes to the caller. Recording twice
// is safe: once the first has committed, the second finds the task no longer leased and says so.
template <class F>
auto recordedThroughOutages(F&& write) -> decltype(write()) {
    auto result = write();
    for (std::chrono::milliseconds wait{100};
         !result && result.error().kind == ErrorKind::transient && wait <= std::chrono::milliseconds(6400); wait *= 2) {
        std::this_thread::sleep_for(wait);
        result = write();
    }
    return result;
}

}  // namespace

void Dispatcher::complete(const store::FeedbackTask& task, const store::TaskCompletion& completion,
                          const char* outcome) {
    auto done = recordedThroughOutages([&] { return store_.completeTask(task.id, options_.owner, completion); });
    if (!done) {
        // Most likely the lease expired and another owner took the task: it delivers it.
        log_.log(LogLevel::warn, "could not record a delivery", {{"task", std::to_string(task.id)},
                                                                 {"reason", done.error().message}});
        count(task, "lease_lost");
        return;
    }
    count(task, outcome);
    const auto latency = std::chrono::duration<double>(now() - task.created_at).count();
    metrics_.observe(kLatency, {{"provider", task.key.provider}}, std::max(latency, 0.0));
    log_.log(LogLevel::debug, "feedback delivered",
             {{"task", std::to_string(task.id)}, {"kind", std::string(store::toString(task.key.kind))},
              {"outcome", outcome}});
}

void Dispatcher::retry(const store::FeedbackTask& task, store::Timestamp when, const std::string& why,
                       const char* outcome, bool count_retry) {
    auto r = recordedThroughOutages([&] { return store_.retryTask(task.id, options_.owner, when, why); });
    if (!r) {
        log_.log(LogLevel::warn, "could not reschedule a delivery", {{"task", std::to_string(task.id)},
                                                                     {"reason", r.error().message}});
        count(task, "lease_lost");
        return;
    }
    if (r.value() == store::RetryOutcome::superseded) {
        count(task, "superseded");
        return;
    }
    if (count_retry) metrics_.increment(kRetries, {{"provider", task.key.provider}});
    count(task, r.value() == store::RetryOutcome::paused ? "paused" : outcome);
    log_.log(LogLevel::debug, "feedback rescheduled", {{"task", std::to_string(task.id)}, {"reason", why}});
}

void Dispatcher::fail(const store::FeedbackTask& task, const std::string& why) {
    auto r = recordedThroughOutages([&] { return store_.failTask(task.id, options_.owner, why); });
    if (!r) {
        log_.log(LogLevel::warn, "could not record a failed delivery", {{"task", std::to_string(task.id)},
                                                                        {"reason", r.error().message}});
        count(task, "lease_lost");
        return;
    }
    count(task, "failed");
    log_.log(LogLevel::warn, "feedback delivery failed for good",
             {{"task", std::to_string(task.id)}, {"provider", task.key.provider}, {"reason", why}});
}

void Dispatcher::count(const store::FeedbackTask& task, const std::string& outcome) {
    metrics_.increment(kDeliveries, {{"provider", task.key.provider},
                                     {"kind", std::string(store::toString(task.key.kind))},
                                     {"outcome", outcome}});
}

std::chrono::milliseconds Dispatcher::backoffFor(const store::FeedbackTask& task, const Error& error) {
    double unit = 0;
    {
        std::lock_guard lock(rng_mutex_);
        unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    }
    return retryDelay(options_.backoff, std::max<std::int64_t>(task.attempts, 1), error.retry_after, unit);
}

store::Timestamp Dispatcher::notBefore(const InstanceKey& key) {
    std::lock_guard lock(hold_mutex_);
    auto it = not_before_.find(key);
    return it == not_before_.end() ? store::Timestamp{} : it->second;
}

void Dispatcher::holdInstance(const InstanceKey& key, store::Timestamp until) {
    std::lock_guard lock(hold_mutex_);
    auto& held = not_before_[key];
    held = std::max(held, until);
}

void Dispatcher::refreshGauges() {
    if (auto counts = store_.countTasks()) {
        metrics_.set(kOutbox, {{"state", "pending"}}, static_cast<double>(counts->pending));
        metrics_.set(kOutbox, {{"state", "in_flight"}}, static_cast<double>(counts->in_flight));
        metrics_.set(kOutbox, {{"state", "done"}}, static_cast<double>(counts->done));
        metrics_.set(kOutbox, {{"state", "failed"}}, static_cast<double>(counts->failed));
        metrics_.set(kOutbox, {{"state", "paused"}}, static_cast<double>(counts->paused));
        metrics_.set(kOutbox, {{"state", "superseded"}}, static_cast<double>(counts->superseded));
    }
    reconcilePausedGauges();
}

void Dispatcher::takeBackLeasesOfGoneProcesses() {
    auto owners = store_.leaseOwners();
    if (!owners) {
        log_.log(LogLevel::warn, "could not list delivery leases; a crashed process's tasks wait out their leases",
                 {{"reason", owners.error().message}});
        return;
    }
    for (const auto& owner : owners.value()) {
        if (!common::leaseOwnerIsGone(owner, options_.owner)) continue;
        auto taken = store_.expireLeases(owner, now());
        if (!taken) {
            log_.log(LogLevel::warn, "could not take back the leases of a process that is gone",
                     {{"previous_owner", owner}, {"reason", taken.error().message}});
            continue;
        }
        log_.log(LogLevel::info, "resuming deliveries a process that is gone left in flight",
                 {{"previous_owner", owner}, {"tasks", std::to_string(taken.value())}});
    }
}

void Dispatcher::reconcilePausedGauges() {
    // Rebuilt from the store, not from what this process saw: another host sharing the store may
    // have paused, resumed or deleted the team, and a deleted team's series must leave /metrics.
    // The pause lock is held throughout so that a worker pausing a team meanwhile raises its gauge
    // after this rebuild, not before a rebuild that read the store too early.
    std::lock_guard lock(pause_mutex_);
    std::map<net::Labels, double> values;
    auto teams = store_.listTeams();
    if (!teams) return;  // keep the last known values rather than blank the family
    const auto loaded = registry_.plugins();
    for (const auto& team : teams.value()) {
        auto settings = store_.listProviderSettings(team.id);
        if (!settings) return;
        // Connected providers, plus loaded ones: a team can be paused for a provider it has no
        // token for (its tasks wait, parked, for one to be saved).
        std::set<std::string> providers;
        for (const auto& s : settings.value()) providers.insert(s.provider);
        for (const auto& info : loaded) providers.insert(info.name);
        for (const auto& provider : providers) {
            auto pause = store_.feedbackPause(team.id, provider);
            if (!pause) return;
            const bool connected = std::any_of(settings->begin(), settings->end(),
                                               [&](const auto& s) { return s.provider == provider; });
            if (pause->has_value() || connected)
                values[{{"team", team.slug}, {"provider", provider}}] = pause->has_value() ? 1.0 : 0.0;
        }
    }
    metrics_.replaceSeries(kPaused, std::move(values));
}

// Call with pause_mutex_ held.
void Dispatcher::setPausedGauge(std::int64_t team_id, const std::string& provider) {
    auto team = store_.team(team_id);
    if (!team) return;  // deleted meanwhile: no series to raise
    metrics_.set(kPaused, {{"team", team->slug}, {"provider", provider}}, 1.0);
}

}  // namespace forgelink::delivery
