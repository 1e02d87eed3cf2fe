// Issue 19, request limits in the API: the per-client rate limits (server.limits.
// api_requests_per_minute, login_requests_per_minute: 429 with Retry-After and a JSON body naming
// the limit) and the JSON nesting limit (server.limits.max_json_depth: 400 json_too_deep, checked
// before the body is parsed). Body size, header size, connections and slow clients are the HTTP
// server's: tests/core/net/http_server_limits_test.cpp.
#include <string>

#include "service/json_input.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class RequestLimits : public ServiceTest {
protected:
    void limit(unsigned api, unsigned login) {
        config_.server.limits.api_requests_per_minute = api;
        config_.server.limits.login_requests_per_minute = login;
        startServer();
    }
    // Unauthenticated: refused 401 while the budget lasts, but counted.
    Reply anonymous(const std::vector<std::pair<std::string, std::string>>& headers = {}) {
        return call("GET", "/api/v1/teams", nullptr, headers, false);
    }
    std::string metricsText() {
        return raw("GET", "/metrics", "", {{"Authorization", std::string("Bearer ") + kAdminToken}}).text;
    }
};

void expectRateLimited(const Reply& reply, const std::string& key, int per_minute) {
    ASSERT_EQ(reply.status, 429) << reply.text;
    EXPECT_EQ(reply.body["error"]["code"], "rate_limited") << reply.text;
    const auto& details = reply.body["error"]["details"];
    EXPECT_EQ(details["limit"], key);
    EXPECT_EQ(details["limit_per_minute"], per_minute);
    ASSERT_TRUE(details["retry_after_seconds"].is_number_integer()) << reply.text;
    const int retry = details["retry_after_seconds"].get<int>();
    EXPECT_GE(retry, 1);
    EXPECT_LE(retry, 60 / per_minute + 1);
    EXPECT_EQ(reply.header("retry-after"), std::to_string(retry));
    const std::string message = reply.body["error"]["message"].get<std::string>();
    EXPECT_NE(message.find(key), std::string::npos) << message;
    EXPECT_NE(message.find("retry in " + std::to_string(retry) + " s"), std::string::npos) << message;
}

