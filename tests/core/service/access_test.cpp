// Who may do what: admins everything; owners change their team; members read it; anyone else
// cannot tell the team exists.
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class Access : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        owner_ = loginUser("alice", &owner_id_);
        member_ = loginUser("bob", &member_id_);
        outsider_ = loginUser("carol", &outsider_id_);
        createTeam("team-a");
        createTeam("team-b");
        const auto a = store_->findTeamBySlug("team-a").value().id;
        const auto b = store_->findTeamBySlug("team-b").value().id;
        ASSERT_TRUE(store_->addTeamMember(a, owner_id_, store::TeamRole::owner).ok());
        ASSERT_TRUE(store_->addTeamMember(a, member_id_, store::TeamRole::member).ok());
        ASSERT_TRUE(store_->addTeamMember(b, outsider_id_, store::TeamRole::owner).ok());
        connectGitlab("team-a");
        project_ = std::to_string(createLinkedProject("team-a", "guide"));
    }
    std::string owner_, member_, outsider_;
    std::int64_t owner_id_ = 0, member_id_ = 0, outsider_id_ = 0;
    std::string project_;
};

TEST_F(Access, PeopleListOnlyTheirTeams) {
    auto mine = asUser(member_, "GET", "/api/v1/teams");
    ASSERT_EQ(mine.status, 200) << mine.text;
    ASSERT_EQ(mine.body["items"].size(), 1u);
    EXPECT_EQ(mine.body["items"][0]["slug"], "team-a");
    EXPECT_EQ(mine.body["items"][0]["role"], "member");
    auto theirs = asUser(outsider_, "GET", "/api/v1/teams");
    ASSERT_EQ(theirs.body["items"].size(), 1u);
    EXPECT_EQ(theirs.body["items"][0]["slug"], "team-b");
    EXPECT_EQ(call("GET", "/api/v1/teams").body["items"].size(), 2u);  // admin
    auto session = asUser(member_, "GET", "/api/v1/session");
    EXPECT_EQ(session.body["user"]["username"], "bob");
}

TEST_F(Access, MembersReadAndOwnersChange) {
    EXPECT_EQ(asUser(member_, "GET", "/api/v1/teams/team-a").status, 200);
    EXPECT_EQ(asUser(member_, "GET", "/api/v1/teams/team-a/providers/gitlab").status, 200);
    EXPECT_EQ(asUser(member_, "GET", "/api/v1/projects/" + project_).status, 200);
    EXPECT_EQ(asUser(member_, "GET", "/api/v1/teams/team-a/members").status, 200);

    auto put = asUser(member_, "PUT", "/api/v1/teams/team-a/providers/gitlab", {{"token", kBotToken}});
    EXPECT_EQ(put.status, 403);
    EXPECT_EQ(put.body["error"]["code"], "forbidden");
    EXPECT_EQ(asUser(member_, "DELETE", "/api/v1/teams/team-a").status, 403);
    EXPECT_EQ(asUser(member_, "POST", "/api/v1/teams/team-a/projects", {{"name", "x"}}).status, 403);
    EXPECT_EQ(asUser(member_, "DELETE", "/api/v1/projects/" + project_).status, 403);
    EXPECT_EQ(asUser(member_, "POST", "/api/v1/projects/" + project_ + "/builds",
                     {{"commit_sha", std::string(40, 'a')}, {"branch", "main"}, {"state", "queued"}})
                  .status,
              403);

    auto created = asUser(owner_, "POST", "/api/v1/teams/team-a/projects", {{"name", "Owned"}});
    EXPECT_EQ(created.status, 201) << created.text;
    auto build = asUser(owner_, "POST", "/api/v1/projects/" + project_ + "/builds",
                        {{"commit_sha", std::string(40, 'a')}, {"branch", "main"}, {"state", "queued"}});
    EXPECT_EQ(build.status, 202) << build.text;
}

