#include <gtest/gtest.h>

#include "service/router.hpp"

namespace forgelink::service {
namespace {

TEST(Router, MatchesTemplatesAndDecodesParametersPerSegment) {
    Router<int> router;
    router.add("GET", "/api/v1/teams/{team}", 1);
    router.add("GET", "/api/v1/teams/{team}/providers/{provider}/repositories/{repository}/permissions", 2);
    auto m = router.match("GET", "/api/v1/teams/acme/providers/gitlab/repositories/group%2Fsub%2Fproj/permissions");
    ASSERT_NE(m.target, nullptr);
    EXPECT_EQ(*m.target, 2);
    EXPECT_EQ(m.params.at("repository"), "group/sub/proj");
    EXPECT_EQ(m.params.at("team"), "acme");
    EXPECT_EQ(m.route, "/api/v1/teams/{team}/providers/{provider}/repositories/{repository}/permissions");
}

TEST(Router, TellsWrongMethodFromUnknownPath) {
    Router<int> router;
    router.add("GET", "/api/v1/teams", 1);
    router.add("POST", "/api/v1/teams", 2);
    auto wrong = router.match("DELETE", "/api/v1/teams");
    EXPECT_EQ(wrong.target, nullptr);
    EXPECT_EQ(wrong.allowed, (std::vector<std::string>{"GET", "POST"}));
    auto unknown = router.match("GET", "/api/v1/nothing");
    EXPECT_EQ(unknown.target, nullptr);
    EXPECT_TRUE(unknown.allowed.empty());
    EXPECT_NE(router.match("HEAD", "/api/v1/teams/").target, nullptr);  // HEAD answers like GET; trailing slash ok
    EXPECT_EQ(router.match("GET", "/api/v1/teams//x").target, nullptr);
}

TEST(Router, EmptyParameterDoesNotMatch) {
    Router<int> router;
    router.add("GET", "/api/v1/projects/{project}/builds/{build}", 1);
    EXPECT_EQ(router.match("GET", "/api/v1/projects//builds/3").target, nullptr);
}

}  // namespace
}  // namespace forgelink::service
