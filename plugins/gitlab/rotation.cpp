// Token self-rotation (GitLab doc/api/personal_access_tokens.md "Self-rotate",
// project_access_tokens.md and group_access_tokens.md "Self-rotation"; API-FACTS A5, A6):
// POST /personal_access_tokens/self/rotate (16.10+, scope api), /projects/:id/access_tokens/self/rotate
// and /groups/:id/access_tokens/self/rotate (17.9+, gitlab-org/gitlab!178111, which also added the
// self_rotate scope). GitLab revokes the calling token as it answers 200 with the new one, the
// only time the new token's text is shown.
#include <algorithm>
#include <cstdio>

#include "gitlab_provider.hpp"

namespace forgelink::gitlab {
namespace {

struct GitLabVersion {
    int major = 0;
    int minor = 0;
    bool atLeast(int want_major, int want_minor) const {
        return major > want_major || (major == want_major && minor >= want_minor);
    }
};

std::optional<GitLabVersion> numericVersion(const std::string& text) {
    GitLabVersion v;
    if (std::sscanf(text.c_str(), "%d.%d", &v.major, &v.minor) != 2) return std::nullopt;
    return v;
}

bool hasScope(const std::vector<std::string>& scopes, std::string_view scope) {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

// What each kind needs: the GitLab version that has its `self` route.
struct KindNeeds {
    int major = 0;
    int minor = 0;
    const char* label = "";
};
std::optional<KindNeeds> needsOf(TokenKind kind) {
    switch (kind) {
        case TokenKind::personal: return KindNeeds{16, 10, "personal access token"};
        case TokenKind::project: return KindNeeds{17, 9, "project access token"};
        case TokenKind::group: return KindNeeds{17, 9, "group access token"};
        default: return std::nullopt;
    }
}

// The path of the self-rotation route for the token, or an error saying why there is none.
Result<std::string> rotatePath(const RotationRequest& request) {
    switch (request.kind) {
        case TokenKind::personal: return std::string("/personal_access_tokens/self/rotate");
        case TokenKind::project:
        case TokenKind::group: {
            const bool project = request.kind == TokenKind::project;
            if (!request.bound_to || request.bound_to->id.empty())
                return makeError(ErrorKind::invalid_input,
                                 std::string("the ") + (project ? "project" : "group") +
                                     " access token's " + (project ? "project" : "group") +
                                     " is not known; save the token again so Forgelink reads it",
                                 "rotation_unbound");
            return std::string(project ? "/projects/" : "/groups/") + urlEncode(request.bound_to->id) +
                   "/access_tokens/self/rotate";
        }
        case TokenKind::oauth:
            return makeError(ErrorKind::unsupported,
                             "an OAuth token is refreshed through its refresh token, not rotated", "rotation_unsupported");
        default:
            return makeError(ErrorKind::unsupported,
                             "Forgelink does not know which kind of GitLab token this is; save it again so it is "
                             "checked, then rotation can be enabled",
                             "rotation_unsupported");
    }
}

}  // namespace

Result<RotationSupport> GitLabProvider::doRotationSupport(const Credentials& credentials, const RotationRequest& request) {
    auto instance = parseInstance(credentials.base_url);
    if (!instance) return instance.error();
    const Instance& inst = instance.value();
    RotationSupport support;
    auto needs = needsOf(request.kind);
    auto path = rotatePath(request);
    if (!needs || !path) {
        support.reason = path ? std::string("this kind of token cannot rotate itself") : path.error().message;
        return support;
    }
    ApiClient api(transport_, inst, credentials.token, AuthScheme::private_token);
    auto version_body = api.get("/version", "reading the GitLab version (GET /version)");
    if (!version_body) return version_body.error();
    auto version = parseVersion(version_body.value());
    if (!version) return version.error();
    auto numeric = numericVersion(version->version);
    if (!numeric) {
        support.reason = "GitLab at " + inst.key + " reports version \"" + version->version +
                         "\", which Forgelink cannot compare; a " + needs->label + " rotates itself from GitLab " +
                         std::to_string(needs->major) + "." + std::to_string(needs->minor);
        return support;
    }
    if (!numeric->atLeast(needs->major, needs->minor)) {
        support.reason = "GitLab " + version->version + " at " + inst.key + " cannot rotate a " + needs->label +
                         " by itself (GitLab " + std::to_string(needs->major) + "." + std::to_string(needs->minor) +
                         " and later can); renew the token by hand before it expires, or upgrade GitLab";
        return support;
    }
    auto self = api.get("/personal_access_tokens/self", "reading the token (GET /personal_access_tokens/self)");
    if (!self) return self.error();
    auto token = parseAccessToken(self.value());
    if (!token) return token.error();
    const bool self_rotate = numeric->atLeast(17, 9) && hasScope(token->scopes, "self_rotate");
    if (!hasScope(token->scopes, "api") && !self_rotate) {
        std::string list;
        for (const auto& s : token->scopes) list += (list.empty() ? "" : ", ") + s;
        support.reason = "the token \"" + token->name + "\" has scopes [" + (list.empty() ? "none" : list) +
                         "]; GitLab lets a token rotate itself only with scope api" +
                         (numeric->atLeast(17, 9) ? std::string(" or self_rotate") : std::string()) +
                         ": create a token with scope api and save it";
        return support;
    }
    support.supported = true;
    return support;
}

Result<RotatedToken> GitLabProvider::doRotateToken(const Credentials& credentials, const RotationRequest& request) {
    auto instance = parseInstance(credentials.base_url);
    if (!instance) return instance.error();
    const Instance& inst = instance.value();
    auto path = rotatePath(request);
    if (!path) return path.error();
    ApiClient api(transport_, inst, credentials.token, AuthScheme::private_token);
    HttpRequest post = api.request("POST", path.value());
    nlohmann::json body = nlohmann::json::object();
    if (!request.expires_at.empty()) body["expires_at"] = request.expires_at;
    ApiClient::setJsonBody(post, body);
    // Never sent twice: a second POST with the then revoked token would make GitLab revoke the
    // new token too (automatic reuse detection).
    post.retry = HttpRequest::Retry::never;
    const std::string action = "rotating the token (POST " + path.value() + ")";

    auto sent = api.send(post);
    if (!sent) {
        Error e = sent.error();
        e.message = "no answer from GitLab at " + inst.key + " while " + action + ": " + e.message +
                    "; GitLab may or may not have rotated the token";
        e.code = "rotation_outcome_unknown";
        return e;
    }
    const HttpResponse& answer = sent.value();
    if (answer.status >= 200 && answer.status < 300) {
        auto parsed = api.json(answer, api.apiUrl(path.value()), action);
        auto rotated = parsed ? parseRotatedToken(parsed.value()) : Result<RotatedToken>(parsed.error());
        if (!rotated) {
            // GitLab acted (HTTP 2xx) but the answer holds no token: the new token is lost.
            return makeError(ErrorKind::internal,
                             "GitLab at " + inst.key + " answered HTTP " + std::to_string(answer.status) + " while " +
                                 action + " but the answer carries no new token (" + rotated.error().message + ")",
                             "rotation_answer_unreadable");
        }
        rememberScheme(api, rotated->token, AuthScheme::private_token);
        return std::move(rotated).value();
    }

    const ErrorBody said = parseErrorBody(answer);
    const std::string where = "GitLab at " + inst.key + " refused to rotate the token (HTTP " +
                              std::to_string(answer.status) + (said.text.empty() ? "" : ": \"" + said.text + "\"") + ")";
    switch (answer.status) {
        case 400:
            return makeError(ErrorKind::invalid_input,
                             where + "; the token is unchanged. If the new expiry was refused, set "
                                     "rotate.new_lifetime_days within the instance's limit (at most 365 days)",
                             "rotation_refused");
        case 403: {
            Error e = makeError(ErrorKind::missing_scope,
                                where + ": the token may not rotate itself; it needs scope api (or self_rotate on "
                                        "GitLab 17.9+). The token is unchanged",
                                "rotation_forbidden");
            e.missing_scopes = {"api"};
            e.http_status = 403;
            return e;
        }
        case 404:
            return makeError(ErrorKind::unsupported,
                             where + ": this GitLab has no self-rotation route (personal tokens need GitLab 16.10+, "
                                     "project and group tokens 17.9+). The token is unchanged",
                             "rotation_unsupported");
        case 405:
            return makeError(ErrorKind::invalid_input,
                             where + ": the token is not the kind Forgelink took it for; save it again so it is "
                                     "checked. The token is unchanged",
                             "rotation_wrong_kind");
        default:
            break;
    }
    // 401 (revoked, expired, unknown), 429 and 5xx: the usual family of messages and kinds.
    return errorFromResponse(inst, answer, action);
}

}  // namespace forgelink::gitlab
