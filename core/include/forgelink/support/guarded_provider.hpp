// The plugin boundary written once: a Provider whose public methods run the plugin's own bodies
// through support::guardedCall, so nothing throws across the boundary, each method in the forge's
// words ("Acme provider failed while finding change requests: ...").
//
// A forge derives from GuardedProvider, passes its words to the constructor and overrides the
// private hooks below (do<Method>, the Provider method's arguments unchanged). Token rotation,
// commentWebUrl and tokenPageUrl stay the forge's own overrides: rotation is optional, and the
// two link builders are noexcept (support::textOrEmpty).
//
// Part of Forgelink::plugin_support, header only. Threads and ownership as forgelink::Provider.
#pragma once

#include <string_view>
#include <utility>

#include <forgelink/provider.hpp>
#include <forgelink/support/provider_helpers.hpp>

namespace forgelink::support {

// What a forge calls each Provider method's work, for the Error an exception becomes; the
// defaults are the words every forge shares. Designated initializers name only what differs.
struct BoundaryWords {
    std::string_view forge;  // "Acme": "<forge> provider failed while <what>"
    const char* validate_token = "validating a token";
    const char* list_namespaces = "listing namespaces";
    const char* list_repositories = "listing repositories";
    const char* get_repository = "looking up a repository";
    const char* repository_permissions = "checking repository permissions";
    const char* publish_status = "publishing a commit status";
    const char* find_merge_requests = "finding merge requests";
    const char* upsert_comment = "writing the merge request comment";
    const char* get_merge_request = "reading a merge request";
    const char* authorize_url = "building the OAuth authorize URL";
    const char* exchange_code = "exchanging an OAuth code";
    const char* refresh_token = "refreshing an OAuth token";
    const char* current_user = "reading the current user";
};

class GuardedProvider : public Provider {
public:
    Result<TokenInfo> validateToken(const Credentials& credentials) final {
        return guarded(words_.validate_token, [&] { return doValidateToken(credentials); });
    }
    Result<Page<Namespace>> listNamespaces(const Credentials& credentials, const NamespaceQuery& query,
                                           const std::string& cursor) final {
        return guarded(words_.list_namespaces, [&] { return doListNamespaces(credentials, query, cursor); });
    }
    Result<Page<Repository>> listRepositories(const Credentials& credentials, const RepositoryQuery& query,
                                              const std::string& cursor) final {
        return guarded(words_.list_repositories, [&] { return doListRepositories(credentials, query, cursor); });
    }
    Result<Repository> getRepository(const Credentials& credentials, const std::string& id_or_path) final {
        return guarded(words_.get_repository, [&] { return doGetRepository(credentials, id_or_path); });
    }
    Result<RepositoryPermissions> repositoryPermissions(const Credentials& credentials,
                                                        const std::string& id_or_path) final {
        return guarded(words_.repository_permissions, [&] { return doRepositoryPermissions(credentials, id_or_path); });
    }
    Result<StatusResult> publishStatus(const Credentials& credentials, const StatusRequest& request) final {
        return guarded(words_.publish_status, [&] { return doPublishStatus(credentials, request); });
    }
    Result<std::vector<MergeRequest>> findMergeRequests(const Credentials& credentials, const std::string& repository,
                                                        const std::string& sha) final {
        return guarded(words_.find_merge_requests, [&] { return doFindMergeRequests(credentials, repository, sha); });
    }
    Result<CommentResult> upsertComment(const Credentials& credentials, const CommentRequest& request) final {
        return guarded(words_.upsert_comment, [&] { return doUpsertComment(credentials, request); });
    }
    Result<MergeRequest> getMergeRequest(const Credentials& credentials, const std::string& repository,
                                         const std::string& number) final {
        return guarded(words_.get_merge_request, [&] { return doGetMergeRequest(credentials, repository, number); });
    }
    Result<std::string> authorizeUrl(const std::string& base_url, const AuthorizeRequest& request) final {
        return guarded(words_.authorize_url, [&] { return doAuthorizeUrl(base_url, request); });
    }
    Result<OAuthTokens> exchangeCode(const std::string& base_url, const OAuthClient& client, const std::string& code,
                                     const std::string& code_verifier) final {
        return guarded(words_.exchange_code, [&] { return doExchangeCode(base_url, client, code, code_verifier); });
    }
    Result<OAuthTokens> refreshToken(const std::string& base_url, const OAuthClient& client,
                                     const std::string& refresh_token) final {
        return guarded(words_.refresh_token, [&] { return doRefreshToken(base_url, client, refresh_token); });
    }
    Result<Identity> currentUser(const Credentials& credentials) final {
        return guarded(words_.current_user, [&] { return doCurrentUser(credentials); });
    }

protected:
    explicit GuardedProvider(BoundaryWords words) noexcept : words_(words) {}

    // guardedCall in this forge's name, for the methods a forge adds itself (token rotation).
    template <class Fn>
    auto guarded(const char* what, Fn&& fn) const -> decltype(fn()) {
        return guardedCall(words_.forge, what, std::forward<Fn>(fn));
    }

private:
    // The forge's bodies, called only through the public methods above; they may throw.
    virtual Result<TokenInfo> doValidateToken(const Credentials& credentials) = 0;
    virtual Result<Page<Namespace>> doListNamespaces(const Credentials& credentials, const NamespaceQuery& query,
                                                     const std::string& cursor) = 0;
    virtual Result<Page<Repository>> doListRepositories(const Credentials& credentials, const RepositoryQuery& query,
                                                        const std::string& cursor) = 0;
    virtual Result<Repository> doGetRepository(const Credentials& credentials, const std::string& id_or_path) = 0;
    virtual Result<RepositoryPermissions> doRepositoryPermissions(const Credentials& credentials,
                                                                  const std::string& id_or_path) = 0;
    virtual Result<StatusResult> doPublishStatus(const Credentials& credentials, const StatusRequest& request) = 0;
    virtual Result<std::vector<MergeRequest>> doFindMergeRequests(const Credentials& credentials,
                                                                  const std::string& repository,
                                                                  const std::string& sha) = 0;
    virtual Result<CommentResult> doUpsertComment(const Credentials& credentials, const CommentRequest& request) = 0;
    virtual Result<MergeRequest> doGetMergeRequest(const Credentials& credentials, const std::string& repository,
                                                   const std::string& number) = 0;
    virtual Result<std::string> doAuthorizeUrl(const std::string& base_url, const AuthorizeRequest& request) = 0;
    virtual Result<OAuthTokens> doExchangeCode(const std::string& base_url, const OAuthClient& client,
                                               const std::string& code, const std::string& code_verifier) = 0;
    virtual Result<OAuthTokens> doRefreshToken(const std::string& base_url, const OAuthClient& client,
                                               const std::string& refresh_token) = 0;
    virtual Result<Identity> doCurrentUser(const Credentials& credentials) = 0;

    BoundaryWords words_;
};

}  // namespace forgelink::support
