// The GitHub provider: GitHub REST (github.com, GitHub Enterprise Server at /api/v3, GHE.com)
// behind forgelink::Provider. Method bodies live by concern in tokens.cpp, repositories.cpp,
// feedback.cpp and oauth.cpp; this header holds what they share.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api_client.hpp"
#include "forgelink/provider.hpp"
#include "forgelink/support/guarded_provider.hpp"
#include "forgelink/support/provider_helpers.hpp"
#include "json_mapping.hpp"

namespace forgelink::github {

// Rules shared with every plugin (forgelink/support/provider_helpers.hpp), under the names this
// plugin's code uses.
using support::isNumericId;
using support::sha256Hex;

// "owner/name" split and checked; "42" is an id. Anything else is an invalid_input Error.
struct RepoRef {
    std::string id;         // numeric id, when given one
    std::string full_name;  // "owner/name", when given one
};
Result<RepoRef> parseRepoRef(const std::string& id_or_path);

// What listRepositories' opaque cursor carries between calls: the next page's URL (always under
// the API root) and the last page number when GitHub said it (rel="last").
struct ListCursor {
    std::string next_url;
    long long last_page = 0;  // 0 = unknown
};
std::string encodeCursor(const ListCursor& cursor);
Result<ListCursor> decodeCursor(const std::string& text);

// At most `max_code_points` code points of `text`, cut on a UTF-8 boundary (an ellipsis marks a
// cut); invalid UTF-8 sequences become U+FFFD so the JSON body stays valid.
std::string truncateUtf8(std::string_view text, std::size_t max_code_points);

// The commit-status state GitHub knows for a Forgelink build state.
std::string_view githubState(BuildState state) noexcept;

// How fast the host may send one token's content-creating writes (POST/PATCH of statuses and
// comments): under GitHub's secondary limit of 80 content creations per minute (API-FACTS B10),
// from providers.github.options.writes_per_minute and write_burst. The host paces them
// (HttpRequest::pacing); the plugin never waits.
struct WritePacing {
    int per_minute = 80;
    int burst = 20;
};

class GitHubProvider final : public support::GuardedProvider {
public:
    explicit GitHubProvider(HostServices& host);
    GitHubProvider(HostServices& host, WritePacing pacing);

    std::string commentWebUrl(const std::string& repository_web_url, const std::string& merge_request,
                              const std::string& comment_id) const noexcept override;
    std::string tokenPageUrl(const std::string& base_url, const std::vector<std::string>& scopes) const noexcept override;

private:
    // The bodies behind the public methods (support::GuardedProvider), which keep exceptions
    // from crossing the boundary.
#include "forgelink/support/guarded_provider_hooks.inc"
    Result<OAuthTokens> tokenRequest(const std::string& base_url, const OAuthClient& client,
                                     std::vector<std::pair<std::string, std::string>> form, const char* action);

    Result<ApiClient> client(const Credentials& credentials) const;
    // The token's own user (GET /user), cached per instance and token hash for a few minutes.
    Result<User> me(const ApiClient& api, const Credentials& credentials);
    // GET /repos/:o/:r or /repositories/:id (renames followed by the client).
    Result<Repo> fetchRepository(const ApiClient& api, const std::string& id_or_path) const;
    // "owner/name" for a repository given by id or path (a GET only for ids).
    Result<std::string> fullNameOf(const ApiClient& api, const std::string& id_or_path) const;
    // Marks `request` as one of this token's content-creating writes, for the host to pace.
    void pace(HttpRequest& request, const ApiClient& api, const Credentials& credentials) const;
    // A write the host held back (code write_paced), worded for `what`; any other Error as it is.
    Error heldBack(Error error, const ApiClient& api, std::string_view what) const;
    void log(LogLevel level, const std::string& message) const;

    HostServices& host_;
    Transport& transport_;
    WritePacing pacing_;
    mutable std::mutex mutex_;
    struct CachedUser {
        User user;
        std::chrono::steady_clock::time_point fetched;
    };
    std::map<std::string, CachedUser> users_;  // sha256(instance \n token) -> user
    // For bare "https://HOST" base URLs: the API root found by asking (HOST/api/v3 or HOST).
    mutable std::map<std::string, std::string> api_roots_;
};

}  // namespace forgelink::github
