#include "service/token_rotation.hpp"

#include <forgelink/abi.h>

#include <thread>

#include "service/audit.hpp"
#include "service/notices.hpp"
#include "service/token_health.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

constexpr const char* kRotations = "forgelink_provider_token_rotations_total";

// The forge looked at the request and refused it: it did not act, the old token is unchanged
// (Provider::rotateToken's contract). Everything else may have happened after the forge acted.
bool refusedBeforeActing(const Error& error) {
    switch (error.kind) {
        case ErrorKind::unauthorized:
        case ErrorKind::forbidden:
        case ErrorKind::missing_scope:
        case ErrorKind::invalid_input:
        case ErrorKind::not_found:
        case ErrorKind::unsupported:
            return true;
        default:
            return false;
    }
}

enum class OldToken { works, refused, unknown };

}  // namespace

std::string_view toString(RotationResult::Outcome outcome) noexcept {
    using O = RotationResult::Outcome;
    switch (outcome) {
        case O::rotated: return "rotated";
        case O::refused: return "refused";
        case O::unavailable: return "unavailable";
        case O::no_answer: return "no_answer";
        case O::lost: return "lost";
        case O::replaced: return "replaced";
        case O::crashed: return "crashed";
    }
    return "unknown";
}

TokenRotator::TokenRotator(store::Store& store, plugin::Registry& registry, net::Metrics& metrics,
                           common::JsonLogger& log, RotatorOptions options)
    : store_(store), registry_(registry), metrics_(metrics), log_(log), options_(std::move(options)) {
    if (!options_.clock) options_.clock = store::nowTimestamp;
    if (options_.lease <= std::chrono::milliseconds(0)) options_.lease = std::chrono::minutes(5);
    metrics_.describe(kRotations, "counter",
                      "Rotations of teams' stored forge tokens, by provider and outcome (rotated, refused, unavailable, "
                      "no_answer, lost, replaced).");
}

RotationFault TokenRotator::fault(RotationPoint point) const {
    return options_.fault ? options_.fault(point) : RotationFault::none;
}

std::vector<RotationResult> TokenRotator::rotateDue(std::size_t limit) {
    std::vector<RotationResult> results;
    auto claimed = store_.claimRotations(options_.owner, options_.clock(), options_.lease, limit);
    if (!claimed) {
        log_.log(LogLevel::warn, "cannot claim provider tokens to rotate", {{"reason", claimed.error().message}});
        return results;
    }
    for (const auto& claim : claimed.value()) results.push_back(rotateClaimed(claim, systemActor(), ""));
    return results;
}

Result<RotationResult> TokenRotator::rotateNow(std::int64_t team_id, const std::string& provider,
                                               const std::string& credential, const store::AuditActor& actor,
                                               const std::string& client_address) {
    auto claim = store_.claimRotation(team_id, provider, credential, options_.owner, options_.clock(), options_.lease);
    if (!claim) return claim.error();
    return rotateClaimed(claim.value(), actor, client_address);
}

Result<std::string> TokenRotator::unavailableReason(const std::string& provider_name, const Credentials& credentials,
                                                    const store::ProviderSettings& settings) {
    Provider* provider = registry_.provider(provider_name);
    const auto* info = registry_.info(provider_name);
    const std::string display = info != nullptr ? info->display_name : provider_name;
    if (provider == nullptr || info == nullptr || (info->capabilities & FORGELINK_CAP_TOKEN_ROTATION) == 0)
        return display + " tokens cannot be rotated through the forge's API (the provider plugin does not offer it); "
                         "create a new token before the old one expires and save it";
    RotationRequest request;
    request.kind = settings.kind;
    request.bound_to = settings.bound_to;
    auto support = provider->rotationSupport(credentials, request);
    if (!support) return support.error();
    if (support->supported) return std::string();
    return support->reason.empty() ? std::string("the forge cannot rotate this token") : support->reason;
}

RotationResult TokenRotator::finish(const store::RotationClaim& claim, RotationResult::Outcome outcome,
                                    const std::string& message, std::chrono::milliseconds retry) {
    auto done =
        store_.finishRotation(claim.team_id, claim.provider, claim.name, options_.owner, message, options_.clock() + retry);
    if (!done)
        log_.log(LogLevel::warn, "rotation outcome not recorded",
                 {{"team", claim.team_slug},
                  {"provider", claim.provider},
                  {"credential", claim.name},
                  {"reason", done.error().message}});
    RotationResult result;
    result.outcome = outcome;
    result.message = message;
    return result;
}

