// GitHub as the login provider: the OAuth web flow with PKCE (S256) at the web root
// (https://github.com/login/oauth/..., GHES https://HOST/login/oauth/...), not under the API.
// GitHub answers token requests with HTTP 200 even when it refuses them; the refusal is in the
// body ({"error": "bad_verification_code", ...}, API-FACTS B11).
#include "github_provider.hpp"

namespace forgelink::github {
namespace {

// Base64url without padding: what BASE64URL(SHA256(verifier)) gives (RFC 7636: 43 characters).
bool isCodeChallenge(std::string_view s) {
    if (s.size() < 43 || s.size() > 128) return false;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

Error missing(const char* what) {
    return makeError(ErrorKind::invalid_input, std::string("the OAuth request has no ") + what, "bad_oauth_request");
}

}  // namespace

Result<std::string> GitHubProvider::doAuthorizeUrl(const std::string& base_url, const AuthorizeRequest& request) {
    auto instance = parseInstance(base_url);
    if (!instance) return instance.error();
    if (request.client.client_id.empty()) return missing("client_id (the OAuth app's Client ID)");
    if (request.client.redirect_uri.empty()) return missing("redirect_uri");
    if (request.state.empty()) return missing("state");
    if (!isCodeChallenge(request.code_challenge)) {
        return makeError(ErrorKind::invalid_input,
                         "the OAuth code_challenge must be BASE64URL(SHA256(verifier)) without padding (43 characters "
                         "of A-Z a-z 0-9 - _)",
                         "bad_oauth_request");
    }
    std::string scope;
    for (const auto& s : request.scopes) scope += (scope.empty() ? "" : " ") + s;
    // Logging in needs no scope beyond the public profile; ask for repo only when told to.
    std::vector<std::pair<std::string, std::string>> params = {{"client_id", request.client.client_id},
                                                               {"redirect_uri", request.client.redirect_uri}};
    if (!scope.empty()) params.emplace_back("scope", scope);
    params.emplace_back("state", request.state);
    params.emplace_back("code_challenge", request.code_challenge);
    params.emplace_back("code_challenge_method", "S256");
    return instance->web_root + "/login/oauth/authorize?" + encodeQuery(params);
}

Result<OAuthTokens> GitHubProvider::tokenRequest(const std::string& base_url, const OAuthClient& client,
                                                 std::vector<std::pair<std::string, std::string>> form,
                                                 const char* action) {
    auto instance_result = parseInstance(base_url);
    if (!instance_result) return instance_result.error();
    const Instance& instance = instance_result.value();
    if (client.client_id.empty()) return missing("client_id (the OAuth app's Client ID)");
    form.insert(form.begin(), {"client_id", client.client_id});
    if (!client.client_secret.empty()) form.emplace_back("client_secret", client.client_secret);

    const std::string url = instance.web_root + "/login/oauth/access_token";
    HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.headers = {{"Accept", "application/json"},
                       {"Content-Type", "application/x-www-form-urlencoded"},
                       {"User-Agent", "Forgelink-GitHub/1.0"}};
    request.body = encodeQuery(form);
    // A code is good for one exchange and a refresh token for one refresh: never resend.
    request.retry = HttpRequest::Retry::never;

    auto response = transport_.send(request);
    if (!response) return response.error();
    const HttpResponse& r = response.value();
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (looksLikeHtml(r) || j.is_discarded() || !j.is_object()) {
        if (r.status >= 500) {
            Error e = makeError(ErrorKind::transient,
                                "GitHub at " + instance.key + " answered " + std::to_string(r.status) + " while " +
                                    action + "; try again later",
                                "server_error");
            e.http_status = r.status;
            return e;
        }
        Error e = makeError(ErrorKind::invalid_input,
                            std::string("the base URL does not lead to GitHub's OAuth endpoint: ") + url +
                                " answered " + std::to_string(r.status) + " without JSON while " + action +
                                "; expected https://github.com or a GitHub Enterprise Server root",
                            "not_a_github_oauth");
        e.http_status = r.status;
        return e;
    }
    if (r.status != 200 && !j.contains("error")) {
        return errorFromResponse(instance, r, action);
    }
    auto tokens = parseOAuthToken(j, unixNow());
    if (!tokens) {
        Error e = tokens.error();
        e.http_status = r.status;
        return e;
    }
    return tokens;
}

}  // namespace forgelink::github
