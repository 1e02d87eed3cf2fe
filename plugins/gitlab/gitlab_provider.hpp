// The GitLab provider: GitLab REST v4 (gitlab.com and self-managed, sub-path installs included)
// behind forgelink::Provider. Method bodies live by concern in tokens.cpp, repositories.cpp,
// feedback.cpp and oauth.cpp; this header holds what they share.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api_client.hpp"
#include "forgelink/provider.hpp"
#include "forgelink/support/guarded_provider.hpp"
#include "forgelink/support/provider_helpers.hpp"
#include "json_mapping.hpp"

namespace forgelink::gitlab {

// What listRepositories' opaque cursor carries between calls.
struct ListCursor {
    enum class Mode { offset, keyset };
    Mode mode = Mode::offset;
    long long next_page = 0;    // offset: the next page to fetch
    long long total_pages = 0;  // offset: X-Total-Pages of the first answer
    long long last_id = 0;      // the highest project id returned so far (both modes)
    std::string query_hash;     // the listing it belongs to: a cursor is refused for another query
};
std::string encodeCursor(const ListCursor& cursor);
Result<ListCursor> decodeCursor(const std::string& text);

// Rules shared with every plugin (forgelink/support/provider_helpers.hpp), under the names this
// plugin's code uses.
using support::isNumericId;
using support::sha256Hex;

// Days from today (UTC, std::chrono) to a "YYYY-MM-DD" date; nullopt when it is not a date.
std::optional<int> daysUntil(const std::string& date);

class GitLabProvider final : public support::GuardedProvider {
public:
    explicit GitLabProvider(HostServices& host);

    std::string commentWebUrl(const std::string& repository_web_url, const std::string& merge_request,
                              const std::string& comment_id) const noexcept override;
    std::string tokenPageUrl(const std::string& base_url, const std::vector<std::string>& scopes) const noexcept override;
    Result<RotationSupport> rotationSupport(const Credentials& credentials, const RotationRequest& request) override;
    Result<RotatedToken> rotateToken(const Credentials& credentials, const RotationRequest& request) override;

private:
    // The bodies behind the public methods (support::GuardedProvider and the two rotation
    // wrappers), which keep exceptions from crossing the boundary.
#include "forgelink/support/guarded_provider_hooks.inc"
    Result<RotationSupport> doRotationSupport(const Credentials& credentials, const RotationRequest& request);
    Result<RotatedToken> doRotateToken(const Credentials& credentials, const RotationRequest& request);
    Result<TokenInfo> validateOAuthToken(const ApiClient& api, const std::string& token);
    Result<OAuthTokens> tokenRequest(const std::string& base_url, const OAuthClient& client,
                                     std::vector<std::pair<std::string, std::string>> form, const char* action);

    // An ApiClient for the credentials, with the auth header their kind of token needs.
    Result<ApiClient> client(const Credentials& credentials) const;
    void rememberScheme(const ApiClient& client, const std::string& token, AuthScheme scheme);
    // The token's own user (GET /user), cached per instance and token hash.
    Result<User> me(const ApiClient& client, const std::string& token);
    // GET /projects/:id following moves (301 Location) a few hops, on this instance only.
    Result<Project> fetchProject(const ApiClient& client, const std::string& id_or_path) const;
    void log(LogLevel level, const std::string& message) const;

    HostServices& host_;
    Transport& transport_;
    mutable std::mutex mutex_;
    std::map<std::string, User> users_;          // sha256(instance \n token) -> user
    std::map<std::string, AuthScheme> schemes_;  // sha256(instance \n token) -> how to send it
};

// "42" stays "42"; "group/sub/proj" becomes "group%2Fsub%2Fproj" (GitLab's :id accepts both).
std::string projectRef(const std::string& id_or_path);

}  // namespace forgelink::gitlab
