// Adding a member by the forge username an admin knows, instead of Forgelink's user id:
// unique names need no provider, a name on two forges needs one (422 naming both forges).
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class MembersByUsername : public ServiceTest {
protected:
    std::int64_t githubUser(const std::string& username) {
        auto user = store_->upsertUser({"github", "github.example", "gh-" + username, username, username + " (GitHub)"});
        EXPECT_TRUE(user.ok());
        return user.ok() ? user.value().id : 0;
    }
};

TEST_F(MembersByUsername, AUniqueUsernameNeedsNoProviderAndCaseDoesNotMatter) {
    createTeam("docs");
    std::int64_t alice = 0;
    loginUser("alice", &alice);
    auto added = call("POST", "/api/v1/teams/docs/members", {{"username", "ALICE"}, {"role", "member"}});
    ASSERT_EQ(added.status, 201) << added.text;
    EXPECT_EQ(added.body["member"]["user_id"], alice);
    EXPECT_EQ(added.body["member"]["username"], "alice");
    EXPECT_EQ(added.body["member"]["role"], "member");
    auto twice = call("POST", "/api/v1/teams/docs/members", {{"username", "alice"}, {"role", "owner"}});
    EXPECT_EQ(twice.status, 409);
    EXPECT_EQ(twice.body["error"]["message"], "alice is already a member of docs");
}

TEST_F(MembersByUsername, ANameOnTwoForgesIsA422NamingBothUnlessTheProviderIsGiven) {
    createTeam("docs");
    std::int64_t lab = 0;
    loginUser("sam", &lab);
    const auto hub = githubUser("sam");
    auto ambiguous = call("POST", "/api/v1/teams/docs/members", {{"username", "sam"}, {"role", "member"}});
    ASSERT_EQ(ambiguous.status, 422) << ambiguous.text;
    EXPECT_EQ(ambiguous.body["error"]["code"], "ambiguous_user");
    const std::string message = ambiguous.body["error"]["message"];
    EXPECT_NE(message.find("github (github.example)"), std::string::npos) << message;
    EXPECT_NE(message.find("gitlab (sim)"), std::string::npos) << message;
    EXPECT_NE(message.find("'provider'"), std::string::npos) << message;
    ASSERT_EQ(ambiguous.body["error"]["details"]["candidates"].size(), 2u) << ambiguous.text;
    EXPECT_EQ(ambiguous.body["error"]["details"]["candidates"][0]["provider"], "github");
    EXPECT_EQ(ambiguous.body["error"]["details"]["candidates"][0]["user_id"], hub);

    auto chosen =
        call("POST", "/api/v1/teams/docs/members", {{"username", "sam"}, {"provider", "github"}, {"role", "owner"}});
    ASSERT_EQ(chosen.status, 201) << chosen.text;
    EXPECT_EQ(chosen.body["member"]["user_id"], hub);
    auto other =
        call("POST", "/api/v1/teams/docs/members", {{"username", "sam"}, {"provider", "gitlab"}, {"role", "member"}});
    ASSERT_EQ(other.status, 201) << other.text;
    EXPECT_EQ(other.body["member"]["user_id"], lab);
}

TEST_F(MembersByUsername, OnePersonWithTheNameOnTwoLinkedForgesIsNotAmbiguous) {
    createTeam("docs");
    std::int64_t kim = 0;
    loginUser("kim", &kim);
    ASSERT_TRUE(store_->linkIdentity(kim, {"github", "github.example", "gh-kim", "Kim", "Kim"}).ok());
    auto added = call("POST", "/api/v1/teams/docs/members", {{"username", "kim"}, {"role", "member"}});
    ASSERT_EQ(added.status, 201) << added.text;
    EXPECT_EQ(added.body["member"]["user_id"], kim);
    // The linked identity's name finds the person too.
    std::int64_t lee = 0;
    loginUser("lee", &lee);
    ASSERT_TRUE(store_->linkIdentity(lee, {"github", "github.example", "gh-lee", "lee-on-github", "Lee"}).ok());
    auto by_github = call("POST", "/api/v1/teams/docs/members", {{"username", "lee-on-github"}, {"role", "member"}});
    ASSERT_EQ(by_github.status, 201) << by_github.text;
    EXPECT_EQ(by_github.body["member"]["user_id"], lee);
}

TEST_F(MembersByUsername, UnknownNamesAndMixedFieldsAreClearErrors) {
    createTeam("docs");
    loginUser("alice");
    auto nobody = call("POST", "/api/v1/teams/docs/members", {{"username", "zed"}, {"role", "member"}});
    EXPECT_EQ(nobody.status, 422);
    EXPECT_EQ(nobody.body["error"]["code"], "unknown_user");
    EXPECT_EQ(nobody.body["error"]["message"], "no user named 'zed'; people become users by logging in once");
    auto elsewhere =
        call("POST", "/api/v1/teams/docs/members", {{"username", "alice"}, {"provider", "github"}, {"role", "member"}});
    EXPECT_EQ(elsewhere.status, 422);
    EXPECT_EQ(elsewhere.body["error"]["message"],
              "no user named 'alice' on github; people become users by logging in once");
    auto both = call("POST", "/api/v1/teams/docs/members", {{"username", "alice"}, {"user_id", 1}, {"role", "member"}});
    EXPECT_EQ(both.status, 400);
    EXPECT_EQ(both.body["error"]["code"], "invalid_value");
    auto neither = call("POST", "/api/v1/teams/docs/members", {{"role", "member"}});
    EXPECT_EQ(neither.status, 400);
    EXPECT_EQ(neither.body["error"]["message"],
              "field 'user_id' (an integer) or 'username' (a forge username) is required");
    auto stray = call("POST", "/api/v1/teams/docs/members", {{"user_id", 1}, {"provider", "gitlab"}, {"role", "member"}});
    EXPECT_EQ(stray.status, 400);
}

}  // namespace
}  // namespace forgelink::service::testing