RotationResult TokenRotator::lose(const store::RotationClaim& claim, const std::string& display,
                                  const std::string& old_token, const std::string& cause) {
    const auto started = claim.started_at.value_or(options_.clock());
    const bool named = claim.name != store::kDefaultCredential;
    const std::string reason =
        "Forgelink asked " + display + " to rotate the team's token" + (named ? " '" + claim.name + "'" : std::string()) +
        " at " + isoTime(started) + " and " + display +
        " revoked the old token, but its answer, the only copy of the new token, was lost (" + cause +
        "). Feedback with this credential is paused. Create a new token and save it in the team's settings (PUT "
        "/api/v1/teams/" + claim.team_slug + "/providers/" + claim.provider +
        (named ? "/credentials/" + claim.name : std::string()) + ", or forgelink admin providers save --team " +
        claim.team_slug + " --provider " + claim.provider + (named ? " --credential " + claim.name : std::string()) +
        "); then revoke the unused rotated token on " + display + " (it has the old token's name)";
    RotationResult result;
    result.outcome = RotationResult::Outcome::lost;
    result.message = reason;
    auto abandoned = store_.abandonRotation(claim.team_id, claim.provider, claim.name, old_token, reason);
    if (!abandoned) {
        // The intent stays recorded: whoever claims it next checks the old token again and ends here.
        log_.log(LogLevel::error, "rotated token lost and not yet recorded; the next maintenance pass records it",
                 {{"team", claim.team_slug},
                  {"provider", claim.provider},
                  {"credential", claim.name},
                  {"reason", abandoned.error().message}});
        return result;
    }
    // With another working credential of the forge, only the repositories this one serves stop
    // (as for a token refused at its re-check); with none, the team's feedback is paused.
    auto others = abandoned.value() ? store::hasOtherActiveCredential(store_, claim.team_id, claim.provider, claim.name)
                                    : Result<bool>(true);
    if (!others || !others.value()) {
        auto paused = store_.pauseTasksForTeam(claim.team_id, claim.provider, reason);
        if (!paused)
            log_.log(LogLevel::warn, "could not pause feedback for a lost rotation",
                     {{"team", claim.team_slug}, {"provider", claim.provider}, {"reason", paused.error().message}});
    }
    return result;
}

