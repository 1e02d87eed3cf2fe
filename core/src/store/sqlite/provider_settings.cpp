// The SQLite side of provider settings: a team's named forge credentials (the token sealed) and
// which of them serves a linked repository.
#include "store/sqlite/sqlite_store.hpp"

#include "store/seal_labels.hpp"
#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

// ---- provider settings -----------------------------------------------------------------------

Result<ProviderSettings> SqliteStore::saveProviderSettings(const ProviderSettingsInput& in) {
    return guarded("saving " + std::string(in.provider) + " settings of team " + std::to_string(in.team_id),
                   [&]() -> Result<ProviderSettings> {
                       requireId(in.team_id, "team id");
                       requireTexts({{in.provider, "provider"}, {in.base_url, "base URL"}, {in.instance, "instance"},
                                     {in.token, "token"}, {in.name, "credential name"}});
                       auto c = pool_.acquire();
                       return insertReturning<ProviderSettings>(
                           *c, saveProviderSettingsSql(), readSettings, "saving provider settings", in.team_id, in.provider, in.base_url, in.instance,
                           box_->seal(in.token, providerTokenLabel(in.team_id, in.provider, in.name)), lastFour(in.token),
                           toString(in.kind), identityJson(in.identity), json(in.scopes).dump(), in.expires_at,
                           warningsJson(in.warnings), toUnixMillis(now()), accessJson(in),
                           toUnixMillis(in.next_check_at.value_or(now())), in.name);
                   });
}

Result<ProviderSettings> SqliteStore::providerSettings(std::int64_t team_id, std::string_view provider,
                                                       std::string_view credential) {
    return guarded("reading provider settings", [&]() -> Result<ProviderSettings> {
        auto c = pool_.acquire();
        return one<ProviderSettings>(
            c->prepare(sql({"SELECT ", kSettingsColumns,
                            " FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3"}))
                .bind(1, team_id)
                .bind(2, provider)
                .bind(3, credential),
            readSettings, ErrorKind::not_found, noCredential(team_id, provider, credential));
    });
}

Result<std::vector<ProviderSettings>> SqliteStore::listProviderSettings(std::int64_t team_id) {
    return guarded("listing provider settings", [&]() -> Result<std::vector<ProviderSettings>> {
        auto c = pool_.acquire();
        return all<ProviderSettings>(
            c->prepare(sql({"SELECT ", kSettingsColumns, " FROM provider_settings WHERE team_id = ?1 ORDER BY provider, name <> 'default', name"}))
                .bind(1, team_id),
            readSettings);
    });
}

