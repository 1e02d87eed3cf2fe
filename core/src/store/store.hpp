// The Store: everything Forgelink remembers, behind one interface so a PostgreSQL backend can
// follow the SQLite one. Nothing lives only in memory: two host processes on the same database
// see the same state, and every guarantee below holds across processes.
//
// Threading: every method may be called from any thread at any time; each call is atomic (one
// transaction). Results are copies owned by the caller.
//
// Errors (forgelink::Result): not_found (no such row, or an expired session/OAuth state),
// conflict (a unique key is taken, a version or lease no longer matches), invalid_input (bad
// value, or a row it refers to does not exist), internal (the database failed). Messages name
// the table and key but never a secret.
//
// Secrets (provider tokens, user OAuth tokens, PKCE verifiers) go in as plain text and are sealed
// by the store with the SecretBox it was opened with; they never reach the database in clear.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <forgelink/result.hpp>

#include "store/records.hpp"

namespace forgelink::secrets {
class SecretBox;
}

namespace forgelink::store {

class Store {
public:
    virtual ~Store() = default;

    // ---- users ---------------------------------------------------------------------------
    // The user an identity belongs to (refreshing the identity's username and name); on the first
    // login with an identity that belongs to nobody, a new user with it. Returns the user.
    virtual Result<User> upsertUser(const UserProfile& profile) = 0;
    virtual Result<User> user(std::int64_t user_id) = 0;
    // The user the identity belongs to.
    virtual Result<User> findUser(std::string_view provider, std::string_view instance,
                                  std::string_view forge_user_id) = 0;
    // Attaches a forge identity to an existing user (refreshing names when it is already theirs).
    // conflict (code identity_taken) when it belongs to another user; conflict (code
    // provider_linked) when the user already has another identity of that provider;
    // not_found when the user does not exist.
    virtual Result<UserIdentity> linkIdentity(std::int64_t user_id, const UserProfile& profile) = 0;
    // The user's identities, oldest first.
    virtual Result<std::vector<UserIdentity>> userIdentities(std::int64_t user_id) = 0;
    // Detaches the user's identity of `provider` and deletes the user's login tokens for it.
    // not_found when the user has none; conflict (code last_identity) when it is the only one.
    virtual Result<void> unlinkIdentity(std::int64_t user_id, std::string_view provider) = 0;
    // Every linked forge identity named `username` (compared without case, as GitLab and GitHub
    // do), as its user's row with that identity's provider, instance, forge id and names;
    // `provider` empty for any forge. One person may appear twice (the same name on two linked
    // forges). Ordered by provider, instance, user id. Empty when nobody has that name.
    virtual Result<std::vector<User>> usersNamed(std::string_view username, std::string_view provider) = 0;

    // ---- sessions (only SHA-256(token) is stored) ----------------------------------------
    virtual Result<Session> createSession(std::string_view token, std::int64_t user_id, Timestamp expires_at) = 0;
    // not_found when unknown or expired at `now`.
    virtual Result<Session> findSession(std::string_view token, Timestamp now) = 0;
    virtual Result<void> deleteSession(std::string_view token) = 0;
    // Returns how many were removed.
    virtual Result<std::int64_t> deleteExpiredSessions(Timestamp now) = 0;

    // ---- OAuth login states --------------------------------------------------------------
    // conflict if the state string is already in use.
    virtual Result<void> saveOAuthState(const OAuthState& state) = 0;
    // Returns and deletes the state in one step: of two concurrent callbacks only one gets it.
    // not_found when unknown, already consumed, or expired at `now` (an expired one is deleted).
    virtual Result<OAuthState> consumeOAuthState(std::string_view state, Timestamp now) = 0;
    virtual Result<std::int64_t> deleteExpiredOAuthStates(Timestamp now) = 0;

    // ---- a user's own OAuth tokens -------------------------------------------------------
    // Replaces both tokens at once (a refresh rotates the pair).
    virtual Result<void> saveUserTokens(const UserTokens& tokens) = 0;
    virtual Result<UserTokens> userTokens(std::int64_t user_id, std::string_view provider) = 0;
    virtual Result<void> deleteUserTokens(std::int64_t user_id, std::string_view provider) = 0;

