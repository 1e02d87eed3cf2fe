// What a newcomer meets first (issue 15): Allow and OPTIONS, which credential was refused,
// duplicate JSON keys, conflicts a person can act on, and the warnings of project creation.
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class Contract : public ServiceTest {
protected:
    std::vector<std::pair<std::string, std::string>> jsonHeaders() const {
        return {{"Authorization", std::string("Bearer ") + kAdminToken}, {"Content-Type", "application/json"}};
    }
    static bool mentions(const Reply& reply, const std::string& text) {
        return reply.text.find(text) != std::string::npos;
    }
    static std::set<std::string> warningCodes(const Reply& reply) {
        std::set<std::string> codes;
        for (const auto& w : reply.body["warnings"]) codes.insert(w["code"].get<std::string>());
        return codes;
    }
};

TEST_F(Contract, MethodNotAllowedListsHeadWhereGetWorksAndOptionsAnswersWithAllow) {
    auto put = call("PUT", "/api/v1/teams");
    EXPECT_EQ(put.status, 405);
    EXPECT_EQ(put.header("allow"), "POST, GET, HEAD, OPTIONS");
    auto health = call("DELETE", "/healthz", nullptr, {}, false);
    EXPECT_EQ(health.status, 405);
    EXPECT_EQ(health.header("allow"), "GET, HEAD, OPTIONS");
    auto logout = call("GET", "/auth/logout", nullptr, {}, false);
    EXPECT_EQ(logout.status, 405);
    EXPECT_EQ(logout.header("allow"), "POST, OPTIONS");  // no GET there, so no HEAD

    // OPTIONS needs no credentials and tells only what a 405 would.
    auto options = call("OPTIONS", "/api/v1/teams/docs/members/7", nullptr, {}, false);
    EXPECT_EQ(options.status, 204) << options.text;
    EXPECT_EQ(options.header("allow"), "PATCH, DELETE, OPTIONS");
    EXPECT_TRUE(options.text.empty());
    EXPECT_EQ(call("OPTIONS", "/api/v1/nothing", nullptr, {}, false).status, 404);
    // HEAD really works where it is listed.
    EXPECT_EQ(call("HEAD", "/healthz", nullptr, {}, false).status, 200);
}

TEST_F(Contract, ARejectedAdminTokenOrAnExpiredSessionSaysSo) {
    auto none = call("GET", "/api/v1/teams", nullptr, {}, false);
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.body["error"]["code"], "unauthorized");
    EXPECT_TRUE(mentions(none, "authentication required")) << none.text;

    auto wrong = call("GET", "/api/v1/teams", nullptr, {{"Authorization", "Bearer not-the-token"}}, false);
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.body["error"]["code"], "invalid_token");
    EXPECT_TRUE(mentions(wrong, "admin token was rejected")) << wrong.text;
    EXPECT_FALSE(mentions(wrong, "authentication required")) << wrong.text;
    EXPECT_FALSE(mentions(wrong, "not-the-token"));
    EXPECT_EQ(wrong.header("www-authenticate"), "Bearer realm=\"forgelink\", error=\"invalid_token\"");

    auto basic = call("GET", "/api/v1/teams", nullptr, {{"Authorization", "Basic abc"}}, false);
    EXPECT_EQ(basic.status, 401);
    EXPECT_TRUE(mentions(basic, "Bearer <admin token>")) << basic.text;

    auto session = loginUser("erin");
    ASSERT_EQ(asUser(session, "POST", "/api/v1/auth/logout").status, 204);
    auto expired = asUser(session, "GET", "/api/v1/teams");
    EXPECT_EQ(expired.status, 401);
    EXPECT_EQ(expired.body["error"]["code"], "session_expired");
    EXPECT_TRUE(mentions(expired, "log in again")) << expired.text;

    auto metrics = call("GET", "/metrics", nullptr, {{"Authorization", "Bearer not-the-token"}}, false);
    EXPECT_EQ(metrics.status, 401);
    EXPECT_EQ(metrics.body["error"]["code"], "invalid_token");
}

