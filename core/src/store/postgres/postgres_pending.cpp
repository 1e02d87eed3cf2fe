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

Result<User> PostgresStore::upsertUser(const UserProfile& profile) {
    return pending("upsertUser");
}

Result<UserIdentity> PostgresStore::linkIdentity(std::int64_t user_id, const UserProfile& profile) {
    return pending("linkIdentity");
}

Result<std::vector<UserIdentity>> PostgresStore::userIdentities(std::int64_t user_id) {
    return pending("userIdentities");
}

Result<void> PostgresStore::unlinkIdentity(std::int64_t user_id, std::string_view provider) {
    return pending("unlinkIdentity");
}

Result<User> PostgresStore::user(std::int64_t user_id) {
    return pending("user");
}

Result<User> PostgresStore::findUser(std::string_view provider, std::string_view instance, std::string_view forge_user_id) {
    return pending("findUser");
}

Result<std::vector<User>> PostgresStore::usersNamed(std::string_view username, std::string_view provider) {
    return pending("usersNamed");
}

Result<Session> PostgresStore::createSession(std::string_view token, std::int64_t user_id, Timestamp expires_at) {
    return pending("createSession");
}

Result<Session> PostgresStore::findSession(std::string_view token, Timestamp now) {
    return pending("findSession");
}

Result<void> PostgresStore::deleteSession(std::string_view token) {
    return pending("deleteSession");
}

Result<std::int64_t> PostgresStore::deleteExpiredSessions(Timestamp now) {
    return pending("deleteExpiredSessions");
}

Result<void> PostgresStore::saveOAuthState(const OAuthState& state) {
    return pending("saveOAuthState");
}

Result<OAuthState> PostgresStore::consumeOAuthState(std::string_view state, Timestamp now) {
    return pending("consumeOAuthState");
}

Result<std::int64_t> PostgresStore::deleteExpiredOAuthStates(Timestamp now) {
    return pending("deleteExpiredOAuthStates");
}

Result<void> PostgresStore::saveUserTokens(const UserTokens& tokens) {
    return pending("saveUserTokens");
}

Result<UserTokens> PostgresStore::userTokens(std::int64_t user_id, std::string_view provider) {
    return pending("userTokens");
}

Result<void> PostgresStore::deleteUserTokens(std::int64_t user_id, std::string_view provider) {
    return pending("deleteUserTokens");
}

Result<ApiToken> PostgresStore::createApiToken(const ApiTokenInput& input) {
    return pending("createApiToken");
}

Result<ApiToken> PostgresStore::findApiToken(std::string_view lookup_key) {
    return pending("findApiToken");
}

Result<std::vector<ApiToken>> PostgresStore::listApiTokens(std::int64_t team_id) {
    return pending("listApiTokens");
}

Result<ApiToken> PostgresStore::revokeApiToken(std::int64_t team_id, std::int64_t token_id) {
    return pending("revokeApiToken");
}

Result<bool> PostgresStore::touchApiToken(std::int64_t token_id, Timestamp at, std::chrono::milliseconds min_interval) {
    return pending("touchApiToken");
}

Result<AuditEvent> PostgresStore::recordAuditEvent(const AuditEventInput& event) {
    return pending("recordAuditEvent");
}

Result<std::vector<AuditEvent>> PostgresStore::listAuditEvents(std::int64_t team_id, std::size_t limit, std::int64_t before_id) {
    return pending("listAuditEvents");
}

Result<std::int64_t> PostgresStore::purgeAuditEvents(Timestamp before) {
    return pending("purgeAuditEvents");
}

Result<ProviderSettings> PostgresStore::saveProviderSettings(const ProviderSettingsInput& input) {
    return pending("saveProviderSettings");
}

Result<ProviderSettings> PostgresStore::providerSettings(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return pending("providerSettings");
}

Result<std::vector<ProviderSettings>> PostgresStore::listProviderSettings(std::int64_t team_id) {
    return pending("listProviderSettings");
}

Result<Credentials> PostgresStore::providerCredentials(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return pending("providerCredentials");
}

Result<void> PostgresStore::markProviderInvalid(std::int64_t team_id, std::string_view provider, std::string_view reason, std::string_view credential) {
    return pending("markProviderInvalid");
}