    // ---- teams and members ---------------------------------------------------------------
    // conflict when the slug is taken.
    virtual Result<Team> createTeam(std::string_view slug, std::string_view name) = 0;
    virtual Result<Team> team(std::int64_t team_id) = 0;
    virtual Result<Team> findTeamBySlug(std::string_view slug) = 0;
    virtual Result<std::vector<Team>> listTeams() = 0;
    virtual Result<std::vector<Team>> listTeamsOfUser(std::int64_t user_id) = 0;
    virtual Result<Team> renameTeam(std::int64_t team_id, std::string_view name) = 0;
    // Removes the team with its members, settings, projects, builds and feedback tasks.
    virtual Result<void> deleteTeam(std::int64_t team_id) = 0;

    // conflict when already a member; invalid_input when team or user does not exist.
    virtual Result<TeamMember> addTeamMember(std::int64_t team_id, std::int64_t user_id, TeamRole role) = 0;
    virtual Result<TeamMember> setTeamMemberRole(std::int64_t team_id, std::int64_t user_id, TeamRole role) = 0;
    virtual Result<void> removeTeamMember(std::int64_t team_id, std::int64_t user_id) = 0;
    virtual Result<TeamMember> teamMember(std::int64_t team_id, std::int64_t user_id) = 0;
    virtual Result<std::vector<TeamMember>> listTeamMembers(std::int64_t team_id) = 0;

    // ---- scoped API tokens ---------------------------------------------------------------
    // conflict (already_exists) when the team has a token of that name; invalid_input when the
    // team or project does not exist or the project is another team's.
    virtual Result<ApiToken> createApiToken(const ApiTokenInput& input) = 0;
    // The token with this lookup key, expired or not (the caller compares the digest and the
    // expiry); not_found when there is none (never made, or revoked).
    virtual Result<ApiToken> findApiToken(std::string_view lookup_key) = 0;
    // The team's tokens, by name.
    virtual Result<std::vector<ApiToken>> listApiTokens(std::int64_t team_id) = 0;
    // Deletes the team's token and returns it; not_found when the team has no such token.
    virtual Result<ApiToken> revokeApiToken(std::int64_t team_id, std::int64_t token_id) = 0;
    // Sets last_used_at to `at` unless it is already later than `at - min_interval`, so a burst
    // of requests writes once: returns whether it wrote.
    virtual Result<bool> touchApiToken(std::int64_t token_id, Timestamp at, std::chrono::milliseconds min_interval) = 0;

    // ---- the audit log ------------------------------------------------------------------
    // Appends one event, stamped with the store's clock; invalid_input when the team does not
    // exist. Events go with their team when it is deleted.
    virtual Result<AuditEvent> recordAuditEvent(const AuditEventInput& event) = 0;
    // The team's events, newest first, at most `limit`; `before_id` > 0 pages backwards.
    virtual Result<std::vector<AuditEvent>> listAuditEvents(std::int64_t team_id, std::size_t limit,
                                                            std::int64_t before_id = 0) = 0;
    // Deletes every event older than `before` (audit.retention_days). Returns how many.
    virtual Result<std::int64_t> purgeAuditEvents(Timestamp before) = 0;

