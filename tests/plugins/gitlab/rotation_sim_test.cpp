// The GitLab plugin's token rotation against forge-sim over HTTP (issue 17): each kind of token
// rotates through its own self route with the expiry asked for, the new token works and the old
// one does not; the cases that cannot rotate say why; failures say whether GitLab acted.
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
  projects:
    - {id: 100, path: widget, namespace: acme, default_branch: main}
  tokens:
    - {value: glpat-bot-api-000000000000, user: forgelink-bot, scopes: [api, read_user], name: forgelink, expires_at: "%SOON%"}
    - {value: glpat-read-api-00000000000, user: forgelink-bot, scopes: [read_api], name: reader, expires_at: "%SOON%"}
    - {value: glpat-widget-ci-0000000000, kind: project, project: acme/widget, access_level: 30, scopes: [api],
       name: widget-ci, expires_at: "%SOON%"}
    - {value: glpat-acme-ci-000000000000, kind: group, group: acme, access_level: 30, scopes: [api], name: acme-ci,
       expires_at: "%SOON%"}
)";

std::string world(const std::string& version) {
    std::string text = kWorld;
    text.replace(text.find("%VERSION%"), 9, version);
    for (auto pos = text.find("%SOON%"); pos != std::string::npos; pos = text.find("%SOON%"))
        text.replace(pos, 6, isoDateFromToday(10));
    return text;
}

class Rotation : public ::testing::Test {
protected:
    explicit Rotation(const std::string& version = "17.9.0-ee") : sim_(world(version)) {}
    Credentials creds(const std::string& token) const { return {sim_.gitlabUrl(), token}; }
    // What the host passes: the kind and binding validateToken found.
    RotationRequest requestFor(const std::string& token, const std::string& expires_at = "") {
        auto info = host_.provider().validateToken(creds(token));
        EXPECT_TRUE(info) << info.error().message;
        RotationRequest request;
        if (info) {
            request.kind = info->kind;
            request.bound_to = info->bound_to;
        }
        request.expires_at = expires_at;
        return request;
    }
    int rotateCalls() const {
        int n = 0;
        for (const auto& r : sim_.requests())
            if (r["method"] == "POST" && r["path"].get<std::string>().find("/rotate") != std::string::npos) ++n;
        return n;
    }
    sim::SimProcess sim_;
    LoadedGitLab host_;
};

TEST_F(Rotation, EachKindRotatesThroughItsSelfRouteAndTheNewTokenWorks) {
    const std::string expires = isoDateFromToday(90);
    for (const char* token : {"glpat-bot-api-000000000000", "glpat-widget-ci-0000000000", "glpat-acme-ci-000000000000"}) {
        SCOPED_TRACE(token);
        auto request = requestFor(token, expires);
        auto support = host_.provider().rotationSupport(creds(token), request);
        ASSERT_TRUE(support) << support.error().message;
        EXPECT_TRUE(support->supported) << support->reason;

        sim_.clearRequests();
        auto rotated = host_.provider().rotateToken(creds(token), request);
        ASSERT_TRUE(rotated) << rotated.error().message;
        EXPECT_EQ(rotateCalls(), 1) << "one request, never retried";
        EXPECT_EQ(rotated->token.rfind("glpat-", 0), 0u);
        ASSERT_TRUE(rotated->expires_at);
        EXPECT_EQ(*rotated->expires_at, expires);

        auto fresh = host_.provider().validateToken(creds(rotated->token));
        ASSERT_TRUE(fresh) << fresh.error().message;
        EXPECT_EQ(fresh->kind, request.kind);
        EXPECT_EQ(fresh->expires_at, expires);
        auto old = host_.provider().validateToken(creds(token));
        ASSERT_FALSE(old);
        EXPECT_EQ(old.error().code, "token_revoked");
    }
}

TEST_F(Rotation, TheRequestCarriesTheExpiryAsJsonAndNeverTheTokenInTheUrl) {
    auto request = requestFor("glpat-bot-api-000000000000", isoDateFromToday(30));
    sim_.clearRequests();
    ASSERT_TRUE(host_.provider().rotateToken(creds("glpat-bot-api-000000000000"), request));
    const auto log = sim_.requests();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0]["path"], "/api/v4/personal_access_tokens/self/rotate");
    EXPECT_EQ(log[0]["query"], "");
    EXPECT_EQ(nlohmann::json::parse(log[0]["body"].get<std::string>()),
              nlohmann::json({{"expires_at", isoDateFromToday(30)}}));
}

TEST_F(Rotation, ATokenWithoutApiCannotRotateAndSaysWhy) {
    auto request = RotationRequest{TokenKind::personal, std::nullopt, ""};
    auto support = host_.provider().rotationSupport(creds("glpat-read-api-00000000000"), request);
    ASSERT_TRUE(support) << support.error().message;
    EXPECT_FALSE(support->supported);
    EXPECT_NE(support->reason.find("[read_api]"), std::string::npos) << support->reason;
    EXPECT_NE(support->reason.find("scope api or self_rotate"), std::string::npos) << support->reason;

    auto refused = host_.provider().rotateToken(creds("glpat-read-api-00000000000"), request);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::missing_scope);
    EXPECT_NE(refused.error().message.find("HTTP 403"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("unchanged"), std::string::npos) << refused.error().message;
}

