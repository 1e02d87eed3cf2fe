// Background upkeep of a running host, one pass per period on its own thread: the token upkeep
// here, the feedback upkeep in delivery/.
//  - refreshes users' OAuth login tokens that expire within a margin, through the provider's
//    refreshToken, and stores the rotated pair atomically. A claim in the store
//    (Store::claimUserTokensToRefresh) makes sure that of several hosts on one database only one
//    spends a refresh token. A refresh token the forge refuses for good (revoked, expired, already
//    used) drops the user's stored tokens, logged once; any other failure is retried next pass.
//  - refreshes teams' OAuth credentials (kind oauth, saved with a refresh token) the same way,
//    with the host's OAuth app of that forge, before their access token expires (claimed like
//    login tokens: two hosts never spend one refresh token); the new pair is sealed and stored in
//    one transaction and used for every delivery from then on. A refresh token the forge refuses
//    for good marks the credential invalid with the reason and records a token_invalid notice.
//  - re-checks every stored forge token (teams' provider settings) through the provider's
//    validateToken, the checks a save makes, when its next check is due (tokens.check_every_hours
//    after the last, jittered; at once after the forge answered 401), up to
//    tokens.check_concurrency at a time. A claim in the store (Store::claimProviderChecks) keeps
//    two hosts from checking one token at once. What the forge says replaces the stored facts
//    (expiry, scopes, role, warnings); a refusal marks the settings invalid with the forge's
//    reason and pauses their feedback; a token accepted again resumes it. The forge not answering
//    is retried after check_retry.
//  - rotates teams' forge tokens whose rotation setting is enabled once they come within its
//    window (days_before_expiry), through the forge's own API (TokenRotator, token_rotation.hpp:
//    claim, durable intent, one request, new token and success in one transaction; a rotation
//    whose answer was lost leaves the provider invalid with a message, never silently broken).
//  - logs one warning a day per token that expires within 30 days (or has expired), once across
//    hosts (Store::claimExpiryReminders).
//  - tells the team's admins (service/notices.hpp): a notice when a re-check finds the token
//    refused (once per token), and when a token crosses 30, 7 and 1 days before its expiry (once
//    per token and threshold), recorded under a dedupe key so that hosts and restarts agree.
//  - runs the feedback side of the pass beside the dispatcher (delivery/feedback_upkeep.hpp): builds
//    whose result never came end as errored after feedback.build_timeout_seconds, once across
//    hosts, and finished outbox tasks past retention are purged.
//  - purges expired sessions and OAuth login states, and audit events older than
//    audit.retention_days.
//
// Threads: start() runs the passes on one thread of its own, so a slow forge never holds up the
// HTTP workers; stop() wakes it and returns once the pass in progress ends (a refresh under way
// finishes first, bounded by the transport's deadline). runOnce() runs a pass on the caller's
// thread (tests, or a host without the loop) and must not overlap a running loop.
// Lifetime: the store, registry, configuration, metrics and logger are borrowed and must outlive
// the Maintenance (stop it before closing the store; the destructor stops it too).
// Logs are JSON lines that name users by id and never carry a token.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "common/log.hpp"
#include "common/periodic_loop.hpp"
#include "common/warn_once.hpp"
#include "config/config.hpp"
#include "delivery/feedback_upkeep.hpp"
#include "net/metrics.hpp"
#include "plugin/registry.hpp"
#include "service/token_rotation.hpp"
#include "store/store.hpp"

