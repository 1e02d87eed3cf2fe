// What every backend of the Store shares about rows: the column lists and row readers of each
// table (kept side by side so a column added to one is added to the other), the checks of input
// values, the labels of sealed columns, and how a failure deep in a transaction is raised.
// A reader takes any row type with int64(i), text(i), isNull(i), optionalInt64(i) and
// optionalText(i) (columns 0-based): SQLite's Statement, PostgreSQL's PgRow. Internal to the
// backends: nothing outside core/src/store/ includes it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "secrets/digest.hpp"
#include "secrets/secret_box.hpp"
#include "store/record_codecs.hpp"
#include "store/seal_labels.hpp"
#include "store/records.hpp"
#include "store/seal_labels.hpp"

namespace forgelink::store::rows {

using nlohmann::json;

// An Error raised deep inside a transaction; unwinding rolls the transaction back.
struct ErrorException {
    Error error;
};

[[noreturn]] inline void raise(ErrorKind kind, std::string message, std::string code = {}) {
    throw ErrorException{makeError(kind, std::move(message), std::move(code))};
}

inline void requireText(std::string_view value, std::string_view field) {
    if (value.empty()) raise(ErrorKind::invalid_input, std::string(field) + " must not be empty", "missing_field");
}

inline void requireId(std::int64_t id, std::string_view field) {
    if (id <= 0) raise(ErrorKind::invalid_input, std::string(field) + " must be a positive id, got " + std::to_string(id), "bad_id");
}

// Each value must not be empty (invalid_input, missing_field, naming the first empty field).
inline void requireTexts(std::initializer_list<std::pair<std::string_view, std::string_view>> value_and_field) {
    for (const auto& [value, field] : value_and_field) requireText(value, field);
}

inline std::string inQuotes(std::string_view text) { return "'" + std::string(text) + "'"; }

// ---- sealed columns: the associated data names the row and column ----------------------------

inline std::string noCredential(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return "team " + std::to_string(team_id) + " has no " + std::string(provider) + " credential named '" +
           std::string(credential) + "'";
}

inline std::string codeVerifierLabel(std::string_view state) {
    return "oauth_state:" + std::string(state) + ":code_verifier";
}

inline std::string openOrRaise(const secrets::SecretBox& box, std::string_view sealed, std::string_view label) {
    auto opened = box.open(sealed, label);
    if (!opened) throw ErrorException{opened.error()};
    return std::move(opened).value();
}

// A stored enum the code does not know means a damaged row.
inline TaskState storedTaskState(std::string_view text) {
    if (auto state = parseTaskState(text)) return *state;
    raise(ErrorKind::internal, "stored task state " + inQuotes(text) + " is unknown", "database");
}

inline ActorKind storedActorKind(std::string_view text) {
    if (auto kind = parseActorKind(text)) return *kind;
    raise(ErrorKind::internal, "stored audit actor kind " + inQuotes(text) + " is unknown", "database");
}

// ---- row readers (column lists and readers kept side by side) --------------------------------

inline constexpr std::string_view kUserColumns = "id, provider, instance, forge_user_id, username, name, created_at";
inline constexpr auto readUser = [](const auto& s) -> User {
    return User{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), fromUnixMillis(s.int64(6))};
};

inline constexpr std::string_view kIdentityColumns = "user_id, provider, instance, forge_user_id, username, name, linked_at";
inline constexpr auto readIdentity = [](const auto& s) -> UserIdentity {
    return UserIdentity{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), fromUnixMillis(s.int64(6))};
};

inline constexpr std::string_view kTeamColumns = "id, slug, name, created_at";
inline constexpr auto readTeam = [](const auto& s) -> Team { return Team{s.int64(0), s.text(1), s.text(2), fromUnixMillis(s.int64(3))}; };

inline constexpr std::string_view kMemberSelect =
    "SELECT m.team_id, m.user_id, m.role, u.username, u.name FROM team_members m JOIN users u ON u.id = m.user_id ";
