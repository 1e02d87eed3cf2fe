#include "service/maintenance.hpp"

#include <unistd.h>

#include <forgelink/abi.h>

#include <atomic>
#include <vector>

#include "common/lease_owner.hpp"
#include "secrets/digest.hpp"
#include "service/notices.hpp"
#include "service/token_health.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

constexpr const char* kRefreshes = "forgelink_login_token_refreshes_total";
constexpr const char* kTeamRefreshes = "forgelink_team_token_refreshes_total";
constexpr const char* kPurged = "forgelink_maintenance_purged_total";
constexpr const char* kChecks = "forgelink_provider_token_checks_total";

// The forge looked at the token and said no: the same refusals a save turns into a 4xx.
bool refusesToken(const Error& error) {
    return error.kind == ErrorKind::unauthorized || error.kind == ErrorKind::forbidden ||
           error.kind == ErrorKind::missing_scope;
}

// Refusals that mean this refresh token will never work again (RFC 6749 invalid_grant: revoked,
// expired, already used), as the provider maps them into ErrorCause. A refused client (wrong id or
// secret) is the operator's to fix and says nothing about the user's tokens, so those are kept.
bool refusedForGood(const Error& error) {
    return error.kind == ErrorKind::unauthorized &&
           (error.cause == ErrorCause::refresh_token_spent || error.cause == ErrorCause::credential_revoked ||
            error.cause == ErrorCause::credential_expired);
}

std::string userKey(const std::string& provider, std::int64_t user_id) {
    return provider + ":" + std::to_string(user_id);
}

}  // namespace

Maintenance::Maintenance(MaintenanceDeps deps, MaintenanceOptions options)
    : store_(deps.store),
      registry_(deps.registry),
      config_(deps.config),
      metrics_(deps.metrics),
      log_(deps.log),
      options_(std::move(options)),
      rotator_(store_, registry_, metrics_, log_, [this] {
          if (options_.owner.empty()) options_.owner = common::leaseOwner("maintenance");
          if (!options_.clock) options_.clock = store::nowTimestamp;
          RotatorOptions rotator;
          rotator.owner = options_.owner;
          rotator.clock = options_.clock;
          rotator.lease = options_.rotation_lease;
          rotator.fault = options_.rotation_fault;
          return rotator;
      }()) {
    if (options_.period <= std::chrono::milliseconds(0)) options_.period = std::chrono::minutes(1);
    if (options_.claim_lease <= std::chrono::milliseconds(0)) options_.claim_lease = std::chrono::minutes(2);
    if (options_.refresh_batch == 0) options_.refresh_batch = 1;
    metrics_.describe(kRefreshes, "counter",
                      "Background refreshes of users' OAuth login tokens, by provider and outcome "
                      "(refreshed, dropped, failed, discarded).");
    metrics_.describe(kTeamRefreshes, "counter",
                      "Background refreshes of teams' OAuth credentials (kind oauth), by provider and outcome "
                      "(refreshed, refused, failed, discarded).");
    metrics_.describe(kPurged, "counter", "Rows removed by the maintenance loop, by kind.");
    metrics_.describe(kChecks, "counter",
                      "Re-checks of teams' stored forge tokens, by provider and outcome (valid, invalid, failed, "
                      "discarded).");
}

Maintenance::~Maintenance() { stop(); }

void Maintenance::start() {
    if (!loop_.start(options_.period)) return;
    log_.log(LogLevel::info, "maintenance started",
             {{"owner", options_.owner},
              {"period_ms", std::to_string(options_.period.count())},
              {"refresh_margin_ms", std::to_string(options_.refresh_margin.count())}});
}

void Maintenance::stop() {
    if (loop_.stop()) log_.log(LogLevel::info, "maintenance stopped", {{"owner", options_.owner}});
}

bool Maintenance::stopping() { return loop_.stopping(); }

