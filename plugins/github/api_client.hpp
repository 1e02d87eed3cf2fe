// Talking to one GitHub instance (github.com, GitHub Enterprise Server, GHE.com): the API root and
// the web root (OAuth and settings pages live there), the headers GitHub wants, GitHub's headers
// read back (Link, x-ratelimit-*, X-OAuth-Scopes, token expiry), and GitHub's error answers
// mapped to forgelink::Error with a message a person can act on. Never puts the token in a URL
// or a message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "forgelink/result.hpp"
#include "forgelink/support/http_text.hpp"
#include "forgelink/transport.hpp"

namespace forgelink::github {

struct Instance {
    std::string api_root;  // "https://api.github.com", "https://HOST/api/v3"; no trailing slash
    std::string web_root;  // "https://github.com", "https://HOST"; no trailing slash
    std::string key;       // "github.com", "HOST[:port]": the stable instance key of repositories
    // A bare "https://HOST": the API is guessed at HOST/api/v3 (GitHub Enterprise Server); when
    // that answers no GitHub API, the origin itself may be the API root (GitHubProvider::client).
    std::string origin_api_root;  // "https://HOST" for such a guess, else empty
    // Where a person makes a classic token with what Forgelink needs, prefilled.
    std::string tokenPageUrl() const;
};

// Accepts what an admin types, with or without a trailing "/":
//  - the web root ("https://github.com", "https://ghes.example.com") -> API at api.github.com or /api/v3;
//  - the API root ("https://api.github.com", "https://ghes.example.com/api/v3");
//  - GHE.com data residency ("https://acme.ghe.com" <-> "https://api.acme.ghe.com");
//  - any other path is taken as an API root behind a proxy (GitHub's web UI has no sub-path),
//    with the web root at the origin;
//  - a bare "https://HOST" is GitHub Enterprise Server's web root (API at /api/v3) or, when that
//    has no API, an API root itself (origin_api_root).
Result<Instance> parseInstance(std::string_view base_url);

// URL text helpers shared with every plugin (forgelink/support/http_text.hpp), under the names
// this plugin's code and tests use.
using support::encodeQuery;
using support::queryParam;
using support::urlDecode;
using support::urlEncode;
// `url` with query parameter `name` set to `value` (replaced when present, else appended).
std::string withQueryParam(std::string_view url, std::string_view name, std::string_view value);

// ---- GitHub's response headers ----

// RFC 8288 Link header: rel -> target, e.g. {"next": "...page=2", "last": "...page=5"}.
std::vector<std::pair<std::string, std::string>> parseLinkHeader(std::string_view value);
// The target of rel=`rel` in the response's Link header, or "".
std::string linkTarget(const HttpResponse& response, std::string_view rel);

struct RateLimit {
    std::optional<std::int64_t> limit;
    std::optional<std::int64_t> remaining;
    std::optional<std::int64_t> used;
    std::optional<std::int64_t> reset;  // unix seconds
    std::string resource;               // "core", "search", ...
};
RateLimit parseRateLimit(const Headers& headers);

// X-OAuth-Scopes: "repo, user, gist" -> {"repo", "user", "gist"}; nullopt when the header is absent
// (fine-grained PATs and App tokens get none), an empty list when present but empty.
std::optional<std::vector<std::string>> parseScopes(const Headers& headers, std::string_view name = "X-OAuth-Scopes");

// GitHub-Authentication-Token-Expiration: "2024-06-01 00:00:00 UTC" (or a "+HHMM" offset) ->
// unix seconds; nullopt when absent or unreadable.
std::optional<std::int64_t> parseTokenExpiration(const Headers& headers);
// Unix seconds -> "YYYY-MM-DD" (UTC).
std::string utcDate(std::int64_t unix_seconds);

// X-Accepted-GitHub-Permissions: "pull_requests=write,contents=read; issues=write" -> the
// alternatives, each a list of "permission=level".
std::vector<std::vector<std::string>> parseAcceptedPermissions(const Headers& headers);
// "statuses=write" -> "Commit statuses: write" (the name GitHub's token settings page shows).
std::string permissionLabel(std::string_view permission_eq_level);

// True when at least one header only GitHub's API sends is present.
bool hasGitHubHeaders(const HttpResponse& response);
bool looksLikeHtml(const HttpResponse& response);

// GitHub's error body: {"message", "errors": [...], "documentation_url"}; `text` is GitHub's own
// words for a message (validation errors flattened), or a short excerpt of a non-JSON body.
struct ErrorBody {
    bool json = false;
    std::string message;
    std::string text;
};
ErrorBody parseErrorBody(const HttpResponse& response);

// When a throttled answer (403/429) says to come back: primary limit (remaining 0) until the
// reset, secondary limit Retry-After or at least 60 s. nullopt when the answer is not a rate
// limit. `now_unix` is the caller's clock.
std::optional<std::chrono::seconds> rateLimitRetry(const HttpResponse& response, std::int64_t now_unix,
                                                   bool* secondary = nullptr);

// Maps a non-2xx GitHub answer to an Error. `action` says what Forgelink was doing, for a person:
// "listing repositories", "posting a commit status on acme/widget".
Error errorFromResponse(const Instance& instance, const HttpResponse& response, std::string_view action);
Error notGitHubApi(const Instance& instance, std::string_view url_tried, std::string_view what_came_back);

std::int64_t unixNow();

class ApiClient {
public:
    ApiClient(Transport& transport, Instance instance, std::string token)
        : transport_(transport), instance_(std::move(instance)), token_(std::move(token)) {}

    const Instance& instance() const noexcept { return instance_; }

    // api_root + path (path starts with "/", query included).
    std::string apiUrl(std::string_view path) const { return instance_.api_root + std::string(path); }
    // A request to an API URL with GitHub's headers and the token.
    HttpRequest request(std::string method, std::string url) const;
    static void setJsonBody(HttpRequest& request, const nlohmann::json& body);

    // Sends; follows 301/302/307/308 (renamed or transferred repositories) within the API root,
    // at most 3 times. Never follows a redirect elsewhere: the token must not leave the instance.
    Result<HttpResponse> send(const HttpRequest& request) const;
    std::vector<Result<HttpResponse>> sendAll(const std::vector<HttpRequest>& requests, std::size_t concurrency) const;

    // 2xx with a JSON body -> the JSON; any other answer -> an Error (see errorFromResponse).
    Result<nlohmann::json> json(const HttpResponse& response, std::string_view action) const;
    Result<nlohmann::json> call(const HttpRequest& request, std::string_view action) const;
    Result<nlohmann::json> get(std::string_view path, std::string_view action) const {
        return call(request("GET", apiUrl(path)), action);
    }
    // Every item of a paginated list, following Link rel="next" (at most `max_pages` pages).
    Result<std::vector<nlohmann::json>> getAll(std::string_view path, std::string_view action,
                                               std::size_t max_pages = 100) const;

    // True when `url` lies under this instance's API root (a Link or Location we may follow).
    bool isApiUrl(std::string_view url) const;

private:
    Transport& transport_;
    Instance instance_;
    std::string token_;
};

}  // namespace forgelink::github
