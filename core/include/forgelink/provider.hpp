// The C++ interface every provider plugin implements, and what the host hands it.
//
// Threads: the host may call any method of one Provider from several threads at once; a
// provider keeps no per-call state in members (or guards it). Every method blocks until done.
// Ownership: arguments are borrowed for the duration of the call; results are owned by the caller.
// Lifetime: a Provider lives from descriptor.create to descriptor.destroy; HostServices outlives it.
// Errors: methods never throw; every failure is a Result error with a message a person can act on.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "forgelink/result.hpp"
#include "forgelink/transport.hpp"
#include "forgelink/types.hpp"

namespace forgelink {

// What the host lends a provider for its whole life.
struct HostServices {
    Transport* transport = nullptr;  // the only way to the network
    Logger* logger = nullptr;
    // The provider's own options from the host configuration (providers.<name>.options), as text.
    std::map<std::string, std::string> options;
};

class Provider {
public:
    virtual ~Provider() = default;

    // ---- credentials (FORGELINK_CAP_TOKEN_VALIDATION) ----
    // Checks a token against an instance: who it is, what kind, scopes, expiry, the project or
    // group it is bound to and the role there, and warnings. Refuses (an Error) when the token
    // cannot do Forgelink's work: unknown, revoked, expired, missing a required scope, too low a
    // role, or a base URL that is not this forge's API.
    virtual Result<TokenInfo> validateToken(const Credentials& credentials);

    // ---- namespaces and repositories (FORGELINK_CAP_REPOSITORIES) ----
    // One page (or one concurrent batch of pages) per call; pass Page::next_cursor back for the
    // next one, "" for the first. Every item appears once across all pages of a listing.
    virtual Result<Page<Namespace>> listNamespaces(const Credentials& credentials, const NamespaceQuery& query,
                                                   const std::string& cursor);
    virtual Result<Page<Repository>> listRepositories(const Credentials& credentials, const RepositoryQuery& query,
                                                      const std::string& cursor);
    // Looks a repository up by id or full path, following moves.
    virtual Result<Repository> getRepository(const Credentials& credentials, const std::string& id_or_path);
    // What the token may do there (post statuses, comment) and, when not, why.
    virtual Result<RepositoryPermissions> repositoryPermissions(const Credentials& credentials,
                                                                const std::string& id_or_path);

    // ---- feedback (FORGELINK_CAP_COMMIT_STATUS, FORGELINK_CAP_REVIEW_COMMENT) ----
    // Publishes the build state as a commit status. A transition the forge already shows is
    // success with already_current = true.
    virtual Result<StatusResult> publishStatus(const Credentials& credentials, const StatusRequest& request);
    // The open merge/pull requests of a commit in that repository (targeting it).
    virtual Result<std::vector<MergeRequest>> findMergeRequests(const Credentials& credentials,
                                                                const std::string& repository,
                                                                const std::string& sha);
    // Creates Forgelink's one comment on the MR, or updates it in place when the body changed.
    // Never creates a second comment with the same marker; never edits someone else's comment.
    virtual Result<CommentResult> upsertComment(const Credentials& credentials, const CommentRequest& request);

    // ---- OAuth login (FORGELINK_CAP_OAUTH_LOGIN) ----
    virtual Result<std::string> authorizeUrl(const std::string& base_url, const AuthorizeRequest& request);
    virtual Result<OAuthTokens> exchangeCode(const std::string& base_url, const OAuthClient& client,
                                             const std::string& code, const std::string& code_verifier);
    // Refreshing may rotate both tokens: the caller stores the new pair atomically.
    virtual Result<OAuthTokens> refreshToken(const std::string& base_url, const OAuthClient& client,
                                             const std::string& refresh_token);
    virtual Result<Identity> currentUser(const Credentials& credentials);

    // ---- web pages for people (FORGELINK_CAP_WEB_LINKS) ----
    // Built from the forge's documented URL shapes, without any request; "" when unknown.
    // The page of the comment `comment_id` that upsertComment wrote on merge request
    // `merge_request` of the repository whose web page is `repository_web_url` (Repository::web_url).
    virtual std::string commentWebUrl(const std::string& repository_web_url, const std::string& merge_request,
                                      const std::string& comment_id) const noexcept;
    // The instance's page where a person creates a token with `scopes` (empty: the scopes this
    // provider needs for Forgelink's work), for messages that tell people how to fix a token.
    virtual std::string tokenPageUrl(const std::string& base_url, const std::vector<std::string>& scopes) const noexcept;