MaintenancePass Maintenance::runOnce() {
    MaintenancePass pass;
    refreshTokens(pass);
    if (!stopping()) refreshTeamTokens(pass);
    if (!stopping()) recheckTokens(pass);
    if (!stopping()) rotateTokens(pass);
    if (!stopping()) remindExpiring(pass);
    if (!stopping()) timeOutBuilds(pass);
    if (!stopping()) purge(pass);
    if (pass.tokens_refreshed + pass.tokens_dropped + pass.team_tokens_refreshed + pass.sessions_purged + pass.oauth_states_purged +
            pass.tasks_purged + pass.audit_events_purged + pass.tokens_checked + pass.tokens_invalid + pass.builds_timed_out +
            pass.tokens_rotated + pass.rotations_failed + pass.rotations_lost >
        0) {
        log_.log(LogLevel::debug, "maintenance pass",
                 {{"tokens_refreshed", std::to_string(pass.tokens_refreshed)},
                  {"tokens_dropped", std::to_string(pass.tokens_dropped)},
                  {"refresh_failures", std::to_string(pass.refresh_failures)},
                  {"sessions_purged", std::to_string(pass.sessions_purged)},
                  {"oauth_states_purged", std::to_string(pass.oauth_states_purged)},
                  {"tasks_purged", std::to_string(pass.tasks_purged)},
                  {"audit_events_purged", std::to_string(pass.audit_events_purged)},
                  {"tokens_checked", std::to_string(pass.tokens_checked)},
                  {"tokens_invalid", std::to_string(pass.tokens_invalid)},
                  {"builds_timed_out", std::to_string(pass.builds_timed_out)},
                  {"tokens_rotated", std::to_string(pass.tokens_rotated)},
                  {"rotations_failed", std::to_string(pass.rotations_failed)},
                  {"rotations_lost", std::to_string(pass.rotations_lost)}});
    }
    return pass;
}

void Maintenance::refreshTokens(MaintenancePass& pass) {
    for (const auto& [name, provider_config] : config_.providers) {
        // Only providers people can log in through hold login tokens worth refreshing.
        if (!provider_config.oauth || provider_config.base_url.empty()) continue;
        Provider* provider = registry_.provider(name);
        const auto* info = registry_.info(name);
        if (provider == nullptr || info == nullptr || (info->capabilities & FORGELINK_CAP_OAUTH_LOGIN) == 0) continue;

        const auto now = options_.clock();
        const auto margin = std::chrono::duration_cast<std::chrono::milliseconds>(options_.refresh_margin);
        auto claimed = store_.claimUserTokensToRefresh(name, options_.owner, now + margin, now, options_.claim_lease,
                                                       options_.refresh_batch);
        if (!claimed) {
            warnings_.warn("claim:" + name, "maintenance: cannot claim login tokens to refresh", claimed.error().message,
                           {{"provider", name}, {"reason", claimed.error().message}});
            continue;
        }
        warnings_.forget("claim:" + name);
        for (const auto& tokens : claimed.value()) {
            if (stopping()) {
                // Hand the rest back at once rather than leaving them reserved until the lease ends.
                (void)store_.releaseUserTokenRefresh(tokens.user_id, name, options_.owner);
                continue;
            }
            refreshOne(name, *provider, provider_config, tokens, pass);
        }
    }
}