RotationResult TokenRotator::rotateClaimed(const store::RotationClaim& claim, const store::AuditActor& actor,
                                           const std::string& client_address) {
    using O = RotationResult::Outcome;
    const std::map<std::string, std::string> who{
        {"team", claim.team_slug}, {"provider", claim.provider}, {"credential", claim.name}};
    auto release = [&] { (void)store_.releaseRotation(claim.team_id, claim.provider, claim.name, options_.owner); };
    auto settings = store_.providerSettings(claim.team_id, claim.provider, claim.name);
    auto credentials = store_.providerCredentials(claim.team_id, claim.provider, claim.name);
    if (!settings || !credentials) {
        release();
        RotationResult result;
        result.message = "the team's token could not be read: " +
                         (settings ? credentials.error().message : settings.error().message);
        return result;
    }
    Provider* provider = registry_.provider(claim.provider);
    const auto* info = registry_.info(claim.provider);
    const std::string display = info != nullptr ? info->display_name : claim.provider;
    auto done = [&](RotationResult result) {
        metrics_.increment(kRotations, {{"provider", claim.provider}, {"outcome", std::string(toString(result.outcome))}});
        if (result.outcome != O::crashed) tell(claim, result, display, credentials.value());
        if (result.outcome == O::rotated && result.settings) audit(claim, *result.settings, actor, client_address);
        return result;
    };

    if (provider == nullptr || info == nullptr || (info->capabilities & FORGELINK_CAP_TOKEN_ROTATION) == 0) {
        if (claim.state == store::RotationState::rotating) {
            // Left by a host that had the plugin: this one cannot tell what happened. Another may.
            release();
            return RotationResult{O::no_answer, "the " + claim.provider + " plugin cannot rotate tokens on this host", {}};
        }
        return done(finish(claim, O::unavailable,
                           display + " tokens cannot be rotated through the forge's API; create a new token before "
                                     "the old one expires and save it",
                           options_.retry_after_refusal));
    }

    const Credentials& old = credentials.value();
    // Is the old token still accepted? Only an outright refusal means the forge rotated it.
    auto probe = [&]() -> OldToken {
        auto checked = provider->validateToken(old);
        if (checked) return OldToken::works;
        return checked.error().kind == ErrorKind::unauthorized ? OldToken::refused : OldToken::unknown;
    };

    if (claim.state == store::RotationState::rotating) {
        // An earlier attempt recorded its intent and never its outcome (the host stopped, or the
        // answer was lost and could not be recorded). Never ask the forge again with this token.
        switch (probe()) {
            case OldToken::works:
                log_.log(LogLevel::info, "an interrupted rotation never reached the forge; rotating again", who);
                break;
            case OldToken::refused:
                return done(lose(claim, display, old.token,
                                 "the host that asked stopped, or lost the answer, before the new token was stored"));
            case OldToken::unknown:
                release();
                return RotationResult{O::no_answer, "the forge could not be asked whether an interrupted rotation happened; "
                                                    "asked again at the next pass",
                                      {}};
        }
    }

    const auto now = options_.clock();
    RotationRequest request;
    request.kind = settings->kind;
    request.bound_to = settings->bound_to;
    request.expires_at = dateOf(now + std::chrono::days(claim.settings.new_lifetime_days));

    if (claim.state == store::RotationState::idle) {
        auto support = provider->rotationSupport(old, request);
        if (!support) {
            if (support.error().kind == ErrorKind::unauthorized)
                return done(finish(claim, O::refused, support.error().message, options_.retry_after_refusal));
            return done(finish(claim, O::no_answer, support.error().message, options_.retry_after_no_answer));
        }
        if (!support->supported) {
            (void)store_.saveRotationSettings(claim.team_id, claim.provider, claim.name, claim.settings,
                                              std::optional<std::string>(support->reason));
            return done(finish(claim, O::unavailable, support->reason, options_.retry_after_refusal));
        }
    }
    // Durable before the forge is asked: if anything stops this rotation from here on, whoever
    // claims it next knows to look at the old token before doing anything else.
    auto intent = store_.recordRotationIntent(claim.team_id, claim.provider, claim.name, options_.owner);
    if (!intent) {
        release();
        return RotationResult{O::no_answer, "the rotation's intent could not be recorded, so the forge was not asked: " +
                                                intent.error().message,
                              {}};
    }
    store::RotationClaim started = claim;
    started.started_at = now;
    if (fault(RotationPoint::intent_recorded) == RotationFault::crash) return RotationResult{O::crashed, "stopped", {}};

    auto rotated = provider->rotateToken(old, request);
    if (!rotated) {
        const Error& error = rotated.error();
        if (refusedBeforeActing(error))
            return done(finish(started, O::refused, error.message, options_.retry_after_refusal));
        switch (probe()) {
            case OldToken::works:
                return done(finish(started, O::no_answer,
                                   error.message + "; the old token still works, so the forge did not rotate it",
                                   options_.retry_after_no_answer));
            case OldToken::refused:
                return done(lose(started, display, old.token, error.message));
            case OldToken::unknown:
                release();  // still rotating: the next pass asks the old token again
                return RotationResult{O::no_answer, error.message + "; whether the forge rotated the token is checked at "
                                                                    "the next pass",
                                      {}};
        }
    }

    const RotationFault at_answer = fault(RotationPoint::answer_received);
    if (at_answer == RotationFault::crash) return RotationResult{O::crashed, "stopped", {}};
    Result<store::ProviderSettings> stored = makeError(ErrorKind::internal, "the store refused the write (injected fault)", "database");
    for (int attempt = 0; attempt < 3 && at_answer != RotationFault::fail_store; ++attempt) {
        // Re-checked at once (next_check_at = now) so its scopes and warnings are read from the forge.
        stored = store_.completeRotation(claim.team_id, claim.provider, claim.name, old.token, rotated->token,
                                         rotated->expires_at, now);
        if (stored || stored.error().kind != ErrorKind::transient) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
    }
    if (!stored) {
        if (stored.error().code == "token_replaced") {
            (void)store_.finishRotation(claim.team_id, claim.provider, claim.name, options_.owner,
                                        stored.error().message, options_.clock());
            return done(RotationResult{O::replaced,
                                       stored.error().message + "; revoke the rotated token on " + display +
                                           " (it has the old token's name): nobody uses it",
                                       {}});
        }
        return done(lose(started, display, old.token,
                         display + " answered with the new token but Forgelink could not store it: " + stored.error().message));
    }
    if (fault(RotationPoint::stored) == RotationFault::crash) return RotationResult{O::crashed, "stopped after storing", {}};
    RotationResult result;
    result.outcome = O::rotated;
    result.message = "the token was rotated; the new one expires on " + rotated->expires_at.value_or(std::string("(not said)"));
    result.settings = std::move(stored).value();
    return done(std::move(result));
}

