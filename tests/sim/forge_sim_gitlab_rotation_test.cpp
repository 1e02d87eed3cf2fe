// forge-sim's GitLab token rotation (issue 17; GitLab doc/api/personal_access_tokens.md,
// project_access_tokens.md, group_access_tokens.md "Rotate ... / Self-rotate", "Automatic reuse
// detection"), its clock a test sets, and a fault that drops the answer after the forge acted.
#include <gtest/gtest.h>

#include <chrono>

#include "sim_process.hpp"

using forgelink::sim::Headers;
using forgelink::sim::HttpResult;
using forgelink::sim::SimProcess;
using nlohmann::json;

namespace {

const char* kWorld = R"(
gitlab:
  version: "%VERSION%"
  users:
    - {id: 2, username: alice}
    - {id: 3, username: forgelink-bot}
  groups:
    - {id: 10, path: acme, members: {alice: 50, forgelink-bot: 30}}
  projects:
    - {id: 100, path: widget, namespace: acme, default_branch: main}
    - {id: 101, path: gadget, namespace: acme, default_branch: main, visibility: public}
  tokens:
    - {value: glpat-rotate-me-000000000, user: forgelink-bot, scopes: [api, read_user], name: forgelink, expires_at: 2027-01-20}
    - {value: glpat-second-pat-00000000, user: forgelink-bot, scopes: [api], name: second, expires_at: 2027-01-20}
    - {value: glpat-read-only-000000000, user: forgelink-bot, scopes: [read_api], name: reader}
    - {value: glpat-self-rotate-0000000, user: forgelink-bot, scopes: [read_api, self_rotate], name: selfish}
    - {value: glpat-widget-token-000000, kind: project, project: acme/widget, access_level: 30, scopes: [api], name: widget-ci,
       expires_at: 2027-01-20}
    - {value: glpat-acme-token-00000000, kind: group, group: acme, access_level: 30, scopes: [api], name: acme-ci}
)";

std::string world(const std::string& version) {
    std::string text = kWorld;
    text.replace(text.find("%VERSION%"), 9, version);
    return text;
}

// 2027-01-10T12:00:00Z: ten days before the scenario's tokens expire.
constexpr long long kJan10 = 1799582400;

