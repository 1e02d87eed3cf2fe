// GitLab as an OAuth 2 provider (doorkeeper; API-FACTS A14): authorize (auto-approved), token
// (authorization_code + PKCE, refresh_token with rotation), token/info, revoke.
#include <nlohmann/json.hpp>

#include "forge_sim.hpp"
#include "sim_util.hpp"

namespace forgelink::sim {

using nlohmann::json;

namespace {

const char* kInvalidGrant =
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the "
    "authorization request, or was issued to another client.";
const char* kInvalidClient =
    "Client authentication failed due to unknown client, no client authentication included, or unsupported "
    "authentication method.";

SimResponse err(int status, const std::string& error, const std::string& desc) {
    SimResponse r;
    r.json(status, json{{"error", error}, {"error_description", desc}}.dump());
    r.set("Cache-Control", "no-store");
    return r;
}

std::string withQuery(const std::string& uri, const std::string& params) {
    return uri + (uri.find('?') == std::string::npos ? "?" : "&") + params;
}

GlToken* findToken(GitLabWorld& w, const std::string& value) {
    auto it = w.token_by_value.find(value);
    return it == w.token_by_value.end() ? nullptr : &w.tokens[it->second];
}

SimResponse issue(Ctx& ctx, GitLabWorld& w, Id user, const std::string& client_id, const std::string& redirect_uri,
                  const std::vector<std::string>& scopes) {
    GlToken t;
    t.id = w.next_token_id++;
    t.kind = GlTokenKind::OAuth;
    t.value = randomHex(ctx.rng, 64);
    t.user = user;
    t.scopes = scopes;
    t.application = client_id;
    t.created_epoch = ctx.now;
    t.created_at = isoTime(ctx.now);
    t.expires_epoch = ctx.now + w.oauth_token_ttl;
    t.name = "oauth";
    GlRefreshToken rt;
    rt.value = randomHex(ctx.rng, 64);
    rt.client_id = client_id;
    rt.redirect_uri = redirect_uri;
    rt.access_token = t.value;
    rt.user = user;
    rt.scopes = scopes;
    t.refresh_token = rt.value;
    w.tokens.push_back(t);
    w.token_by_value[t.value] = w.tokens.size() - 1;
    w.refresh_tokens[rt.value] = rt;
    std::string scope;
    for (auto& s : scopes) scope += (scope.empty() ? "" : " ") + s;
    SimResponse r;
    r.json(200, json{{"access_token", t.value},
                     {"token_type", "bearer"},
                     {"expires_in", w.oauth_token_ttl},
                     {"refresh_token", rt.value},
                     {"scope", scope},
                     {"created_at", ctx.now}}
                    .dump());
    r.set("Cache-Control", "no-store");
    return r;
}

std::vector<std::string> splitScopes(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s + " ") {
        if (c == ' ' || c == '+' || c == ',') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    return out;
}

}  // namespace

SimResponse handleGitLabOAuth(Ctx& ctx, const SimRequest& req, const std::vector<std::string>& segs) {
    GitLabWorld& w = ctx.world.gitlab;
    auto p = [&](const char* n) { return req.param(n).value_or(""); };
    auto findApp = [&](const std::string& id) -> GlOAuthApp* {
        for (auto& a : w.apps)
            if (a.client_id == id) return &a;
        return nullptr;
    };
    if (segs.size() == 1 && segs[0] == "authorize" && req.method == "GET") {
        GlOAuthApp* app = findApp(p("client_id"));
        if (!app) return err(401, "invalid_client", kInvalidClient);
        std::string redirect = p("redirect_uri");
        if (std::find(app->redirect_uris.begin(), app->redirect_uris.end(), redirect) == app->redirect_uris.end())
            return err(400, "invalid_redirect_uri", "The redirect URI included is not valid.");
        SimResponse r;
        r.status = 302;
        std::string state = req.param("state") ? "&state=" + percentEncode(p("state")) : "";
        if (p("response_type") != "code") {
            r.set("Location", withQuery(redirect, "error=unsupported_response_type&error_description=" +
                                                      percentEncode("The authorization server does not support this response type.") + state));
            return r;
        }
        std::vector<std::string> scopes = splitScopes(p("scope"));
        if (scopes.empty()) scopes = app->scopes.empty() ? std::vector<std::string>{"api"} : app->scopes;
        for (auto& s : scopes) {
            if (!app->scopes.empty() && std::find(app->scopes.begin(), app->scopes.end(), s) == app->scopes.end()) {
                r.set("Location", withQuery(redirect, "error=invalid_scope&error_description=" +
                                                          percentEncode("The requested scope is invalid, unknown, or malformed.") + state));
                return r;
            }
        }
        std::string method = p("code_challenge_method");
        if (!p("code_challenge").empty() && !method.empty() && method != "S256" && method != "plain") {
            r.set("Location", withQuery(redirect, "error=invalid_request&error_description=" +
                                                      percentEncode("Code challenge method is not supported.") + state));
            return r;
        }
        if (!app->user) return err(400, "access_denied", "No user approves this application in the scenario (oauth_apps[].user).");
        OAuthGrant g;
        g.code = randomHex(ctx.rng, 64);
        g.client_id = app->client_id;
        g.redirect_uri = redirect;
        for (auto& s : scopes) g.scope += (g.scope.empty() ? "" : " ") + s;
        g.challenge = p("code_challenge");
        g.challenge_method = method.empty() ? (g.challenge.empty() ? "" : "plain") : method;
        g.user = app->user;
        g.expires_epoch = ctx.now + 600;
        w.grants[g.code] = g;
        r.set("Location", withQuery(redirect, "code=" + g.code + state));
        return r;
    }
    if (segs.size() == 1 && segs[0] == "token" && req.method == "POST") {
        std::string client_id = p("client_id"), secret = p("client_secret");
        std::string basic = req.header("authorization");
        if (client_id.empty() && basic.rfind("Basic ", 0) == 0) {
            // client_secret_basic is not decoded here: the plugin sends form parameters.
            return err(401, "invalid_client", kInvalidClient);
        }
        GlOAuthApp* app = findApp(client_id);
        if (!app) return err(401, "invalid_client", kInvalidClient);
        if (app->confidential || !secret.empty()) {
            if (secret != app->secret) return err(401, "invalid_client", kInvalidClient);
        }
        std::string grant = p("grant_type");
        if (grant == "authorization_code") {
            auto it = w.grants.find(p("code"));
            if (it == w.grants.end() || it->second.used || it->second.client_id != client_id || ctx.now >= it->second.expires_epoch ||
                it->second.redirect_uri != p("redirect_uri"))
                return err(400, "invalid_grant", kInvalidGrant);
            OAuthGrant& g = it->second;
            if (!g.challenge.empty()) {
                std::string verifier = p("code_verifier");
                std::string computed = g.challenge_method == "S256" ? sha256Base64Url(verifier) : verifier;
                if (verifier.empty() || computed != g.challenge) return err(400, "invalid_grant", kInvalidGrant);
            } else if (!app->confidential) {
                return err(400, "invalid_request", "The request is missing a required parameter: code_verifier.");
            }
            g.used = true;
            return issue(ctx, w, g.user, client_id, g.redirect_uri, splitScopes(g.scope));
        }
        if (grant == "refresh_token") {
            auto it = w.refresh_tokens.find(p("refresh_token"));
            if (it == w.refresh_tokens.end() || it->second.revoked || it->second.client_id != client_id)
                return err(400, "invalid_grant", kInvalidGrant);
            GlRefreshToken old = it->second;
            it->second.revoked = true;
            if (GlToken* t = findToken(w, old.access_token)) t->revoked = true;  // rotation: the old pair dies
            return issue(ctx, w, old.user, client_id, old.redirect_uri, old.scopes);
        }
        if (grant.empty()) return err(400, "invalid_request", "Missing required parameter: grant_type.");
        return err(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.");
    }
    if (segs.size() == 2 && segs[0] == "token" && segs[1] == "info" && req.method == "GET") {
        std::string value = req.param("access_token").value_or("");
        std::string authz = req.header("authorization");
        if (value.empty() && authz.size() > 7 && (authz.rfind("Bearer ", 0) == 0 || authz.rfind("bearer ", 0) == 0)) value = authz.substr(7);
        GlToken* t = findToken(w, value);
        if (!t || t->kind != GlTokenKind::OAuth || t->revoked || (t->expires_epoch && ctx.now >= *t->expires_epoch))
            return err(401, "invalid_token", "The access token is invalid");
        json j{{"resource_owner_id", t->user},
               {"scope", t->scopes},
               {"scopes", t->scopes},
               {"expires_in", t->expires_epoch ? json(*t->expires_epoch - ctx.now) : json(nullptr)},
               {"expires_in_seconds", t->expires_epoch ? json(*t->expires_epoch - ctx.now) : json(nullptr)},
               {"application", {{"uid", t->application}}},
               {"created_at", t->created_epoch}};
        SimResponse r;
        r.json(200, j.dump());
        return r;
    }
    if (segs.size() == 1 && segs[0] == "revoke" && req.method == "POST") {
        std::string token = p("token");
        if (GlToken* t = findToken(w, token); t && t->kind == GlTokenKind::OAuth) {
            t->revoked = true;
            if (auto rt = w.refresh_tokens.find(t->refresh_token); rt != w.refresh_tokens.end()) rt->second.revoked = true;
        } else if (auto rt = w.refresh_tokens.find(token); rt != w.refresh_tokens.end()) {
            rt->second.revoked = true;
            if (GlToken* at = findToken(w, rt->second.access_token)) at->revoked = true;
        }
        SimResponse r;
        r.json(200, "{}");
        return r;
    }
    SimResponse r;
    r.json(404, R"({"error":"404 Not Found"})");
    return r;
}

}  // namespace forgelink::sim
