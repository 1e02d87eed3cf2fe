// The PostgreSQL backend of the Store: any number of host processes on one database, each with a
// bounded pool of connections (store/postgres/pg_pool.hpp). Every method is one transaction on
// one leased connection; claims take their rows with FOR UPDATE SKIP LOCKED, so two hosts never
// claim the same row and never wait for each other's claimed rows.
//
// Each domain of the Store is in a file of its own beside this one (postgres_<domain>.cpp), as
// in the SQLite backend; the row readers are the ones SQLite uses (store/row_readers.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "secrets/secret_box.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/store.hpp"

namespace forgelink::store {

class PostgresStore final : public Store {
public:
    struct Options {
        // The clock for created_at/updated_at and for when new tasks are due; tests inject one.
        std::function<Timestamp()> clock;
        // Apply the migrations this build knows (under the advisory lock, so hosts starting at
        // once apply each one once). false: only check that the schema is the one this build
        // knows, and refuse (schema_too_new, schema_mismatch, or an older schema) otherwise.
        bool migrate = true;
    };

    // Connects (the first connection of the pool), migrates or checks the schema. Refuses a
    // schema newer than this build, or a different one, with a message naming both versions.
    // `box` seals and opens every secret column.
    static Result<std::unique_ptr<PostgresStore>> open(pg::PgPoolOptions pool,
                                                       std::shared_ptr<const secrets::SecretBox> box);
    static Result<std::unique_ptr<PostgresStore>> open(pg::PgPoolOptions pool,
                                                       std::shared_ptr<const secrets::SecretBox> box,
                                                       Options options);

    // The schema version the database is at.
    Result<int> schemaVersion();

    // The channel every host's store NOTIFYs (delivered at commit) when feedback tasks become due
    // now: a build change or a completion's follow-ups enqueued them, a pause ended, a gone
    // owner's leases were ended. A dispatcher LISTENing on it (pg::PgListener) looks at the outbox
    // at once instead of at its next poll, whichever host took the change.
    static constexpr const char* kOutboxChannel = "forgelink_outbox";

    Result<User> upsertUser(const UserProfile& profile) override;
    Result<UserIdentity> linkIdentity(std::int64_t user_id, const UserProfile& profile) override;
    Result<std::vector<UserIdentity>> userIdentities(std::int64_t user_id) override;
    Result<void> unlinkIdentity(std::int64_t user_id, std::string_view provider) override;
    Result<User> user(std::int64_t user_id) override;
    Result<User> findUser(std::string_view provider, std::string_view instance,
                          std::string_view forge_user_id) override;
    Result<std::vector<User>> usersNamed(std::string_view username, std::string_view provider) override;

    Result<Session> createSession(std::string_view token, std::int64_t user_id, Timestamp expires_at) override;
    Result<Session> findSession(std::string_view token, Timestamp now) override;
    Result<void> deleteSession(std::string_view token) override;
    Result<std::int64_t> deleteExpiredSessions(Timestamp now) override;

    Result<void> saveOAuthState(const OAuthState& state) override;
    Result<OAuthState> consumeOAuthState(std::string_view state, Timestamp now) override;
    Result<std::int64_t> deleteExpiredOAuthStates(Timestamp now) override;

    Result<void> saveUserTokens(const UserTokens& tokens) override;
    Result<UserTokens> userTokens(std::int64_t user_id, std::string_view provider) override;
    Result<void> deleteUserTokens(std::int64_t user_id, std::string_view provider) override;

    Result<Team> createTeam(std::string_view slug, std::string_view name) override;
    Result<Team> team(std::int64_t team_id) override;
    Result<Team> findTeamBySlug(std::string_view slug) override;
    Result<std::vector<Team>> listTeams() override;
    Result<std::vector<Team>> listTeamsOfUser(std::int64_t user_id) override;
    Result<Team> renameTeam(std::int64_t team_id, std::string_view name) override;
    Result<void> deleteTeam(std::int64_t team_id) override;
    Result<TeamMember> addTeamMember(std::int64_t team_id, std::int64_t user_id, TeamRole role) override;
    Result<TeamMember> setTeamMemberRole(std::int64_t team_id, std::int64_t user_id, TeamRole role) override;
    Result<void> removeTeamMember(std::int64_t team_id, std::int64_t user_id) override;
    Result<TeamMember> teamMember(std::int64_t team_id, std::int64_t user_id) override;
    Result<std::vector<TeamMember>> listTeamMembers(std::int64_t team_id) override;

    Result<ApiToken> createApiToken(const ApiTokenInput& input) override;
    Result<ApiToken> findApiToken(std::string_view lookup_key) override;
    Result<std::vector<ApiToken>> listApiTokens(std::int64_t team_id) override;
    Result<ApiToken> revokeApiToken(std::int64_t team_id, std::int64_t token_id) override;
    Result<bool> touchApiToken(std::int64_t token_id, Timestamp at, std::chrono::milliseconds min_interval) override;

