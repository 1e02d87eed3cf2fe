// OAuth 2 login against GitLab as the identity provider (API-FACTS A14): authorization code with
// PKCE S256, token exchange and refresh at <root>/oauth/token, and the user behind a token.
#include <algorithm>
#include <chrono>

#include "gitlab_provider.hpp"

namespace forgelink::gitlab {
namespace {

// Login only needs to know who the person is.
const char* const kLoginScope = "read_user";

std::int64_t nowUnix() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

bool isBase64Url(const std::string& s) {
    for (char c : s) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    }
    return true;
}

}  // namespace

Result<std::string> GitLabProvider::doAuthorizeUrl(const std::string& base_url, const AuthorizeRequest& request) {
    auto instance = parseInstance(base_url);
    if (!instance) return instance.error();
    auto missing = [](const char* what) {
        return makeError(ErrorKind::invalid_input, std::string("cannot start a GitLab login: ") + what + " is empty",
                         "bad_oauth_request");
    };
    if (request.client.client_id.empty()) return missing("the OAuth client id");
    if (request.client.redirect_uri.empty()) return missing("the redirect URI");
    if (request.state.empty()) return missing("the state");
    if (request.code_challenge.empty()) return missing("the PKCE code challenge");
    // RFC 7636: BASE64URL(SHA256(verifier)) is 43 characters.
    if (request.code_challenge.size() < 43 || request.code_challenge.size() > 128 || !isBase64Url(request.code_challenge)) {
        return makeError(ErrorKind::invalid_input,
                         "the PKCE code challenge must be BASE64URL(SHA256(verifier)) without padding (43 characters)",
                         "bad_oauth_request");
    }
    std::string scope;
    for (const auto& s : request.scopes) scope += (scope.empty() ? "" : " ") + s;
    if (scope.empty()) scope = kLoginScope;
    return instance->root + "/oauth/authorize?" +
           encodeQuery({{"client_id", request.client.client_id},
                        {"redirect_uri", request.client.redirect_uri},
                        {"response_type", "code"},
                        {"state", request.state},
                        {"scope", scope},
                        {"code_challenge", request.code_challenge},
                        {"code_challenge_method", "S256"}});
}

Result<OAuthTokens> GitLabProvider::tokenRequest(const std::string& base_url, const OAuthClient& client,
                                                 std::vector<std::pair<std::string, std::string>> form,
                                                 const char* action) {
    auto instance = parseInstance(base_url);
    if (!instance) return instance.error();
    if (client.client_id.empty()) {
        return makeError(ErrorKind::invalid_input, std::string(action) + ": the OAuth client id is empty",
                         "bad_oauth_request");
    }
    const bool refreshing =
        std::find(form.begin(), form.end(), std::pair<std::string, std::string>("grant_type", "refresh_token")) !=
        form.end();
    form.emplace_back("client_id", client.client_id);
    if (!client.client_secret.empty()) form.emplace_back("client_secret", client.client_secret);

    HttpRequest request;
    request.method = "POST";
    request.url = instance->root + "/oauth/token";
    request.headers = {{"Accept", "application/json"}, {"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = encodeQuery(form);
    // A code is single-use and a refresh rotates both tokens: a blind retry after GitLab processed
    // the first attempt would burn the grant. Let the caller decide.
    request.retry = HttpRequest::Retry::never;

    auto response = transport_.send(request);
    if (!response) return response.error();
    const HttpResponse& r = response.value();
    if (r.status >= 200 && r.status < 300) {
        auto body = nlohmann::json::parse(r.body, nullptr, false);
        if (body.is_discarded() || looksLikeHtml(r)) {
            return notGitLabApi(instance.value(), "POST " + ApiClient::pathOf(request.url), "a body that is not JSON");
        }
        return parseOAuthToken(body, nowUnix());
    }
    const ErrorBody error = parseErrorBody(r);
    if ((r.status == 400 || r.status == 401) && !error.error.empty()) {
        Error e;
        e.kind = ErrorKind::unauthorized;
        e.code = error.error;
        e.http_status = r.status;
        const std::string where = "GitLab at " + instance->key + " refused the request (HTTP " +
                                  std::to_string(r.status) + ") while " + action;
        if (error.error == "invalid_grant") {
            if (refreshing) e.cause = ErrorCause::refresh_token_spent;
            e.message = where + ": the code or refresh token is invalid, expired, already used, or was issued for "
                                "another client or redirect URI; sign in again";
        } else if (error.error == "invalid_client") {
            e.message = where + ": the OAuth client id or secret is wrong, or the application was deleted; check "
                                "the GitLab application (Admin > Applications or User settings > Applications) and "
                                "Forgelink's OAuth client settings";
        } else {
            e.kind = ErrorKind::invalid_input;
            e.message = where + ": " + error.error + (error.error_description.empty() ? "" : " (" + error.error_description + ")");
        }
        return e;
    }
    return errorFromResponse(instance.value(), r, action);
}

Result<Identity> GitLabProvider::doCurrentUser(const Credentials& credentials) {
    auto instance = parseInstance(credentials.base_url);
    if (!instance) return instance.error();
    if (credentials.token.empty()) {
        return makeError(ErrorKind::unauthorized, "no token was given for GitLab at " + instance->key, "token_missing");
    }
    // Login tokens are OAuth tokens: Bearer is the only header GitLab takes them in.
    ApiClient api(transport_, instance.value(), credentials.token, AuthScheme::bearer);
    auto body = api.get("/user", "reading the signed-in user (GET /user)");
    if (!body) return body.error();
    auto user = parseUser(body.value());
    if (!user) return user.error();
    return user->identity;
}

}  // namespace forgelink::gitlab