void Maintenance::refreshOne(const std::string& provider_name, Provider& provider,
                             const config::ProviderConfig& config, const store::UserTokens& tokens,
                             MaintenancePass& pass) {
    const std::string key = userKey(provider_name, tokens.user_id);
    const std::string user = std::to_string(tokens.user_id);
    const OAuthClient client{config.oauth->client_id, config.oauth->client_secret, config.oauth->redirect_uri};
    auto refreshed = provider.refreshToken(config.base_url, client, tokens.refresh_token);

    if (!refreshed) {
        const Error& error = refreshed.error();
        if (refusedForGood(error)) {
            auto dropped = store_.dropClaimedUserTokens(tokens.user_id, provider_name, options_.owner);
            if (dropped) {
                ++pass.tokens_dropped;
                metrics_.increment(kRefreshes, {{"provider", provider_name}, {"outcome", "dropped"}});
                warnings_.forget(key);
                log_.log(LogLevel::warn, "login tokens dropped: the forge refused their refresh token; the user must log in again",
                         {{"provider", provider_name}, {"user_id", user}, {"code", error.code}});
            } else if (dropped.error().kind == ErrorKind::conflict) {
                // A login saved a new pair meanwhile: that one is good, keep it.
                ++pass.refreshes_discarded;
                metrics_.increment(kRefreshes, {{"provider", provider_name}, {"outcome", "discarded"}});
            } else {
                // The claim lapses and the next pass hears the same refusal and drops them then.
                ++pass.refresh_failures;
                warnings_.warn(key, "maintenance: cannot drop refused login tokens", dropped.error().message,
                               {{"provider", provider_name}, {"user_id", user}, {"reason", dropped.error().message}});
            }
            return;
        }
        ++pass.refresh_failures;
        metrics_.increment(kRefreshes, {{"provider", provider_name}, {"outcome", "failed"}});
        (void)store_.releaseUserTokenRefresh(tokens.user_id, provider_name, options_.owner);
        warnings_.warn(key, "login token refresh failed", error.message,
                       {{"provider", provider_name},
                        {"user_id", user},
                        {"kind", std::string(toString(error.kind))},
                        {"reason", error.message},
                        {"next", "retried at the next pass"}});
        return;
    }

    store::UserTokens next;
    next.user_id = tokens.user_id;
    next.provider = provider_name;
    next.access_token = refreshed->access_token;
    // A forge that does not rotate refresh tokens answers without one: the old one stays valid.
    next.refresh_token = refreshed->refresh_token.empty() ? tokens.refresh_token : refreshed->refresh_token;
    if (refreshed->expires_at) next.expires_at = store::fromUnixMillis(*refreshed->expires_at * 1000);
    auto saved = store_.completeUserTokenRefresh(next, options_.owner);
    if (!saved) {
        // The old pair is spent on the forge; what is stored now came from a newer login (or
        // from a host that took over an expired claim), so it wins.
        ++pass.refreshes_discarded;
        metrics_.increment(kRefreshes, {{"provider", provider_name}, {"outcome", "discarded"}});
        log_.log(LogLevel::warn, "refreshed login tokens not stored",
                 {{"provider", provider_name}, {"user_id", user}, {"reason", saved.error().message}});
        return;
    }
    ++pass.tokens_refreshed;
    metrics_.increment(kRefreshes, {{"provider", provider_name}, {"outcome", "refreshed"}});
    warnings_.forget(key);
    log_.log(LogLevel::info, "login tokens refreshed", {{"provider", provider_name}, {"user_id", user}});
}

void Maintenance::refreshTeamTokens(MaintenancePass& pass) {
    for (const auto& [name, provider_config] : config_.providers) {
        // A team's OAuth token is renewed with the host's OAuth app of that forge, as login tokens
        // are: a refresh token is only accepted from the application it was issued to.
        if (!provider_config.oauth) continue;
        Provider* provider = registry_.provider(name);
        const auto* info = registry_.info(name);
        if (provider == nullptr || info == nullptr || (info->capabilities & FORGELINK_CAP_OAUTH_LOGIN) == 0) continue;
        const auto now = options_.clock();
        const auto margin = std::chrono::duration_cast<std::chrono::milliseconds>(options_.refresh_margin);
        auto claimed = store_.claimTeamTokensToRefresh(name, options_.owner, now + margin, now, options_.claim_lease,
                                                       options_.refresh_batch);
        if (!claimed) {
            warnings_.warn("team-claim:" + name, "maintenance: cannot claim team OAuth tokens to refresh",
                           claimed.error().message, {{"provider", name}, {"reason", claimed.error().message}});
            continue;
        }
        warnings_.forget("team-claim:" + name);
        for (const auto& team_token : claimed.value()) {
            if (stopping()) {
                (void)store_.releaseTeamTokenRefresh(team_token.team_id, name, team_token.name, options_.owner);
                continue;
            }
            refreshTeamOne(*provider, *provider_config.oauth, team_token, pass);
        }
    }
}

