// Admins told, once (issue 17), end to end: two `forgelink serve` processes on one SQLite store,
// a team with a GitLab token and a notification webhook on loopback. forge-sim revokes the token;
// the next call with it gets a 401, a maintenance pass re-checks it, and the team's webhook
// receives exactly one notice (Slack-compatible text, the structured notice, never the token),
// however many passes of both hosts follow.
#include <gtest/gtest.h>

#include <thread>

#include "e2e_host.hpp"
#include "e2e_world.hpp"
#include "socket_support.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

TEST(Notices, ARevokedTokenProducesExactlyOneNoticeAtTheTeamsWebhookAcrossTwoHosts) {
    net::test::ScriptedServer receiver([](const net::test::RecordedRequest&) {
        return net::test::ScriptedReply{net::test::httpReply(200, "ok")};
    });
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    HostOptions options{sim.gitlabUrl()};
    options.build_timeout_seconds = 4;  // a maintenance pass every second
    options.allow_loopback_webhooks = true;
    Host a(options);
    options.share_store_of = &a;
    Host b(options);
    a.start();
    b.start();

    ASSERT_EQ(a.call("POST", "/api/v1/teams", {{"slug", "docs"}}).status, 201);
    auto saved = a.call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kGitlabBot}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    const std::string hook = receiver.baseUrl() + "/services/T0/B0/E2eHookSecret000";
    auto set = b.call("PUT", "/api/v1/teams/docs/notifications", {{"webhook_url", hook}});
    ASSERT_EQ(set.status, 200) << set.text;
    EXPECT_EQ(set.text.find("E2eHookSecret"), std::string::npos);

    auto revoked = sim::httpRequest("DELETE", sim.gitlabUrl() + "/api/v4/personal_access_tokens/self",
                                    {{"PRIVATE-TOKEN", kGitlabBot}});
    ASSERT_EQ(revoked.status, 204) << revoked.body;
    auto browse = a.call("GET", "/api/v1/teams/docs/providers/gitlab/namespaces");
    EXPECT_EQ(browse.status / 100, 4) << browse.text;

    ASSERT_TRUE(waitUntil([&] { return !receiver.requests().empty(); }, 30s, 100ms))
        << a.call("GET", "/api/v1/teams/docs/notices").text;
    std::this_thread::sleep_for(5s);  // several more passes and polls of both hosts
    const auto got = receiver.requests();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].request_line, "POST /services/T0/B0/E2eHookSecret000 HTTP/1.1");
    auto body = nlohmann::json::parse(got[0].body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << got[0].body;
    EXPECT_NE(body["text"].get<std::string>().find("team docs's GitLab credential 'default' at"), std::string::npos) << got[0].body;
    EXPECT_NE(body["text"].get<std::string>().find("no longer accepted"), std::string::npos) << got[0].body;
    EXPECT_EQ(body["notice"]["kind"], "token_invalid");
    EXPECT_EQ(got[0].body.find(kGitlabBot), std::string::npos);

    auto listed = b.call("GET", "/api/v1/teams/docs/notices");
    ASSERT_EQ(listed.status, 200) << listed.text;
    ASSERT_EQ(listed.body["items"].size(), 1u) << listed.text;
    EXPECT_EQ(listed.body["items"][0]["delivery"]["state"], "delivered");
    EXPECT_EQ(listed.body["items"][0]["id"], body["notice"]["id"]);

    EXPECT_EQ(a.stop(), 0);
    EXPECT_EQ(b.stop(), 0);
    for (const Host* host : {&a, &b}) {
        EXPECT_EQ(host->logs().find(kGitlabBot), std::string::npos);
        EXPECT_EQ(host->logs().find("E2eHookSecret"), std::string::npos);
    }
}

}  // namespace
}  // namespace forgelink::e2e
