// The PostgreSQL side of provider settings: a team's named forge credentials (the token sealed)
// and which of them serves a linked repository.
#include "store/postgres/postgres_store.hpp"

#include "store/postgres/pg_rows.hpp"
#include "store/seal_labels.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {

std::string settingsWhere() {
    return sql({"SELECT ", kSettingsColumns, " FROM provider_settings WHERE team_id = $1 AND provider = $2 AND name = $3"});
}

Error missing(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return makeError(ErrorKind::not_found, noCredential(team_id, provider, credential), "not_found");
}

}  // namespace

// ---- provider settings -----------------------------------------------------------------------

Result<ProviderSettings> PostgresStore::saveProviderSettings(const ProviderSettingsInput& in) {
    return guarded("saving " + std::string(in.provider) + " settings of team " + std::to_string(in.team_id),
                   [&]() -> Result<ProviderSettings> {
                       requireId(in.team_id, "team id");
                       requireTexts({{in.provider, "provider"}, {in.base_url, "base URL"}, {in.instance, "instance"},
                                     {in.token, "token"}, {in.name, "credential name"}});
                       const auto at = toUnixMillis(now());
                       // INSERT ... ON CONFLICT: two hosts saving at once each replace the row whole.
                       return one<ProviderSettings>(
                           runOnce(pool_, dollarParams(saveProviderSettingsSql()),
                                   {in.team_id, in.provider, in.base_url, in.instance,
                                    box_->seal(in.token, providerTokenLabel(in.team_id, in.provider, in.name)),
                                    lastFour(in.token), toString(in.kind), identityJson(in.identity),
                                    json(in.scopes).dump(), orNull(in.expires_at), warningsJson(in.warnings), at,
                                    accessJson(in), in.next_check_at ? toUnixMillis(*in.next_check_at) : at, in.name}),
                           readSettings, ErrorKind::internal, "saving provider settings returned no row");
                   });
}

Result<ProviderSettings> PostgresStore::providerSettings(std::int64_t team_id, std::string_view provider,
                                                         std::string_view credential) {
    return guarded("reading provider settings", [&]() -> Result<ProviderSettings> {
        return one<ProviderSettings>(runOnce(pool_, settingsWhere(), {team_id, provider, credential}), readSettings,
                                     ErrorKind::not_found, noCredential(team_id, provider, credential));
    });
}

Result<std::vector<ProviderSettings>> PostgresStore::listProviderSettings(std::int64_t team_id) {
    return guarded("listing provider settings", [&]() -> Result<std::vector<ProviderSettings>> {
        // The default credential first of each provider (false sorts before true).
        return all<ProviderSettings>(
            runOnce(pool_,
                    sql({"SELECT ", kSettingsColumns,
                         " FROM provider_settings WHERE team_id = $1 ORDER BY provider, name <> 'default', name"}),
                    {team_id}),
            readSettings);
    });
}

Result<Credentials> PostgresStore::providerCredentials(std::int64_t team_id, std::string_view provider,
                                                       std::string_view credential) {
    return guarded("reading provider credentials", [&]() -> Result<Credentials> {
        auto found = runOnce(pool_, "SELECT base_url, token_sealed FROM provider_settings "
                                    "WHERE team_id = $1 AND provider = $2 AND name = $3",
                             {team_id, provider, credential});
        if (found.rows() == 0) return missing(team_id, provider, credential);
        const PgRow s(found, 0);
        return Credentials{s.text(0), openOrRaise(*box_, s.text(1), providerTokenLabel(team_id, provider, credential))};
    });
}