namespace forgelink::service {

struct MaintenanceOptions {
    // Time between passes; the first pass runs right after start().
    std::chrono::milliseconds period{std::chrono::minutes(1)};
    // Refresh tokens expiring sooner than this. OAuth access tokens may live only 2 h; ten minutes ahead
    // leaves several passes to get past a forge that is briefly down before the token lapses.
    std::chrono::milliseconds refresh_margin{std::chrono::minutes(10)};
    // How long a claimed pair stays reserved for this host: well above one refresh call's
    // transport deadline (30 s by default), so a live refresh keeps its claim.
    std::chrono::milliseconds claim_lease{std::chrono::minutes(2)};
    // Pairs claimed per provider and pass.
    std::size_t refresh_batch = 50;
    // Timed-out builds ended per pass (the rest wait for the next pass).
    std::size_t timeout_batch = 200;
    // Done and failed outbox tasks are kept this long for GET /builds/{id}, then purged.
    std::chrono::milliseconds finished_task_retention{std::chrono::hours(24 * 7)};
    // How long a claimed token check stays reserved for this host (well above a check's deadline).
    std::chrono::milliseconds check_lease{std::chrono::minutes(5)};
    // When a check could not reach a verdict (the forge did not answer), the next try.
    std::chrono::milliseconds check_retry{std::chrono::minutes(15)};
    // Token checks claimed per pass; the rest wait for the next pass.
    std::size_t check_batch = 100;
    // Rotations claimed per pass, and how long each claim is reserved.
    std::size_t rotation_batch = 20;
    std::chrono::milliseconds rotation_lease{std::chrono::minutes(5)};
    // Tests: where a rotation is cut short (token_rotation.hpp).
    std::function<RotationFault(RotationPoint)> rotation_fault;
    // The claim owner: unique per running host. Empty = "maintenance:<hostname>:<pid>:<random>".
    std::string owner;
    // Store time; tests inject one. Default: the system clock.
    std::function<store::Timestamp()> clock;
};

struct MaintenanceDeps {
    store::Store& store;
    plugin::Registry& registry;
    const config::Config& config;  // providers.<name>.base_url and .oauth
    net::Metrics& metrics;
    common::JsonLogger& log;
};

// What one pass did.
struct MaintenancePass {
    std::int64_t tokens_refreshed = 0;
    std::int64_t tokens_dropped = 0;     // refused for good: the user logs in again
    std::int64_t refresh_failures = 0;   // kept, retried next pass
    std::int64_t refreshes_discarded = 0;  // the claim was lost meanwhile (a login replaced the pair)
    std::int64_t team_tokens_refreshed = 0;  // teams' OAuth credentials renewed
    std::int64_t team_tokens_invalid = 0;    // their refresh token refused for good: credential invalid
    std::int64_t team_refresh_failures = 0;  // kept and retried next pass, or lost to a newer token
    std::int64_t sessions_purged = 0;
    std::int64_t oauth_states_purged = 0;
    std::int64_t tasks_purged = 0;
    std::int64_t audit_events_purged = 0;  // older than audit.retention_days
    std::int64_t tokens_checked = 0;       // the forge accepted the token
    std::int64_t tokens_invalid = 0;       // the forge refused it
    std::int64_t tokens_revalidated = 0;   // of the accepted: invalid before, active again now
    std::int64_t check_failures = 0;       // no verdict (forge down, plugin missing): retried later
    std::int64_t checks_discarded = 0;     // a new token was saved meanwhile
    std::int64_t expiry_reminders = 0;     // "expires soon" lines logged
    std::int64_t builds_timed_out = 0;
    std::int64_t tokens_rotated = 0;
    std::int64_t rotations_failed = 0;     // refused, unavailable, no answer: the old token still works
    std::int64_t rotations_lost = 0;       // the forge rotated but the new token is lost: provider invalid
};

class Maintenance {
public:
    Maintenance(MaintenanceDeps deps, MaintenanceOptions options = {});
    ~Maintenance();
    Maintenance(const Maintenance&) = delete;
    Maintenance& operator=(const Maintenance&) = delete;

    void start();
    // Idempotent; safe to call without start().
    void stop();
    MaintenancePass runOnce();

    const std::string& owner() const noexcept { return options_.owner; }

private:
    void refreshTokens(MaintenancePass& pass);
    void refreshOne(const std::string& provider_name, Provider& provider, const config::ProviderConfig& config,
                    const store::UserTokens& tokens, MaintenancePass& pass);
    // Teams' OAuth credentials saved with a refresh token, renewed within refresh_margin of their
    // expiry with the host's OAuth app of that forge (providers.NAME.oauth), claimed so that of
    // several hosts one spends each refresh token; a refresh token refused for good marks the
    // credential invalid and tells the team's admins (token_invalid notice).
    void refreshTeamTokens(MaintenancePass& pass);
    void refreshTeamOne(Provider& provider, const config::OAuthConfig& oauth, const store::TeamTokenRefresh& token,
                        MaintenancePass& pass);
    void recheckTokens(MaintenancePass& pass);
    void checkOne(const store::ProviderCheck& check, MaintenancePass& pass, std::mutex& pass_mutex);
    void rotateTokens(MaintenancePass& pass);
    void remindExpiring(MaintenancePass& pass);
    // Records the token_expiring notice of the threshold (30 / 7 / 1 days) a token has crossed.
    void noticeExpiring(const store::ExpiryReminder& reminder, int days);
    // The forge as people write it ("My Forge"), or the provider's name.
    std::string displayName(const std::string& provider);
    void purge(MaintenancePass& pass);
    void timeOutBuilds(MaintenancePass& pass);
    bool stopping();

    store::Store& store_;
    plugin::Registry& registry_;
    const config::Config& config_;
    net::Metrics& metrics_;
    common::JsonLogger& log_;
    MaintenanceOptions options_;
    TokenRotator rotator_;

    // A failure logged once per key, not once a pass (a forge that stays down is reported once).
    common::WarnOnce warnings_{log_};
    delivery::FeedbackUpkeep feedback_{store_, metrics_, log_, warnings_,
                                       {options_.timeout_batch, options_.finished_task_retention}};
    // Last: stopped (its thread joined) before anything its passes use is destroyed.
    common::PeriodicLoop loop_{[this] { runOnce(); },
                               [this](const std::exception& e) {
                                   log_.log(LogLevel::error, "maintenance pass failed", {{"reason", e.what()}});
                               }};
};

}  // namespace forgelink::service