    // ---- provider settings: a team's named credentials per provider ----------------------
    // Each is keyed by (team, provider, name); `credential` defaults to kDefaultCredential, the
    // one a team has when it never named any. not_found names the team, provider and credential.
    // Inserts or replaces input.name's; a saved token makes it active again (invalid fields cleared).
    virtual Result<ProviderSettings> saveProviderSettings(const ProviderSettingsInput& input) = 0;
    virtual Result<ProviderSettings> providerSettings(std::int64_t team_id, std::string_view provider,
                                                      std::string_view credential = kDefaultCredential) = 0;
    // Every credential of the team, ordered by provider, then 'default' first, then by name.
    virtual Result<std::vector<ProviderSettings>> listProviderSettings(std::int64_t team_id) = 0;
    // base_url and the opened token, for calling the provider.
    virtual Result<Credentials> providerCredentials(std::int64_t team_id, std::string_view provider,
                                                    std::string_view credential = kDefaultCredential) = 0;
    // The forge rejected the token: status invalid with a reason (invalid_notified_at cleared
    // when the reason changes, so people hear about a new problem), and its re-check due at once
    // so the maintenance loop confirms it through the checks a save makes.
    virtual Result<void> markProviderInvalid(std::int64_t team_id, std::string_view provider, std::string_view reason,
                                             std::string_view credential = kDefaultCredential) = 0;
    virtual Result<void> markProviderInvalidNotified(std::int64_t team_id, std::string_view provider, Timestamp at,
                                                     std::string_view credential = kDefaultCredential) = 0;
    virtual Result<void> deleteProviderSettings(std::int64_t team_id, std::string_view provider,
                                                std::string_view credential = kDefaultCredential) = 0;
    // The credential that serves this repository for the team's feedback: the one named on the
    // team's link to it (the oldest link when several projects link it), with its token opened.
    // not_found, code not_linked when no project of the team links the repository, code
    // credential_removed when the credential the link names is gone (the message says which).
    virtual Result<NamedCredentials> servingCredentials(std::int64_t team_id, std::string_view provider,
                                                        std::string_view instance,
                                                        std::string_view repository_id) = 0;
    // The team's repository links served by the credential, ordered by project slug.
    virtual Result<std::vector<ProjectWithLink>> linksServedBy(std::int64_t team_id, std::string_view provider,
                                                               std::string_view credential) = 0;
    // Makes `credential` serve the project's link (the link must exist: not_found otherwise).
    virtual Result<RepositoryLink> setLinkCredential(std::int64_t project_id, std::string_view credential) = 0;

    // ---- projects and repository links ---------------------------------------------------
    // conflict when the slug is taken within the team.
    virtual Result<Project> createProject(std::int64_t team_id, std::string_view slug, std::string_view name) = 0;
    virtual Result<Project> project(std::int64_t project_id) = 0;
    virtual Result<Project> findProjectBySlug(std::int64_t team_id, std::string_view slug) = 0;
    virtual Result<std::vector<Project>> listProjects(std::int64_t team_id) = 0;
    virtual Result<Project> renameProject(std::int64_t project_id, std::string_view name) = 0;
    virtual Result<void> deleteProject(std::int64_t project_id) = 0;

    // Links (or re-links) the project to one repository; returns the stored link.
    virtual Result<RepositoryLink> linkRepository(const RepositoryLink& link) = 0;
    virtual Result<RepositoryLink> repositoryLink(std::int64_t project_id) = 0;
    virtual Result<void> unlinkRepository(std::int64_t project_id) = 0;
    // Every project linked to this repository (several may share one).
    virtual Result<std::vector<RepositoryLink>> findLinksToRepository(std::string_view provider,
                                                                     std::string_view instance,
                                                                     std::string_view repository_id) = 0;
    // The team's projects ordered by slug, each with its repository link (none when not linked),
    // read in one query: the same as listProjects() then repositoryLink() for each.
    virtual Result<std::vector<ProjectWithLink>> listProjectsWithLinks(std::int64_t team_id) = 0;
    // A number that changes whenever what the team's listing shows changes (a project created,
    // renamed or deleted, a link made, changed or removed, the team's slug, the team deleted and
    // its id reused), whoever wrote it: the database keeps it, so every host sharing it agrees.
    // Never decreases. 0 for a team id that never existed.
    virtual Result<std::int64_t> projectListVersion(std::int64_t team_id) = 0;
    // The version, the team's slug and listProjectsWithLinks(), read in one transaction so the
    // rows are exactly those of that version. not_found when the team does not exist.
    virtual Result<ProjectListing> projectListing(std::int64_t team_id) = 0;

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

