// Talking to one GitLab instance: URLs under <root>/api/v4 (sub-path instances included), the
// auth header for the kind of token, and GitLab's error bodies mapped to forgelink::Error with a
// message a person can act on. Never puts the token in a URL or a message.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "forgelink/result.hpp"
#include "forgelink/support/http_text.hpp"
#include "forgelink/support/json_select.hpp"
#include "forgelink/support/rate_limit.hpp"
#include "forgelink/transport.hpp"

namespace forgelink::gitlab {

struct Instance {
    std::string root;  // "https://host[:port][/sub-path]", no trailing slash
    std::string key;   // "host[:port][/sub-path]": the stable instance key of repositories
    // Where a person makes a token with what Forgelink needs, prefilled.
    std::string tokenPageUrl() const;
};

// Accepts what an admin types: the instance root, with or without a trailing "/" or "/api/v4".
Result<Instance> parseInstance(std::string_view base_url);

// URL text helpers shared with every plugin (forgelink/support/http_text.hpp), under the names
// this plugin's code and tests use.
using support::encodeQuery;
using support::queryParam;
using support::urlEncode;

// The target of the Link header entry with rel="<rel>", or "".
std::string linkTarget(const HttpResponse& response, std::string_view rel);

// GitLab's error bodies, in all their shapes (API-FACTS A2).
struct ErrorBody {
    bool json = false;               // the body was JSON at all
    std::string message;             // {"message": "..."}; a hash message is flattened "field: msg; ..."
    std::string error;               // {"error": "..."}
    std::string error_description;   // {"error_description": "..."}
    std::string scope;               // {"scope": "api read_api"} on insufficient_scope
    // GitLab's own words, for a message: the most specific of the above, or a short body excerpt.
    std::string text;
};
ErrorBody parseErrorBody(const HttpResponse& response);

// True when the answer cannot come from a GitLab API: HTML, a non-JSON body, or a JSON body that
// has none of GitLab's error shapes.
bool looksLikeHtml(const HttpResponse& response);

// When to come back after a 429: Retry-After (seconds or an HTTP date), else RateLimit-Reset, read
// by the SDK's one reader of these headers (forgelink/support/rate_limit.hpp).
std::optional<std::chrono::seconds> retryAfter(const HttpResponse& response);

// Maps a non-2xx GitLab answer to an Error. `action` says what Forgelink was doing, for a person:
// "listing projects", "posting a commit status on project 42".
Error errorFromResponse(const Instance& instance, const HttpResponse& response, std::string_view action);

// The error for an answer that is not GitLab's API (HTML, a redirect, a non-JSON body).
Error notGitLabApi(const Instance& instance, std::string_view url_tried, std::string_view what_came_back);

enum class AuthScheme {
    private_token,  // PRIVATE-TOKEN: personal, project and group access tokens
    bearer,         // Authorization: Bearer: OAuth tokens (GitLab also accepts PATs this way)
};

class ApiClient {
public:
    ApiClient(Transport& transport, Instance instance, std::string token, AuthScheme scheme)
        : transport_(transport), instance_(std::move(instance)), token_(std::move(token)), scheme_(scheme) {}

    const Instance& instance() const noexcept { return instance_; }
    AuthScheme scheme() const noexcept { return scheme_; }

    // root + "/api/v4" + path (path starts with "/", query included).
    std::string apiUrl(std::string_view path) const;
    // A request to <root>/api/v4<path> with auth and Accept headers.
    HttpRequest request(std::string method, std::string_view path) const;
    // The same for an absolute URL on this instance (OAuth endpoints live outside /api/v4).
    HttpRequest requestUrl(std::string method, std::string url) const;
    static void setJsonBody(HttpRequest& request, const nlohmann::json& body);

    Result<HttpResponse> send(const HttpRequest& request) const;
    std::vector<Result<HttpResponse>> sendAll(const std::vector<HttpRequest>& requests, std::size_t concurrency) const;

    // 2xx with a JSON body -> the JSON; any other answer -> an Error (see errorFromResponse).
    Result<nlohmann::json> json(const HttpResponse& response, std::string_view url, std::string_view action) const;
    // The same, keeping only the selected members (support::parseSelected): for large answers
    // of which the plugin reads a few fields, such as listing pages.
    Result<nlohmann::json> json(const HttpResponse& response, std::string_view url, std::string_view action,
                                const support::JsonSelection& selection) const;
    // send + json.
    Result<nlohmann::json> call(const HttpRequest& request, std::string_view action) const;
    Result<nlohmann::json> get(std::string_view path, std::string_view action) const {
        return call(request("GET", path), action);
    }

    // The path of `url` without scheme, host and query, for messages ("/api/v4/projects/42").
    static std::string pathOf(std::string_view url);

private:
    Transport& transport_;
    Instance instance_;
    std::string token_;
    AuthScheme scheme_;
};

}  // namespace forgelink::gitlab
