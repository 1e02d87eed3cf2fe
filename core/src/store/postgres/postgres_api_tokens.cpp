// The PostgreSQL side of a team's scoped API tokens (a lookup key and a digest, never the token).
#include "store/postgres/postgres_store.hpp"

#include "store/postgres/pg_rows.hpp"

namespace forgelink::store {

using namespace postgres;

// ---- scoped API tokens -----------------------------------------------------------------------

Result<ApiToken> PostgresStore::createApiToken(const ApiTokenInput& in) {
    return guarded("creating API token " + inQuotes(in.name), [&]() -> Result<ApiToken> {
        requireId(in.team_id, "team id");
        requireTexts({{in.name, "token name"}, {in.lookup_key, "token lookup key"}, {in.secret_digest, "token digest"}});
        return inTransaction<ApiToken>(pool_, [&](PgConnection& c) {
            if (in.project_id != 0) {
                // A token of one team never reaches another team's project. FOR SHARE: the project
                // stays until the token is in (a project never changes team).
                auto owner = run(c, "SELECT team_id FROM projects WHERE id = $1 FOR SHARE", {in.project_id});
                if (owner.rows() == 0 || PgRow(owner, 0).int64(0) != in.team_id)
                    raise(ErrorKind::invalid_input,
                          "project " + std::to_string(in.project_id) + " is not a project of team " + std::to_string(in.team_id),
                          "missing_reference");
            }
            return one<ApiToken>(
                run(c,
                    sql({"INSERT INTO api_tokens (team_id, project_id, name, role, lookup_key, secret_digest, created_by, "
                         "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
                         kApiTokenColumns}),
                    {in.team_id, in.project_id > 0 ? pg::PgParam(in.project_id) : pg::PgParam(std::nullopt), in.name,
                     toString(in.role), in.lookup_key, in.secret_digest, in.created_by, toUnixMillis(now()),
                     in.expires_at ? pg::PgParam(toUnixMillis(*in.expires_at)) : pg::PgParam(std::nullopt)}),
                readApiToken, ErrorKind::internal, "creating an API token returned no row");
        });
    });
}

Result<ApiToken> PostgresStore::findApiToken(std::string_view lookup_key) {
    return guarded("finding API token", [&]() -> Result<ApiToken> {
        return one<ApiToken>(runOnce(pool_, sql({"SELECT ", kApiTokenColumns, " FROM api_tokens WHERE lookup_key = $1"}),
                                     {lookup_key}),
                             readApiToken, ErrorKind::not_found, "no such API token");
    });
}

Result<std::vector<ApiToken>> PostgresStore::listApiTokens(std::int64_t team_id) {
    return guarded("listing API tokens", [&]() -> Result<std::vector<ApiToken>> {
        return all<ApiToken>(
            runOnce(pool_, sql({"SELECT ", kApiTokenColumns, " FROM api_tokens WHERE team_id = $1 ORDER BY name"}), {team_id}),
            readApiToken);
    });
}

Result<ApiToken> PostgresStore::revokeApiToken(std::int64_t team_id, std::int64_t token_id) {
    return guarded("revoking API token", [&]() -> Result<ApiToken> {
        return one<ApiToken>(
            runOnce(pool_, sql({"DELETE FROM api_tokens WHERE team_id = $1 AND id = $2 RETURNING ", kApiTokenColumns}),
                    {team_id, token_id}),
            readApiToken, ErrorKind::not_found,
            "team " + std::to_string(team_id) + " has no API token " + std::to_string(token_id));
    });
}

Result<bool> PostgresStore::touchApiToken(std::int64_t token_id, Timestamp at, std::chrono::milliseconds min_interval) {
    return guarded("recording an API token's use", [&]() -> Result<bool> {
        // One conditional UPDATE: of hosts touching at once, the first within the interval wins.
        return runOnce(pool_,
                       "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
                       {token_id, toUnixMillis(at), toUnixMillis(at) - min_interval.count()})
                   .affectedRows() > 0;
    });
}

}  // namespace forgelink::store