inline constexpr auto readMember = [](const auto& s) -> TeamMember {
    return TeamMember{s.int64(0), s.int64(1), parseTeamRole(s.text(2)).value_or(TeamRole::member), s.text(3), s.text(4)};
};

inline constexpr std::string_view kApiTokenColumns =
    "id, team_id, project_id, name, role, lookup_key, secret_digest, created_by, created_at, expires_at, last_used_at";
inline constexpr auto readApiToken = [](const auto& s) -> ApiToken {
    ApiToken t;
    t.id = s.int64(0);
    t.team_id = s.int64(1);
    t.project_id = s.optionalInt64(2).value_or(0);
    t.name = s.text(3);
    const std::string role = s.text(4);
    auto parsed = parseApiTokenRole(role);
    if (!parsed) raise(ErrorKind::internal, "stored API token role " + inQuotes(role) + " is unknown", "database");
    t.role = *parsed;
    t.lookup_key = s.text(5);
    t.secret_digest = s.text(6);
    t.created_by = s.text(7);
    t.created_at = fromUnixMillis(s.int64(8));
    if (auto at = s.optionalInt64(9)) t.expires_at = fromUnixMillis(*at);
    if (auto at = s.optionalInt64(10)) t.last_used_at = fromUnixMillis(*at);
    return t;
};

inline constexpr std::string_view kAuditColumns =
    "id, team_id, at, actor_kind, actor_user_id, actor_token_id, actor_name, client_address, action, target, details";
inline constexpr auto readAuditEvent = [](const auto& s) -> AuditEvent {
    AuditEvent e;
    e.id = s.int64(0);
    e.team_id = s.int64(1);
    e.at = fromUnixMillis(s.int64(2));
    e.actor.kind = storedActorKind(s.text(3));
    e.actor.user_id = s.optionalInt64(4).value_or(0);
    e.actor.token_id = s.optionalInt64(5).value_or(0);
    e.actor.name = s.text(6);
    e.client_address = s.text(7);
    e.action = s.text(8);
    e.target = s.text(9);
    e.details = json::parse(s.text(10));
    return e;
};

inline constexpr std::string_view kSettingsColumns =
    "team_id, provider, base_url, instance, token_last4, kind, identity, scopes, expires_at, warnings, status, "
    "invalid_reason, invalid_notified_at, updated_at, access, checked_at, next_check_at, name";

inline constexpr auto readSettings = [](const auto& s) -> ProviderSettings {
    ProviderSettings p;
    p.team_id = s.int64(0);
    p.provider = s.text(1);
    p.base_url = s.text(2);
    p.instance = s.text(3);
    p.token_last4 = s.text(4);
    p.kind = parseTokenKind(s.text(5));
    p.identity = parseIdentity(s.text(6));
    p.scopes = json::parse(s.text(7)).template get<std::vector<std::string>>();
    p.expires_at = s.optionalText(8);
    p.warnings = parseWarnings(s.text(9));
    p.status = s.text(10) == "invalid" ? ProviderStatus::invalid : ProviderStatus::active;
    p.invalid_reason = s.text(11);
    if (auto at = s.optionalInt64(12)) p.invalid_notified_at = fromUnixMillis(*at);
    p.updated_at = fromUnixMillis(s.int64(13));
    readAccess(s.text(14), p);
    if (auto at = s.optionalInt64(15)) p.checked_at = fromUnixMillis(*at);
    p.next_check_at = fromUnixMillis(s.int64(16));
    p.name = s.text(17);
    return p;
};