    // ---- the merge request's head (FORGELINK_CAP_MERGE_REQUEST_HEAD) ----
    // Merge request `number` (the number within its repository) of `repository` (id or full
    // path) as the forge shows it now, open or not. head_sha is the commit the merge request shows
    // (its source branch's tip), which differs from a build's
    // commit when the build ran on a merge result. not_found when there is no such merge request.
    // Declared last in the class: a plugin built before it has no slot for it, and the host calls
    // it only on plugins that set the bit.
    virtual Result<MergeRequest> getMergeRequest(const Credentials& credentials, const std::string& repository,
                                                 const std::string& number);

    // ---- token rotation (FORGELINK_CAP_TOKEN_ROTATION) ----
    // Declared after getMergeRequest for the same reason: older plugins have no slot for them.
    // Whether `credentials`' token can rotate itself on its instance (asks the forge: its version,
    // the token's scopes). supported = false with a reason is an answer, not an error; an error
    // means the forge could not be asked.
    virtual Result<RotationSupport> rotationSupport(const Credentials& credentials, const RotationRequest& request);
    // Asks the forge to replace the token with a new one, in ONE request: the forge revokes the
    // old token the moment it acts, and its answer carries the only copy of the new one. Errors:
    // unauthorized, forbidden, missing_scope, invalid_input, not_found and unsupported mean the
    // forge refused and the old token is unchanged; anything else (transient, rate_limited,
    // internal: no answer, a 5xx, an answer without a token) means the outcome is unknown, and
    // the caller must find out (validateToken on the old token) before trying again: presenting
    // a rotated token to the rotation endpoint again may make the forge revoke its successor too.
    virtual Result<RotatedToken> rotateToken(const Credentials& credentials, const RotationRequest& request);
};

// Default implementations answer ErrorKind::unsupported, so a provider overrides exactly what its
// capability flags declare; the host checks the flags before calling.
inline Error unsupported(const char* what) {
    return makeError(ErrorKind::unsupported, std::string("this provider does not support ") + what, "unsupported");
}
inline Result<TokenInfo> Provider::validateToken(const Credentials&) { return unsupported("token validation"); }
inline std::string Provider::commentWebUrl(const std::string&, const std::string&, const std::string&) const noexcept {
    return {};
}
inline std::string Provider::tokenPageUrl(const std::string&, const std::vector<std::string>&) const noexcept { return {}; }
inline Result<Page<Namespace>> Provider::listNamespaces(const Credentials&, const NamespaceQuery&, const std::string&) {
    return unsupported("listing namespaces");
}
inline Result<Page<Repository>> Provider::listRepositories(const Credentials&, const RepositoryQuery&,
                                                           const std::string&) {
    return unsupported("listing repositories");
}
inline Result<Repository> Provider::getRepository(const Credentials&, const std::string&) {
    return unsupported("repository lookup");
}
inline Result<RepositoryPermissions> Provider::repositoryPermissions(const Credentials&, const std::string&) {
    return unsupported("permission reports");
}
inline Result<StatusResult> Provider::publishStatus(const Credentials&, const StatusRequest&) {
    return unsupported("commit statuses");
}
inline Result<std::vector<MergeRequest>> Provider::findMergeRequests(const Credentials&, const std::string&,
                                                                     const std::string&) {
    return unsupported("finding merge requests");
}
inline Result<CommentResult> Provider::upsertComment(const Credentials&, const CommentRequest&) {
    return unsupported("merge request comments");
}
inline Result<MergeRequest> Provider::getMergeRequest(const Credentials&, const std::string&, const std::string&) {
    return unsupported("reading a merge request");
}
inline Result<RotationSupport> Provider::rotationSupport(const Credentials&, const RotationRequest&) {
    return unsupported("token rotation");
}
inline Result<RotatedToken> Provider::rotateToken(const Credentials&, const RotationRequest&) {
    return unsupported("token rotation");
}
inline Result<std::string> Provider::authorizeUrl(const std::string&, const AuthorizeRequest&) {
    return unsupported("OAuth login");
}
inline Result<OAuthTokens> Provider::exchangeCode(const std::string&, const OAuthClient&, const std::string&,
                                                  const std::string&) {
    return unsupported("OAuth login");
}
inline Result<OAuthTokens> Provider::refreshToken(const std::string&, const OAuthClient&, const std::string&) {
    return unsupported("OAuth login");
}
inline Result<Identity> Provider::currentUser(const Credentials&) { return unsupported("OAuth login"); }

}  // namespace forgelink