TEST_F(Rotation, AnOAuthOrUnknownTokenCannotRotate) {
    auto oauth = host_.provider().rotationSupport(creds("glpat-bot-api-000000000000"),
                                                  RotationRequest{TokenKind::oauth, std::nullopt, ""});
    ASSERT_TRUE(oauth);
    EXPECT_FALSE(oauth->supported);
    EXPECT_NE(oauth->reason.find("refreshed"), std::string::npos) << oauth->reason;
    auto unbound = host_.provider().rotateToken(creds("glpat-widget-ci-0000000000"),
                                                RotationRequest{TokenKind::project, std::nullopt, ""});
    ASSERT_FALSE(unbound);
    EXPECT_EQ(unbound.error().code, "rotation_unbound");
    EXPECT_EQ(rotateCalls(), 0) << "nothing was sent";
}

TEST_F(Rotation, AnExpiryGitLabRefusesLeavesTheTokenAsItWas) {
    auto request = requestFor("glpat-bot-api-000000000000", isoDateFromToday(400));
    auto refused = host_.provider().rotateToken(creds("glpat-bot-api-000000000000"), request);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
    EXPECT_NE(refused.error().message.find("new_lifetime_days"), std::string::npos) << refused.error().message;
    EXPECT_TRUE(host_.provider().validateToken(creds("glpat-bot-api-000000000000")));
}

TEST_F(Rotation, ALostAnswerIsAnUnknownOutcomeAndIsNotRetried) {
    auto request = requestFor("glpat-bot-api-000000000000", isoDateFromToday(90));
    sim_.clearRequests();
    sim_.faults({{"route", "POST .*/rotate"}, {"reset_connection", true}, {"after_handling", true}, {"fail_next", 1}});
    auto lost = host_.provider().rotateToken(creds("glpat-bot-api-000000000000"), request);
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().kind, ErrorKind::transient);
    EXPECT_EQ(lost.error().code, "rotation_outcome_unknown");
    EXPECT_NE(lost.error().message.find("may or may not have rotated"), std::string::npos) << lost.error().message;
    EXPECT_EQ(rotateCalls(), 1) << "a POST is never retried: a second one would revoke the new token";
    auto old = host_.provider().validateToken(creds("glpat-bot-api-000000000000"));
    ASSERT_FALSE(old);
    EXPECT_EQ(old.error().code, "token_revoked") << "GitLab acted: how the host finds out";
}

TEST_F(Rotation, AServerErrorIsAnUnknownOutcome) {
    auto request = requestFor("glpat-bot-api-000000000000", isoDateFromToday(90));
    sim_.faults({{"route", "POST .*/rotate"}, {"status", 502}, {"fail_next", 1}});
    auto failed = host_.provider().rotateToken(creds("glpat-bot-api-000000000000"), request);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().kind, ErrorKind::transient);
    EXPECT_TRUE(host_.provider().validateToken(creds("glpat-bot-api-000000000000"))) << "this time GitLab did not act";
}

class RotationOnGitLab16_9 : public Rotation {
protected:
    RotationOnGitLab16_9() : Rotation("16.9.2-ee") {}
};

TEST_F(RotationOnGitLab16_9, OlderThanSixteenTenCannotRotateAndSaysWhichVersionCan) {
    auto support = host_.provider().rotationSupport(creds("glpat-bot-api-000000000000"),
                                                    RotationRequest{TokenKind::personal, std::nullopt, ""});
    ASSERT_TRUE(support) << support.error().message;
    EXPECT_FALSE(support->supported);
    EXPECT_NE(support->reason.find("GitLab 16.9.2-ee"), std::string::npos) << support->reason;
    EXPECT_NE(support->reason.find("16.10"), std::string::npos) << support->reason;
    auto refused = host_.provider().rotateToken(creds("glpat-bot-api-000000000000"),
                                                RotationRequest{TokenKind::personal, std::nullopt, ""});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::unsupported);
}

class RotationOnGitLab17_5 : public Rotation {
protected:
    RotationOnGitLab17_5() : Rotation("17.5.0-ee") {}
};

TEST_F(RotationOnGitLab17_5, ProjectTokensNeedSeventeenNine) {
    auto request = requestFor("glpat-widget-ci-0000000000");
    auto support = host_.provider().rotationSupport(creds("glpat-widget-ci-0000000000"), request);
    ASSERT_TRUE(support) << support.error().message;
    EXPECT_FALSE(support->supported);
    EXPECT_NE(support->reason.find("project access token"), std::string::npos) << support->reason;
    EXPECT_NE(support->reason.find("17.9"), std::string::npos) << support->reason;
    auto personal = host_.provider().rotationSupport(creds("glpat-bot-api-000000000000"),
                                                     RotationRequest{TokenKind::personal, std::nullopt, ""});
    ASSERT_TRUE(personal);
    EXPECT_TRUE(personal->supported) << personal->reason;
}

}  // namespace
}  // namespace forgelink::gitlab::testing