// POST /_sim/time {"now": ...}: the clock runs on from there.
void setTime(const SimProcess& sim, long long epoch_seconds) {
    auto r = sim.post(sim.baseUrl() + "/_sim/time", json{{"now", epoch_seconds}}.dump(), {{"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 200) << r.body;
}

class GitLabRotation : public ::testing::Test {
protected:
    explicit GitLabRotation(const std::string& version = "17.9.0-ee") : sim(world(version)) { setTime(sim, kJan10); }
    HttpResult call(const std::string& method, const std::string& path, const std::string& token,
                    const json& body = nullptr) const {
        Headers headers{{"PRIVATE-TOKEN", token}};
        if (!body.is_null()) headers.emplace_back("Content-Type", "application/json");
        return forgelink::sim::httpRequest(method, sim.gitlabUrl() + "/api/v4" + path, headers,
                                           body.is_null() ? "" : body.dump());
    }
    HttpResult rotate(const std::string& path, const std::string& token, const json& body = nullptr) const {
        return call("POST", path, token, body);
    }
    json token(long long id) const {
        const json state = sim.state();
        for (const auto& t : state["gitlab"]["tokens"])
            if (t["id"] == id) return t;
        return nullptr;
    }
    SimProcess sim;
};

class OldGitLabRotation : public GitLabRotation {
protected:
    OldGitLabRotation() : GitLabRotation("16.9.3-ee") {}
};
class GitLab1710Rotation : public GitLabRotation {
protected:
    GitLab1710Rotation() : GitLabRotation("17.5.0-ee") {}
};

TEST_F(GitLabRotation, APersonalTokenRotatesItselfOnceAndTheOldOneIsRevokedAtOnce) {
    auto before = call("GET", "/personal_access_tokens/self", "glpat-rotate-me-000000000");
    ASSERT_EQ(before.status, 200);
    const long long old_id = before.json()["id"];

    auto r = rotate("/personal_access_tokens/self/rotate", "glpat-rotate-me-000000000", {{"expires_at", "2027-06-30"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const json body = r.json();
    const std::string fresh = body["token"];
    EXPECT_EQ(fresh.rfind("glpat-", 0), 0u) << fresh;
    EXPECT_NE(body["id"], old_id);
    EXPECT_EQ(body["name"], "forgelink");
    EXPECT_EQ(body["scopes"], json({"api", "read_user"}));
    EXPECT_EQ(body["user_id"], 3);
    EXPECT_EQ(body["expires_at"], "2027-06-30");
    EXPECT_EQ(body["active"], true);
    EXPECT_EQ(body["revoked"], false);
    EXPECT_TRUE(body["last_used_at"].is_null());
    EXPECT_FALSE(body.contains("access_level")) << "a personal token's entity has no access level";

    auto old = call("GET", "/user", "glpat-rotate-me-000000000");
    EXPECT_EQ(old.status, 401);
    EXPECT_EQ(old.json()["error_description"], "Token was revoked. You have to re-authorize from the user.");
    auto now = call("GET", "/personal_access_tokens/self", fresh);
    ASSERT_EQ(now.status, 200);
    EXPECT_EQ(now.json()["expires_at"], "2027-06-30");
    EXPECT_EQ(now.json()["id"], body["id"]);
    EXPECT_EQ(token(old_id)["rotated_to"], body["id"]);
}

TEST_F(GitLabRotation, WithoutExpiresAtTheNewTokenLivesOneWeek) {
    auto r = rotate("/personal_access_tokens/self/rotate", "glpat-second-pat-00000000");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["expires_at"], "2027-01-17");
}

TEST_F(GitLabRotation, ExpiresAtMustBeADateWithinAYearFromTheRotation) {
    const std::string t = "glpat-rotate-me-000000000";
    EXPECT_EQ(rotate("/personal_access_tokens/self/rotate", t, {{"expires_at", "next year"}}).json(),
              json({{"error", "expires_at is invalid"}}));
    auto past = rotate("/personal_access_tokens/self/rotate", t, {{"expires_at", "2027-01-10"}});
    EXPECT_EQ(past.status, 400);
    auto far = rotate("/personal_access_tokens/self/rotate", t, {{"expires_at", "2028-01-11"}});
    EXPECT_EQ(far.status, 400);
    EXPECT_NE(far.json()["message"].get<std::string>().find("one year or less"), std::string::npos);
    EXPECT_EQ(call("GET", "/user", t).status, 200) << "a refused rotation leaves the token as it was";
    EXPECT_EQ(rotate("/personal_access_tokens/self/rotate", t, {{"expires_at", "2028-01-10"}}).status, 200);
}

TEST_F(GitLabRotation, ProjectAndGroupTokensRotateThroughTheirResource) {
    auto project = rotate("/projects/100/access_tokens/self/rotate", "glpat-widget-token-000000", {{"expires_at", "2027-04-01"}});
    ASSERT_EQ(project.status, 200) << project.body;
    EXPECT_EQ(project.json()["access_level"], 30);
    EXPECT_EQ(project.json()["resource_type"], "project");
    EXPECT_EQ(project.json()["resource_id"], 100);
    const std::string fresh = project.json()["token"];
    auto user = call("GET", "/user", fresh);
    ASSERT_EQ(user.status, 200);
    EXPECT_EQ(user.json()["bot"], true) << "the same bot user acts with the new token";
    EXPECT_EQ(call("GET", "/projects/100", fresh).status, 200);
    EXPECT_EQ(call("GET", "/user", "glpat-widget-token-000000").status, 401);

    auto group = rotate("/groups/acme/access_tokens/self/rotate", "glpat-acme-token-00000000", {{"expires_at", "2027-04-01"}});
    ASSERT_EQ(group.status, 200) << group.body;
    EXPECT_EQ(group.json()["resource_type"], "group");
    EXPECT_EQ(group.json()["resource_id"], 10);
}

TEST_F(GitLabRotation, TheWrongKindOfTokenOrResourceIsRefusedAsDocumented) {
    // A personal token on the project route: not a project access token -> 405.
    EXPECT_EQ(rotate("/projects/100/access_tokens/self/rotate", "glpat-second-pat-00000000").status, 405);
    // A project token on the personal route -> 405; on another project it can see -> 401.
    EXPECT_EQ(rotate("/personal_access_tokens/self/rotate", "glpat-widget-token-000000").status, 405);
    auto other = rotate("/projects/101/access_tokens/self/rotate", "glpat-widget-token-000000");
    EXPECT_EQ(other.status, 401);
    EXPECT_EQ(call("GET", "/user", "glpat-widget-token-000000").status, 200) << "nothing was rotated";
}

TEST_F(GitLabRotation, ATokenWithoutApiOrSelfRotateMayNotRotateItself) {
    auto refused = rotate("/personal_access_tokens/self/rotate", "glpat-read-only-000000000");
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.json(), json({{"message", "403 Forbidden"}}));
    EXPECT_EQ(call("GET", "/personal_access_tokens/self", "glpat-read-only-000000000").status, 200);
    EXPECT_EQ(rotate("/personal_access_tokens/self/rotate", "glpat-self-rotate-0000000").status, 200)
        << "self_rotate is enough on 17.9";
}

TEST_F(GitLab1710Rotation, BeforeSeventeenNineOnlyPersonalTokensRotateThemselvesAndOnlyWithApi) {
    EXPECT_EQ(rotate("/personal_access_tokens/self/rotate", "glpat-self-rotate-0000000").status, 403)
        << "no self_rotate scope before 17.9";
    EXPECT_EQ(rotate("/projects/100/access_tokens/self/rotate", "glpat-widget-token-000000").status, 404);
    EXPECT_EQ(rotate("/personal_access_tokens/self/rotate", "glpat-second-pat-00000000").status, 200);
}

TEST_F(OldGitLabRotation, BeforeSixteenTenThereIsNoSelfRotation) {
    auto r = rotate("/personal_access_tokens/self/rotate", "glpat-rotate-me-000000000");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(call("GET", "/user", "glpat-rotate-me-000000000").status, 200);
}

TEST_F(GitLabRotation, PresentingTheRotatedTokenToRotateAgainRevokesItsSuccessor) {
    auto first = rotate("/personal_access_tokens/self/rotate", "glpat-rotate-me-000000000", {{"expires_at", "2027-06-30"}});
    ASSERT_EQ(first.status, 200);
    const std::string fresh = first.json()["token"];
    auto again = rotate("/personal_access_tokens/self/rotate", "glpat-rotate-me-000000000");
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(call("GET", "/user", fresh).status, 401) << "automatic reuse detection revoked the family's active token";
    // An ordinary call with the revoked token does not (the detection is for the rotate routes).
    auto second = rotate("/personal_access_tokens/self/rotate", "glpat-second-pat-00000000", {{"expires_at", "2027-06-30"}});
    ASSERT_EQ(second.status, 200);
    EXPECT_EQ(call("GET", "/user", "glpat-second-pat-00000000").status, 401);
    EXPECT_EQ(call("GET", "/user", second.json()["token"].get<std::string>()).status, 200);
}

TEST_F(GitLabRotation, ExpiryFollowsTheClockTheTestSets) {
    const std::string t = "glpat-rotate-me-000000000";
    EXPECT_EQ(call("GET", "/user", t).status, 200);
    setTime(sim, kJan10 + 9 * 86400 + 11 * 3600);  // 2027-01-19T23:00Z
    EXPECT_EQ(call("GET", "/user", t).status, 200);
    sim.advanceTime(3600);  // 00:00 on 2027-01-20: expired
    auto expired = call("GET", "/user", t);
    EXPECT_EQ(expired.status, 401);
    EXPECT_EQ(expired.json()["error_description"], "Token is expired. You can either do re-authorization or token refresh.");
    EXPECT_EQ(rotate("/personal_access_tokens/self/rotate", t).status, 401) << "an expired token cannot rotate";
    const long long now = sim.state()["now"];
    EXPECT_GE(now, kJan10 + 9 * 86400 + 12 * 3600);
    EXPECT_LT(now, kJan10 + 9 * 86400 + 12 * 3600 + 120) << "the set clock runs on from where it was set";
}

TEST_F(GitLabRotation, AnAnswerLostAfterTheForgeActedStillRotatedTheToken) {
    sim.faults({{"route", "POST .*/personal_access_tokens/self/rotate"}, {"reset_connection", true}, {"after_handling", true},
                {"fail_next", 1}});
    auto lost = rotate("/personal_access_tokens/self/rotate", "glpat-rotate-me-000000000", {{"expires_at", "2027-06-30"}});
    EXPECT_EQ(lost.status, 0) << "the connection was reset instead of answering";
    EXPECT_EQ(call("GET", "/user", "glpat-rotate-me-000000000").status, 401) << "yet the old token is revoked";
    bool found = false;
    const json state = sim.state();
    for (const auto& t : state["gitlab"]["tokens"])
        if (t["name"] == "forgelink" && t["revoked"] == false) found = t["expires_at"] == "2027-06-30";
    EXPECT_TRUE(found) << "and a new token exists that nobody received";
    auto bad = sim.post(sim.baseUrl() + "/_sim/faults", R"({"after_handling": true, "latency_ms": 5})");
    EXPECT_EQ(bad.status, 400);
}

}  // namespace