void Maintenance::refreshTeamOne(Provider& provider, const config::OAuthConfig& oauth,
                                 const store::TeamTokenRefresh& token, MaintenancePass& pass) {
    const std::string key = "team-refresh:" + std::to_string(token.team_id) + ":" + token.provider + ":" + token.name;
    const std::map<std::string, std::string> who{
        {"team", token.team_slug}, {"provider", token.provider}, {"credential", token.name}};
    auto fields = [&](std::map<std::string, std::string> more) {
        more.insert(who.begin(), who.end());
        return more;
    };
    const OAuthClient client{oauth.client_id, oauth.client_secret, oauth.redirect_uri};
    auto refreshed = provider.refreshToken(token.base_url, client, token.refresh_token);
    if (!refreshed) {
        const Error& error = refreshed.error();
        if (refusedForGood(error)) {
            // Spent (by whoever spent it: the forge rotates the pair on every refresh), revoked or
            // expired: nothing renews this credential any more, and the forge retired its access
            // token with the refresh token. The credential is invalid until a new token is saved.
            auto dropped = store_.dropClaimedTeamRefreshToken(token.team_id, token.provider, token.name, options_.owner);
            if (!dropped) {
                // A new token was saved meanwhile (it wins), or the store failed: the claim lapses
                // and the next pass hears the same refusal.
                ++pass.team_refresh_failures;
                metrics_.increment(kTeamRefreshes, {{"provider", token.provider}, {"outcome", "discarded"}});
                return;
            }
            ++pass.team_tokens_invalid;
            metrics_.increment(kTeamRefreshes, {{"provider", token.provider}, {"outcome", "refused"}});
            warnings_.forget(key);
            const std::string forge = displayName(token.provider);
            const std::string reason = forge + " refused the refresh token of the OAuth credential (" + error.message +
                                       "): it was revoked, expired or already used; authorize again and save the "
                                       "new token (with its refresh token)";
            auto marked = store_.markProviderInvalid(token.team_id, token.provider, reason, token.name);
            if (!marked)
                log_.log(LogLevel::warn, "could not mark a credential invalid after its refresh token was refused",
                         fields({{"reason", marked.error().message}}));
            log_.log(LogLevel::error, "team OAuth token not renewed: the forge refused its refresh token",
                     fields({{"code", error.code}, {"reason", error.message}}));
            // The same event as the re-check's refusal of this access token (same dedupe key):
            // the admins hear of it once.
            recordNotice(store_, log_, token.team_id, token.provider, token.name, store::NoticeKind::token_invalid,
                         "token_invalid:" + token.provider + ":" + token.name + ":" + tokenFingerprint(token.access_token),
                         "Forgelink: team " + token.team_slug + "'s " + forge + " credential '" + token.name + "' at " +
                             token.base_url + " can no longer be renewed: " + reason + ".",
                         {{"team", token.team_slug},
                          {"credential", token.name},
                          {"reason", reason},
                          {"base_url", token.base_url}});
            return;
        }
        ++pass.team_refresh_failures;
        metrics_.increment(kTeamRefreshes, {{"provider", token.provider}, {"outcome", "failed"}});
        (void)store_.releaseTeamTokenRefresh(token.team_id, token.provider, token.name, options_.owner);
        warnings_.warn(key, "team OAuth token refresh failed", error.message,
                       fields({{"reason", error.message}, {"next", "retried at the next pass"}}));
        return;
    }
    store::TeamTokenRefresh next = token;
    next.access_token = refreshed->access_token;
    // A forge that does not rotate refresh tokens answers without one: the old one stays valid.
    next.refresh_token = refreshed->refresh_token.empty() ? token.refresh_token : refreshed->refresh_token;
    next.expires_at.reset();
    if (refreshed->expires_at) next.expires_at = store::fromUnixMillis(*refreshed->expires_at * 1000);
    auto saved = store_.completeTeamTokenRefresh(next, options_.owner);
    if (!saved) {
        // The old pair is spent on the forge; a token saved meanwhile wins.
        ++pass.team_refresh_failures;
        metrics_.increment(kTeamRefreshes, {{"provider", token.provider}, {"outcome", "discarded"}});
        log_.log(LogLevel::warn, "refreshed team OAuth token not stored", fields({{"reason", saved.error().message}}));
        return;
    }
    ++pass.team_tokens_refreshed;
    metrics_.increment(kTeamRefreshes, {{"provider", token.provider}, {"outcome", "refreshed"}});
    warnings_.forget(key);
    log_.log(LogLevel::info, "team OAuth token refreshed", who);
}