TEST_F(RequestLimits, TheApiBudgetIsPerClientAndAnswered429WithRetryAfter) {
    createTeam("team-a");
    std::int64_t user_id = 0;
    const std::string owner = loginUser("olivia", &user_id);
    const auto added = call("POST", "/api/v1/teams/team-a/members", {{"user_id", user_id}, {"role", "owner"}});
    ASSERT_EQ(added.status, 201) << added.text;
    limit(3, 100);  // one request every 20 s, three at once
    EXPECT_EQ(anonymous().status, 401);
    EXPECT_EQ(asUser(owner, "GET", "/api/v1/teams/team-a").status, 200);
    EXPECT_EQ(asUser(owner, "GET", "/api/v1/teams/team-a").status, 200);
    // Sessions, wrong tokens and no credential at all count against the same address.
    expectRateLimited(asUser(owner, "GET", "/api/v1/teams/team-a"), "server.limits.api_requests_per_minute", 3);
    expectRateLimited(anonymous(), "server.limits.api_requests_per_minute", 3);
    expectRateLimited(anonymous({{"Authorization", "Bearer not-the-admin-token"}}), "server.limits.api_requests_per_minute",
                      3);
    expectRateLimited(call("GET", "/api/v1/nothing-here", nullptr, {}, false), "server.limits.api_requests_per_minute", 3);
    // A valid admin token is not counted (README: the operator is never locked out).
    EXPECT_EQ(call("GET", "/api/v1/teams/team-a").status, 200);
    // Nor are /healthz and the console; the login routes have their own budget.
    EXPECT_EQ(call("GET", "/healthz", nullptr, {}, false).status, 200);
    EXPECT_EQ(call("GET", "/auth/gitlab/login", nullptr, {}, false).status, 302);

    const auto metrics = metricsText();
    EXPECT_NE(metrics.find("# TYPE forgelink_http_rate_limited_total counter"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find(R"(forgelink_http_rate_limited_total{limit="api"} 4)"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find(R"(route="/api/v1/teams/{team}",status="429"} 1)"), std::string::npos) << metrics;
}

TEST_F(RequestLimits, AScopedTokenCountsAgainstItsClientsAddress) {
    createTeam("team-a");
    auto made = call("POST", "/api/v1/teams/team-a/tokens", {{"name", "ci"}, {"role", "reporter"}});
    ASSERT_EQ(made.status, 201) << made.text;
    const std::string secret = made.body["secret"].get<std::string>();
    limit(2, 100);
    const std::vector<std::pair<std::string, std::string>> bearer{{"Authorization", "Bearer " + secret}};
    // A reporter token may not read the team (403), but it was recognised, and counted.
    EXPECT_EQ(call("GET", "/api/v1/teams/team-a", nullptr, bearer, false).status, 403);
    EXPECT_EQ(anonymous().status, 401);
    expectRateLimited(call("GET", "/api/v1/teams/team-a", nullptr, bearer, false), "server.limits.api_requests_per_minute",
                      2);
}

TEST_F(RequestLimits, TheLoginRoutesHaveTheirOwnSmallerBudget) {
    limit(100, 2);
    EXPECT_EQ(call("GET", "/auth/gitlab/login", nullptr, {}, false).status, 302);
    EXPECT_EQ(call("GET", "/api/v1/auth/gitlab/login", nullptr, {}, false).status, 302);
    // Both spellings of starting and finishing a login share it.
    expectRateLimited(call("GET", "/auth/gitlab/login", nullptr, {}, false), "server.limits.login_requests_per_minute", 2);
    expectRateLimited(call("GET", "/api/v1/auth/gitlab/callback?code=x&state=y", nullptr, {}, false),
                      "server.limits.login_requests_per_minute", 2);
    expectRateLimited(call("GET", "/auth/gitlab/callback?code=x&state=y", nullptr, {}, false),
                      "server.limits.login_requests_per_minute", 2);
    // An admin token does not lift the login limit (logins are people's, not the operator's).
    expectRateLimited(call("GET", "/auth/gitlab/login"), "server.limits.login_requests_per_minute", 2);
    // A browser (the console's "Continue with GitLab" is a link) gets a page saying why and when.
    auto page = call("GET", "/auth/gitlab/login", nullptr, {{"Accept", "text/html,application/xhtml+xml"}}, false);
    EXPECT_EQ(page.status, 429);
    EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(page.text.find("<h1>Sign-in failed</h1>"), std::string::npos) << page.text;
    EXPECT_NE(page.text.find("server.limits.login_requests_per_minute"), std::string::npos) << page.text;
    EXPECT_NE(page.text.find("retry in " + page.header("retry-after") + " s"), std::string::npos) << page.text;
    EXPECT_NE(page.header("content-security-policy"), "");
    // The API is not affected, and the list of providers is an API request.
    EXPECT_EQ(anonymous().status, 401);
    EXPECT_EQ(call("GET", "/api/v1/auth/providers", nullptr, {}, false).status, 200);
    const auto metrics = metricsText();
    EXPECT_NE(metrics.find(R"(forgelink_http_rate_limited_total{limit="login"} 5)"), std::string::npos) << metrics;
}

TEST_F(RequestLimits, TheClientIsTheAuditLogsAddress) {
    // Without trusted proxies X-Forwarded-For is the client's word: ignored.
    limit(1, 100);
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "203.0.113.9"}}).status, 401);
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "203.0.113.10"}}).status, 429);

    // Behind a trusted proxy each forwarded client has its own budget (the rightmost untrusted hop).
    config_.server.trusted_proxies = {"127.0.0.0/8"};
    limit(1, 100);
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "203.0.113.9"}}).status, 401);
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "203.0.113.9"}}).status, 429);
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "203.0.113.10"}}).status, 401);
    // What the client put before the proxy's hop does not make it someone else.
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "198.51.100.1, 203.0.113.9"}}).status, 429);
}

TEST_F(RequestLimits, AnIpv6ClientCountsPerSlash64Network) {
    // One host is given a whole /64: a fresh address from it is not a fresh budget.
    config_.server.trusted_proxies = {"127.0.0.0/8"};
    limit(1, 100);
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "2001:db8:1:2::1"}}).status, 401);
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "2001:db8:1:2:ffff:ffff:ffff:fffe"}}).status, 429);
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "2001:DB8:1:2:0:0:0:9"}}).status, 429);
    // The next /64 is another network.
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "2001:db8:1:3::1"}}).status, 401);
    // An IPv4 client arriving as an IPv4-mapped IPv6 address is the same client as over IPv4.
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "203.0.113.9"}}).status, 401);
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "::ffff:203.0.113.9"}}).status, 429);
    // IPv4 neighbours are separate clients.
    EXPECT_EQ(anonymous({{"X-Forwarded-For", "203.0.113.10"}}).status, 401);
}