    // ---- refreshing login tokens in the background (sqlite_store_maintenance.cpp) ----------
    // A refresh spends the refresh token (the forge rotates the pair), so of several hosts only the
    // one holding the claim may spend it. Claims up to `limit` of `provider`'s user tokens that
    // have a refresh token and expire before `expiring_before`, for `owner` until now + lease,
    // in one statement: a pair claimed by another owner whose lease has not run out is skipped.
    // Soonest expiry first. saveUserTokens() (a new login) ends any claim on the pair.
    virtual Result<std::vector<UserTokens>> claimUserTokensToRefresh(std::string_view provider, std::string_view owner,
                                                                     Timestamp expiring_before, Timestamp now,
                                                                     std::chrono::milliseconds lease,
                                                                     std::size_t limit) = 0;
    // Stores the refreshed pair and ends the claim; conflict when `owner` no longer holds it (the
    // lease ran out and another host took it, or a login replaced the pair): keep nothing then.
    virtual Result<void> completeUserTokenRefresh(const UserTokens& tokens, std::string_view owner) = 0;
    // Ends the claim and keeps the pair (a transient failure: the next pass tries again).
    // conflict when `owner` no longer holds it.
    virtual Result<void> releaseUserTokenRefresh(std::int64_t user_id, std::string_view provider,
                                                 std::string_view owner) = 0;
    // The forge refused the refresh token for good: deletes the pair, only while `owner` holds
    // the claim (conflict otherwise, so a pair saved by a login meanwhile survives).
    virtual Result<void> dropClaimedUserTokens(std::int64_t user_id, std::string_view provider,
                                               std::string_view owner) = 0;

    // ---- refreshing teams' OAuth tokens (sqlite_store_team_refresh.cpp) ---------------------
    // A credential of kind oauth saved with a refresh token is renewed before it expires, as login
    // tokens are. The refresh token is sealed beside the credential, with a digest of the access
    // token it goes with: a token saved over the credential later makes it stale (dropped unspent).
    // Saves (or replaces) the refresh token of `in.name`, for the access token `in.access_token`.
    virtual Result<void> saveTeamRefreshToken(const TeamTokenRefresh& in) = 0;
    virtual Result<void> deleteTeamRefreshToken(std::int64_t team_id, std::string_view provider,
                                                std::string_view name) = 0;
    // When the credential's access token expires (std::nullopt: unknown); not_found when it has no
    // refresh token.
    virtual Result<std::optional<Timestamp>> teamRefreshExpiry(std::int64_t team_id, std::string_view provider,
                                                               std::string_view name) = 0;
    // As claimUserTokensToRefresh: up to `limit` of `provider`'s team refresh tokens whose access
    // token expires before `expiring_before` (or whose expiry is unknown), claimed for `owner`
    // until now + lease in one statement, so of several hosts one spends each. Stale ones (the
    // credential removed or given a new token) are deleted instead.
    virtual Result<std::vector<TeamTokenRefresh>> claimTeamTokensToRefresh(std::string_view provider,
                                                                           std::string_view owner,
                                                                           Timestamp expiring_before, Timestamp now,
                                                                           std::chrono::milliseconds lease,
                                                                           std::size_t limit) = 0;
    // Seals and stores the new pair in one transaction (the credential's token, last four, expiry
    // date; active again) and ends the claim. conflict when `owner` lost the claim or a new token
    // was saved over the credential meanwhile (that one wins).
    virtual Result<void> completeTeamTokenRefresh(const TeamTokenRefresh& refreshed, std::string_view owner) = 0;
    // Ends the claim, keeping the refresh token (a transient failure). conflict when not held.
    virtual Result<void> releaseTeamTokenRefresh(std::int64_t team_id, std::string_view provider, std::string_view name,
                                                 std::string_view owner) = 0;
    // The forge refused the refresh token for good: deletes it while `owner` holds the claim.
    virtual Result<void> dropClaimedTeamRefreshToken(std::int64_t team_id, std::string_view provider,
                                                     std::string_view name, std::string_view owner) = 0;