// Saves a team's credential (?1 team, ?2 provider, ?3 base URL, ?4 instance, ?5 sealed token,
// ?6 last four, ?7 kind, ?8 identity, ?9 scopes, ?10 expires at, ?11 warnings, ?12 now, ?13 access,
// ?14 next check, ?15 name): a new token starts active, unchecked by anyone, and returns its row.
inline std::string saveProviderSettingsSql() {
    return std::string(
               "INSERT INTO provider_settings (team_id, provider, base_url, instance, token_sealed, "
               "token_last4, kind, identity, scopes, expires_at, warnings, status, invalid_reason, "
               "invalid_notified_at, updated_at, access, checked_at, next_check_at, check_owner, "
               "check_lease_until, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
               "?11, 'active', '', NULL, ?12, ?13, ?12, ?14, NULL, NULL, ?15) "
               "ON CONFLICT (team_id, provider, name) DO UPDATE SET "
               "base_url = excluded.base_url, instance = excluded.instance, "
               "token_sealed = excluded.token_sealed, token_last4 = excluded.token_last4, "
               "kind = excluded.kind, identity = excluded.identity, scopes = excluded.scopes, "
               "expires_at = excluded.expires_at, warnings = excluded.warnings, status = 'active', "
               "invalid_reason = '', invalid_notified_at = NULL, updated_at = excluded.updated_at, "
               "access = excluded.access, checked_at = excluded.checked_at, "
               "next_check_at = excluded.next_check_at, check_owner = NULL, "
               "check_lease_until = NULL RETURNING ") +
           std::string(kSettingsColumns);
}

inline constexpr std::string_view kProjectColumns = "id, team_id, name, slug, created_at";
// `at`: the first of its columns, for rows that join several records.
inline constexpr auto readProjectAt = [](const auto& s, int at) -> Project {
    return Project{s.int64(at), s.int64(at + 1), s.text(at + 2), s.text(at + 3), fromUnixMillis(s.int64(at + 4))};
};
inline constexpr auto readProject = [](const auto& s) -> Project { return readProjectAt(s, 0); };

inline constexpr std::string_view kLinkColumns =
    "project_id, provider, instance, repository_id, full_path, web_url, status_context, linked_at, credential";
inline constexpr auto readLinkAt = [](const auto& s, int at) -> RepositoryLink {
    return RepositoryLink{s.int64(at),     s.text(at + 1), s.text(at + 2), s.text(at + 3), s.text(at + 4),
                          s.text(at + 5), s.text(at + 6), fromUnixMillis(s.int64(at + 7)), s.text(at + 8)};
};
inline constexpr auto readLink = [](const auto& s) -> RepositoryLink { return readLinkAt(s, 0); };

// Every project of a team ($1 / ?1) with its link, if any, in one query (a listing of 1,000
// projects was 1,001 queries one by one).
inline constexpr std::string_view kProjectsWithLinksSelect =
    "SELECT p.id, p.team_id, p.name, p.slug, p.created_at, l.project_id, l.provider, l.instance, "
    "l.repository_id, l.full_path, l.web_url, l.status_context, l.linked_at, l.credential FROM projects p "
    "LEFT JOIN repository_links l ON l.project_id = p.id WHERE p.team_id = ?1 ORDER BY p.slug";
inline constexpr auto readProjectWithLink = [](const auto& s) -> ProjectWithLink {
    ProjectWithLink row{readProjectAt(s, 0), std::nullopt};
    if (!s.isNull(5)) row.link = readLinkAt(s, 5);
    return row;
};

inline constexpr std::string_view kBuildColumns =
    "id, project_id, commit_sha, branch, mr_number, head_sha, state, stats, url, created_at, updated_at, version, "
    "timed_out_at, timed_out_after, mr_head_sha";
inline constexpr auto readBuild = [](const auto& s) -> Build {
    Build b;
    b.id = s.int64(0);
    b.project_id = s.int64(1);
    b.commit_sha = s.text(2);
    b.branch = s.text(3);
    b.mr_number = s.text(4);
    b.head_sha = s.text(5);
    const std::string state = s.text(6);
    auto parsed = parseBuildState(state);
    if (!parsed) raise(ErrorKind::internal, "stored build state " + inQuotes(state) + " is unknown", "database");
    b.state = *parsed;
    b.stats = parseStats(s.text(7));
    b.url = s.text(8);
    b.created_at = fromUnixMillis(s.int64(9));
    b.updated_at = fromUnixMillis(s.int64(10));
    b.version = s.int64(11);
    if (!s.isNull(12)) b.timed_out_at = fromUnixMillis(s.int64(12));
    if (!s.isNull(13)) b.timed_out_after_seconds = s.int64(13);
    b.mr_head_sha = s.text(14);
    return b;
};

