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

class GitLabProvider final : public Provider {
public:
    explicit GitLabProvider(HostServices& host);

    std::string commentWebUrl(const std::string& repository_web_url, const std::string& merge_request,
                              const std::string& comment_id) const noexcept override;
    std::string tokenPageUrl(const std::string& base_url, const std::vector<std::string>& scopes) const noexcept override;
    Result<TokenInfo> validateToken(const Credentials& credentials) override;

    Result<Page<Namespace>> listNamespaces(const Credentials& credentials, const NamespaceQuery& query,
                                           const std::string& cursor) override;
    Result<Page<Repository>> listRepositories(const Credentials& credentials, const RepositoryQuery& query,
                                              const std::string& cursor) override;
    Result<Repository> getRepository(const Credentials& credentials, const std::string& id_or_path) override;
    Result<RepositoryPermissions> repositoryPermissions(const Credentials& credentials,
                                                        const std::string& id_or_path) override;

    Result<StatusResult> publishStatus(const Credentials& credentials, const StatusRequest& request) override;
    Result<std::vector<MergeRequest>> findMergeRequests(const Credentials& credentials, const std::string& repository,
                                                        const std::string& sha) override;
    Result<CommentResult> upsertComment(const Credentials& credentials, const CommentRequest& request) override;
    Result<MergeRequest> getMergeRequest(const Credentials& credentials, const std::string& repository,
                                         const std::string& number) override;
    Result<RotationSupport> rotationSupport(const Credentials& credentials, const RotationRequest& request) override;
    Result<RotatedToken> rotateToken(const Credentials& credentials, const RotationRequest& request) override;

    Result<std::string> authorizeUrl(const std::string& base_url, const AuthorizeRequest& request) override;
    Result<OAuthTokens> exchangeCode(const std::string& base_url, const OAuthClient& client, const std::string& code,
                                     const std::string& code_verifier) override;
    Result<OAuthTokens> refreshToken(const std::string& base_url, const OAuthClient& client,
                                     const std::string& refresh_token) override;
    Result<Identity> currentUser(const Credentials& credentials) override;

private:
    // The bodies; the public methods wrap them so nothing throws across the boundary.
    Result<TokenInfo> doValidateToken(const Credentials& credentials);
    Result<TokenInfo> validateOAuthToken(const ApiClient& api, const std::string& token);
    Result<Page<Namespace>> doListNamespaces(const Credentials& credentials, const NamespaceQuery& query,
                                             const std::string& cursor);
    Result<Page<Repository>> doListRepositories(const Credentials& credentials, const RepositoryQuery& query,
                                                const std::string& cursor);
    Result<RepositoryPermissions> doRepositoryPermissions(const Credentials& credentials, const std::string& id_or_path);
    Result<StatusResult> doPublishStatus(const Credentials& credentials, const StatusRequest& request);
    Result<std::vector<MergeRequest>> doFindMergeRequests(const Credentials& credentials, const std::string& repository,
                                                          const std::string& sha);
    Result<CommentResult> doUpsertComment(const Credentials& credentials, const CommentRequest& request);
    Result<MergeRequest> doGetMergeRequest(const Credentials& credentials, const std::string& repository,
                                           const std::string& number);
    Result<RotationSupport> doRotationSupport(const Credentials& credentials, const RotationRequest& request);
    Result<RotatedToken> doRotateToken(const Credentials& credentials, const RotationRequest& request);
    Result<std::string> doAuthorizeUrl(const std::string& base_url, const AuthorizeRequest& request);
    Result<Identity> doCurrentUser(const Credentials& credentials);
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