    Result<AuditEvent> recordAuditEvent(const AuditEventInput& event) override;
    Result<std::vector<AuditEvent>> listAuditEvents(std::int64_t team_id, std::size_t limit,
                                                    std::int64_t before_id = 0) override;
    Result<std::int64_t> purgeAuditEvents(Timestamp before) override;

    Result<ProviderSettings> saveProviderSettings(const ProviderSettingsInput& input) override;
    Result<ProviderSettings> providerSettings(std::int64_t team_id, std::string_view provider,
                                              std::string_view credential = kDefaultCredential) override;
    Result<std::vector<ProviderSettings>> listProviderSettings(std::int64_t team_id) override;
    Result<Credentials> providerCredentials(std::int64_t team_id, std::string_view provider,
                                            std::string_view credential = kDefaultCredential) override;
    Result<void> markProviderInvalid(std::int64_t team_id, std::string_view provider, std::string_view reason,
                                     std::string_view credential = kDefaultCredential) override;
    Result<void> markProviderInvalidNotified(std::int64_t team_id, std::string_view provider, Timestamp at,
                                             std::string_view credential = kDefaultCredential) override;
    Result<void> deleteProviderSettings(std::int64_t team_id, std::string_view provider,
                                        std::string_view credential = kDefaultCredential) override;
    Result<NamedCredentials> servingCredentials(std::int64_t team_id, std::string_view provider,
                                                std::string_view instance, std::string_view repository_id) override;
    Result<std::vector<ProjectWithLink>> linksServedBy(std::int64_t team_id, std::string_view provider,
                                                       std::string_view credential) override;
    Result<RepositoryLink> setLinkCredential(std::int64_t project_id, std::string_view credential) override;

    Result<Project> createProject(std::int64_t team_id, std::string_view slug, std::string_view name) override;
    Result<Project> project(std::int64_t project_id) override;
    Result<Project> findProjectBySlug(std::int64_t team_id, std::string_view slug) override;
    Result<std::vector<Project>> listProjects(std::int64_t team_id) override;
    Result<Project> renameProject(std::int64_t project_id, std::string_view name) override;
    Result<void> deleteProject(std::int64_t project_id) override;
    Result<RepositoryLink> linkRepository(const RepositoryLink& link) override;
    Result<RepositoryLink> repositoryLink(std::int64_t project_id) override;
    Result<void> unlinkRepository(std::int64_t project_id) override;
    Result<std::vector<RepositoryLink>> findLinksToRepository(std::string_view provider, std::string_view instance,
                                                             std::string_view repository_id) override;
    Result<std::vector<ProjectWithLink>> listProjectsWithLinks(std::int64_t team_id) override;
    Result<std::int64_t> projectListVersion(std::int64_t team_id) override;
    Result<ProjectListing> projectListing(std::int64_t team_id) override;

    Result<RecordedBuild> recordBuildChange(const BuildChange& change) override;
    Result<Build> build(std::int64_t build_id) override;
    Result<std::vector<Build>> listBuilds(std::int64_t project_id, std::size_t limit,
                                          std::int64_t before_id = 0) override;
    Result<std::vector<Build>> unfinishedBuilds(Timestamp created_before, std::size_t limit) override;
    Result<std::string> recordMergeRequestHead(std::int64_t build_id, std::string_view head_sha) override;
    Result<std::vector<FeedbackTask>> claimDueTasks(std::string_view owner, Timestamp now,
                                                    std::chrono::milliseconds lease, std::size_t limit) override;
    Result<bool> isSuperseded(const FeedbackTask& task) override;
    Result<void> completeTask(std::int64_t task_id, std::string_view owner,
                              const TaskCompletion& completion) override;
    Result<RetryOutcome> retryTask(std::int64_t task_id, std::string_view owner, Timestamp next_attempt_at,
                                   std::string_view error) override;
    Result<void> failTask(std::int64_t task_id, std::string_view owner, std::string_view error) override;
    Result<std::int64_t> pauseTasksForTeam(std::int64_t team_id, std::string_view provider,
                                           std::string_view reason) override;
    Result<std::int64_t> resumeTasksForTeam(std::int64_t team_id, std::string_view provider, Timestamp now) override;
    Result<std::optional<std::string>> feedbackPause(std::int64_t team_id, std::string_view provider) override;
    Result<FeedbackTask> feedbackTask(std::int64_t task_id) override;
    Result<std::vector<FeedbackTask>> listTasksOfBuild(std::int64_t build_id) override;
    Result<TaskCounts> countTasks() override;
    Result<std::vector<std::string>> leaseOwners() override;
    Result<std::int64_t> expireLeases(std::string_view owner, Timestamp now) override;
    Result<std::int64_t> purgeFinishedTasks(Timestamp before) override;
    Result<std::optional<std::string>> knownCommentId(std::string_view provider, std::string_view instance,
                                                      std::string_view repository_id,
                                                      std::string_view mr_number) override;