inline constexpr std::string_view kTaskColumns =
    "id, team_id, provider, instance, repository_id, commit_sha, context, kind, mr_number, payload, build_id, "
    "build_version, state, attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, result, created_at, "
    "updated_at";
inline constexpr auto readTask = [](const auto& s) -> FeedbackTask {
    FeedbackTask t;
    t.id = s.int64(0);
    t.team_id = s.int64(1);
    t.key.provider = s.text(2);
    t.key.instance = s.text(3);
    t.key.repository_id = s.text(4);
    t.key.commit_sha = s.text(5);
    t.key.context = s.text(6);
    t.key.kind = parseFeedbackKind(s.text(7));
    t.key.mr_number = s.text(8);
    t.payload = json::parse(s.text(9));
    t.build_id = s.int64(10);
    t.build_version = s.int64(11);
    t.state = storedTaskState(s.text(12));
    t.attempts = s.int64(13);
    t.next_attempt_at = fromUnixMillis(s.int64(14));
    t.lease_owner = s.text(15);
    if (auto at = s.optionalInt64(16)) t.lease_expires_at = fromUnixMillis(*at);
    t.last_error = s.text(17);
    if (auto result = s.optionalText(18)) t.result = json::parse(*result);
    t.created_at = fromUnixMillis(s.int64(19));
    t.updated_at = fromUnixMillis(s.int64(20));
    return t;
};

// ---- shared decisions (no SQL) ----------------------------------------------------------------

// Unlinking `provider` from a user with `identities`: the identity that stays to show the user
// (the first other one). not_found when none of `provider` is linked; conflict when it is the
// user's only way in.
inline UserIdentity identityKeptAfterUnlink(const std::vector<UserIdentity>& identities, std::string_view provider) {
    const UserIdentity* gone = nullptr;
    const UserIdentity* kept = nullptr;
    for (const auto& identity : identities) {
        if (identity.provider == provider) gone = &identity;
        else if (kept == nullptr) kept = &identity;
    }
    if (gone == nullptr) raise(ErrorKind::not_found, "no " + std::string(provider) + " account is linked to this user", "not_found");
    if (kept == nullptr)
        raise(ErrorKind::conflict,
              "the " + std::string(provider) + " account is the only way this user signs in; link another first",
              "last_identity");
    return *kept;
}

// ---- claims (owner + lease) of refreshes and re-checks ---------------------------------------

inline void requireLease(std::chrono::milliseconds lease, std::string_view prefix = {}) {
    if (lease.count() <= 0) raise(ErrorKind::invalid_input, std::string(prefix) + "the lease must be positive", "bad_lease");
}

// What a claim of users' token pairs needs: a provider, an owner and a positive lease.
inline void requireUserTokenClaim(std::string_view provider, std::string_view owner, std::chrono::milliseconds lease) {
    if (provider.empty() || owner.empty())
        raise(ErrorKind::invalid_input, "claiming user tokens: provider and owner must not be empty", "missing_field");
    requireLease(lease, "claiming user tokens: ");
}

inline Error userRefreshClaimLost(std::int64_t user_id, std::string_view provider) {
    return makeError(ErrorKind::conflict,
                     "the refresh claim on user " + std::to_string(user_id) + "'s " + std::string(provider) +
                         " tokens is no longer held (its lease ran out, or a new login replaced the pair)",
                     "claim_lost");
}

inline Error checkClaimLost(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return makeError(ErrorKind::conflict,
                     "the re-check claim on team " + std::to_string(team_id) + "'s " + std::string(provider) + " token '" +
                         std::string(credential) + "' is no longer held (its lease ran out, or a new token was saved)",
                     "claim_lost");
}