TEST_F(Access, OwnersManageMembersAndKeepAnOwner) {
    auto promote = asUser(owner_, "PATCH", "/api/v1/teams/team-a/members/" + std::to_string(member_id_),
                          {{"role", "owner"}});
    ASSERT_EQ(promote.status, 200) << promote.text;
    EXPECT_EQ(promote.body["member"]["role"], "owner");
    EXPECT_EQ(asUser(member_, "DELETE", "/api/v1/teams/team-a/members/" + std::to_string(owner_id_)).status, 204);
    auto last = asUser(member_, "DELETE", "/api/v1/teams/team-a/members/" + std::to_string(member_id_));
    EXPECT_EQ(last.status, 409) << last.text;
    auto add = asUser(member_, "POST", "/api/v1/teams/team-a/members", {{"user_id", owner_id_}, {"role", "member"}});
    EXPECT_EQ(add.status, 201) << add.text;
    EXPECT_EQ(asUser(member_, "POST", "/api/v1/teams/team-a/members", {{"user_id", owner_id_}, {"role", "member"}}).status,
              409);
    EXPECT_EQ(asUser(member_, "POST", "/api/v1/teams/team-a/members", {{"user_id", 9999}, {"role", "member"}}).status,
              422);
    EXPECT_EQ(asUser(member_, "POST", "/api/v1/teams/team-a/members", {{"user_id", owner_id_}, {"role", "boss"}}).status,
              400);
}

TEST_F(Access, AnotherTeamLooksLikeNothing) {
    // carol (team B) sees team A exactly as a team that does not exist.
    auto team = asUser(outsider_, "GET", "/api/v1/teams/team-a");
    auto none = asUser(outsider_, "GET", "/api/v1/teams/no-such-team");
    EXPECT_EQ(team.status, 404);
    EXPECT_EQ(none.status, 404);
    EXPECT_EQ(team.body["error"]["code"], none.body["error"]["code"]);
    EXPECT_EQ(asUser(outsider_, "GET", "/api/v1/teams/team-a/providers/gitlab").status, 404);
    EXPECT_EQ(asUser(outsider_, "PUT", "/api/v1/teams/team-a/providers/gitlab", {{"token", "x"}}).status, 404);
    EXPECT_EQ(asUser(outsider_, "GET", "/api/v1/teams/team-a/providers/gitlab/repositories").status, 404);
    EXPECT_EQ(asUser(outsider_, "GET", "/api/v1/projects/" + project_).status, 404);
    EXPECT_EQ(asUser(outsider_, "DELETE", "/api/v1/projects/" + project_).status, 404);
    EXPECT_EQ(asUser(outsider_, "POST", "/api/v1/projects/" + project_ + "/builds",
                     {{"commit_sha", std::string(40, 'a')}, {"branch", "main"}, {"state", "queued"}})
                  .status,
              404);
    EXPECT_EQ(asUser(outsider_, "DELETE", "/api/v1/teams/team-a").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/teams/team-a").status, 200);  // still there
}

// Any signed-in person could create a team and so choose base URLs for the host to fetch (SSRF).
TEST_F(Access, OnlyAdminsCreateTeamsUnlessTheConfigurationAllowsPeopleTo) {
    auto refused = asUser(outsider_, "POST", "/api/v1/teams", {{"slug", "carols"}});
    EXPECT_EQ(refused.status, 403) << refused.text;
    EXPECT_EQ(refused.body["error"]["code"], "team_creation_disabled");
    EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("server.allow_user_team_creation"),
              std::string::npos);
    EXPECT_EQ(call("GET", "/api/v1/teams/carols").status, 404);
    EXPECT_EQ(call("POST", "/api/v1/teams", {{"slug", "by-admin"}}).status, 201);
}

// Lengths are counted in characters: 101 x "é" (202 bytes) was refused as over 200.
TEST_F(Access, NameLengthsCountCharactersNotBytes) {
    std::string accented;
    for (int i = 0; i < 101; ++i) accented += "\xc3\xa9";
    auto created = call("POST", "/api/v1/teams", {{"slug", "accents"}, {"name", accented}});
    EXPECT_EQ(created.status, 201) << created.text;
    std::string too_long;
    for (int i = 0; i < 201; ++i) too_long += "\xc3\xa9";
    EXPECT_EQ(call("POST", "/api/v1/teams", {{"slug", "accents2"}, {"name", too_long}}).status, 400);
}

TEST_F(Access, PeopleCreateTeamsTheyOwn) {
    config_.server.allow_user_team_creation = true;
    auto created = asUser(outsider_, "POST", "/api/v1/teams", {{"slug", "carols"}});
    ASSERT_EQ(created.status, 201) << created.text;
    EXPECT_EQ(created.body["team"]["role"], "owner");
    EXPECT_EQ(asUser(outsider_, "GET", "/api/v1/teams").body["items"].size(), 2u);
    EXPECT_EQ(asUser(member_, "GET", "/api/v1/teams/carols").status, 404);
}

TEST_F(Access, LogoutEndsTheSession) {
    auto out = asUser(member_, "POST", "/auth/logout");
    EXPECT_EQ(out.status, 204);
    EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(asUser(member_, "GET", "/api/v1/teams").status, 401);
}

}  // namespace
}  // namespace forgelink::service::testing
