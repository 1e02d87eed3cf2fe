// forge-sim as a GitLab OAuth 2 provider (API-FACTS A14, A5).
#include <gtest/gtest.h>

#include <regex>

#include "sim_process.hpp"

using forgelink::sim::Headers;
using forgelink::sim::HttpResult;
using forgelink::sim::httpRequest;
using forgelink::sim::SimProcess;
using nlohmann::json;

namespace {

const char* kVerifier = "ks02i3jdikdo2k0dkfodf3m39rjfjsdk0wk349rj3jrhf";
const char* kChallenge = "2i0WFA-0AerkjQm4X4oDEhqA17QIAKNjXpagHBXmO_U";  // S256 of kVerifier (GitLab docs)
const char* kInvalidGrant =
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the "
    "authorization request, or was issued to another client.";

class GitLabOAuth : public ::testing::Test {
protected:
    explicit GitLabOAuth(const std::string& extra = "") : sim(scenario(extra)) {}
    static std::string scenario(const std::string& extra) {
        std::string s = SimProcess::scenarioFile("gitlab-basic.yaml");
        if (!extra.empty()) s.replace(s.find("  version:"), 0, extra);
        return s;
    }
    std::string authorize(const std::string& extra = "") {
        auto r = sim.get(sim.gitlabUrl() + "/oauth/authorize?client_id=forgelink-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback"
                                           "&response_type=code&state=xyz&scope=api" + extra);
        EXPECT_EQ(r.status, 302) << r.body;
        std::smatch m;
        std::string loc = r.header("location");
        if (!std::regex_search(loc, m, std::regex("[?&]code=([0-9a-f]+)"))) return "";
        return m[1].str();
    }
    HttpResult token(const std::string& form) {
        return httpRequest("POST", sim.gitlabUrl() + "/oauth/token", {{"Content-Type", "application/x-www-form-urlencoded"}}, form);
    }
    HttpResult exchange(const std::string& code, const std::string& verifier = "") {
        std::string form = "grant_type=authorization_code&client_id=forgelink-app&client_secret=forgelink-secret&code=" + code +
                           "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback";
        if (!verifier.empty()) form += "&code_verifier=" + verifier;
        return token(form);
    }
    HttpResult api(const std::string& path, const std::string& bearer) {
        return sim.get(sim.gitlabUrl() + "/api/v4" + path, {{"Authorization", "Bearer " + bearer}});
    }
    SimProcess sim;
};

class GitLabOAuthShortTtl : public GitLabOAuth {
protected:
    GitLabOAuthShortTtl() : GitLabOAuth("  oauth_token_ttl: 2\n") {}
};

TEST_F(GitLabOAuth, AuthorizeRedirectsWithCodeAndState) {
    auto r = sim.get(sim.gitlabUrl() + "/oauth/authorize?client_id=forgelink-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback"
                                       "&response_type=code&state=s%20t&scope=api%20read_user");
    ASSERT_EQ(r.status, 302);
    EXPECT_TRUE(std::regex_match(r.header("location"), std::regex("http://127\\.0\\.0\\.1:8976/callback\\?code=[0-9a-f]{64}&state=s%20t")))
        << r.header("location");
    auto wrong_redirect = sim.get(sim.gitlabUrl() + "/oauth/authorize?client_id=forgelink-app&redirect_uri=http%3A%2F%2Fevil&response_type=code");
    EXPECT_EQ(wrong_redirect.status, 400);
    EXPECT_FALSE(wrong_redirect.hasHeader("location"));
    auto unknown = sim.get(sim.gitlabUrl() + "/oauth/authorize?client_id=nope&redirect_uri=x&response_type=code");
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(unknown.json()["error"], "invalid_client");
}

TEST_F(GitLabOAuth, CodeExchangeWithPkceAndTokenUse) {
    std::string code = authorize(std::string("&code_challenge=") + kChallenge + "&code_challenge_method=S256");
    ASSERT_FALSE(code.empty());
    auto bad = exchange(code, "wrong-verifier");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.json(), json({{"error", "invalid_grant"}, {"error_description", kInvalidGrant}}));
    code = authorize(std::string("&code_challenge=") + kChallenge + "&code_challenge_method=S256");
    auto r = exchange(code, kVerifier);
    ASSERT_EQ(r.status, 200) << r.body;
    auto t = r.json();
    EXPECT_EQ(t["expires_in"], 7200);
    EXPECT_EQ(t["scope"], "api");
    EXPECT_EQ(t["token_type"], "bearer");  // as in fixtures/gitlab/oauth_token.body.json
    EXPECT_TRUE(t["created_at"].is_number_integer());
    std::string access = t["access_token"];
    EXPECT_EQ(exchange(code, kVerifier).json()["error"], "invalid_grant");  // codes are single-use
    auto user = api("/user", access);
    ASSERT_EQ(user.status, 200);
    EXPECT_EQ(user.json()["username"], "alice");
    // OAuth tokens only travel as Bearer.
    EXPECT_EQ(sim.get(sim.gitlabUrl() + "/api/v4/user", {{"PRIVATE-TOKEN", access}}).status, 401);
    EXPECT_EQ(sim.get(sim.gitlabUrl() + "/api/v4/user?access_token=" + access).status, 200);
    auto self = api("/personal_access_tokens/self", access);
    EXPECT_EQ(self.status, 400);
    EXPECT_EQ(self.json(), json({{"message", "400 Bad request - This endpoint requires token type to be a personal access token"}}));
    auto info = sim.get(sim.gitlabUrl() + "/oauth/token/info", {{"Authorization", "Bearer " + access}});
    ASSERT_EQ(info.status, 200);
    EXPECT_EQ(info.json()["resource_owner_id"], 2);
    EXPECT_EQ(info.json()["application"]["uid"], "forgelink-app");
    EXPECT_EQ(info.json()["scope"], json::array({"api"}));
}

