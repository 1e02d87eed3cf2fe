// What the console reads before anything else (the login providers, the session with its CSRF
// token) and the CSRF check on every state change made with the session cookie.
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class SessionCsrf : public ServiceTest {
protected:
    Reply withCookie(const std::string& session, const std::string& method, const std::string& path,
                     const nlohmann::json& body, std::vector<std::pair<std::string, std::string>> extra = {}) {
        extra.emplace_back("Cookie", std::string(ApiService::kSessionCookie) + "=" + session);
        return call(method, path, body, std::move(extra), false);
    }
};

TEST_F(SessionCsrf, LoginProvidersNeedNoAuthAndNameTheConfiguredOnes) {
    auto reply = call("GET", "/api/v1/auth/providers", nullptr, {}, false);
    ASSERT_EQ(reply.status, 200) << reply.text;
    ASSERT_EQ(reply.body["items"].size(), 1u) << reply.text;  // example has no oauth configured
    EXPECT_EQ(reply.body["items"][0]["name"], "gitlab");
    EXPECT_EQ(reply.body["items"][0]["display_name"], "GitLab");  // from the plugin's descriptor
    EXPECT_EQ(reply.body["items"][0]["login_url"], "/auth/gitlab/login");

    config_.providers["gitlab"].oauth.reset();
    startServer();
    EXPECT_TRUE(call("GET", "/api/v1/auth/providers", nullptr, {}, false).body["items"].empty());
}

TEST_F(SessionCsrf, LoadedProvidersWithTheirDefaultBaseUrl) {
    EXPECT_EQ(call("GET", "/api/v1/providers", nullptr, {}, false).status, 401);
    auto reply = asUser(loginUser("lena"), "GET", "/api/v1/providers");
    ASSERT_EQ(reply.status, 200) << reply.text;
    ASSERT_EQ(reply.body["items"].size(), 2u) << reply.text;
    const auto& example = reply.body["items"][0];
    const auto& gitlab = reply.body["items"][1];
    EXPECT_EQ(example["name"], "example");
    EXPECT_EQ(example["login"], false);
    EXPECT_EQ(example["default_base_url"], "http://127.0.0.1:9/example");
    EXPECT_EQ(gitlab["display_name"], "GitLab");
    EXPECT_EQ(gitlab["default_base_url"], sim_->gitlabUrl());
    EXPECT_EQ(gitlab["login"], true);
    EXPECT_NE(std::find(gitlab["capabilities"].begin(), gitlab["capabilities"].end(), "repositories"),
              gitlab["capabilities"].end());
}

TEST_F(SessionCsrf, TheSessionCarriesItsCsrfTokenAndWhetherTeamsMayBeCreated) {
    const auto session = loginUser("erin");
    auto me = asUser(session, "GET", "/api/v1/session");
    ASSERT_EQ(me.status, 200) << me.text;
    const std::string csrf = me.body.value("csrf_token", "");
    EXPECT_EQ(csrf.size(), 64u) << me.text;
    EXPECT_EQ(csrf.find(session), std::string::npos);
    EXPECT_EQ(me.body["can_create_teams"], false);  // server.allow_user_team_creation is off by default
    config_.server.allow_user_team_creation = true;
    EXPECT_EQ(asUser(session, "GET", "/api/v1/session").body["can_create_teams"], true);
    const auto other = loginUser("frank");
    EXPECT_NE(asUser(other, "GET", "/api/v1/session").body["csrf_token"], csrf);

    auto admin = call("GET", "/api/v1/session");
    EXPECT_FALSE(admin.body.contains("csrf_token")) << admin.text;  // bearer tokens need none
    EXPECT_EQ(admin.body["can_create_teams"], true);
}

TEST_F(SessionCsrf, StateChangesWithTheCookieNeedTheToken) {
    config_.server.allow_user_team_creation = true;  // gina creates her team through the console
    const auto session = loginUser("gina");
    const std::string csrf = asUser(session, "GET", "/api/v1/session").body["csrf_token"];

    auto missing = withCookie(session, "POST", "/api/v1/teams", {{"slug", "gina"}});
    EXPECT_EQ(missing.status, 403) << missing.text;
    EXPECT_EQ(missing.body["error"]["code"], "csrf_token_missing");
    EXPECT_NE(missing.body["error"]["message"].get<std::string>().find("X-CSRF-Token"), std::string::npos);
    auto wrong = withCookie(session, "POST", "/api/v1/teams", {{"slug", "gina"}}, {{"X-CSRF-Token", std::string(64, 'a')}});
    EXPECT_EQ(wrong.status, 403);
    EXPECT_EQ(wrong.body["error"]["code"], "csrf_token_invalid");
    const auto other = loginUser("hank");
    auto someone_elses = withCookie(session, "POST", "/api/v1/teams", {{"slug", "gina"}},
                                    {{"X-CSRF-Token", ApiService::csrfTokenFor(other)}});
    EXPECT_EQ(someone_elses.body["error"]["code"], "csrf_token_invalid");
    EXPECT_EQ(call("GET", "/api/v1/teams/gina").status, 404);  // nothing was created

    auto created = withCookie(session, "POST", "/api/v1/teams", {{"slug", "gina"}}, {{"X-CSRF-Token", csrf}});
    ASSERT_EQ(created.status, 201) << created.text;
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"PUT", "/api/v1/teams/gina/providers/gitlab"}, {"DELETE", "/api/v1/teams/gina"},
             {"PATCH", "/api/v1/teams/gina/members/1"}}) {
        auto refused = withCookie(session, method, path, {{"token", kBotToken}});
        EXPECT_EQ(refused.status, 403) << method << " " << path;
        EXPECT_EQ(refused.body["error"]["code"], "csrf_token_missing") << method << " " << path;
    }
    EXPECT_EQ(call("GET", "/api/v1/teams/gina").status, 200);
    // Reads need no token; bearer tokens are exempt.
    EXPECT_EQ(withCookie(session, "GET", "/api/v1/teams/gina", nullptr).status, 200);
    EXPECT_EQ(call("POST", "/api/v1/teams", {{"slug", "by-admin"}}).status, 201);
    EXPECT_EQ(withCookie(session, "DELETE", "/api/v1/teams/gina", nullptr, {{"X-CSRF-Token", csrf}}).status, 204);
}

TEST_F(SessionCsrf, LogoutOfALiveSessionNeedsTheToken) {
    const auto session = loginUser("ivan");
    auto refused = withCookie(session, "POST", "/auth/logout", nullptr);
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.body["error"]["code"], "csrf_token_missing");
    EXPECT_EQ(asUser(session, "GET", "/api/v1/session").status, 200);  // still signed in

    auto done = withCookie(session, "POST", "/auth/logout", nullptr, {{"X-CSRF-Token", ApiService::csrfTokenFor(session)}});
    EXPECT_EQ(done.status, 204);
    EXPECT_NE(done.header("set-cookie").find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(asUser(session, "GET", "/api/v1/session").status, 401);
    // A dead cookie has nothing to protect: logging out again just clears it.
    EXPECT_EQ(withCookie(session, "POST", "/api/v1/auth/logout", nullptr).status, 204);
    EXPECT_EQ(call("GET", "/auth/logout", nullptr, {}, false).status, 405);
}

}  // namespace
}  // namespace forgelink::service::testing