    // ---- re-checking stored forge tokens (sqlite_store_maintenance.cpp) ------------------
    // Claims up to `limit` provider settings whose next check is due at `now` (next_check_at <=
    // now) and that no other owner holds a live claim on, for `owner` until now + lease, in one
    // statement: of several hosts only one checks a token at a time. Most overdue first. A token
    // that does not open (another key) is skipped. saveProviderSettings() ends any claim.
    virtual Result<std::vector<ProviderCheck>> claimProviderChecks(std::string_view owner, Timestamp now,
                                                                   std::chrono::milliseconds lease,
                                                                   std::size_t limit) = 0;
    // Records what the check found and ends the claim, in one step: valid replaces the stored
    // facts and makes the settings active (invalid fields cleared); refused makes them invalid
    // with the reason (invalid_notified_at cleared when the reason changes). conflict when `owner`
    // no longer holds the claim (a new token was saved meanwhile: it wins).
    virtual Result<ProviderCheckChange> completeProviderCheck(const ProviderCheckOutcome& outcome,
                                                              std::string_view owner) = 0;
    // Ends the claim without a verdict (the forge could not answer) and sets the next check.
    virtual Result<void> releaseProviderCheck(std::int64_t team_id, std::string_view provider, std::string_view owner,
                                              Timestamp next_check_at,
                                              std::string_view credential = kDefaultCredential) = 0;
    // Every token that expires on or before `horizon` (YYYY-MM-DD, expired ones included) and has
    // not been reminded of on `today`, marked reminded for today in the same statement: of
    // several hosts exactly one gets each token once a day.
    virtual Result<std::vector<ExpiryReminder>> claimExpiryReminders(std::string_view today,
                                                                     std::string_view horizon) = 0;

    // ---- notices to a team's admins ------------------------------------------------------
    // Records the notice unless the team already has one with the same dedupe key (then
    // std::nullopt: the event was recorded before, by this or another host). A team with a
    // notification webhook gets the notice queued for delivery (pending, due now) in the same
    // statement; otherwise its delivery is none. invalid_input when the team does not exist.
    virtual Result<std::optional<Notice>> recordNotice(const NewNotice& notice) = 0;
    // The team's notices, newest first; `before_id` > 0 pages backwards.
    virtual Result<std::vector<Notice>> listNotices(std::int64_t team_id, std::size_t limit,
                                                    std::int64_t before_id = 0) = 0;
    // Sets (or replaces) the team's webhook; the URL is sealed. Notices recorded from now on are
    // delivered to it; those still waiting go to the new URL.
    virtual Result<NotificationSettings> saveNotificationSettings(std::int64_t team_id, std::string_view webhook_url) = 0;
    // Without the URL (webhook_url empty). not_found when the team has no webhook.
    virtual Result<NotificationSettings> notificationSettings(std::int64_t team_id) = 0;
    // Removes the webhook; notices still waiting are not sent (delivery none). not_found when none.
    virtual Result<void> deleteNotificationSettings(std::int64_t team_id) = 0;
    // Leases up to `limit` due notice deliveries to `owner` until now + lease, atomically across
    // processes (pending and due, or in flight with the lease run out); attempts + 1. A notice
    // whose team has no webhook anymore becomes delivery none instead. Oldest first.
    virtual Result<std::vector<NoticeDeliveryTask>> claimNoticeDeliveries(std::string_view owner, Timestamp now,
                                                                          std::chrono::milliseconds lease,
                                                                          std::size_t limit) = 0;
    // The following need the lease still held (conflict otherwise: another owner took it).
    virtual Result<void> completeNoticeDelivery(std::int64_t notice_id, std::string_view owner) = 0;
    virtual Result<void> retryNoticeDelivery(std::int64_t notice_id, std::string_view owner, Timestamp next_attempt_at,
                                             std::string_view error) = 0;
    virtual Result<void> failNoticeDelivery(std::int64_t notice_id, std::string_view owner, std::string_view error) = 0;

    // ---- rotating stored forge tokens (sqlite_store_rotation.cpp) -------------------------
    // One row per team and provider that ever had a rotation setting, keyed like the provider
    // settings. The protocol (service/token_rotation.hpp): claim, record the intent (durable
    // before the forge is asked), then complete (the new token and the success in one
    // transaction), finish (the forge refused: nothing changed) or abandon (the answer is lost).