// A user's token pair as stored: both sealed under their labels (the refresh token, when there
// is one), the expiry in unix milliseconds.
struct SealedUserTokens {
    std::string access;
    std::optional<std::string> refresh;
    std::optional<std::int64_t> expires_at;
};
inline SealedUserTokens sealUserTokens(const secrets::SecretBox& box, const UserTokens& t) {
    SealedUserTokens sealed{box.seal(t.access_token, userTokenLabel(t.user_id, t.provider, "access_token")), {}, {}};
    if (!t.refresh_token.empty()) sealed.refresh = box.seal(t.refresh_token, userTokenLabel(t.user_id, t.provider, "refresh_token"));
    if (t.expires_at) sealed.expires_at = toUnixMillis(*t.expires_at);
    return sealed;
}

// What storing a refreshed pair needs: the user, provider, access token and the claim's owner.
inline void requireRefreshedTokens(const UserTokens& tokens, std::string_view owner) {
    if (tokens.user_id <= 0 || tokens.provider.empty() || tokens.access_token.empty() || owner.empty())
        raise(ErrorKind::invalid_input, "completing a token refresh: user id, provider, access token and owner are required",
              "missing_field");
}

// A claimed user token pair (columns user_id, access_token_sealed, refresh_token_sealed,
// expires_at, updated_at), opened; nullopt when a token does not open under `box` (sealed under
// another key, or damaged): nobody can refresh it, and the claim is left for rekey or a new login.
inline constexpr auto openClaimedUserTokens = [](const auto& s, const secrets::SecretBox& box,
                                                 std::string_view provider) -> std::optional<UserTokens> {
    UserTokens tokens;
    tokens.user_id = s.int64(0);
    tokens.provider = std::string(provider);
    auto access = box.open(s.text(1), userTokenLabel(tokens.user_id, provider, "access_token"));
    auto refresh = box.open(s.text(2), userTokenLabel(tokens.user_id, provider, "refresh_token"));
    if (!access || !refresh) return std::nullopt;
    tokens.access_token = std::move(access).value();
    tokens.refresh_token = std::move(refresh).value();
    if (auto at = s.optionalInt64(3)) tokens.expires_at = fromUnixMillis(*at);
    tokens.updated_at = fromUnixMillis(s.int64(4));
    return tokens;
};

// A claimed token re-check (columns team_id, provider, base_url, token_sealed, status,
// invalid_reason, team slug, name), opened; nullopt when the token does not open under `box`
// (sealed under another key: nobody can check it; it is left to rekey or a new save).
inline constexpr auto openClaimedCheck = [](const auto& s, const secrets::SecretBox& box) -> std::optional<ProviderCheck> {
    ProviderCheck check;
    check.team_id = s.int64(0);
    check.provider = s.text(1);
    check.name = s.text(7);
    check.credentials.base_url = s.text(2);
    auto token = box.open(s.text(3), providerTokenLabel(check.team_id, check.provider, check.name));
    if (!token) return std::nullopt;
    check.credentials.token = std::move(token).value();
    check.status = s.text(4) == "invalid" ? ProviderStatus::invalid : ProviderStatus::active;
    check.invalid_reason = s.text(5);
    check.team_slug = s.text(6);
    return check;
};

// ---- builds and the outbox (outbox.cpp of each backend) -------------------------------------

// What recordBuildChange refuses before it writes anything.
inline void requireBuildChange(const BuildChange& change) {
    requireId(change.build.project_id, "project id");
    requireText(change.build.commit_sha, "commit sha");
    for (const auto& task : change.tasks) {
        requireId(task.team_id, "feedback task team id");
        requireText(task.key.provider, "feedback task provider");
        requireText(task.key.instance, "feedback task instance");
        requireText(task.key.repository_id, "feedback task repository id");
        requireText(task.key.commit_sha, "feedback task commit sha");
        // A comment task without an MR number is allowed: the dispatcher then comments on the
        // open merge requests of the commit, as the forge knows them.
    }
}

