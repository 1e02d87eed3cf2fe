// Token checks against forge-sim over HTTP (issue 18): a token with two problems names both, each
// with its fix; and the paths the audit found untested: token_inactive, scopes_unknown (GitLab
// before 15.5, no /personal_access_tokens/self) and role_unknown.
#include <gtest/gtest.h>

#include "gitlab_test_support.hpp"

namespace forgelink::gitlab::testing {
namespace {

const char* kWorld = R"(
gitlab:
  version: "%VERSION%"
  users:
    - {id: 2, username: alice}
    - {id: 3, username: forgelink-bot}
  groups:
    - {id: 10, path: acme, members: {alice: 50, forgelink-bot: 30}}
    - {id: 11, path: tools, parent: acme}
    - {id: 20, path: empty-group, members: {alice: 50}}
  projects:
    - {id: 100, path: widget, namespace: acme/tools, default_branch: main}
  tokens:
    - {value: glpat-bot-api-000000000000, user: forgelink-bot, scopes: [api, read_user], name: forgelink}
    - {value: glpat-reporter-readapi-0000, kind: project, project: acme/tools/widget, access_level: 20,
       scopes: [read_api], name: widget-report}
    - {value: glpat-inactive-0000000000, user: forgelink-bot, scopes: [api], name: paused, reported_inactive: true}
    - {value: glpat-empty-group-00000000, kind: group, group: empty-group, access_level: 30, scopes: [api],
       name: empty-ci, bot_username: group_20_bot_emptyci}
)";

std::string world(const std::string& version) {
    std::string text = kWorld;
    text.replace(text.find("%VERSION%"), 9, version);
    return text;
}

class TokenCauses : public ::testing::Test {
protected:
    explicit TokenCauses(const std::string& version = "17.5.0-ee") : sim_(world(version)) {}
    Credentials creds(const std::string& token) const { return {sim_.gitlabUrl(), token}; }
    sim::SimProcess sim_;
    LoadedGitLab host_;
};

TEST_F(TokenCauses, AReporterProjectTokenWithoutApiGetsBothProblemsEachWithItsFix) {
    auto info = host_.provider().validateToken(creds("glpat-reporter-readapi-0000"));
    ASSERT_FALSE(info);
    const std::string& message = info.error().message;
    EXPECT_EQ(info.error().code, "missing_scope") << "the first line's code";
    EXPECT_EQ(info.error().missing_scopes, std::vector<std::string>{"api"});
    const auto newline = message.find('\n');
    ASSERT_NE(newline, std::string::npos) << "one line per cause: " << message;
    const std::string scope = message.substr(0, newline), role = message.substr(newline + 1);
    EXPECT_NE(scope.find("[read_api]"), std::string::npos) << scope;
    EXPECT_NE(scope.find("needs scope api"), std::string::npos) << scope;
    EXPECT_NE(scope.find("project access token with scope api"), std::string::npos) << "its fix: " << scope;
    EXPECT_NE(role.find("Reporter (20)"), std::string::npos) << role;
    EXPECT_NE(role.find("acme/tools/widget"), std::string::npos) << role;
    EXPECT_NE(role.find("create a token with role Developer or higher"), std::string::npos) << "its fix: " << role;
    EXPECT_EQ(role.find('\n'), std::string::npos) << message;
}

TEST_F(TokenCauses, ATokenGitLabReportsInactiveIsRefused) {
    auto info = host_.provider().validateToken(creds("glpat-inactive-0000000000"));
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().kind, ErrorKind::unauthorized);
    EXPECT_EQ(info.error().code, "token_inactive");
    EXPECT_NE(info.error().message.find("\"paused\" as inactive"), std::string::npos) << info.error().message;
    EXPECT_NE(info.error().message.find("/-/user_settings/personal_access_tokens"), std::string::npos)
        << info.error().message;
}

TEST_F(TokenCauses, AGroupTokenWhoseRoleGitLabDoesNotTellIsAcceptedWithRoleUnknown) {
    // The group has no project to read group_access from, and the members API does not answer.
    sim_.faults({{"route", "GET /api/v4/groups/20/members/.*"}, {"status", 404}, {"fail_next", 10}});
    auto info = host_.provider().validateToken(creds("glpat-empty-group-00000000"));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_FALSE(info->role.has_value());
    bool warned = false;
    for (const auto& w : info->warnings)
        if (w.code == "role_unknown") {
            warned = true;
            EXPECT_NE(w.message.find("group empty-group"), std::string::npos) << w.message;
            EXPECT_NE(w.message.find("Developer (30)"), std::string::npos) << w.message;
        }
    EXPECT_TRUE(warned);
}

class TokenCausesOnGitLab15_4 : public TokenCauses {
protected:
    TokenCausesOnGitLab15_4() : TokenCauses("15.4.6-ee") {}
};

TEST_F(TokenCausesOnGitLab15_4, WithoutTokenIntrospectionTheScopesAreUnknownAndSaidSo) {
    auto info = host_.provider().validateToken(creds("glpat-bot-api-000000000000"));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->identity.username, "forgelink-bot");
    EXPECT_TRUE(info->scopes.empty());
    bool warned = false;
    for (const auto& w : info->warnings)
        if (w.code == "scopes_unknown") {
            warned = true;
            EXPECT_NE(w.message.find("GitLab 15.4.6"), std::string::npos) << w.message;
            EXPECT_NE(w.message.find("scope api"), std::string::npos) << w.message;
        }
    EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace forgelink::gitlab::testing
