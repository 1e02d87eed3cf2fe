// BRANCH ONLY, NEVER ON MAIN: the methods of PostgresStore not written yet, each failing with
// "not yet on PostgreSQL". Whoever writes a method in its domain file deletes it here; the file
// goes when it is empty, before the backend lands.
#include "store/postgres/postgres_store.hpp"

#pragma GCC diagnostic ignored "-Wunused-parameter"

namespace forgelink::store {

namespace {
Error pending(const char* method) {
    return makeError(ErrorKind::internal, std::string("PostgresStore::") + method + " is not written yet", "pending");
}
}  // namespace

Result<RecordedBuild> PostgresStore::recordBuildChange(const BuildChange& change) {
    return pending("recordBuildChange");
}

Result<Build> PostgresStore::build(std::int64_t build_id) {
    return pending("build");
}

Result<std::vector<Build>> PostgresStore::listBuilds(std::int64_t project_id, std::size_t limit, std::int64_t before_id) {
    return pending("listBuilds");
}

Result<std::vector<Build>> PostgresStore::unfinishedBuilds(Timestamp created_before, std::size_t limit) {
    return pending("unfinishedBuilds");
}

Result<std::string> PostgresStore::recordMergeRequestHead(std::int64_t build_id, std::string_view head_sha) {
    return pending("recordMergeRequestHead");
}

Result<std::vector<FeedbackTask>> PostgresStore::claimDueTasks(std::string_view owner, Timestamp now, std::chrono::milliseconds lease, std::size_t limit) {
    return pending("claimDueTasks");
}

Result<bool> PostgresStore::isSuperseded(const FeedbackTask& task) {
    return pending("isSuperseded");
}

Result<void> PostgresStore::completeTask(std::int64_t task_id, std::string_view owner, const TaskCompletion& completion) {
    return pending("completeTask");
}

Result<RetryOutcome> PostgresStore::retryTask(std::int64_t task_id, std::string_view owner, Timestamp next_attempt_at, std::string_view error) {
    return pending("retryTask");
}

Result<void> PostgresStore::failTask(std::int64_t task_id, std::string_view owner, std::string_view error) {
    return pending("failTask");
}

Result<std::int64_t> PostgresStore::pauseTasksForTeam(std::int64_t team_id, std::string_view provider, std::string_view reason) {
    return pending("pauseTasksForTeam");
}

Result<std::int64_t> PostgresStore::resumeTasksForTeam(std::int64_t team_id, std::string_view provider, Timestamp now) {
    return pending("resumeTasksForTeam");
}

Result<std::optional<std::string>> PostgresStore::feedbackPause(std::int64_t team_id, std::string_view provider) {
    return pending("feedbackPause");
}

Result<FeedbackTask> PostgresStore::feedbackTask(std::int64_t task_id) {
    return pending("feedbackTask");
}

Result<std::vector<FeedbackTask>> PostgresStore::listTasksOfBuild(std::int64_t build_id) {
    return pending("listTasksOfBuild");
}

Result<TaskCounts> PostgresStore::countTasks() {
    return pending("countTasks");
}

Result<std::vector<std::string>> PostgresStore::leaseOwners() {
    return pending("leaseOwners");
}

Result<std::int64_t> PostgresStore::expireLeases(std::string_view owner, Timestamp now) {
    return pending("expireLeases");
}

Result<std::int64_t> PostgresStore::purgeFinishedTasks(Timestamp before) {
    return pending("purgeFinishedTasks");
}

Result<std::optional<std::string>> PostgresStore::knownCommentId(std::string_view provider, std::string_view instance, std::string_view repository_id, std::string_view mr_number) {
    return pending("knownCommentId");
}

Result<void> PostgresStore::saveTeamRefreshToken(const TeamTokenRefresh& in) {
    return pending("saveTeamRefreshToken");
}

Result<void> PostgresStore::deleteTeamRefreshToken(std::int64_t team_id, std::string_view provider, std::string_view name) {
    return pending("deleteTeamRefreshToken");
}

Result<std::optional<Timestamp>> PostgresStore::teamRefreshExpiry(std::int64_t team_id, std::string_view provider, std::string_view name) {
    return pending("teamRefreshExpiry");
}

Result<std::vector<TeamTokenRefresh>> PostgresStore::claimTeamTokensToRefresh(std::string_view provider, std::string_view owner, Timestamp expiring_before, Timestamp now, std::chrono::milliseconds lease, std::size_t limit) {
    return pending("claimTeamTokensToRefresh");
}

Result<void> PostgresStore::completeTeamTokenRefresh(const TeamTokenRefresh& refreshed, std::string_view owner) {
    return pending("completeTeamTokenRefresh");
}

Result<void> PostgresStore::releaseTeamTokenRefresh(std::int64_t team_id, std::string_view provider, std::string_view name, std::string_view owner) {
    return pending("releaseTeamTokenRefresh");
}

Result<void> PostgresStore::dropClaimedTeamRefreshToken(std::int64_t team_id, std::string_view provider, std::string_view name, std::string_view owner) {
    return pending("dropClaimedTeamRefreshToken");
}

Result<std::optional<Notice>> PostgresStore::recordNotice(const NewNotice& notice) {
    return pending("recordNotice");
}

Result<std::vector<Notice>> PostgresStore::listNotices(std::int64_t team_id, std::size_t limit, std::int64_t before_id) {
    return pending("listNotices");
}

Result<NotificationSettings> PostgresStore::saveNotificationSettings(std::int64_t team_id, std::string_view webhook_url) {
    return pending("saveNotificationSettings");
}

Result<NotificationSettings> PostgresStore::notificationSettings(std::int64_t team_id) {
    return pending("notificationSettings");
}

Result<void> PostgresStore::deleteNotificationSettings(std::int64_t team_id) {
    return pending("deleteNotificationSettings");
}

Result<std::vector<NoticeDeliveryTask>> PostgresStore::claimNoticeDeliveries(std::string_view owner, Timestamp now, std::chrono::milliseconds lease, std::size_t limit) {
    return pending("claimNoticeDeliveries");
}

Result<void> PostgresStore::completeNoticeDelivery(std::int64_t notice_id, std::string_view owner) {
    return pending("completeNoticeDelivery");
}

Result<void> PostgresStore::retryNoticeDelivery(std::int64_t notice_id, std::string_view owner, Timestamp next_attempt_at, std::string_view error) {
    return pending("retryNoticeDelivery");
}

Result<void> PostgresStore::failNoticeDelivery(std::int64_t notice_id, std::string_view owner, std::string_view error) {
    return pending("failNoticeDelivery");
}

Result<ProviderRotation> PostgresStore::saveRotationSettings(std::int64_t team_id, std::string_view provider, std::string_view credential, const RotationSettings& settings, const std::optional<std::string>& unavailable_reason) {
    return pending("saveRotationSettings");
}

Result<ProviderRotation> PostgresStore::providerRotation(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return pending("providerRotation");
}

Result<std::vector<RotationClaim>> PostgresStore::claimRotations(std::string_view owner, Timestamp now, std::chrono::milliseconds lease, std::size_t limit) {
    return pending("claimRotations");
}

Result<RotationClaim> PostgresStore::claimRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner, Timestamp now, std::chrono::milliseconds lease) {
    return pending("claimRotation");
}

Result<void> PostgresStore::recordRotationIntent(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner) {
    return pending("recordRotationIntent");
}

Result<ProviderSettings> PostgresStore::completeRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view old_token, std::string_view new_token, const std::optional<std::string>& expires_at, Timestamp next_check_at) {
    return pending("completeRotation");
}

Result<void> PostgresStore::finishRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner, std::string_view error, Timestamp next_attempt_at) {
    return pending("finishRotation");
}

Result<bool> PostgresStore::abandonRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view old_token, std::string_view reason) {
    return pending("abandonRotation");
}

Result<void> PostgresStore::releaseRotation(std::int64_t team_id, std::string_view provider, std::string_view credential, std::string_view owner) {
    return pending("releaseRotation");
}

}  // namespace forgelink::store
