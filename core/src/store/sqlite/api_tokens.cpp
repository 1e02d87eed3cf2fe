// The SQLite side of a team's scoped API tokens (a lookup key and a digest, never the token).
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

// ---- scoped API tokens -----------------------------------------------------------------------

Result<ApiToken> SqliteStore::createApiToken(const ApiTokenInput& in) {
    return guarded("creating API token " + inQuotes(in.name), [&]() -> Result<ApiToken> {
        requireId(in.team_id, "team id");
        requireText(in.name, "token name");
        requireText(in.lookup_key, "token lookup key");
        requireText(in.secret_digest, "token digest");
        auto c = pool_.acquire();
        Transaction tx(*c);
        if (in.project_id != 0) {
            // A token of one team never reaches another team's project.
            Statement owner = c->prepare("SELECT team_id FROM projects WHERE id = ?1");
            owner.bind(1, in.project_id);
            if (!owner.step() || owner.int64(0) != in.team_id)
                raise(ErrorKind::invalid_input,
                      "project " + std::to_string(in.project_id) + " is not a project of team " + std::to_string(in.team_id),
                      "missing_reference");
        }
        auto token = one<ApiToken>(
            c->prepare(sql({"INSERT INTO api_tokens (team_id, project_id, name, role, lookup_key, secret_digest, "
                            "created_by, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING ",
                            kApiTokenColumns}))
                .bind(1, in.team_id)
                .bind(2, in.project_id > 0 ? std::optional<std::int64_t>(in.project_id) : std::nullopt)
                .bind(3, in.name)
                .bind(4, toString(in.role))
                .bind(5, in.lookup_key)
                .bind(6, in.secret_digest)
                .bind(7, in.created_by)
                .bind(8, toUnixMillis(now()))
                .bind(9, in.expires_at ? std::optional<std::int64_t>(toUnixMillis(*in.expires_at)) : std::nullopt),
            readApiToken, ErrorKind::internal, "creating an API token returned no row");
        tx.commit();
        return token;
    });
}

Result<ApiToken> SqliteStore::findApiToken(std::string_view lookup_key) {
    return guarded("finding API token", [&]() -> Result<ApiToken> {
        auto c = pool_.acquire();
        return one<ApiToken>(
            c->prepare(sql({"SELECT ", kApiTokenColumns, " FROM api_tokens WHERE lookup_key = ?1"})).bind(1, lookup_key),
            readApiToken, ErrorKind::not_found, "no such API token");
    });
}

Result<std::vector<ApiToken>> SqliteStore::listApiTokens(std::int64_t team_id) {
    return guarded("listing API tokens", [&]() -> Result<std::vector<ApiToken>> {
        auto c = pool_.acquire();
        return all<ApiToken>(
            c->prepare(sql({"SELECT ", kApiTokenColumns, " FROM api_tokens WHERE team_id = ?1 ORDER BY name"})).bind(1, team_id),
            readApiToken);
    });
}

Result<ApiToken> SqliteStore::revokeApiToken(std::int64_t team_id, std::int64_t token_id) {
    return guarded("revoking API token", [&]() -> Result<ApiToken> {
        auto c = pool_.acquire();
        return one<ApiToken>(
            c->prepare(sql({"DELETE FROM api_tokens WHERE team_id = ?1 AND id = ?2 RETURNING ", kApiTokenColumns}))
                .bind(1, team_id)
                .bind(2, token_id),
            readApiToken, ErrorKind::not_found,
            "team " + std::to_string(team_id) + " has no API token " + std::to_string(token_id));
    });
}

Result<bool> SqliteStore::touchApiToken(std::int64_t token_id, Timestamp at, std::chrono::milliseconds min_interval) {
    return guarded("recording an API token's use", [&]() -> Result<bool> {
        auto c = pool_.acquire();
        c->prepare("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?3)")
            .bind(1, token_id)
            .bind(2, toUnixMillis(at))
            .bind(3, toUnixMillis(at) - min_interval.count())
            .run();
        return c->changes() > 0;
    });
}

}  // namespace forgelink::store
