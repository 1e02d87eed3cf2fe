// Linking a second forge account to a signed-in user (GET /auth/{provider}/login?link=1), signing
// in with either, and unlinking (DELETE /api/v1/session/identities/{provider}). forge-sim's GitLab
// OAuth app approves as alice.
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class AccountLinking : public ServiceTest {
protected:
    // A person whose first forge account is the example forge's, with a live session.
    std::string signedInWithExample(const std::string& username, std::int64_t* user_id) {
        auto user = store_->upsertUser({"example", "forge.example", "ex-" + username, username, username});
        EXPECT_TRUE(user.ok());
        *user_id = user.value().id;
        const std::string token = "session-" + username + "-0123456789abcdef";
        EXPECT_TRUE(store_->createSession(token, *user_id, store::nowTimestamp() + std::chrono::hours(1)).ok());
        return token;
    }

    // Runs the whole browser round trip: start (with the session cookie, if any), approve at the
    // forge, come back with the login cookie (and the session cookie). Returns the callback's answer.
    Reply roundTrip(const std::string& start_path, const std::string& session,
                    std::vector<std::pair<std::string, std::string>> extra = {}) {
        std::vector<std::pair<std::string, std::string>> headers = extra;
        if (!session.empty()) headers.emplace_back("Cookie", std::string(ApiService::kSessionCookie) + "=" + session);
        auto start = call("GET", start_path, nullptr, headers, false);
        EXPECT_EQ(start.status, 302) << start.text;
        if (start.status != 302) return start;
        std::string cookie = start.header("set-cookie");
        cookie = cookie.substr(0, cookie.find(';'));
        if (!session.empty()) cookie += std::string("; ") + ApiService::kSessionCookie + "=" + session;
        auto approved = sim::httpRequest("GET", start.header("location"));
        const std::string back = approved.header("location");
        extra.emplace_back("Cookie", cookie);
        return call("GET", "/auth/gitlab/callback" + back.substr(back.find('?')), nullptr, extra, false);
    }
};

TEST_F(AccountLinking, ASignedInPersonLinksASecondAccountAndSignsInWithEither) {
    std::int64_t user_id = 0;
    const auto session = signedInWithExample("olivia", &user_id);

    auto linked = roundTrip("/auth/gitlab/login?link=1&redirect=/account", session);
    ASSERT_EQ(linked.status, 302) << linked.text;
    EXPECT_EQ(linked.header("location"), "/account");
    EXPECT_TRUE(linked.header("set-cookie").empty()) << "linking keeps the session; it signs nobody in";

    auto me = asUser(session, "GET", "/api/v1/session");
    ASSERT_EQ(me.status, 200) << me.text;
    const auto& identities = me.body["user"]["identities"];
    ASSERT_EQ(identities.size(), 2u) << me.text;
    EXPECT_EQ(identities[0]["provider"], "example");
    EXPECT_EQ(identities[1]["provider"], "gitlab");
    EXPECT_EQ(identities[1]["display_name"], "GitLab");
    EXPECT_EQ(identities[1]["username"], "alice");
    EXPECT_EQ(me.body["user"]["id"], user_id);

    // Signing in with the GitLab account now gives the same user.
    auto login = roundTrip("/auth/gitlab/login", "");
    ASSERT_EQ(login.status, 302) << login.text;
    const std::string cookie = login.header("set-cookie");
    const std::string other_session = cookie.substr(cookie.find('=') + 1, 64);
    EXPECT_EQ(asUser(other_session, "GET", "/api/v1/session").body["user"]["id"], user_id);

    // Unlink: the last one stays.
    auto unlinked = asUser(session, "DELETE", "/api/v1/session/identities/gitlab");
    EXPECT_EQ(unlinked.status, 204) << unlinked.text;
    EXPECT_EQ(asUser(session, "GET", "/api/v1/session").body["user"]["identities"].size(), 1u);
    auto last = asUser(session, "DELETE", "/api/v1/session/identities/example");
    EXPECT_EQ(last.status, 409);
    EXPECT_EQ(last.body["error"]["code"], "last_identity");
    auto none = asUser(session, "DELETE", "/api/v1/session/identities/gitlab");
    EXPECT_EQ(none.status, 404);
    // The unlinked GitLab account now signs in as a new user of its own.
    auto fresh = roundTrip("/auth/gitlab/login", "");
    const std::string fresh_cookie = fresh.header("set-cookie");
    EXPECT_NE(asUser(fresh_cookie.substr(fresh_cookie.find('=') + 1, 64), "GET", "/api/v1/session").body["user"]["id"],
              user_id);
}

TEST_F(AccountLinking, AnAccountOfAnotherUserIsRefusedWithAReadableMessage) {
    // alice signed in with GitLab once: that account is her own user.
    auto first = roundTrip("/auth/gitlab/login", "");
    ASSERT_EQ(first.status, 302) << first.text;
    std::int64_t user_id = 0;
    const auto session = signedInWithExample("peter", &user_id);
    auto refused = roundTrip("/auth/gitlab/login?link=1&redirect=/account", session);
    EXPECT_EQ(refused.status, 409) << refused.text;
    EXPECT_EQ(refused.body["error"]["code"], "identity_taken");
    EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("already belongs to another Forgelink user"),
              std::string::npos);
    EXPECT_EQ(asUser(session, "GET", "/api/v1/session").body["user"]["identities"].size(), 1u);

    auto page = roundTrip("/auth/gitlab/login?link=1", session, {{"Accept", "text/html"}});
    EXPECT_EQ(page.status, 409);
    EXPECT_NE(page.text.find("already belongs to another Forgelink user"), std::string::npos) << page.text;
}

TEST_F(AccountLinking, LinkingNeedsASessionThatLastsUntilTheCallback) {
    auto anonymous = call("GET", "/auth/gitlab/login?link=1", nullptr, {}, false);
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(call("GET", "/auth/gitlab/login?link=1").status, 401);  // an admin token is nobody's account
    std::int64_t user_id = 0;
    const auto session = signedInWithExample("quinn", &user_id);
    EXPECT_EQ(call("GET", "/auth/gitlab/login?link=yes", nullptr,
                   {{"Cookie", std::string(ApiService::kSessionCookie) + "=" + session}}, false)
                  .status,
              400);

    // Started signed in, but the callback comes without the session (signed out meanwhile).
    auto start = call("GET", "/auth/gitlab/login?link=1", nullptr,
                      {{"Cookie", std::string(ApiService::kSessionCookie) + "=" + session}}, false);
    ASSERT_EQ(start.status, 302);
    std::string cookie = start.header("set-cookie");
    cookie = cookie.substr(0, cookie.find(';'));
    const std::string back = sim::httpRequest("GET", start.header("location")).header("location");
    auto changed = call("GET", "/auth/gitlab/callback" + back.substr(back.find('?')), nullptr, {{"Cookie", cookie}}, false);
    EXPECT_EQ(changed.status, 400);
    EXPECT_EQ(changed.body["error"]["code"], "link_session_changed");
    EXPECT_EQ(asUser(session, "GET", "/api/v1/session").body["user"]["identities"].size(), 1u);

    auto admin = call("DELETE", "/api/v1/session/identities/gitlab");
    EXPECT_EQ(admin.status, 400);
    EXPECT_EQ(admin.body["error"]["code"], "not_a_person");
}

}  // namespace
}  // namespace forgelink::service::testing