// A change of an existing build must name its project and, when it expects a version, find it.
inline void requireBuildChangeFits(const Build& current, const BuildInput& in) {
    if (current.project_id != in.project_id) {
        raise(ErrorKind::invalid_input,
              "build " + std::to_string(current.id) + " belongs to project " + std::to_string(current.project_id) + ", not " +
                  std::to_string(in.project_id),
              "wrong_project");
    }
    if (in.expected_version && *in.expected_version != current.version) {
        raise(ErrorKind::conflict,
              "build " + std::to_string(current.id) + " is at version " + std::to_string(current.version) + ", not " +
                  std::to_string(*in.expected_version) + " as expected; reload it and retry",
              "version_mismatch");
    }
}

// The lease check of complete/retry/fail on the task as it is now.
inline void requireTaskLease(const FeedbackTask& task, std::string_view owner) {
    if (task.state != TaskState::in_flight || task.lease_owner != owner) {
        raise(ErrorKind::conflict,
              "feedback task " + std::to_string(task.id) + " is not leased to " + inQuotes(owner) + " (state " +
                  std::string(toString(task.state)) +
                  (task.lease_owner.empty() ? std::string() : ", lease held by " + inQuotes(task.lease_owner)) +
                  "); its lease expired and it was handed to another dispatcher",
              "lease_lost");
    }
}

// What a completed task stores as its result: the completion's, with the comment id; and whether
// the dispatcher completed it as superseded ({"superseded": true}: its key already went out for a
// newer build), which it ends as, not 'done'.
inline json completionResult(const TaskCompletion& completion) {
    json result = completion.result;
    if (!completion.comment_id.empty()) result["comment_id"] = completion.comment_id;
    return result;
}
inline bool completedAsSuperseded(const json& result) { return result.is_object() && result.value("superseded", false); }

// The count of tasks in the stored `state`, set in `counts`.
inline void countTasksIn(TaskCounts& counts, std::string_view state, std::int64_t n) {
    switch (storedTaskState(state)) {
        case TaskState::pending: counts.pending = n; break;
        case TaskState::in_flight: counts.in_flight = n; break;
        case TaskState::done: counts.done = n; break;
        case TaskState::failed: counts.failed = n; break;
        case TaskState::paused: counts.paused = n; break;
        case TaskState::superseded: counts.superseded = n; break;
    }
}

// Claimed tasks in the order they are handed out: oldest due first.
inline void sortByDueTime(std::vector<FeedbackTask>& tasks) {
    std::sort(tasks.begin(), tasks.end(), [](const FeedbackTask& a, const FeedbackTask& b) {
        return a.next_attempt_at != b.next_attempt_at ? a.next_attempt_at < b.next_attempt_at : a.id < b.id;
    });
}

// ---- token rotation (token_rotation.cpp of each backend) -------------------------------------

inline std::string rotationSubject(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return "team " + std::to_string(team_id) + "'s " + std::string(provider) + " token '" + std::string(credential) + "'";
}

inline Error rotationClaimLost(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return makeError(ErrorKind::conflict,
                     "the rotation claim on " + rotationSubject(team_id, provider, credential) +
                         " is no longer held (its lease ran out)",
                     "claim_lost");
}

// not_found for a credential the team does not have; `why` is added to the message.
inline Error noRotationSettings(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                std::string_view why = {}) {
    return makeError(ErrorKind::not_found, noCredential(team_id, provider, credential) + std::string(why), "not_found");
}

inline std::optional<Timestamp> optionalTimeAt(const auto& s, int column) {
    if (auto at = s.optionalInt64(column)) return fromUnixMillis(*at);
    return std::nullopt;
}

inline constexpr std::string_view kRotationColumns =
    "team_id, provider, enabled, days_before_expiry, new_lifetime_days, unavailable_reason, availability_checked_at, "
    "state, started_at, last_rotated_at, last_failed_at, last_error, next_attempt_at, name";