TEST_F(GitLabOAuth, ClientAndRedirectChecksAtTokenEndpoint) {
    std::string code = authorize();
    auto wrong_secret = token("grant_type=authorization_code&client_id=forgelink-app&client_secret=nope&code=" + code +
                              "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback");
    EXPECT_EQ(wrong_secret.status, 401);
    EXPECT_EQ(wrong_secret.json()["error"], "invalid_client");
    auto wrong_redirect = token("grant_type=authorization_code&client_id=forgelink-app&client_secret=forgelink-secret&code=" + code +
                                "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fcb");
    EXPECT_EQ(wrong_redirect.json()["error"], "invalid_grant");
    EXPECT_EQ(exchange(code).status, 200);  // failed attempts did not burn the code
}

TEST_F(GitLabOAuth, RefreshRotatesBothTokens) {
    auto first = exchange(authorize()).json();
    std::string refresh_form = "grant_type=refresh_token&client_id=forgelink-app&client_secret=forgelink-secret&refresh_token=" +
                               first["refresh_token"].get<std::string>() + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback";
    auto second = token(refresh_form);
    ASSERT_EQ(second.status, 200) << second.body;
    EXPECT_NE(second.json()["access_token"], first["access_token"]);
    EXPECT_NE(second.json()["refresh_token"], first["refresh_token"]);
    auto old = api("/user", first["access_token"]);
    EXPECT_EQ(old.status, 401);
    EXPECT_EQ(old.json()["error"], "invalid_token");
    auto reuse = token(refresh_form);
    EXPECT_EQ(reuse.status, 400);
    EXPECT_EQ(reuse.json(), json({{"error", "invalid_grant"}, {"error_description", kInvalidGrant}}));
    EXPECT_EQ(api("/user", second.json()["access_token"]).status, 200);
}

TEST_F(GitLabOAuthShortTtl, AccessTokensExpireOnTheVirtualClock) {
    auto t = exchange(authorize()).json();
    EXPECT_EQ(t["expires_in"], 2);
    EXPECT_EQ(api("/user", t["access_token"]).status, 200);
    sim.advanceTime(3);
    auto expired = api("/user", t["access_token"]);
    EXPECT_EQ(expired.status, 401);
    EXPECT_EQ(expired.json(), json({{"error", "invalid_token"},
                                    {"error_description", "Token is expired. You can either do re-authorization or token refresh."}}));
    // The refresh token still works after the access token expired.
    auto fresh = token("grant_type=refresh_token&client_id=forgelink-app&client_secret=forgelink-secret&refresh_token=" +
                       t["refresh_token"].get<std::string>());
    ASSERT_EQ(fresh.status, 200);
    EXPECT_EQ(api("/user", fresh.json()["access_token"]).status, 200);
}

}  // namespace
