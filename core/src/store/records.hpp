// The plain records the Store reads and writes. No behaviour, no backend types: the service and
// the dispatcher pass these around and serialise them as they like.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <forgelink/types.hpp>

namespace forgelink::store {

// Wall-clock instants, millisecond precision (stored as integer unix milliseconds).
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
inline Timestamp nowTimestamp() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}
inline std::int64_t toUnixMillis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp fromUnixMillis(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

// ---- people and sessions ---------------------------------------------------------------------

// A person who logged in through a forge. The provider, instance, forge id and names are those
// of the identity the person first signed in with (or, after unlinking it, the oldest left).
struct User {
    std::int64_t id = 0;
    std::string provider;       // the plugin name
    std::string instance;       // host[:port][/sub-path]
    std::string forge_user_id;  // the forge's immutable user id
    std::string username;
    std::string name;
    Timestamp created_at{};
};

struct UserProfile {
    std::string provider;
    std::string instance;
    std::string forge_user_id;
    std::string username;
    std::string name;
};

// One forge account linked to a user. A forge account belongs to one user; a user has at most one
// account per provider. Signing in with any of a user's identities gives that user.
struct UserIdentity {
    std::int64_t user_id = 0;
    std::string provider;
    std::string instance;
    std::string forge_user_id;
    std::string username;
    std::string name;
    Timestamp linked_at{};
};

// Only a SHA-256 of the session token is stored; `id_hash` is that digest (hex).
struct Session {
    std::string id_hash;
    std::int64_t user_id = 0;
    Timestamp expires_at{};
    Timestamp created_at{};
};

// A pending OAuth login. `code_verifier` is sealed at rest; the record is handed back once.
struct OAuthState {
    std::string state;
    std::string provider;
    std::string code_verifier;  // secret
    std::string redirect;       // where to send the browser after login
    Timestamp expires_at{};
    // SHA-256 (hex) of the login cookie of the browser that started the login: the callback is
    // accepted only from that browser (login CSRF). Empty for states saved before it existed.
    std::string browser_binding;
    // Set when a signed-in user started the login to link another forge account: the callback
    // attaches the identity to this user instead of signing in. 0 = an ordinary login.
    std::int64_t link_user_id = 0;
};

// A user's own OAuth tokens for one provider; access and refresh always change together.
struct UserTokens {
    std::int64_t user_id = 0;
    std::string provider;
    std::string access_token;   // secret
    std::string refresh_token;  // secret; empty when the forge issues none
    std::optional<Timestamp> expires_at;
    Timestamp updated_at{};
};

// ---- teams -----------------------------------------------------------------------------------

struct Team {
    std::int64_t id = 0;
    std::string slug;  // unique
    std::string name;
    Timestamp created_at{};
};

enum class TeamRole { owner, member };
std::string_view toString(TeamRole role) noexcept;
std::optional<TeamRole> parseTeamRole(std::string_view text) noexcept;

struct TeamMember {
    std::int64_t team_id = 0;
    std::int64_t user_id = 0;
    TeamRole role = TeamRole::member;
    std::string username;  // from the user, for listings
    std::string name;
};

// ---- scoped API tokens -----------------------------------------------------------------------

// What a scoped token may do (service/api_service.cpp maps each route to a role):
// reporter records and reads builds; admin also changes the team's settings.
enum class ApiTokenRole { reporter, admin };
std::string_view toString(ApiTokenRole role) noexcept;
std::optional<ApiTokenRole> parseApiTokenRole(std::string_view text) noexcept;

// A team's API token. Only a lookup key (the first characters after the prefix, not secret) and
// the SHA-256 of the whole token are stored: the token itself is shown once, at creation.
struct ApiTokenInput {
    std::int64_t team_id = 0;
    std::int64_t project_id = 0;  // 0: the whole team
    std::string name;             // unique within the team
    ApiTokenRole role = ApiTokenRole::reporter;
    std::string lookup_key;       // unique
    std::string secret_digest;    // SHA-256 of the token, hex
    std::string created_by;       // the audit actor's name
    std::optional<Timestamp> expires_at;
};

struct ApiToken {
    std::int64_t id = 0;
    std::int64_t team_id = 0;
    std::int64_t project_id = 0;
    std::string name;
    ApiTokenRole role = ApiTokenRole::reporter;
    std::string lookup_key;
    std::string secret_digest;  // for the constant-time comparison; never shown
    std::string created_by;
    Timestamp created_at{};
    std::optional<Timestamp> expires_at;
    std::optional<Timestamp> last_used_at;
};

// ---- the audit log ---------------------------------------------------------------------------

// Who made a change: a person (session), a team's scoped API token, an operator's admin token
// (named by a fingerprint of its digest, never the token), or the host itself (maintenance).
enum class ActorKind { user, token, operator_token, system };
std::string_view toString(ActorKind kind) noexcept;

struct AuditActor {
    ActorKind kind = ActorKind::system;
    std::int64_t user_id = 0;   // kind user
    std::int64_t token_id = 0;  // kind token
    std::string name;           // the username, the token's name, "operator sha256:ab12cd34", "forgelink"
};

// One change of a team's settings. `details` says what changed and never holds a secret (the
// caller's duty: token fingerprints such as the last four characters at most).
struct AuditEventInput {
    std::int64_t team_id = 0;
    AuditActor actor;
    std::string client_address;  // empty for the host's own changes
    std::string action;          // "provider_token.saved", "member.added", ... (see service/audit.hpp)
    std::string target;          // what it applies to, in words a person knows (a provider's name, "alice", "project 12")
    nlohmann::json details = nlohmann::json::object();
};

struct AuditEvent {
    std::int64_t id = 0;  // grows with time: pages go backwards from `before`
    std::int64_t team_id = 0;
    Timestamp at{};
    AuditActor actor;
    std::string client_address;
    std::string action;
    std::string target;
    nlohmann::json details;
};

// ---- provider settings -----------------------------------------------------------------------

enum class ProviderStatus { active, invalid };
std::string_view toString(ProviderStatus status) noexcept;

// A team may hold several named credentials (tokens) for one provider: for example one group
// token per group on the forge and a personal token of a bot user. The one saved without a name, and
// every one saved before names existed, is called this; the API routes without a name act on it.
inline constexpr std::string_view kDefaultCredential = "default";

// What the service saves after checking a token with the provider. The token is sealed at rest.
struct ProviderSettingsInput {
    std::int64_t team_id = 0;
    std::string provider;
    std::string name{kDefaultCredential};  // the credential's name within the team and provider
    std::string base_url;
    std::string instance;
    std::string token;  // secret
    TokenKind kind = TokenKind::unknown;
    Identity identity;
    std::vector<std::string> scopes;
    std::optional<std::string> expires_at;  // "YYYY-MM-DD", as TokenInfo says
    std::vector<TokenWarning> warnings;
    std::optional<Role> role;           // the token's role on bound_to (project/group tokens)
    std::string role_label;             // the forge's name for it
    std::optional<ResourceRef> bound_to;
    // When the maintenance loop re-checks the token next; none = at its next pass.
    std::optional<Timestamp> next_check_at;
};

// Provider settings as listed and shown: never the token, only its last four characters.
// Use Store::providerCredentials() for the token itself.
struct ProviderSettings {
    std::int64_t team_id = 0;
    std::string provider;
    std::string name{kDefaultCredential};
    std::string base_url;
    std::string instance;
    std::string token_last4;
    TokenKind kind = TokenKind::unknown;
    Identity identity;
    std::vector<std::string> scopes;
    std::optional<std::string> expires_at;
    std::vector<TokenWarning> warnings;
    ProviderStatus status = ProviderStatus::active;
    std::string invalid_reason;                 // why the forge stopped accepting the token
    std::optional<Timestamp> invalid_notified_at;  // when people were told, so they are told once
    Timestamp updated_at{};
    std::optional<Role> role;
    std::string role_label;
    std::optional<ResourceRef> bound_to;
    std::optional<Timestamp> checked_at;     // the last check with the forge (a save or a re-check)
    Timestamp next_check_at{};               // when the maintenance loop re-checks it
};

// A stored token claimed for a re-check (Store::claimProviderChecks). Holds the opened token.
struct ProviderCheck {
    std::int64_t team_id = 0;
    std::string team_slug;
    std::string provider;
    std::string name{kDefaultCredential};
    Credentials credentials;  // secret
    ProviderStatus status = ProviderStatus::active;
    std::string invalid_reason;
};

// What a re-check found. valid: the token passed the checks a save makes, and `refreshed`
// replaces what was stored about it (its token and base_url are ignored: the stored ones stay);
// otherwise the forge refused it for `invalid_reason`.
struct ProviderCheckOutcome {
    std::int64_t team_id = 0;
    std::string provider;
    std::string name{kDefaultCredential};
    bool valid = true;
    ProviderSettingsInput refreshed;
    std::string invalid_reason;
    Timestamp next_check_at{};
};

// The settings before and after a completed re-check, so the caller can tell what changed.
struct ProviderCheckChange {
    ProviderStatus status_before = ProviderStatus::active;
    std::string reason_before;
    ProviderSettings after;
};

// A token under its expiry horizon whose daily reminder this caller won (Store::claimExpiryReminders).
struct ExpiryReminder {
    std::int64_t team_id = 0;
    std::string team_slug;
    std::string provider;
    std::string expires_at;  // YYYY-MM-DD
    std::string name{kDefaultCredential};
};

// A team credential's refresh token (kind oauth), claimed for renewal (Store::claimTeamTokensToRefresh)
// or saved beside it (Store::saveTeamRefreshToken: team_id, provider, name, both tokens, expiry).
struct TeamTokenRefresh {
    std::int64_t team_id = 0;
    std::string team_slug;
    std::string provider;
    std::string name{kDefaultCredential};  // the credential
    std::string base_url;
    std::string access_token;   // secret
    std::string refresh_token;  // secret
    std::optional<Timestamp> expires_at;  // of the access token; unknown = renewed at the next pass
};

// ---- token rotation (issue 17) ------------------------------------------------------------------

// A team's rotation setting for one provider (the API's `rotate` object).
struct RotationSettings {
    bool enabled = false;
    int days_before_expiry = 14;  // rotate once the token expires within this many days (1..365)
    int new_lifetime_days = 365;  // the new token's life, counted from the rotation (1..365)
    bool operator==(const RotationSettings&) const = default;
};

// Where a rotation stands. rotating: its intent was recorded before the forge was asked and
// its outcome is not known yet (a host stopped, or the answer was lost): whoever claims it next
// finds out by checking the old token, never by asking the forge to rotate again.
enum class RotationState { idle, rotating };
std::string_view toString(RotationState state) noexcept;

struct ProviderRotation {
    std::int64_t team_id = 0;
    std::string provider;
    std::string name{kDefaultCredential};  // the credential it rotates
    RotationSettings settings;
    std::string unavailable_reason;             // why this token cannot rotate ("" = it can, as last seen)
    std::optional<Timestamp> availability_checked_at;
    RotationState state = RotationState::idle;
    std::optional<Timestamp> started_at;        // of the rotation under way (state rotating)
    std::optional<Timestamp> last_rotated_at;
    std::optional<Timestamp> last_failed_at;
    std::string last_error;                     // the last attempt's failure, "" after a success
    Timestamp next_attempt_at{};                // a failed attempt is tried again from then
};

// A rotation claimed by one host (Store::claimRotations / claimRotation).
struct RotationClaim {
    std::int64_t team_id = 0;
    std::string team_slug;
    std::string provider;
    std::string name{kDefaultCredential};  // the credential to rotate
    RotationSettings settings;
    RotationState state = RotationState::idle;
    std::optional<Timestamp> started_at;
};

// ---- projects --------------------------------------------------------------------------------

struct Project {
    std::int64_t id = 0;
    std::int64_t team_id = 0;
    std::string name;
    std::string slug;  // unique within the team
    Timestamp created_at{};
};

// The one repository a project reports to. Several projects may link the same repository.
struct RepositoryLink {
    std::int64_t project_id = 0;
    std::string provider;
    std::string instance;
    std::string repository_id;  // the forge's immutable id
    std::string full_path;
    std::string web_url;
    std::string status_context;  // the commit-status name, e.g. "forgelink/<project>"
    Timestamp linked_at{};
    // The team's credential (of this provider) that serves the repository: feedback is posted
    // with it. Chosen when the repository is connected (the most specific one that can report).
    std::string credential{kDefaultCredential};
};

// A credential of the team with the token opened, for calling the provider with it.
struct NamedCredentials {
    std::string name;
    Credentials credentials;  // secret
};

// A project as listed, with its link read in the same query.
struct ProjectWithLink {
    Project project;
    std::optional<RepositoryLink> link;
};

// A team's project listing as of one list version (see Store::projectListVersion).
struct ProjectListing {
    std::int64_t version = 0;
    std::string team_slug;
    std::vector<ProjectWithLink> rows;
};

// ---- builds and the feedback outbox ----------------------------------------------------------

// What a visual-testing service counts in a build (Argos's names): screenshots changed, added,
// removed and unchanged against the baseline, failures (screenshots of failed tests),
// retry_failures (failed, then passed on a retry) and ignored (excluded from the comparison).
struct BuildStats {
    std::int64_t changed = 0;
    std::int64_t added = 0;
    std::int64_t removed = 0;
    std::int64_t failures = 0;
    std::int64_t unchanged = 0;
    std::int64_t retry_failures = 0;
    std::int64_t ignored = 0;
    bool operator==(const BuildStats&) const = default;
};

struct Build {
    std::int64_t id = 0;
    std::int64_t project_id = 0;
    std::string commit_sha;
    std::string branch;
    std::string mr_number;  // empty when not built for a merge request
    std::string head_sha;
    BuildState state = BuildState::queued;
    BuildStats stats;
    std::string url;
    Timestamp created_at{};
    Timestamp updated_at{};
    std::int64_t version = 0;  // 1 on insert, +1 on every change
    // Set while the build is errored because the host ended it: no result arrived within
    // `timed_out_after_seconds` of its creation. Cleared by the build's next change.
    std::optional<Timestamp> timed_out_at;
    std::int64_t timed_out_after_seconds = 0;
    // The head commit of the build's merge request as the forge showed it when the build's first
    // status was delivered (builds that name their merge request but no head_sha); "" until then.
    std::string mr_head_sha;
};

// A build as the API receives it. id == 0 creates a build; otherwise the build is updated and,
// when expected_version is set, only if its current version matches (conflict otherwise).
struct BuildInput {
    std::int64_t id = 0;
    std::int64_t project_id = 0;
    std::string commit_sha;
    std::string branch;
    std::string mr_number;
    std::string head_sha;
    BuildState state = BuildState::queued;
    BuildStats stats;
    std::string url;
    std::optional<std::int64_t> expected_version;
    // Set only by the host's build timeout (state errored): the timeout that ran out, in seconds.
    // The change then records timed_out_at; any change without it clears both.
    std::optional<std::int64_t> timed_out_after_seconds;
};

// The change of an existing build to `next`: every other field as the build has it now, and only
// from the version read (another change since makes it a conflict instead of silently winning).
BuildInput changeOf(const Build& build, BuildState next);

enum class FeedbackKind { status, comment };
std::string_view toString(FeedbackKind kind) noexcept;

// superseded: a newer change of the same feedback (same key) replaced it before it was delivered,
// or was delivered first; it ends there, undelivered, and stays visible on its build.
enum class TaskState { pending, in_flight, done, failed, paused, superseded };
std::string_view toString(TaskState state) noexcept;

// Identifies "the same feedback": tasks with equal keys replace each other (newest wins).
struct FeedbackKey {
    std::string provider;
    std::string instance;
    std::string repository_id;
    std::string commit_sha;
    std::string context;
    FeedbackKind kind = FeedbackKind::status;
    std::string mr_number;  // empty for commit statuses
    bool operator==(const FeedbackKey&) const = default;
};

// A task to enqueue with a build change; build_id and build_version come from the build.
struct NewFeedbackTask {
    std::int64_t team_id = 0;
    FeedbackKey key;
    nlohmann::json payload;  // what the dispatcher needs to render the call; opaque to the store
};

struct FeedbackTask {
    std::int64_t id = 0;
    std::int64_t team_id = 0;
    FeedbackKey key;
    nlohmann::json payload;
    std::int64_t build_id = 0;
    std::int64_t build_version = 0;
    TaskState state = TaskState::pending;
    std::int64_t attempts = 0;        // claims so far (incremented when claimed)
    Timestamp next_attempt_at{};
    std::string lease_owner;          // set while in_flight
    std::optional<Timestamp> lease_expires_at;
    std::string last_error;           // never a secret
    nlohmann::json result;            // what completeTask recorded (null until done)
    Timestamp created_at{};
    Timestamp updated_at{};
};

struct BuildChange {
    BuildInput build;
    std::vector<NewFeedbackTask> tasks;
};

struct RecordedBuild {
    Build build;
    std::vector<FeedbackTask> tasks;  // the rows now pending (or paused) for this change
};

struct TaskCompletion {
    std::string comment_id;  // comment tasks: remembered in mr_comments for the next upsert
    nlohmann::json result;   // anything worth keeping (forge state, action); never a secret
    // Tasks the delivery found necessary (the status on the merge request's head commit), enqueued
    // in the completion's transaction with the completed task's build id and version, under the
    // rules of recordBuildChange (coalescing, never behind a newer change, paused teams).
    std::vector<NewFeedbackTask> follow_ups;
};

enum class RetryOutcome {
    scheduled,   // pending again at next_attempt_at
    paused,      // the team's feedback for this provider is paused; resumes with it
    superseded,  // a newer task for the same key is waiting: this one is done, undelivered
};

struct TaskCounts {
    std::int64_t pending = 0;
    std::int64_t in_flight = 0;
    std::int64_t done = 0;
    std::int64_t failed = 0;
    std::int64_t paused = 0;
    std::int64_t superseded = 0;
};

// ---- notices to a team's admins --------------------------------------------------------------

// What happened to a team's forge token that people must hear about.
enum class NoticeKind { token_invalid, token_expiring, token_rotated, token_rotation_failed };
std::string_view toString(NoticeKind kind) noexcept;
std::optional<NoticeKind> parseNoticeKind(std::string_view text) noexcept;

// Where a notice is on its way to the team's notification webhook. none: the team had no webhook
// when it was recorded (or removed it before delivery); the notice is only listed.
enum class NoticeDelivery { none, pending, in_flight, delivered, failed };
std::string_view toString(NoticeDelivery state) noexcept;

// A notice to record (Store::recordNotice). `dedupe_key` names the event: a second notice with the
// same key for the same team is not recorded, whichever host or process tries. `text` is what a
// person reads (Slack's "text"); it and `details` must never hold a token or other secret.
struct NewNotice {
    std::int64_t team_id = 0;
    std::string provider;
    std::string credential{kDefaultCredential};  // which of the team's credentials for the provider
    NoticeKind kind = NoticeKind::token_invalid;
    std::string dedupe_key;
    std::string text;
    nlohmann::json details = nlohmann::json::object();
};

struct Notice {
    std::int64_t id = 0;
    std::int64_t team_id = 0;
    std::string team_slug;
    std::string provider;
    std::string credential{kDefaultCredential};
    NoticeKind kind = NoticeKind::token_invalid;
    std::string text;
    nlohmann::json details = nlohmann::json::object();
    Timestamp created_at{};
    NoticeDelivery delivery = NoticeDelivery::none;
    std::int64_t attempts = 0;                 // delivery attempts so far
    std::optional<Timestamp> next_attempt_at;  // while pending
    std::string last_error;                    // never a secret
    std::optional<Timestamp> delivered_at;
};

// A team's outgoing notification webhook. The URL is sealed at rest (a Slack or Mattermost
// incoming-webhook URL is itself the secret); `url_hint` is what may be shown back.
struct NotificationSettings {
    std::int64_t team_id = 0;
    std::string webhook_url;  // secret; empty in listings
    std::string url_hint;     // "https://hooks.slack.com/…wxyz"
    Timestamp updated_at{};
};

// A notice claimed for delivery to its team's webhook (Store::claimNoticeDeliveries).
struct NoticeDeliveryTask {
    Notice notice;
    std::string webhook_url;  // secret
};

}  // namespace forgelink::store
