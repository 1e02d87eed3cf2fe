// A team's scoped API tokens (api_tokens.hpp): made, listed and revoked by its owners and by
// operators, never by a token (a leaked token cannot make itself a successor).
#include "common/strings.hpp"
#include "service/api_error.hpp"
#include "service/api_service.hpp"
#include "service/api_tokens.hpp"
#include "service/audit.hpp"
#include "service/json_input.hpp"
#include "service/validation.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

constexpr std::int64_t kMaxLifetimeDays = 3650;

nlohmann::json tokenView(const store::ApiToken& token) {
    auto time = [](const std::optional<store::Timestamp>& at) {
        return at ? nlohmann::json(isoTime(*at)) : nlohmann::json(nullptr);
    };
    return {{"id", token.id},
            {"name", token.name},
            {"role", std::string(store::toString(token.role))},
            {"project_id", token.project_id > 0 ? nlohmann::json(token.project_id) : nlohmann::json(nullptr)},
            {"hint", apiTokenHint(token.lookup_key)},
            {"created_at", isoTime(token.created_at)},
            {"created_by", token.created_by},
            {"expires_at", time(token.expires_at)},
            {"last_used_at", time(token.last_used_at)}};
}

std::int64_t tokenIdParam(const std::string& text) {
    const auto value = common::parseDigits(text);
    if (!value || *value <= 0) throw notFound("no API token '" + text + "' (ids are positive integers)");
    return *value;
}

}  // namespace

net::ServerResponse ApiService::createApiToken(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"name", "role", "project_id", "expires_in_days"});
    const auto name = body.requiredString("name");
    checkName("name", name);
    const auto role_text = body.requiredString("role");
    const auto role = store::parseApiTokenRole(role_text);
    if (!role)
        throw badRequest("invalid_value", "field 'role' must be 'reporter' (records and reads builds) or 'admin' "
                                          "(also changes the team's settings), got '" + role_text + "'");
    store::ApiTokenInput input;
    input.team_id = team.id;
    input.name = name;
    input.role = *role;
    if (auto project_id = body.optionalInteger("project_id")) {
        auto project = store_.project(*project_id);
        if (*project_id <= 0 || !project.ok() || project.value().team_id != team.id)
            throw unprocessable("unknown_project", "field 'project_id': team '" + team.slug + "' has no project " +
                                                       std::to_string(*project_id));
        input.project_id = *project_id;
    }
    if (auto days = body.optionalInteger("expires_in_days")) {
        if (*days < 1 || *days > kMaxLifetimeDays)
            throw badRequest("invalid_value", "field 'expires_in_days' must be an integer from 1 to " +
                                                  std::to_string(kMaxLifetimeDays));
        input.expires_at = options_.clock() + std::chrono::hours(24) * *days;
    }
    const auto secret = generateApiToken();
    input.lookup_key = secret.lookup_key;
    input.secret_digest = secret.digest;
    const auto actor = actorOf(call);
    input.created_by = actor.name;
    auto created = store_.createApiToken(input);
    if (!created.ok() && created.error().kind == ErrorKind::conflict)
        throw conflict("team '" + team.slug + "' already has an API token named '" + name + "'");
    auto token = orThrow(std::move(created));
    nlohmann::json details = {{"token_id", token.id}, {"role", std::string(store::toString(token.role))},
                              {"hint", apiTokenHint(token.lookup_key)}};
    if (token.project_id > 0) details["project_id"] = token.project_id;
    if (token.expires_at) details["expires_at"] = isoTime(*token.expires_at);
    audit(call, team.id, audit_action::api_token_created, token.name, std::move(details));

    auto response = jsonResponse(201, {{"token", tokenView(token)}, {"secret", secret.token}});
    response.headers.emplace_back("Location", "/api/v1/teams/" + team.slug + "/tokens/" + std::to_string(token.id));
    // Shown once: no cache may keep it.
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

net::ServerResponse ApiService::listApiTokens(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& token : orThrow(store_.listApiTokens(team.id))) items.push_back(tokenView(token));
    return jsonResponse(200, {{"items", items}});
}

net::ServerResponse ApiService::revokeApiToken(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto id = tokenIdParam(call.param("token_id"));
    auto revoked = store_.revokeApiToken(team.id, id);
    if (!revoked.ok()) {
        if (revoked.error().kind == ErrorKind::not_found)
            throw notFound("team '" + team.slug + "' has no API token " + std::to_string(id));
        throw fromStoreError(revoked.error());
    }
    const auto& token = revoked.value();
    audit(call, team.id, audit_action::api_token_revoked, token.name,
          {{"token_id", token.id}, {"role", std::string(store::toString(token.role))}});
    return noContent();
}

}  // namespace forgelink::service
