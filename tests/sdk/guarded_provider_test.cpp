// forgelink/support/guarded_provider.hpp: the boundary both shipped plugins derive from. Every
// public method runs its hook, and an exception from a hook becomes an internal Error in the
// forge's words, never an exception across the boundary.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <forgelink/support/guarded_provider.hpp>

namespace forgelink::support {
namespace {

// Hooks that throw while `throwing` is set, and answer otherwise.
class TinyForge final : public GuardedProvider {
public:
    TinyForge() : GuardedProvider({.forge = "Tiny", .find_merge_requests = "finding change requests"}) {}
    bool throwing = true;

private:
    void maybeThrow() const {
        if (throwing) throw std::runtime_error("boom");
    }
    Result<TokenInfo> doValidateToken(const Credentials&) override {
        maybeThrow();
        TokenInfo info;
        info.identity.username = "ada";
        return info;
    }
    Result<Page<Namespace>> doListNamespaces(const Credentials&, const NamespaceQuery&, const std::string&) override {
        maybeThrow();
        return Page<Namespace>{};
    }
    Result<Page<Repository>> doListRepositories(const Credentials&, const RepositoryQuery&,
                                                const std::string&) override {
        maybeThrow();
        return Page<Repository>{};
    }
    Result<Repository> doGetRepository(const Credentials&, const std::string& id_or_path) override {
        maybeThrow();
        Repository repository;
        repository.full_path = id_or_path;
        return repository;
    }
    Result<RepositoryPermissions> doRepositoryPermissions(const Credentials&, const std::string&) override {
        maybeThrow();
        return RepositoryPermissions{};
    }
    Result<StatusResult> doPublishStatus(const Credentials&, const StatusRequest&) override {
        maybeThrow();
        return StatusResult{};
    }
    Result<std::vector<MergeRequest>> doFindMergeRequests(const Credentials&, const std::string&,
                                                          const std::string&) override {
        maybeThrow();
        return std::vector<MergeRequest>{};
    }
    Result<CommentResult> doUpsertComment(const Credentials&, const CommentRequest&) override {
        maybeThrow();
        return CommentResult{};
    }
    Result<MergeRequest> doGetMergeRequest(const Credentials&, const std::string&, const std::string&) override {
        maybeThrow();
        return MergeRequest{};
    }
    Result<std::string> doAuthorizeUrl(const std::string& base_url, const AuthorizeRequest&) override {
        maybeThrow();
        return base_url + "/authorize";
    }
    Result<OAuthTokens> doExchangeCode(const std::string&, const OAuthClient&, const std::string&,
                                       const std::string&) override {
        maybeThrow();
        return OAuthTokens{};
    }
    Result<OAuthTokens> doRefreshToken(const std::string&, const OAuthClient&, const std::string&) override {
        maybeThrow();
        return OAuthTokens{};
    }
    Result<Identity> doCurrentUser(const Credentials&) override {
        maybeThrow();
        return Identity{};
    }
};

// "Tiny provider failed while <what>: boom" for a Result that must be that internal Error.
template <class R>
void expectGuarded(const R& result, const std::string& what) {
    ASSERT_FALSE(result) << what;
    EXPECT_EQ(result.error().kind, ErrorKind::internal) << what;
    EXPECT_EQ(result.error().code, "internal") << what;
    EXPECT_EQ(result.error().message, "Tiny provider failed while " + what + ": boom");
}

TEST(GuardedProvider, EveryMethodTurnsAThrowingHookIntoAnErrorInTheForgesWords) {
    TinyForge forge;
    Provider& provider = forge;  // as the host calls it
    const Credentials credentials;
    expectGuarded(provider.validateToken(credentials), "validating a token");
    expectGuarded(provider.listNamespaces(credentials, {}, ""), "listing namespaces");
    expectGuarded(provider.listRepositories(credentials, {}, ""), "listing repositories");
    expectGuarded(provider.getRepository(credentials, "a/b"), "looking up a repository");
    expectGuarded(provider.repositoryPermissions(credentials, "a/b"), "checking repository permissions");
    expectGuarded(provider.publishStatus(credentials, {}), "publishing a commit status");
    expectGuarded(provider.findMergeRequests(credentials, "a/b", "abc1234"), "finding change requests");
    expectGuarded(provider.upsertComment(credentials, {}), "writing the merge request comment");
    expectGuarded(provider.getMergeRequest(credentials, "a/b", "1"), "reading a merge request");
    expectGuarded(provider.authorizeUrl("https://forge.test", {}), "building the OAuth authorize URL");
    expectGuarded(provider.exchangeCode("https://forge.test", {}, "code", ""), "exchanging an OAuth code");
    expectGuarded(provider.refreshToken("https://forge.test", {}, "refresh"), "refreshing an OAuth token");
    expectGuarded(provider.currentUser(credentials), "reading the current user");
}

TEST(GuardedProvider, AnswersPassThrough) {
    TinyForge forge;
    forge.throwing = false;
    Provider& provider = forge;
    auto info = provider.validateToken({});
    ASSERT_TRUE(info);
    EXPECT_EQ(info->identity.username, "ada");
    auto repository = provider.getRepository({}, "group/project");
    ASSERT_TRUE(repository);
    EXPECT_EQ(repository->full_path, "group/project");
    auto url = provider.authorizeUrl("https://forge.test", {});
    ASSERT_TRUE(url);
    EXPECT_EQ(url.value(), "https://forge.test/authorize");
    // What the base does not wrap keeps Provider's answer.
    auto rotation = provider.rotationSupport({}, {});
    ASSERT_FALSE(rotation);
    EXPECT_EQ(rotation.error().kind, ErrorKind::unsupported);
}

}  // namespace
}  // namespace forgelink::support