namespace {
Credentials readCredentials(Connection& c, const secrets::SecretBox& box, std::int64_t team_id,
                            std::string_view provider, std::string_view credential) {
    Statement s = c.prepare("SELECT base_url, token_sealed FROM provider_settings "
                            "WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
    s.bind(1, team_id).bind(2, provider).bind(3, credential);
    if (!s.step()) raise(ErrorKind::not_found, noCredential(team_id, provider, credential), "not_found");
    return Credentials{s.text(0), openOrRaise(box, s.text(1), providerTokenLabel(team_id, provider, credential))};
}
}  // namespace

Result<Credentials> SqliteStore::providerCredentials(std::int64_t team_id, std::string_view provider,
                                                     std::string_view credential) {
    return guarded("reading provider credentials", [&]() -> Result<Credentials> {
        auto c = pool_.acquire();
        return readCredentials(*c, *box_, team_id, provider, credential);
    });
}

Result<NamedCredentials> SqliteStore::servingCredentials(std::int64_t team_id, std::string_view provider,
                                                         std::string_view instance, std::string_view repository_id) {
    return guarded("reading the credential that serves a repository", [&]() -> Result<NamedCredentials> {
        auto c = pool_.acquire();
        Statement s = c->prepare(
            "SELECT l.credential, l.full_path FROM repository_links l JOIN projects p ON p.id = l.project_id "
            "WHERE p.team_id = ?1 AND l.provider = ?2 AND l.instance = ?3 AND l.repository_id = ?4 "
            "ORDER BY l.project_id LIMIT 1");
        s.bind(1, team_id).bind(2, provider).bind(3, instance).bind(4, repository_id);
        if (!s.step()) {
            return makeError(ErrorKind::not_found,
                             "no project of team " + std::to_string(team_id) + " links " + std::string(provider) +
                                 " repository " + std::string(repository_id) + " at " + std::string(instance),
                             "not_linked");
        }
        NamedCredentials serving{s.text(0), {}};
        const std::string path = s.text(1);
        Statement exists = c->prepare("SELECT 1 FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3");
        exists.bind(1, team_id).bind(2, provider).bind(3, serving.name);
        if (!exists.step()) {
            return makeError(ErrorKind::not_found,
                             "the " + std::string(provider) + " credential '" + serving.name + "' that served " +
                                 (path.empty() ? std::string(repository_id) : path) + " for team " +
                                 std::to_string(team_id) + " was removed",
                             "credential_removed");
        }
        serving.credentials = readCredentials(*c, *box_, team_id, provider, serving.name);
        return serving;
    });
}

Result<std::vector<ProjectWithLink>> SqliteStore::linksServedBy(std::int64_t team_id, std::string_view provider,
                                                                std::string_view credential) {
    return guarded("listing the repositories a credential serves", [&]() -> Result<std::vector<ProjectWithLink>> {
        auto c = pool_.acquire();
        auto rows = readProjectsWithLinks(*c, team_id);
        std::erase_if(rows, [&](const ProjectWithLink& row) {
            return !row.link || row.link->provider != provider || row.link->credential != credential;
        });
        return rows;
    });
}

Result<RepositoryLink> SqliteStore::setLinkCredential(std::int64_t project_id, std::string_view credential) {
    return guarded("changing the credential that serves a repository", [&]() -> Result<RepositoryLink> {
        requireText(credential, "credential name");
        auto c = pool_.acquire();
        return one<RepositoryLink>(
            c->prepare(sql({"UPDATE repository_links SET credential = ?2 WHERE project_id = ?1 RETURNING ", kLinkColumns}))
                .bind(1, project_id)
                .bind(2, credential),
            readLink, ErrorKind::not_found, "project " + std::to_string(project_id) + " is not linked to a repository");
    });
}

Result<void> SqliteStore::markProviderInvalid(std::int64_t team_id, std::string_view provider, std::string_view reason,
                                              std::string_view credential) {
    return guarded("marking provider settings invalid", [&]() -> Result<void> {
        requireText(reason, "reason");
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE provider_settings SET status = 'invalid', "
                             "invalid_notified_at = CASE WHEN invalid_reason = ?3 THEN invalid_notified_at ELSE NULL END, "
                             "invalid_reason = ?3, updated_at = ?4, next_check_at = min(next_check_at, ?4) "
                             "WHERE team_id = ?1 AND provider = ?2 AND name = ?5",
                        team_id, provider, reason, toUnixMillis(now()), credential) == 0)
            return makeError(ErrorKind::not_found, noCredential(team_id, provider, credential), "not_found");
        return {};
    });
}

Result<void> SqliteStore::markProviderInvalidNotified(std::int64_t team_id, std::string_view provider, Timestamp at,
                                                      std::string_view credential) {
    return guarded("recording an invalid-token notice", [&]() -> Result<void> {
        auto c = pool_.acquire();
        if (runChanging(*c, "UPDATE provider_settings SET invalid_notified_at = ?3 WHERE team_id = ?1 AND provider = ?2 AND name = ?4",
                        team_id, provider, toUnixMillis(at), credential) == 0)
            return makeError(ErrorKind::not_found, noCredential(team_id, provider, credential), "not_found");
        return {};
    });
}

// ---- removing a credential ------------------------------------------------------------------

Result<void> SqliteStore::deleteProviderSettings(std::int64_t team_id, std::string_view provider,
                                                 std::string_view credential) {
    return guarded("deleting provider settings", [&]() -> Result<void> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        c->prepare("DELETE FROM provider_settings WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, credential)
            .run();
        const bool deleted = c->changes() > 0;
        // The rotation setting belongs to the token: a new token starts without one.
        c->prepare("DELETE FROM provider_rotations WHERE team_id = ?1 AND provider = ?2 AND name = ?3")
            .bind(1, team_id)
            .bind(2, provider)
            .bind(3, credential)
            .run();
        tx.commit();
        if (!deleted) return makeError(ErrorKind::not_found, noCredential(team_id, provider, credential), "not_found");
        return {};
    });
}

}  // namespace forgelink::store
