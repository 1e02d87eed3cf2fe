// Logging in through GitLab (forge-sim's OAuth app approves as alice).
#include <forgelink/support/http_text.hpp>

#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

std::string queryValue(const std::string& url, const std::string& name) {
    auto q = url.find('?');
    if (q == std::string::npos) return {};
    for (const auto& part : common::split(url.substr(q + 1), '&')) {
        auto eq = part.find('=');
        if (eq != std::string::npos && part.substr(0, eq) == name) return support::urlDecode(part.substr(eq + 1), false);
    }
    return {};
}

class Login : public ServiceTest {
protected:
    // forgelink_login=<nonce> from a Set-Cookie of the login start.
    static std::string loginCookie(const Reply& start) {
        const std::string set = start.header("set-cookie");
        EXPECT_EQ(set.rfind("forgelink_login=", 0), 0u) << set;
        return set.substr(0, set.find(';'));
    }
    // The browser's visit to the forge, which approves and sends it back: the callback's query.
    static std::string approve(const std::string& authorize) {
        auto approved = sim::httpRequest("GET", authorize);
        EXPECT_EQ(approved.status, 302) << approved.body;
        const std::string back = approved.header("location");
        return back.substr(back.find('?'));
    }
};

TEST_F(Login, AuthorizationCodeWithPkceEndsInASessionCookie) {
    auto start = call("GET", "/auth/gitlab/login?redirect=/teams", nullptr, {}, false);
    ASSERT_EQ(start.status, 302) << start.text;
    const std::string login_cookie = loginCookie(start);
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

    auto callback = call("GET", "/auth/gitlab/callback?code=" + support::urlEncode(code) + "&state=" + state,
                         nullptr, {{"Cookie", login_cookie}}, false);
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
    auto replay = call("GET", "/auth/gitlab/callback?code=" + support::urlEncode(code) + "&state=" + state,
                       nullptr, {{"Cookie", login_cookie}}, false);
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

TEST_F(Login, TheLoginIsBoundToTheBrowserThatStartedIt) {
    auto start = call("GET", "/auth/gitlab/login", nullptr, {}, false);
    ASSERT_EQ(start.status, 302) << start.text;
    const std::string set = start.header("set-cookie");
    EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
    EXPECT_NE(set.find("SameSite=Lax"), std::string::npos) << set;
    EXPECT_NE(set.find("Path=/"), std::string::npos) << set;
    EXPECT_NE(set.find("Max-Age=600"), std::string::npos) << set;  // the login's 10 minutes
    EXPECT_EQ(set.find("Secure"), std::string::npos) << set;         // served over http here
    const std::string query = approve(start.header("location"));

    // The attack: the attacker started the login and approved it as themselves, then sends the
    // victim (whose browser never started it, so has no cookie) to the callback.
    auto without = call("GET", "/auth/gitlab/callback" + query, nullptr, {}, false);
    EXPECT_EQ(without.status, 400) << without.text;
    EXPECT_EQ(without.body["error"]["code"], "login_cookie_missing");
    EXPECT_TRUE(without.header("set-cookie").empty());
    // The state is spent: the attacker's own browser cannot use it afterwards either.
    auto after = call("GET", "/auth/gitlab/callback" + query, nullptr, {{"Cookie", loginCookie(start)}}, false);
    EXPECT_EQ(after.body["error"]["code"], "login_expired");

    // A victim whose browser started a login of its own has another cookie: refused too.
    auto attacker = call("GET", "/auth/gitlab/login", nullptr, {}, false);
    auto victim = call("GET", "/auth/gitlab/login", nullptr, {}, false);
    ASSERT_NE(loginCookie(attacker), loginCookie(victim));
    auto mismatch = call("GET", "/auth/gitlab/callback" + approve(attacker.header("location")), nullptr,
                         {{"Cookie", loginCookie(victim)}}, false);
    EXPECT_EQ(mismatch.status, 400);
    EXPECT_EQ(mismatch.body["error"]["code"], "login_cookie_mismatch");
    EXPECT_TRUE(mismatch.header("set-cookie").empty());

    // A browser gets a page, not JSON, with the reason and a way back.
    auto page = call("GET", "/auth/gitlab/callback" + approve(call("GET", "/auth/gitlab/login", nullptr, {}, false)
                                                                  .header("location")),
                     nullptr, {{"Accept", "text/html"}}, false);
    EXPECT_EQ(page.status, 400);
    EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(page.text.find("this browser did not start this login"), std::string::npos) << page.text;
    EXPECT_NE(page.text.find("login_cookie_missing"), std::string::npos);
    EXPECT_FALSE(page.header("content-security-policy").empty());
}

TEST_F(Login, TwoLoginsInOneBrowserShareItsCookieAndBothFinish) {
    auto first = call("GET", "/auth/gitlab/login?redirect=/a", nullptr, {}, false);
    const std::string cookie = loginCookie(first);
    auto second = call("GET", "/auth/gitlab/login?redirect=/b", nullptr, {{"Cookie", cookie}}, false);
    EXPECT_EQ(loginCookie(second), cookie);  // kept, its lifetime renewed
    for (const auto* start : {&second, &first}) {
        auto done = call("GET", "/auth/gitlab/callback" + approve(start->header("location")), nullptr,
                         {{"Cookie", "other=1; " + cookie}}, false);
        EXPECT_EQ(done.status, 302) << done.text;
        EXPECT_EQ(done.header("location"), start == &first ? "/a" : "/b");
    }
}

}  // namespace
}  // namespace forgelink::service::testing