TEST_F(Contract, DuplicateKeysInABodyAre400NamingTheKey) {
    auto top = raw("POST", "/api/v1/teams", R"({"slug":"one","name":"A","slug":"two"})", jsonHeaders());
    EXPECT_EQ(top.status, 400) << top.text;
    EXPECT_EQ(top.body["error"]["code"], "duplicate_key");
    EXPECT_TRUE(mentions(top, "'slug'")) << top.text;
    EXPECT_EQ(call("GET", "/api/v1/teams/one").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/teams/two").status, 404);

    createTeam("dup");
    auto project = call("POST", "/api/v1/teams/dup/projects", {{"name", "Plain"}});
    ASSERT_EQ(project.status, 201) << project.text;
    const auto id = std::to_string(project.body["project"]["id"].get<std::int64_t>());
    auto nested = raw("POST", "/api/v1/projects/" + id + "/builds",
                      R"({"commit_sha":"af5b13261899fb2c0db30abdd0af8b07cb44fdc5","branch":"main","state":"queued",)"
                      R"("stats":{"changed":1,"added":2,"changed":3}})",
                      jsonHeaders());
    EXPECT_EQ(nested.status, 400) << nested.text;
    EXPECT_EQ(nested.body["error"]["code"], "duplicate_key");
    EXPECT_TRUE(mentions(nested, "'stats.changed'")) << nested.text;
    // The same name in two different objects is no duplicate.
    auto fine = raw("POST", "/api/v1/projects/" + id + "/builds",
                    R"({"commit_sha":"af5b13261899fb2c0db30abdd0af8b07cb44fdc5","branch":"main","state":"queued",)"
                    R"("stats":{"changed":1},"url":"https://ci.example/1"})",
                    jsonHeaders());
    EXPECT_EQ(fine.status, 202) << fine.text;
}

TEST_F(Contract, ConflictsNameWhatIsTakenWithoutSqlOrInternalIds) {
    createTeam("docs");
    auto again = call("POST", "/api/v1/teams", {{"slug", "docs"}});
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.body["error"]["message"], "a team with slug 'docs' already exists");

    std::int64_t alice = 0, bob = 0;
    loginUser("alice", &alice);
    loginUser("bob", &bob);
    ASSERT_EQ(call("POST", "/api/v1/teams/docs/members", {{"user_id", alice}, {"role", "member"}}).status, 201);
    auto twice = call("POST", "/api/v1/teams/docs/members", {{"user_id", alice}, {"role", "owner"}});
    EXPECT_EQ(twice.status, 409);
    EXPECT_EQ(twice.body["error"]["message"], "alice is already a member of docs");
    auto remove = call("DELETE", "/api/v1/teams/docs/members/" + std::to_string(bob));
    EXPECT_EQ(remove.status, 404);
    EXPECT_EQ(remove.body["error"]["message"], "bob is not a member of docs");
    auto role = call("PATCH", "/api/v1/teams/docs/members/" + std::to_string(bob), {{"role", "owner"}});
    EXPECT_EQ(role.status, 404);
    EXPECT_EQ(role.body["error"]["message"], "bob is not a member of docs");

    ASSERT_EQ(call("POST", "/api/v1/teams/docs/projects", {{"name", "Guide"}}).status, 201);
    auto project = call("POST", "/api/v1/teams/docs/projects", {{"name", "Guide"}});
    EXPECT_EQ(project.status, 409);
    EXPECT_EQ(project.body["error"]["message"], "team docs already has a project with slug 'guide'");

    for (const auto* reply : {&again, &twice, &remove, &role, &project})
        for (const std::string& internal : std::vector<std::string>{"UNIQUE", "constraint", "team_members", "SQL", "team 1",
                                                                     "user " + std::to_string(alice)})
            EXPECT_FALSE(mentions(*reply, internal)) << reply->text;
}

TEST_F(Contract, ProjectCreationSaysWhenItIsUnlinkedOrFollowedAMove) {
    createTeam("docs");
    connectGitlab("docs");
    auto plain = call("POST", "/api/v1/teams/docs/projects", {{"name", "Plain"}});
    ASSERT_EQ(plain.status, 201) << plain.text;
    EXPECT_EQ(warningCodes(plain), std::set<std::string>{"unlinked"}) << plain.text;

    auto moved = call("POST", "/api/v1/teams/docs/projects",
                      {{"name", "Moved"}, {"repository", {{"provider", "gitlab"}, {"path", "acme/old-widget"}}}});
    ASSERT_EQ(moved.status, 201) << moved.text;
    EXPECT_EQ(moved.body["project"]["repository"]["full_path"], "acme/tools/widget");
    EXPECT_TRUE(warningCodes(moved).count("repository_moved")) << moved.text;
    EXPECT_TRUE(mentions(moved, "'acme/old-widget' has moved")) << moved.text;

    auto direct = call("POST", "/api/v1/teams/docs/projects",
                       {{"name", "Direct"}, {"repository", {{"provider", "gitlab"}, {"path", "acme/tools/widget"}}}});
    ASSERT_EQ(direct.status, 201) << direct.text;
    EXPECT_FALSE(warningCodes(direct).count("repository_moved")) << direct.text;
    EXPECT_FALSE(warningCodes(direct).count("unlinked")) << direct.text;
}

}  // namespace
}  // namespace forgelink::service::testing