void Maintenance::recheckTokens(MaintenancePass& pass) {
    auto claimed = store_.claimProviderChecks(options_.owner, options_.clock(), options_.check_lease, options_.check_batch);
    if (!claimed) {
        warnings_.warn("claim-checks", "maintenance: cannot claim provider tokens to re-check", claimed.error().message,
                       {{"reason", claimed.error().message}});
        return;
    }
    warnings_.forget("claim-checks");
    const auto& checks = claimed.value();
    if (checks.empty()) return;
    // Each check waits on the forge: run up to check_concurrency of them at once, never more, so a
    // host with many teams neither takes hours nor floods one forge.
    std::atomic<std::size_t> next{0};
    std::mutex pass_mutex;
    auto work = [&] {
        for (std::size_t i = next++; i < checks.size(); i = next++) {
            if (stopping()) {
                (void)store_.releaseProviderCheck(checks[i].team_id, checks[i].provider, options_.owner, options_.clock(),
                                                  checks[i].name);
                continue;
            }
            try {
                checkOne(checks[i], pass, pass_mutex);
            } catch (const std::exception& e) {
                // The claim lapses with its lease; the next pass after it tries again.
                log_.log(LogLevel::error, "provider token check failed",
                         {{"team", checks[i].team_slug},
                          {"provider", checks[i].provider},
                          {"credential", checks[i].name},
                          {"reason", e.what()}});
            }
        }
    };
    const std::size_t workers = std::min<std::size_t>(std::max(1u, config_.tokens.check_concurrency), checks.size());
    std::vector<std::thread> helpers;
    for (std::size_t i = 1; i < workers; ++i) helpers.emplace_back(work);
    work();
    for (auto& helper : helpers) helper.join();
}