Result<void> PostgresStore::markProviderInvalidNotified(std::int64_t team_id, std::string_view provider, Timestamp at, std::string_view credential) {
    return pending("markProviderInvalidNotified");
}

Result<void> PostgresStore::deleteProviderSettings(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return pending("deleteProviderSettings");
}

Result<NamedCredentials> PostgresStore::servingCredentials(std::int64_t team_id, std::string_view provider, std::string_view instance, std::string_view repository_id) {
    return pending("servingCredentials");
}

Result<std::vector<ProjectWithLink>> PostgresStore::linksServedBy(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return pending("linksServedBy");
}

Result<RepositoryLink> PostgresStore::setLinkCredential(std::int64_t project_id, std::string_view credential) {
    return pending("setLinkCredential");
}

Result<Project> PostgresStore::createProject(std::int64_t team_id, std::string_view slug, std::string_view name) {
    return pending("createProject");
}

Result<Project> PostgresStore::project(std::int64_t project_id) {
    return pending("project");
}

Result<Project> PostgresStore::findProjectBySlug(std::int64_t team_id, std::string_view slug) {
    return pending("findProjectBySlug");
}

Result<std::vector<Project>> PostgresStore::listProjects(std::int64_t team_id) {
    return pending("listProjects");
}

Result<Project> PostgresStore::renameProject(std::int64_t project_id, std::string_view name) {
    return pending("renameProject");
}

Result<void> PostgresStore::deleteProject(std::int64_t project_id) {
    return pending("deleteProject");
}

Result<RepositoryLink> PostgresStore::linkRepository(const RepositoryLink& link) {
    return pending("linkRepository");
}

Result<RepositoryLink> PostgresStore::repositoryLink(std::int64_t project_id) {
    return pending("repositoryLink");
}

Result<void> PostgresStore::unlinkRepository(std::int64_t project_id) {
    return pending("unlinkRepository");
}

Result<std::vector<RepositoryLink>> PostgresStore::findLinksToRepository(std::string_view provider, std::string_view instance, std::string_view repository_id) {
    return pending("findLinksToRepository");
}

Result<std::vector<ProjectWithLink>> PostgresStore::listProjectsWithLinks(std::int64_t team_id) {
    return pending("listProjectsWithLinks");
}

Result<std::int64_t> PostgresStore::projectListVersion(std::int64_t team_id) {
    return pending("projectListVersion");
}

Result<ProjectListing> PostgresStore::projectListing(std::int64_t team_id) {
    return pending("projectListing");
}

Result<std::vector<UserTokens>> PostgresStore::claimUserTokensToRefresh(std::string_view provider, std::string_view owner, Timestamp expiring_before, Timestamp now, std::chrono::milliseconds lease, std::size_t limit) {
    return pending("claimUserTokensToRefresh");
}

Result<void> PostgresStore::completeUserTokenRefresh(const UserTokens& tokens, std::string_view owner) {
    return pending("completeUserTokenRefresh");
}

Result<void> PostgresStore::releaseUserTokenRefresh(std::int64_t user_id, std::string_view provider, std::string_view owner) {
    return pending("releaseUserTokenRefresh");
}

Result<void> PostgresStore::dropClaimedUserTokens(std::int64_t user_id, std::string_view provider, std::string_view owner) {
    return pending("dropClaimedUserTokens");
}

Result<std::vector<ProviderCheck>> PostgresStore::claimProviderChecks(std::string_view owner, Timestamp now, std::chrono::milliseconds lease, std::size_t limit) {
    return pending("claimProviderChecks");
}

Result<ProviderCheckChange> PostgresStore::completeProviderCheck(const ProviderCheckOutcome& outcome, std::string_view owner) {
    return pending("completeProviderCheck");
}

Result<void> PostgresStore::releaseProviderCheck(std::int64_t team_id, std::string_view provider, std::string_view owner, Timestamp next_check_at, std::string_view credential) {
    return pending("releaseProviderCheck");
}

Result<std::vector<ExpiryReminder>> PostgresStore::claimExpiryReminders(std::string_view today, std::string_view horizon) {
    return pending("claimExpiryReminders");
}

Result<std::int64_t> PostgresStore::rekey(const secrets::SecretBox& old_box, const secrets::SecretBox& new_box) {
    return pending("rekey");
}

}  // namespace forgelink::store