    Result<std::vector<UserTokens>> claimUserTokensToRefresh(std::string_view provider, std::string_view owner,
                                                             Timestamp expiring_before, Timestamp now,
                                                             std::chrono::milliseconds lease,
                                                             std::size_t limit) override;
    Result<void> completeUserTokenRefresh(const UserTokens& tokens, std::string_view owner) override;
    Result<void> releaseUserTokenRefresh(std::int64_t user_id, std::string_view provider,
                                         std::string_view owner) override;
    Result<void> dropClaimedUserTokens(std::int64_t user_id, std::string_view provider,
                                       std::string_view owner) override;

    Result<void> saveTeamRefreshToken(const TeamTokenRefresh& in) override;
    Result<void> deleteTeamRefreshToken(std::int64_t team_id, std::string_view provider, std::string_view name) override;
    Result<std::optional<Timestamp>> teamRefreshExpiry(std::int64_t team_id, std::string_view provider,
                                                       std::string_view name) override;
    Result<std::vector<TeamTokenRefresh>> claimTeamTokensToRefresh(std::string_view provider, std::string_view owner,
                                                                   Timestamp expiring_before, Timestamp now,
                                                                   std::chrono::milliseconds lease,
                                                                   std::size_t limit) override;
    Result<void> completeTeamTokenRefresh(const TeamTokenRefresh& refreshed, std::string_view owner) override;
    Result<void> releaseTeamTokenRefresh(std::int64_t team_id, std::string_view provider, std::string_view name,
                                         std::string_view owner) override;
    Result<void> dropClaimedTeamRefreshToken(std::int64_t team_id, std::string_view provider, std::string_view name,
                                             std::string_view owner) override;
    Result<std::vector<ProviderCheck>> claimProviderChecks(std::string_view owner, Timestamp now,
                                                           std::chrono::milliseconds lease, std::size_t limit) override;
    Result<ProviderCheckChange> completeProviderCheck(const ProviderCheckOutcome& outcome,
                                                      std::string_view owner) override;
    Result<void> releaseProviderCheck(std::int64_t team_id, std::string_view provider, std::string_view owner,
                                      Timestamp next_check_at,
                                      std::string_view credential = kDefaultCredential) override;
    Result<std::vector<ExpiryReminder>> claimExpiryReminders(std::string_view today, std::string_view horizon) override;

    Result<std::optional<Notice>> recordNotice(const NewNotice& notice) override;
    Result<std::vector<Notice>> listNotices(std::int64_t team_id, std::size_t limit, std::int64_t before_id = 0) override;
    Result<NotificationSettings> saveNotificationSettings(std::int64_t team_id, std::string_view webhook_url) override;
    Result<NotificationSettings> notificationSettings(std::int64_t team_id) override;
    Result<void> deleteNotificationSettings(std::int64_t team_id) override;
    Result<std::vector<NoticeDeliveryTask>> claimNoticeDeliveries(std::string_view owner, Timestamp now,
                                                                  std::chrono::milliseconds lease,
                                                                  std::size_t limit) override;
    Result<void> completeNoticeDelivery(std::int64_t notice_id, std::string_view owner) override;
    Result<void> retryNoticeDelivery(std::int64_t notice_id, std::string_view owner, Timestamp next_attempt_at,
                                     std::string_view error) override;
    Result<void> failNoticeDelivery(std::int64_t notice_id, std::string_view owner, std::string_view error) override;

    Result<ProviderRotation> saveRotationSettings(std::int64_t team_id, std::string_view provider, std::string_view credential,
                                                  const RotationSettings& settings,
                                                  const std::optional<std::string>& unavailable_reason) override;
    Result<ProviderRotation> providerRotation(std::int64_t team_id, std::string_view provider, std::string_view credential) override;
    Result<std::vector<RotationClaim>> claimRotations(std::string_view owner, Timestamp now,
                                                      std::chrono::milliseconds lease, std::size_t limit) override;
    Result<RotationClaim> claimRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner,
                                        Timestamp now, std::chrono::milliseconds lease) override;
    Result<void> recordRotationIntent(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner) override;
    Result<ProviderSettings> completeRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view old_token,
                                              std::string_view new_token, const std::optional<std::string>& expires_at,
                                              Timestamp next_check_at) override;
    Result<void> finishRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner,
                                std::string_view error, Timestamp next_attempt_at) override;
    Result<bool> abandonRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view old_token,
                                 std::string_view reason) override;
    Result<void> releaseRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner) override;

    Result<std::int64_t> rekey(const secrets::SecretBox& old_box, const secrets::SecretBox& new_box) override;

private:
    PostgresStore(pg::PgPoolOptions pool, std::shared_ptr<const secrets::SecretBox> box, Options options);
    Timestamp now() const;

    std::shared_ptr<const secrets::SecretBox> box_;
    Options options_;
    pg::PgPool pool_;
};

}  // namespace forgelink::store