TEST_F(RequestLimits, ZeroTurnsALimitOff) {
    limit(0, 0);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(anonymous().status, 401) << "request " << i;
    for (int i = 0; i < 100; ++i) ASSERT_EQ(call("GET", "/auth/gitlab/login", nullptr, {}, false).status, 302) << i;
}

std::string nested(int depth, const std::string& inner = "1") {
    return std::string(depth, '[') + inner + std::string(depth, ']');
}

TEST_F(RequestLimits, JsonNestedPastTheLimitIsRefusedBeforeItIsParsed) {
    const std::vector<std::pair<std::string, std::string>> headers{
        {"Authorization", std::string("Bearer ") + kAdminToken}, {"Content-Type", "application/json"}};
    // The default, 32: the body object and 31 arrays pass the depth check (and fail as a name).
    auto at_limit = raw("POST", "/api/v1/teams", R"({"slug":"t","name":)" + nested(31) + "}", headers);
    EXPECT_EQ(at_limit.status, 400);
    EXPECT_EQ(at_limit.body["error"]["code"], "wrong_type") << at_limit.text;
    auto over = raw("POST", "/api/v1/teams", R"({"slug":"t","name":)" + nested(32) + "}", headers);
    ASSERT_EQ(over.status, 400);
    EXPECT_EQ(over.body["error"]["code"], "json_too_deep") << over.text;
    EXPECT_EQ(over.body["error"]["details"]["limit"], "server.limits.max_json_depth");
    EXPECT_EQ(over.body["error"]["details"]["max_depth"], 32);
    EXPECT_NE(over.body["error"]["message"].get<std::string>().find("more than 32 levels"), std::string::npos) << over.text;
    // Checked before parsing: a body that is not even JSON, but deep, is refused for its depth.
    auto deep_garbage = raw("POST", "/api/v1/teams", std::string(500000, '[') + "}", headers);
    EXPECT_EQ(deep_garbage.body["error"]["code"], "json_too_deep") << deep_garbage.text.substr(0, 300);
    // Brackets inside strings are text, not nesting.
    auto in_string = raw("POST", "/api/v1/teams", R"({"slug":"t-s","name":")" + std::string(50, '[') + R"("})", headers);
    EXPECT_EQ(in_string.status, 201) << in_string.text;

    // Configurable, and every route reading a JSON body applies it (team tokens among them).
    config_.server.limits.max_json_depth = 2;
    startServer();
    auto tight = raw("POST", "/api/v1/teams/t-s/tokens", R"({"name":"x","role":"reporter","a":{"b":[1]}})", headers);
    EXPECT_EQ(tight.body["error"]["code"], "json_too_deep") << tight.text;
    EXPECT_EQ(tight.body["error"]["details"]["max_depth"], 2);
    auto flat = raw("POST", "/api/v1/teams/t-s/tokens", R"({"name":"x","role":"reporter","a":{"b":1}})", headers);
    EXPECT_EQ(flat.body["error"]["code"], "unknown_field") << flat.text;
}

TEST(NestsDeeperThan, CountsArraysAndObjectsOutsideStrings) {
    EXPECT_FALSE(nestsDeeperThan("{}", 1));
    EXPECT_TRUE(nestsDeeperThan("{\"a\":[]}", 1));
    EXPECT_FALSE(nestsDeeperThan("{\"a\":[]}", 2));
    EXPECT_FALSE(nestsDeeperThan("[[]][[]][[]]", 2)) << "siblings are not nesting";
    EXPECT_FALSE(nestsDeeperThan(R"({"a":"[[[{{{"})", 1));
    EXPECT_FALSE(nestsDeeperThan(R"({"a":"\"[[[{{{"})", 1)) << "an escaped quote does not end the string";
    EXPECT_TRUE(nestsDeeperThan(R"({"a":"\\",[[1]]})", 2)) << "an escaped backslash does";
    EXPECT_FALSE(nestsDeeperThan("]]]]{}", 1)) << "stray closers do not go below zero";
    EXPECT_TRUE(nestsDeeperThan(std::string(1 << 20, '['), 1000));
}

}  // namespace
}  // namespace forgelink::service::testing
