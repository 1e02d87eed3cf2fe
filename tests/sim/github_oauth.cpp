// GitHub's OAuth web flow (API-FACTS B11): errors come back as HTTP 200; the token response is
// form-encoded unless the client asks for JSON.
#include <nlohmann/json.hpp>

#include "forge_sim.hpp"
#include "sim_util.hpp"

namespace forgelink::sim {

using nlohmann::json;

namespace {

const char* kTroubleshooting =
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/";

SimResponse reply(const SimRequest& req, const std::vector<std::pair<std::string, json>>& fields) {
    SimResponse r;
    r.status = 200;
    if (req.header("accept").find("application/json") != std::string::npos) {
        json j = json::object();
        for (auto& [k, v] : fields) j[k] = v;
        r.json(200, j.dump());
        return r;
    }
    std::string body;
    for (auto& [k, v] : fields) {
        std::string s = v.is_string() ? v.get<std::string>() : v.dump();
        body += (body.empty() ? "" : "&") + k + "=" + percentEncode(s);
    }
    r.body = body;
    r.set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    return r;
}

SimResponse error(const SimRequest& req, const std::string& code, const std::string& desc, const std::string& anchor) {
    return reply(req, {{"error", code}, {"error_description", desc}, {"error_uri", std::string(kTroubleshooting) + "#" + anchor}});
}

}  // namespace

SimResponse handleGitHubOAuth(Ctx& ctx, const SimRequest& req, const std::vector<std::string>& segs) {
    GitHubWorld& w = ctx.world.github;
    auto p = [&](const char* n) { return req.param(n).value_or(""); };
    auto findApp = [&](const std::string& id) -> GhOAuthApp* {
        for (auto& a : w.apps)
            if (a.client_id == id) return &a;
        return nullptr;
    };
    if (segs.size() == 1 && segs[0] == "authorize" && req.method == "GET") {
        GhOAuthApp* app = findApp(p("client_id"));
        SimResponse r;
        if (!app) {
            r.status = 404;
            r.set("Content-Type", "text/html; charset=utf-8");
            r.body = "<html><body>Not Found: unknown client_id</body></html>";
            return r;
        }
        std::string redirect = p("redirect_uri").empty() ? app->redirect_uris.front() : p("redirect_uri");
        std::string state = req.param("state") ? "&state=" + percentEncode(p("state")) : "";
        r.status = 302;
        auto registered = [&](const std::string& uri) {
            for (auto& reg : app->redirect_uris) {
                if (uri == reg) return true;
                // Loopback callbacks may use any port (B11).
                if (reg.rfind("http://127.0.0.1", 0) == 0 && uri.rfind("http://127.0.0.1:", 0) == 0) {
                    auto pathOf = [](const std::string& u) {
                        std::size_t s = u.find('/', 7);
                        return s == std::string::npos ? std::string("/") : u.substr(s);
                    };
                    if (pathOf(uri).rfind(pathOf(reg), 0) == 0) return true;
                }
            }
            return false;
        };
        if (!registered(redirect)) {
            r.set("Location", app->redirect_uris.front() + "?error=redirect_uri_mismatch&error_description=" +
                                  percentEncode("The redirect_uri MUST match the registered callback URL for this application.") +
                                  "&error_uri=" + percentEncode(std::string(kTroubleshooting) + "#redirect-uri-mismatch") + state);
            return r;
        }
        if (!p("code_challenge").empty() && p("code_challenge_method") != "S256") {
            r.set("Location", redirect + "?error=invalid_request&error_description=" + percentEncode("code_challenge_method must be S256") + state);
            return r;
        }
        OAuthGrant g;
        g.code = randomHex(ctx.rng, 20);
        g.client_id = app->client_id;
        g.redirect_uri = redirect;
        g.scope = p("scope");
        g.challenge = p("code_challenge");
        g.challenge_method = g.challenge.empty() ? "" : "S256";
        g.user = app->user;
        g.expires_epoch = ctx.now + 600;
        w.grants[g.code] = g;
        r.set("Location", redirect + (redirect.find('?') == std::string::npos ? "?" : "&") + "code=" + g.code + state);
        return r;
    }
    if (segs.size() == 1 && segs[0] == "access_token" && req.method == "POST") {
        GhOAuthApp* app = findApp(p("client_id"));
        if (!app || p("client_secret") != app->secret)
            return error(req, "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.",
                         "incorrect-client-credentials");
        auto issue = [&](Id user, const std::vector<std::string>& scopes) {
            GhToken t;
            t.kind = GhTokenKind::OAuth;
            t.value = (app->expiring ? "ghu_" : "gho_") + randomAlnum(ctx.rng, 36);
            t.user = user;
            t.scopes = scopes;
            std::vector<std::pair<std::string, json>> fields{{"access_token", t.value}};
            if (app->expiring) {
                t.expires_epoch = ctx.now + 28800;
                t.refresh_token = "ghr_" + randomAlnum(ctx.rng, 76);
                w.refresh_tokens[t.refresh_token] = t.value;
                fields.emplace_back("expires_in", 28800);
                fields.emplace_back("refresh_token", t.refresh_token);
                fields.emplace_back("refresh_token_expires_in", 15811200);
            }
            std::string scope;
            for (auto& s : scopes) scope += (scope.empty() ? "" : ",") + s;
            fields.emplace_back("scope", scope);
            fields.emplace_back("token_type", "bearer");
            w.tokens.push_back(t);
            w.token_by_value[t.value] = w.tokens.size() - 1;
            return reply(req, fields);
        };
        if (p("grant_type") == "refresh_token") {
            auto it = w.refresh_tokens.find(p("refresh_token"));
            if (!app->expiring || it == w.refresh_tokens.end())
                return error(req, "bad_refresh_token", "The refresh token passed is incorrect or expired.", "bad-refresh-token");
            auto ti = w.token_by_value.find(it->second);
            GhToken old = w.tokens[ti->second];
            w.tokens[ti->second].revoked = true;
            w.refresh_tokens.erase(it);
            return issue(old.user, old.scopes);
        }
        auto it = w.grants.find(p("code"));
        if (it == w.grants.end() || it->second.used || it->second.client_id != app->client_id || ctx.now >= it->second.expires_epoch)
            return error(req, "bad_verification_code", "The code passed is incorrect or expired.", "bad-verification-code");
        OAuthGrant& g = it->second;
        if (!p("redirect_uri").empty() && p("redirect_uri") != g.redirect_uri)
            return error(req, "redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.",
                         "redirect-uri-mismatch");
        if (!g.challenge.empty() && sha256Base64Url(p("code_verifier")) != g.challenge)
            return error(req, "bad_verification_code", "The code passed is incorrect or expired.", "bad-verification-code");
        g.used = true;
        std::vector<std::string> scopes;
        std::string cur;
        for (char c : g.scope + " ") {
            if (c == ' ' || c == ',') {
                if (!cur.empty()) scopes.push_back(cur);
                cur.clear();
            } else {
                cur += c;
            }
        }
        if (scopes.empty()) scopes = app->scopes;
        return issue(g.user, scopes);
    }
    SimResponse r;
    r.status = 404;
    r.set("Content-Type", "text/html; charset=utf-8");
    r.body = "<html><body>Not Found</body></html>";
    return r;
}

}  // namespace forgelink::sim