inline constexpr auto readRotation = [](const auto& s) -> ProviderRotation {
    ProviderRotation r;
    r.team_id = s.int64(0);
    r.provider = s.text(1);
    r.settings.enabled = s.int64(2) != 0;
    r.settings.days_before_expiry = static_cast<int>(s.int64(3));
    r.settings.new_lifetime_days = static_cast<int>(s.int64(4));
    r.unavailable_reason = s.text(5);
    r.availability_checked_at = optionalTimeAt(s, 6);
    r.state = s.text(7) == "rotating" ? RotationState::rotating : RotationState::idle;
    r.started_at = optionalTimeAt(s, 8);
    r.last_rotated_at = optionalTimeAt(s, 9);
    r.last_failed_at = optionalTimeAt(s, 10);
    r.last_error = s.text(11);
    r.next_attempt_at = fromUnixMillis(s.int64(12));
    r.name = s.text(13);
    return r;
};

// What a claim of provider_rotations returns: team_id, provider, enabled, days_before_expiry,
// new_lifetime_days, state, started_at, team slug, credential name.
inline constexpr std::string_view kRotationClaimReturning =
    " RETURNING team_id, provider, enabled, days_before_expiry, new_lifetime_days, state, started_at,"
    " (SELECT slug FROM teams WHERE teams.id = provider_rotations.team_id), name";
inline constexpr auto readRotationClaim = [](const auto& s) -> RotationClaim {
    RotationClaim c;
    c.team_id = s.int64(0);
    c.provider = s.text(1);
    c.settings.enabled = s.int64(2) != 0;
    c.settings.days_before_expiry = static_cast<int>(s.int64(3));
    c.settings.new_lifetime_days = static_cast<int>(s.int64(4));
    c.state = s.text(5) == "rotating" ? RotationState::rotating : RotationState::idle;
    c.started_at = optionalTimeAt(s, 6);
    c.team_slug = s.text(7);
    c.name = s.text(8);
    return c;
};

// The day of `at` as YYYY-MM-DD, UTC: how provider_settings.expires_at is stored.
inline std::string dayOf(Timestamp at) {
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(at)};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

// ---- teams' refresh tokens (team_token_refresh.cpp of each backend) --------------------------

inline std::string teamCredentialSubject(std::int64_t team_id, std::string_view provider, std::string_view name) {
    return "team " + std::to_string(team_id) + "'s " + std::string(provider) + " credential '" + std::string(name) + "'";
}

inline Error teamRefreshClaimLost(std::int64_t team_id, std::string_view provider, std::string_view name) {
    return makeError(ErrorKind::conflict,
                     "the refresh claim on " + teamCredentialSubject(team_id, provider, name) +
                         " is no longer held (its lease ran out, or a new token was saved)",
                     "claim_lost");
}

// Binds nothing secret: a digest of the access token a team's refresh token goes with.
inline std::string teamAccessDigest(std::string_view token) {
    return secrets::sha256Hex("forgelink-team-access\n" + std::string(token));
}

// A team refresh token as its claim returned it, and what becomes of it once its credential is
// read: handed out, or (the credential removed or given a new token) stale and deleted, or
// (sealed under another key) unreadable, released for rekey or a new save.
struct ClaimedTeamRefresh {
    std::int64_t team_id = 0;
    std::string name;
    std::string refresh_sealed;
    std::string digest;
    std::optional<std::int64_t> expires_at;
};
inline constexpr std::string_view kTeamRefreshClaimReturning =
    " RETURNING team_id, name, refresh_token_sealed, access_digest, expires_at";
inline constexpr auto readClaimedTeamRefresh = [](const auto& s) -> ClaimedTeamRefresh {
    return ClaimedTeamRefresh{s.int64(0), s.text(1), s.text(2), s.text(3), s.optionalInt64(4)};
};

// The credential a claimed refresh token renews: p.base_url, p.token_sealed, t.slug.
struct TeamRefreshCredential {
    std::string base_url;
    std::string token_sealed;
    std::string team_slug;
};
inline constexpr auto readTeamRefreshCredential = [](const auto& s) -> TeamRefreshCredential {
    return TeamRefreshCredential{s.text(0), s.text(1), s.text(2)};
};

enum class TeamRefreshFate { claimed, stale, unreadable };

