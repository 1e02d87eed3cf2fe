// validateToken: who the token is, what kind, which scopes, when it expires, and whether it can
// do Forgelink's work (commit statuses and pull request comments).
//
// GitHub tells little about a token: classic PATs and OAuth tokens carry their scopes in
// X-OAuth-Scopes on every answer; fine-grained PATs and GitHub App user tokens carry none, their
// permissions are per repository and show only when a call is refused (repositoryPermissions
// probes them). The prefix names the kind (github.blog 2021-03-31, API-FACTS B1).
#include <algorithm>

#include "github_provider.hpp"

namespace forgelink::github {
namespace {

bool has(const std::vector<std::string>& scopes, std::string_view scope) {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Scopes that give more power than Forgelink needs; worth a warning, not a refusal.
const char* const kExcessScopes[] = {"admin:org",       "delete_repo",        "admin:repo_hook", "admin:org_hook",
                                     "admin:enterprise", "admin:public_key",  "admin:gpg_key",   "admin:ssh_signing_key",
                                     "write:org",       "workflow",           "delete:packages", "write:packages",
                                     "site_admin",      "user",               "codespace",       "write:discussion",
                                     "admin:repo"};

}  // namespace

Result<TokenInfo> GitHubProvider::doValidateToken(const Credentials& credentials) {
    auto api_result = client(credentials);
    if (!api_result) return api_result.error();
    const ApiClient& api = api_result.value();
    const Instance& instance = api.instance();
    const std::string& token = credentials.token;
    const std::string user_url = api.apiUrl("/user");

    auto response = api.send(api.request("GET", user_url));
    if (!response) return response.error();
    const HttpResponse& r = response.value();

    if (looksLikeHtml(r)) return notGitHubApi(instance, user_url, std::to_string(r.status) + " with an HTML page");
    if (r.status == 404) {
        return notGitHubApi(instance, user_url, "404 (every GitHub API answers GET /user for a valid token)");
    }
    if (r.status == 403 && parseErrorBody(r).text.find("Resource not accessible by integration") != std::string::npos) {
        Error e = makeError(ErrorKind::unauthorized,
                            "GitHub at " + instance.key +
                                " answered 403 \"Resource not accessible by integration\" to GET /user: this is a GitHub "
                                "App installation token (ghs_), which acts as no user and expires within an hour; give "
                                "Forgelink a personal access token, an OAuth token or a GitHub App user token (ghu_)",
                            "installation_token");
        e.http_status = 403;
        return e;
    }
    if (r.status < 200 || r.status >= 300) {
        return errorFromResponse(instance, r, "checking the token (GET /user)");
    }
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("login")) {
        return notGitHubApi(instance, user_url, std::to_string(r.status) + " with something that is not a GitHub user");
    }
    if (!hasGitHubHeaders(r)) {
        return notGitHubApi(instance, user_url,
                            std::to_string(r.status) + " without any of GitHub's headers (X-GitHub-*, X-RateLimit-*)");
    }
    auto user = parseUser(body);
    if (!user) return user.error();

    TokenInfo info;
    info.instance = instance.key;
    info.identity = user->identity;
    if (!instance.origin_api_root.empty() && instance.api_root == instance.origin_api_root) {
        // Say which API root a bare "https://HOST" led to when it is not GitHub Enterprise's.
        info.warnings.push_back({"api_root", instance.origin_api_root + "/api/v3 answers no GitHub API; Forgelink uses "
                                             "the GitHub API at " + instance.api_root + " (its GET /user answered)"});
    }
    auto scopes = parseScopes(r.headers);
    const bool fine_grained = startsWith(token, "github_pat_");

    if (startsWith(token, "gho_")) {
        info.kind = TokenKind::oauth;
    } else if (startsWith(token, "ghu_")) {
        info.kind = TokenKind::app;
    } else if (fine_grained || startsWith(token, "ghp_") || scopes) {
        info.kind = TokenKind::personal;
    } else {
        info.kind = TokenKind::unknown;
    }
    // Scopes do not apply to fine-grained and App user tokens (their permissions do), even when a
    // server sends an empty X-OAuth-Scopes for them.
    if (fine_grained || info.kind == TokenKind::app) scopes.reset();
    if (scopes) info.scopes = *scopes;

    if (auto expires = parseTokenExpiration(r.headers)) {
        info.expires_at = utcDate(*expires);
        const std::int64_t seconds_left = *expires - unixNow();
        info.days_until_expiry = static_cast<int>(seconds_left >= 0 ? seconds_left / 86400 : -((-seconds_left + 86399) / 86400));
        if (*info.days_until_expiry <= 30) {
            info.warnings.push_back(
                {"expires_soon", "the token expires on " + *info.expires_at + " (in " +
                                     std::to_string(*info.days_until_expiry) + " days); make a new one at " +
                                     (scopes ? instance.tokenPageUrl() : instance.web_root + "/settings/personal-access-tokens") +
                                     " before then, or Forgelink's statuses and comments stop"});
        }
    }

    if (scopes) {
        // Classic PAT or OAuth token: the scopes decide.
        const bool repo = has(*scopes, "repo");
        const bool status = repo || has(*scopes, "repo:status");
        const bool public_repo = repo || has(*scopes, "public_repo");
        if (!status || !public_repo) {
            Error e = makeError(ErrorKind::missing_scope, "", "missing_scope");
            e.missing_scopes.push_back("repo");
            std::string have = scopes->empty() ? std::string("no scopes") : "scopes " + [&] {
                std::string joined;
                for (const auto& s : *scopes) joined += (joined.empty() ? "" : ", ") + s;
                return joined;
            }();
            e.message = "the token of " + info.identity.username + " on " + instance.key + " has " + have +
                        " but Forgelink needs scope repo (commit statuses and pull request comments; or repo:status "
                        "and public_repo for public repositories only)" +
                        (status ? "; it can post statuses but not comment" : "") +
                        ": create a token with scope repo at " + instance.tokenPageUrl();
            e.http_status = r.status;
            return e;
        }
        if (!repo) {
            info.warnings.push_back(
                {"public_only", "the token has repo:status and public_repo but not repo: it can post commit statuses "
                                "on any repository it can see, but comment on and list public repositories only; "
                                "private repositories need scope repo"});
        }
        std::vector<std::string> excess;
        for (const char* s : kExcessScopes) {
            if (has(*scopes, s)) excess.emplace_back(s);
        }
        if (!excess.empty()) {
            std::string joined;
            for (const auto& s : excess) joined += (joined.empty() ? "" : ", ") + s;
            info.warnings.push_back({"excess_privilege",
                                     "the token has scopes Forgelink does not need (" + joined +
                                         "); a token with only repo limits the damage if it leaks"});
        }
    } else {
        // Fine-grained PAT or App user token: nothing in /user says what it may do.
        info.warnings.push_back(
            {"permissions_per_repository",
             std::string(fine_grained ? "a fine-grained personal access token"
                                      : info.kind == TokenKind::app ? "a GitHub App user token" : "this token") +
                 " carries no scopes GitHub reports; its permissions (Commit statuses: write, Pull requests or "
                 "Issues: write) are granted per repository and are checked when a repository is linked "
                 "(repository permissions report) or at the first write"});
    }
    if (user->site_admin) {
        info.warnings.push_back({"excess_privilege", "the token's user " + info.identity.username +
                                                         " is a site administrator; a token of a dedicated user with "
                                                         "push access to the linked repositories is safer"});
    }
    return info;
}

}  // namespace forgelink::github
