// Logging in through GitLab (forge-sim's OAuth app approves as alice).
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

std::string queryValue(const std::string& url, const std::string& name) {
    auto q = url.find('?');
    if (q == std::string::npos) return {};
    for (const auto& part : common::split(url.substr(q + 1), '&')) {
        auto eq = part.find('=');
        if (eq != std::string::npos && part.substr(0, eq) == name) return common::urlDecode(part.substr(eq + 1));
    }
    return {};
}

class Login : public ServiceTest {};

TEST_F(Login, AuthorizationCodeWithPkceEndsInASessionCookie) {
    auto start = call("GET", "/auth/gitlab/login?redirect=/teams", nullptr, {}, false);
    ASSERT_EQ(start.status, 302) << start.text;
    const std::string authorize = start.header("location");
    ASSERT_EQ(authorize.rfind(sim_->gitlabUrl() + "/oauth/authorize", 0), 0u) << authorize;
    EXPECT_EQ(queryValue(authorize, "code_challenge_method"), "S256");
    EXPECT_EQ(queryValue(authorize, "code_challenge").size(), 43u);
    const std::string state = queryValue(authorize, "state");
    ASSERT_FALSE(state.empty());

    // The browser's visit to the forge, which approves and sends it back with a code.
    auto approved = sim::httpRequest("GET", authorize);
    ASSERT_EQ(approved.status, 302) << approved.body;
    const std::string back = approved.header("location");
    const std::string code = queryValue(back, "code");
    ASSERT_FALSE(code.empty()) << back;
    EXPECT_EQ(queryValue(back, "state"), state);

    auto callback = call("GET", "/auth/gitlab/callback?code=" + common::urlEncode(code) + "&state=" + state,
                         nullptr, {}, false);
    ASSERT_EQ(callback.status, 302) << callback.text;
    EXPECT_EQ(callback.header("location"), "/teams");
    const std::string cookie = callback.header("set-cookie");
    EXPECT_NE(cookie.find("forgelink_session="), std::string::npos);
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);
    EXPECT_NE(cookie.find("Path=/"), std::string::npos);
    EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // the configured callback is http://
    const std::string session = cookie.substr(cookie.find('=') + 1, 64);

    auto me = asUser(session, "GET", "/api/v1/session");
    ASSERT_EQ(me.status, 200) << me.text;
    EXPECT_EQ(me.body["user"]["username"], "alice");
    EXPECT_TRUE(me.body["teams"].empty());

    // A state is good for one callback only.
    auto replay = call("GET", "/auth/gitlab/callback?code=" + common::urlEncode(code) + "&state=" + state,
                       nullptr, {}, false);
    EXPECT_EQ(replay.status, 400);
    EXPECT_EQ(replay.body["error"]["code"], "login_expired");
    EXPECT_EQ(logText().find(code), std::string::npos);
    EXPECT_EQ(logText().find(session), std::string::npos);
}

TEST_F(Login, BadLoginsAreRefused) {
    EXPECT_EQ(call("GET", "/auth/gitlab/callback?state=abc", nullptr, {}, false).status, 400);
    EXPECT_EQ(call("GET", "/auth/gitlab/callback?code=abc&state=never-issued", nullptr, {}, false).status, 400);
    auto denied = call("GET", "/auth/gitlab/callback?error=access_denied&state=x", nullptr, {}, false);
    EXPECT_EQ(denied.status, 400);
    EXPECT_EQ(denied.body["error"]["code"], "login_refused");
    EXPECT_EQ(call("GET", "/auth/gitlab/login?redirect=//evil.example", nullptr, {}, false).status, 400);
    EXPECT_EQ(call("GET", "/auth/gitlab/login?redirect=https://evil.example", nullptr, {}, false).status, 400);
    EXPECT_EQ(call("GET", "/auth/example/login", nullptr, {}, false).status, 404);  // no oauth configured
    EXPECT_EQ(call("GET", "/auth/nosuch/login", nullptr, {}, false).status, 404);
}

}  // namespace
}  // namespace forgelink::service::testing