Result<NamedCredentials> PostgresStore::servingCredentials(std::int64_t team_id, std::string_view provider,
                                                           std::string_view instance, std::string_view repository_id) {
    return guarded("reading the credential that serves a repository", [&]() -> Result<NamedCredentials> {
        // The link and its credential in one statement (one snapshot): a credential removed
        // meanwhile is seen as removed, never half-read.
        auto found = runOnce(pool_,
                             "SELECT l.credential, l.full_path, s.base_url, s.token_sealed FROM repository_links l "
                             "JOIN projects p ON p.id = l.project_id LEFT JOIN provider_settings s "
                             "ON s.team_id = p.team_id AND s.provider = l.provider AND s.name = l.credential "
                             "WHERE p.team_id = $1 AND l.provider = $2 AND l.instance = $3 AND l.repository_id = $4 "
                             "ORDER BY l.project_id LIMIT 1",
                             {team_id, provider, instance, repository_id});
        if (found.rows() == 0) {
            return makeError(ErrorKind::not_found,
                             "no project of team " + std::to_string(team_id) + " links " + std::string(provider) +
                                 " repository " + std::string(repository_id) + " at " + std::string(instance),
                             "not_linked");
        }
        const PgRow s(found, 0);
        NamedCredentials serving{s.text(0), {}};
        if (s.isNull(2)) {
            const std::string path = s.text(1);
            return makeError(ErrorKind::not_found,
                             "the " + std::string(provider) + " credential '" + serving.name + "' that served " +
                                 (path.empty() ? std::string(repository_id) : path) + " for team " +
                                 std::to_string(team_id) + " was removed",
                             "credential_removed");
        }
        serving.credentials = Credentials{s.text(2), openOrRaise(*box_, s.text(3), providerTokenLabel(team_id, provider, serving.name))};
        return serving;
    });
}

Result<std::vector<ProjectWithLink>> PostgresStore::linksServedBy(std::int64_t team_id, std::string_view provider,
                                                                  std::string_view credential) {
    return guarded("listing the repositories a credential serves", [&]() -> Result<std::vector<ProjectWithLink>> {
        auto rows = all<ProjectWithLink>(runOnce(pool_, dollarParams(kProjectsWithLinksSelect), {team_id}), readProjectWithLink);
        std::erase_if(rows, [&](const ProjectWithLink& row) {
            return !row.link || row.link->provider != provider || row.link->credential != credential;
        });
        return rows;
    });
}

Result<RepositoryLink> PostgresStore::setLinkCredential(std::int64_t project_id, std::string_view credential) {
    return guarded("changing the credential that serves a repository", [&]() -> Result<RepositoryLink> {
        requireText(credential, "credential name");
        return one<RepositoryLink>(
            runOnce(pool_, sql({"UPDATE repository_links SET credential = $2 WHERE project_id = $1 RETURNING ", kLinkColumns}),
                    {project_id, credential}),
            readLink, ErrorKind::not_found, "project " + std::to_string(project_id) + " is not linked to a repository");
    });
}

Result<void> PostgresStore::markProviderInvalid(std::int64_t team_id, std::string_view provider, std::string_view reason,
                                                std::string_view credential) {
    return guarded("marking provider settings invalid", [&]() -> Result<void> {
        requireText(reason, "reason");
        if (runOnce(pool_,
                    "UPDATE provider_settings SET status = 'invalid', "
                    "invalid_notified_at = CASE WHEN invalid_reason = $3 THEN invalid_notified_at ELSE NULL END, "
                    "invalid_reason = $3, updated_at = $4, next_check_at = LEAST(next_check_at, $4) "
                    "WHERE team_id = $1 AND provider = $2 AND name = $5",
                    {team_id, provider, reason, toUnixMillis(now()), credential})
                .affectedRows() == 0)
            return missing(team_id, provider, credential);
        return {};
    });
}

Result<void> PostgresStore::markProviderInvalidNotified(std::int64_t team_id, std::string_view provider, Timestamp at,
                                                        std::string_view credential) {
    return guarded("recording an invalid-token notice", [&]() -> Result<void> {
        if (runOnce(pool_,
                    "UPDATE provider_settings SET invalid_notified_at = $3 WHERE team_id = $1 AND provider = $2 AND name = $4",
                    {team_id, provider, toUnixMillis(at), credential})
                .affectedRows() == 0)
            return missing(team_id, provider, credential);
        return {};
    });
}

// ---- removing a credential ------------------------------------------------------------------

Result<void> PostgresStore::deleteProviderSettings(std::int64_t team_id, std::string_view provider,
                                                   std::string_view credential) {
    return guarded("deleting provider settings", [&]() -> Result<void> {
        const bool deleted = inTransaction<bool>(pool_, [&](PgConnection& c) {
            const PgParams key{team_id, provider, credential};
            const bool gone = runChanging(c, "DELETE FROM provider_settings WHERE team_id = $1 AND provider = $2 AND name = $3", key) > 0;
            // The rotation setting belongs to the token: a new token starts without one.
            run(c, "DELETE FROM provider_rotations WHERE team_id = $1 AND provider = $2 AND name = $3", key);
            return gone;
        });
        if (!deleted) return missing(team_id, provider, credential);
        return {};
    });
}

}  // namespace forgelink::store
