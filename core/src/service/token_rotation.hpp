// Rotating a team's stored forge token through the forge's own API before it expires (issue 17),
// for the maintenance loop (tokens within their rotation window) and on demand (the REST API).
//
// The forge revokes the old token the moment it acts, and its answer holds the only copy of the
// new one. So a rotation is a small protocol over the store (store.hpp, provider_rotations):
//   1. claim the token (owner + lease): of several hosts on one store only one rotates it;
//   2. record the intent (state rotating), durably, BEFORE the forge is asked;
//   3. ask the forge once (Provider::rotateToken never retries);
//   4. store the new token and the success in one transaction (Store::completeRotation).
// Whatever stops it on the way leaves the intent behind, and whoever claims it next never asks
// the forge again (a forge may revoke a rotated token's successor when the old one is presented to
// the rotation endpoint): it checks the old token instead. Still accepted: the forge never acted,
// and the rotation starts afresh. Refused: the forge acted and the new token is lost, so the
// settings are marked invalid with a message saying what happened and what to do, and their
// feedback is paused. A refusal before acting (scope, version, expiry date) changes nothing and
// is tried again a day later. Nothing here ever leaves a team with a token that silently fails.
//
// Threads: every method may be called from any thread; each call blocks on the forge and the
// store. Lifetime: the store, registry, metrics and logger are borrowed.
// Logs name teams and providers, never a token.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "net/metrics.hpp"
#include "plugin/registry.hpp"
#include "store/store.hpp"

namespace forgelink::service {

// Test hooks: the points where a rotation may be cut short, to show that each leaves a working
// or clearly invalid provider.
enum class RotationPoint {
    intent_recorded,  // the intent is durable; the forge was not asked yet
    answer_received,  // the forge rotated and answered; nothing stored yet
    stored,           // the new token and the success are committed
};
enum class RotationFault {
    none,
    crash,       // stop right here, as a host that died: no more store writes, the claim just lapses
    fail_store,  // (answer_received only) the store refuses to save the new token
};

struct RotatorOptions {
    std::string owner;  // the claim owner: unique per host (and per role: maintenance, API)
    std::function<store::Timestamp()> clock;
    // How long a claim is reserved: well above the few forge calls of one rotation.
    std::chrono::milliseconds lease{std::chrono::minutes(5)};
    // A refusal before acting (scope, version, date, unsupported) is tried again this much later.
    std::chrono::milliseconds retry_after_refusal{std::chrono::hours(24)};
    // The forge did not answer and the old token still works: tried again this much later.
    std::chrono::milliseconds retry_after_no_answer{std::chrono::minutes(15)};
    std::function<RotationFault(RotationPoint)> fault;  // tests only
};

// What became of one rotation.
struct RotationResult {
    enum class Outcome {
        rotated,      // the new token is stored and in use
        refused,      // the forge refused before acting; the old token is unchanged
        unavailable,  // this token cannot rotate here (forge, version, kind, scopes): `message` says why
        no_answer,    // the forge could not be reached; the old token still works (or is checked again later)
        lost,         // the forge rotated but the new token is lost: the settings are now invalid
        replaced,     // a token saved meanwhile replaced the one being rotated: it stays
        crashed,      // a test hook stopped it
    };
    Outcome outcome = Outcome::no_answer;
    std::string message;  // for a person; never the token
    std::optional<store::ProviderSettings> settings;  // after a rotation
};
std::string_view toString(RotationResult::Outcome outcome) noexcept;

class TokenRotator {
public:
    TokenRotator(store::Store& store, plugin::Registry& registry, net::Metrics& metrics, common::JsonLogger& log,
                 RotatorOptions options);

    // Claims and rotates up to `limit` tokens that are due (within their window, or left
    // rotating by an earlier attempt). One result per claimed token.
    std::vector<RotationResult> rotateDue(std::size_t limit);
    // Rotates the team's credential `credential` of `provider` now, due or not, on behalf of
    // `actor` (the audit log names it). conflict when a rotation of it is under way elsewhere;
    // not_found when the team has no such credential.
    Result<RotationResult> rotateNow(std::int64_t team_id, const std::string& provider, const std::string& credential,
                                     const store::AuditActor& actor, const std::string& client_address);
    // Why the token cannot rotate ("" when it can), asking the forge: for saves and setting
    // changes. An error when the forge could not be asked.
    Result<std::string> unavailableReason(const std::string& provider, const Credentials& credentials,
                                          const store::ProviderSettings& settings);

    const std::string& owner() const noexcept { return options_.owner; }

private:
    RotationResult rotateClaimed(const store::RotationClaim& claim, const store::AuditActor& actor,
                                 const std::string& client_address);
    // The forge acted but the new token is lost: invalid settings, paused feedback, one log line.
    RotationResult lose(const store::RotationClaim& claim, const std::string& display, const std::string& old_token,
                        const std::string& cause);
    RotationResult finish(const store::RotationClaim& claim, RotationResult::Outcome outcome, const std::string& message,
                          std::chrono::milliseconds retry);
    RotationFault fault(RotationPoint point) const;
    // Rotated / rotation failed: logged, and a notice for the team's admins (token_rotated,
    // token_rotation_failed: notices.hpp), never with a token.
    void tell(const store::RotationClaim& claim, const RotationResult& result, const std::string& display,
              const Credentials& old);
    // A rotation is a change of the team's settings: recorded as provider_token.rotated (the new
    // token's last four characters, never the token), by `actor` (the host itself when due).
    void audit(const store::RotationClaim& claim, const store::ProviderSettings& now_stored,
               const store::AuditActor& actor, const std::string& client_address);

    store::Store& store_;
    plugin::Registry& registry_;
    net::Metrics& metrics_;
    common::JsonLogger& log_;
    RotatorOptions options_;
};

}  // namespace forgelink::service