// `credential`: std::nullopt when it was removed. `out` is filled when claimed.
inline TeamRefreshFate openClaimedTeamRefresh(const secrets::SecretBox& box, std::string_view provider,
                                              const ClaimedTeamRefresh& row,
                                              const std::optional<TeamRefreshCredential>& credential, TeamTokenRefresh& out) {
    if (!credential) return TeamRefreshFate::stale;
    auto access = box.open(credential->token_sealed, providerTokenLabel(row.team_id, provider, row.name));
    auto refresh = box.open(row.refresh_sealed, teamRefreshTokenLabel(row.team_id, provider, row.name));
    if (!access || !refresh) return TeamRefreshFate::unreadable;
    if (teamAccessDigest(access.value()) != row.digest) return TeamRefreshFate::stale;
    out.team_id = row.team_id;
    out.provider = std::string(provider);
    out.name = row.name;
    out.base_url = credential->base_url;
    out.team_slug = credential->team_slug;
    out.access_token = std::move(access).value();
    out.refresh_token = std::move(refresh).value();
    if (row.expires_at) out.expires_at = fromUnixMillis(*row.expires_at);
    return TeamRefreshFate::claimed;
}

// The claimed refresh tokens in the order they are handed out: soonest expiry first (unknown first).
inline void sortBySoonestExpiry(std::vector<ClaimedTeamRefresh>& rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const ClaimedTeamRefresh& a, const ClaimedTeamRefresh& b) {
        return a.expires_at.value_or(0) < b.expires_at.value_or(0);
    });
}

// ---- notices (notices.cpp of each backend) ------------------------------------------------

inline NoticeDelivery storedNoticeDelivery(std::string_view text) {
    for (auto d : {NoticeDelivery::none, NoticeDelivery::pending, NoticeDelivery::in_flight, NoticeDelivery::delivered,
                   NoticeDelivery::failed})
        if (toString(d) == text) return d;
    return NoticeDelivery::none;
}

// Read from `notices n`.
inline constexpr std::string_view kNoticeColumns =
    "n.id, n.team_id, (SELECT slug FROM teams WHERE teams.id = n.team_id), n.provider, n.kind, n.text, n.details, "
    "n.created_at, n.delivery, n.attempts, n.next_attempt_at, n.last_error, n.delivered_at, n.credential";
inline constexpr auto readNotice = [](const auto& s) -> Notice {
    Notice n;
    n.id = s.int64(0);
    n.team_id = s.int64(1);
    n.team_slug = s.optionalText(2).value_or("");
    n.provider = s.text(3);
    n.kind = parseNoticeKind(s.text(4)).value_or(NoticeKind::token_invalid);
    n.text = s.text(5);
    n.details = json::parse(s.text(6), nullptr, false);
    if (n.details.is_discarded()) n.details = json::object();
    n.created_at = fromUnixMillis(s.int64(7));
    n.delivery = storedNoticeDelivery(s.text(8));
    n.attempts = s.int64(9);
    if (auto at = s.optionalInt64(10)) n.next_attempt_at = fromUnixMillis(*at);
    n.last_error = s.text(11);
    if (auto at = s.optionalInt64(12)) n.delivered_at = fromUnixMillis(*at);
    n.credential = s.text(13);
    return n;
};

// What may be shown of a webhook URL: its scheme and host, and the last four characters of the
// rest when that is long enough for four to be a small part of it (Slack's URL path is the secret).
inline std::string webhookHint(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return "…";
    const auto path_at = url.find_first_of("/?#", scheme_end + 3);
    const std::string_view origin = url.substr(0, path_at);
    const std::string_view rest = path_at == std::string_view::npos ? std::string_view() : url.substr(path_at);
    if (rest.size() >= 16) return std::string(origin) + "/…" + std::string(rest.substr(rest.size() - 4));
    return std::string(origin) + (rest.empty() ? "" : "/…");
}

inline Error noticeLeaseLost(std::int64_t notice_id) {
    return makeError(ErrorKind::conflict,
                     "the delivery lease on notice " + std::to_string(notice_id) +
                         " is no longer held (it ran out and another sender took the notice)",
                     "lease_lost");
}

inline std::string sql(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto part : parts) out += part;
    return out;
}

}  // namespace forgelink::store::rows