void Maintenance::checkOne(const store::ProviderCheck& check, MaintenancePass& pass, std::mutex& pass_mutex) {
    const std::string key = "check:" + std::to_string(check.team_id) + ":" + check.provider + ":" + check.name;
    const std::map<std::string, std::string> who{
        {"team", check.team_slug}, {"provider", check.provider}, {"credential", check.name}};
    auto fields = [&](std::map<std::string, std::string> more) {
        more.insert(who.begin(), who.end());
        return more;
    };
    auto count = [&](std::int64_t MaintenancePass::*field, const char* outcome) {
        {
            std::lock_guard lock(pass_mutex);
            ++(pass.*field);
        }
        metrics_.increment(kChecks, {{"provider", check.provider}, {"outcome", outcome}});
    };
    const auto every = std::chrono::hours(config_.tokens.check_every_hours);

    Provider* provider = registry_.provider(check.provider);
    const auto* info = registry_.info(check.provider);
    if (provider == nullptr || info == nullptr || (info->capabilities & FORGELINK_CAP_TOKEN_VALIDATION) == 0) {
        // Not loaded on this host (or it cannot check tokens): another host may; try again later.
        (void)store_.releaseProviderCheck(check.team_id, check.provider, options_.owner,
                                          options_.clock() + options_.check_retry, check.name);
        count(&MaintenancePass::check_failures, "failed");
        warnings_.warn(key, "provider token not re-checked: the provider cannot check tokens on this host",
                       "no provider", fields({}));
        return;
    }

    auto checked = provider->validateToken(check.credentials);
    const auto now = options_.clock();
    if (!checked && !refusesToken(checked.error())) {
        // No verdict: the token stays as it was, and is tried again soon.
        (void)store_.releaseProviderCheck(check.team_id, check.provider, options_.owner, now + options_.check_retry,
                                          check.name);
        count(&MaintenancePass::check_failures, "failed");
        warnings_.warn(key, "provider token re-check failed; retried later", checked.error().message,
                       fields({{"kind", std::string(toString(checked.error().kind))},
                               {"reason", checked.error().message},
                               {"retry_in_s", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options_.check_retry).count())}}));
        return;
    }
    warnings_.forget(key);

    store::ProviderCheckOutcome outcome;
    outcome.team_id = check.team_id;
    outcome.provider = check.provider;
    outcome.name = check.name;
    outcome.next_check_at = nextCheckAt(now, every);
    if (checked) {
        outcome.valid = true;
        outcome.refreshed = settingsFromCheck(checked.value());
    } else {
        outcome.valid = false;
        outcome.invalid_reason = checked.error().message;
    }
    auto change = store_.completeProviderCheck(outcome, options_.owner);
    if (!change) {
        if (change.error().kind == ErrorKind::conflict) {
            count(&MaintenancePass::checks_discarded, "discarded");  // a new token was saved: it wins
        } else {
            count(&MaintenancePass::check_failures, "failed");
            warnings_.warn(key, "provider token re-check not stored", change.error().message,
                           fields({{"reason", change.error().message}}));
        }
        return;
    }

    if (outcome.valid) {
        count(&MaintenancePass::tokens_checked, "valid");
        if (change->status_before == store::ProviderStatus::invalid) {
            {
                std::lock_guard lock(pass_mutex);
                ++pass.tokens_revalidated;
            }
            auto resumed = store_.resumeTasksForTeam(check.team_id, check.provider, now);
            log_.log(LogLevel::info, "provider token accepted again: feedback resumed",
                     fields({{"was", change->reason_before},
                             {"resumed_tasks", resumed ? std::to_string(resumed.value()) : "0"}}));
        }
        return;
    }
    count(&MaintenancePass::tokens_invalid, "invalid");
    const std::string whose = check.name == store::kDefaultCredential ? std::string("the team's token")
                                                                      : "the team's token '" + check.name + "'";
    const std::string reason = check.provider + " no longer accepts " + whose + ": " + outcome.invalid_reason +
                               "; save a new token to resume feedback";
    // With another working credential, only the repositories this one serves stop (their
    // deliveries retry until it is saved again); with none, the team's feedback is paused.
    auto others = store::hasOtherActiveCredential(store_, check.team_id, check.provider, check.name);
    const bool others_work = others && others.value();
    if (!others_work) {
        auto paused = store_.pauseTasksForTeam(check.team_id, check.provider, reason);
        if (!paused)
            log_.log(LogLevel::warn, "could not pause feedback for an invalid token",
                     fields({{"reason", paused.error().message}}));
    }
    if (change->status_before != store::ProviderStatus::invalid || change->reason_before != outcome.invalid_reason)
        log_.log(LogLevel::error, "provider token invalid: the forge refused it at its re-check",
                 fields({{"reason", outcome.invalid_reason}}));
    // The admins hear of it once per credential and token: the forge's refusal at a re-check
    // (which a 401 during a delivery brings forward to the next pass) is the event, whichever
    // host ran the check.
    const std::string forge = displayName(check.provider);
    recordNotice(store_, log_, check.team_id, check.provider, check.name, store::NoticeKind::token_invalid,
                 "token_invalid:" + check.provider + ":" + check.name + ":" + tokenFingerprint(check.credentials.token),
                 "Forgelink: team " + check.team_slug + "'s " + forge + " credential '" + check.name + "' at " +
                     check.credentials.base_url + " is no longer accepted: " + outcome.invalid_reason +
                     (others_work ? ". Feedback to the repositories it serves stops until a new token is saved for it "
                                    "in the team's settings."
                                  : ". Feedback to " + forge + " is paused until a new token is saved in the team's settings."),
                 {{"team", check.team_slug},
                  {"credential", check.name},
                  {"reason", outcome.invalid_reason},
                  {"base_url", check.credentials.base_url}});
}

std::string Maintenance::displayName(const std::string& provider) {
    const auto* info = registry_.info(provider);
    return info != nullptr && !info->display_name.empty() ? info->display_name : provider;
}

void Maintenance::rotateTokens(MaintenancePass& pass) {
    for (const auto& result : rotator_.rotateDue(options_.rotation_batch)) {
        switch (result.outcome) {
            case RotationResult::Outcome::rotated: ++pass.tokens_rotated; break;
            case RotationResult::Outcome::lost: ++pass.rotations_lost; break;
            case RotationResult::Outcome::crashed: break;
            default: ++pass.rotations_failed; break;
        }
    }
}