    // Saves the setting and what is known of the token's ability to rotate ("" = it can, a
    // reason = it cannot, none = not known: not asked); keeps the state.
    virtual Result<ProviderRotation> saveRotationSettings(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                                          const RotationSettings& settings,
                                                          const std::optional<std::string>& unavailable_reason) = 0;
    // not_found when the team never had a rotation setting for the provider.
    virtual Result<ProviderRotation> providerRotation(std::int64_t team_id, std::string_view provider, std::string_view credential) = 0;
    // Claims up to `limit` rotations for `owner` until now + lease, in one statement (of several
    // hosts exactly one gets each): enabled ones whose active token expires within
    // days_before_expiry of `now` (YYYY-MM-DD, UTC) and whose next attempt is due, and every one
    // left `rotating` (its outcome unknown), unless another owner holds a live claim.
    virtual Result<std::vector<RotationClaim>> claimRotations(std::string_view owner, Timestamp now,
                                                              std::chrono::milliseconds lease, std::size_t limit) = 0;
    // Claims the one rotation of the team and provider now, due or not (rotation on demand);
    // creates its row (disabled) when there is none. conflict when another owner holds a live
    // claim; not_found when the team has no settings for the provider.
    virtual Result<RotationClaim> claimRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner,
                                                Timestamp now, std::chrono::milliseconds lease) = 0;
    // Records that `owner` is about to ask the forge (state rotating, started_at now). conflict
    // when `owner` no longer holds the claim.
    virtual Result<void> recordRotationIntent(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner) = 0;
    // The forge rotated the token: stores `new_token` (sealed) with its expiry as the settings'
    // token, makes them active, ends any re-check claim (a check of the old token would find it
    // revoked) and schedules a re-check at `next_check_at`, and ends the rotation (idle,
    // last_rotated_at), all in one transaction. It needs no claim (the answer is the only copy
    // of the new token and wins over whoever took the claim over meanwhile), only that the
    // settings still hold `old_token`: conflict otherwise (a token saved meanwhile wins).
    virtual Result<ProviderSettings> completeRotation(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                                      std::string_view old_token, std::string_view new_token,
                                                      const std::optional<std::string>& expires_at,
                                                      Timestamp next_check_at) = 0;
    // The forge did not rotate (it refused, or the old token still works): idle with the error,
    // next attempt at `next_attempt_at`, claim ended. conflict when `owner` lost the claim.
    virtual Result<void> finishRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner,
                                        std::string_view error, Timestamp next_attempt_at) = 0;
    // The forge rotated but the new token is lost: marks the settings invalid with `reason` when
    // they still hold `old_token`, and ends the rotation (idle, the reason as its error), in one
    // transaction, whoever holds the claim. Returns whether the settings were marked (false: a
    // token saved meanwhile replaced the old one, and only the rotation was ended).
    virtual Result<bool> abandonRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view old_token,
                                         std::string_view reason) = 0;
    // Ends `owner`'s claim and keeps the state (its outcome still unknown: the next pass looks).
    virtual Result<void> releaseRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner) = 0;

    // ---- key rotation --------------------------------------------------------------------
    // Opens every sealed value with `old_box` and seals it again with `new_box`, in one
    // transaction (values already sealed with new_box are left as they are, so a rerun is safe).
    // Any value that does not open with either key aborts the whole rekey. Returns how many
    // values were re-sealed. The store keeps sealing with the box it was opened with: reopen it
    // with the new key afterwards.
    virtual Result<std::int64_t> rekey(const secrets::SecretBox& old_box, const secrets::SecretBox& new_box) = 0;
};

// True when the team holds an active credential of `provider` other than `except`: one token
// refused then stops only the repositories it serves, not the team's whole feedback to that forge.
inline Result<bool> hasOtherActiveCredential(Store& store, std::int64_t team_id, std::string_view provider,
                                             std::string_view except) {
    auto all = store.listProviderSettings(team_id);
    if (!all) return all.error();
    for (const auto& c : all.value())
        if (c.provider == provider && c.name != except && c.status == ProviderStatus::active) return true;
    return false;
}

}  // namespace forgelink::store