void TokenRotator::tell(const store::RotationClaim& claim, const RotationResult& result, const std::string& display,
                        const Credentials& old) {
    using O = RotationResult::Outcome;
    std::map<std::string, std::string> fields{{"team", claim.team_slug},
                                              {"provider", claim.provider},
                                              {"credential", claim.name},
                                              {"outcome", std::string(toString(result.outcome))},
                                              {"reason", result.message}};
    switch (result.outcome) {
        case O::rotated:
            log_.log(LogLevel::info, "provider token rotated", fields);
            break;
        case O::lost:
            log_.log(LogLevel::error, "provider token rotation failed: the new token is lost and the provider is invalid",
                     fields);
            break;
        case O::no_answer:
            log_.log(LogLevel::warn, "provider token rotation postponed: the forge did not answer", fields);
            break;
        default:
            log_.log(LogLevel::warn, "provider token rotation failed", fields);
            break;
    }
    // The team's admins are told (notices.hpp): once per rotated token, and once per token and
    // kind of failure (a refusal retried daily is one notice). Not for an attempt whose outcome
    // is still open (no answer: tried again soon) or a token replaced meanwhile (nothing failed).
    // The dedupe key holds the old token's fingerprint, never the token.
    const std::string who = "Forgelink: team " + claim.team_slug + "'s " + display + " credential '" + claim.name +
                            "' at " + old.base_url;
    const std::string key_tail = claim.provider + ":" + claim.name + ":" + tokenFingerprint(old.token);
    nlohmann::json details = {{"team", claim.team_slug},
                              {"credential", claim.name},
                              {"base_url", old.base_url},
                              {"outcome", std::string(toString(result.outcome))}};
    switch (result.outcome) {
        case O::rotated: {
            const auto expires = result.settings && result.settings->expires_at ? *result.settings->expires_at : std::string();
            details["expires_at"] = expires.empty() ? nlohmann::json(nullptr) : nlohmann::json(expires);
            recordNotice(store_, log_, claim.team_id, claim.provider, claim.name, store::NoticeKind::token_rotated,
                         "token_rotated:" + key_tail,
                         who + " was rotated before it expired" +
                             (expires.empty() ? std::string(".") : "; the new token expires on " + expires + ".") +
                             " Feedback goes on with the new token; the old one is revoked.",
                         std::move(details));
            return;
        }
        case O::lost:
        case O::refused:
        case O::unavailable: {
            details["reason"] = result.message;
            const std::string what =
                result.outcome == O::lost
                    ? " could not be rotated: " + result.message
                    : " was not rotated, and still works until it expires: " + result.message +
                          (result.outcome == O::refused ? " (tried again a day later)" : std::string());
            recordNotice(store_, log_, claim.team_id, claim.provider, claim.name, store::NoticeKind::token_rotation_failed,
                         "token_rotation_failed:" + key_tail + ":" + std::string(toString(result.outcome)), who + what,
                         std::move(details));
            return;
        }
        default:
            return;
    }
}

void TokenRotator::audit(const store::RotationClaim& claim, const store::ProviderSettings& now_stored,
                         const store::AuditActor& actor, const std::string& client_address) {
    store::AuditEventInput event;
    event.team_id = claim.team_id;
    event.actor = actor;
    event.client_address = client_address;
    event.action = std::string(audit_action::provider_token_rotated);
    event.target = claim.name == store::kDefaultCredential ? claim.provider : claim.provider + "/" + claim.name;
    // The new token's last four characters at most: never the token.
    event.details = {{"token_last4", now_stored.token_last4},
                     {"expires_at", now_stored.expires_at ? nlohmann::json(*now_stored.expires_at) : nlohmann::json(nullptr)},
                     {"on_demand", actor.kind != store::ActorKind::system}};
    if (claim.name != store::kDefaultCredential) event.details["credential"] = claim.name;
    recordAudit(store_, log_, event);
}

}  // namespace forgelink::service