void Maintenance::remindExpiring(MaintenancePass& pass) {
    const auto now = options_.clock();
    auto due = store_.claimExpiryReminders(dateOf(now), dateOf(now + std::chrono::days(kExpiringDays)));
    if (!due) {
        warnings_.warn("reminders", "maintenance: cannot read expiring tokens", due.error().message,
                       {{"reason", due.error().message}});
        return;
    }
    warnings_.forget("reminders");
    for (const auto& r : due.value()) {
        const auto days = daysUntil(r.expires_at, now).value_or(0);
        ++pass.expiry_reminders;
        noticeExpiring(r, days);
        log_.log(LogLevel::warn,
                 days < 0 ? "provider token expired: save a new one"
                          : "provider token expires soon: create a new one and save it before then",
                 {{"team", r.team_slug},
                  {"provider", r.provider},
                  {"credential", r.name},
                  {"expires_at", r.expires_at},
                  {"days_left", std::to_string(days)}});
    }
}

void Maintenance::noticeExpiring(const store::ExpiryReminder& reminder, int days) {
    const auto threshold = expiryThreshold(days);
    if (!threshold) return;
    // An invalid token is told about as invalid; its expiry is no news.
    auto settings = store_.providerSettings(reminder.team_id, reminder.provider, reminder.name);
    if (!settings || settings->status == store::ProviderStatus::invalid) return;
    // An OAuth credential Forgelink renews before it expires is no reason to alarm anyone.
    if (store_.teamRefreshExpiry(reminder.team_id, reminder.provider, reminder.name)) return;
    auto credentials = store_.providerCredentials(reminder.team_id, reminder.provider, reminder.name);
    if (!credentials) return;
    // One notice per credential, token, expiry date and threshold crossed: 30, then 7, then 1 day
    // ahead (a token saved with 5 days left gets the 7-day one only).
    const std::string when = days == 0 ? "today" : days == 1 ? "tomorrow" : "in " + std::to_string(days) + " days";
    recordNotice(store_, log_, reminder.team_id, reminder.provider, reminder.name, store::NoticeKind::token_expiring,
                 "token_expiring:" + reminder.provider + ":" + reminder.name + ":" + tokenFingerprint(credentials->token) +
                     ":" + reminder.expires_at + ":" + std::to_string(*threshold),
                 "Forgelink: team " + reminder.team_slug + "'s " + displayName(reminder.provider) + " credential '" +
                     reminder.name + "' at " + credentials->base_url + " expires " + when + " (" + reminder.expires_at +
                     "). Create a new token and save it in the team's settings before then, or feedback stops.",
                 {{"team", reminder.team_slug},
                  {"credential", reminder.name},
                  {"expires_at", reminder.expires_at},
                  {"days_left", days},
                  {"threshold_days", *threshold},
                  {"base_url", credentials->base_url}});
}

void Maintenance::timeOutBuilds(MaintenancePass& pass) {
    pass.builds_timed_out += feedback_.timeOutBuilds(options_.clock(), config_.feedback.build_timeout_seconds,
                                                     config_.feedback.comment, [this] { return stopping(); });
}

void Maintenance::purge(MaintenancePass& pass) {
    const auto now = options_.clock();
    auto count = [&](const char* kind, Result<std::int64_t> removed, std::int64_t& into) {
        if (!removed) {
            warnings_.warn(std::string("purge:") + kind, "maintenance: purge failed", removed.error().message,
                           {{"kind", kind}, {"reason", removed.error().message}});
            return;
        }
        warnings_.forget(std::string("purge:") + kind);
        into += removed.value();
        if (removed.value() > 0) metrics_.increment(kPurged, {{"kind", kind}}, static_cast<double>(removed.value()));
    };
    count("sessions", store_.deleteExpiredSessions(now), pass.sessions_purged);
    count("oauth_states", store_.deleteExpiredOAuthStates(now), pass.oauth_states_purged);
    count("feedback_tasks", feedback_.purgeFinishedTasks(now), pass.tasks_purged);
    const auto audit_retention = std::chrono::hours(24) * config_.audit.retention_days;
    count("audit_events", store_.purgeAuditEvents(now - audit_retention), pass.audit_events_purged);
}

}  // namespace forgelink::service
