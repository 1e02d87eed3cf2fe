// Scoped API tokens over the API: made by owners and operators and shown once, stored as a
// digest, listed without the secret, limited to their team, project and role, revoked, expiring,
// and their last use written at most once a minute.
#include <regex>
#include <thread>

#include "service/api_tokens.hpp"
#include "database_bytes.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

using namespace std::chrono_literals;

class ApiTokens : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        owner_ = loginUser("alice", &owner_id_);
        member_ = loginUser("bob", &member_id_);
        createTeam("team-a");
        createTeam("team-b");
        const auto a = store_->findTeamBySlug("team-a").value().id;
        ASSERT_TRUE(store_->addTeamMember(a, owner_id_, store::TeamRole::owner).ok());
        ASSERT_TRUE(store_->addTeamMember(a, member_id_, store::TeamRole::member).ok());
        connectGitlab("team-a");
        project_ = std::to_string(createLinkedProject("team-a", "guide"));
        second_ = std::to_string(createLinkedProject("team-a", "second"));
    }

    // Made by the owner through the console's session; returns the answer.
    Reply make(const nlohmann::json& body) { return asUser(owner_, "POST", "/api/v1/teams/team-a/tokens", body); }
    std::string secretOf(const nlohmann::json& body) {
        auto reply = make(body);
        EXPECT_EQ(reply.status, 201) << reply.text;
        return reply.body.value("secret", "");
    }
    Reply as(const std::string& token, const std::string& method, const std::string& path,
             const nlohmann::json& body = nullptr) {
        return call(method, path, body, {{"Authorization", "Bearer " + token}}, false);
    }
    nlohmann::json build() {
        return {{"commit_sha", std::string(40, 'a')}, {"branch", "main"}, {"state", "queued"}};
    }

    std::string owner_, member_, project_, second_;
    std::int64_t owner_id_ = 0, member_id_ = 0;
};

TEST_F(ApiTokens, MadeByAnOwnerShownOnceAndStoredAsADigest) {
    auto reply = make({{"name", "visual-tests"}, {"role", "reporter"}});
    ASSERT_EQ(reply.status, 201) << reply.text;
    const std::string secret = reply.body["secret"];
    EXPECT_TRUE(std::regex_match(secret, std::regex("flt_[0-9a-f]{80}"))) << secret;
    EXPECT_EQ(reply.header("cache-control"), "no-store");
    EXPECT_EQ(reply.header("location"), "/api/v1/teams/team-a/tokens/" + std::to_string(reply.body["token"]["id"].get<std::int64_t>()));
    EXPECT_EQ(reply.body["token"]["role"], "reporter");
    EXPECT_EQ(reply.body["token"]["created_by"], "alice");
    EXPECT_TRUE(reply.body["token"]["project_id"].is_null());
    EXPECT_EQ(reply.body["token"]["hint"], secret.substr(0, 12) + "…");

    auto listed = asUser(owner_, "GET", "/api/v1/teams/team-a/tokens");
    ASSERT_EQ(listed.status, 200) << listed.text;
    ASSERT_EQ(listed.body["items"].size(), 1u);
    EXPECT_EQ(listed.body["items"][0]["name"], "visual-tests");
    EXPECT_TRUE(listed.body["items"][0]["last_used_at"].is_null());
    EXPECT_EQ(listed.text.find(secret.substr(4)), std::string::npos) << "the listing never holds the secret";
    EXPECT_EQ(databaseBytes(dir_ / "forgelink.db").find(secret.substr(4)), std::string::npos) << "the database never holds the secret";
    EXPECT_EQ(logText().find(secret.substr(4)), std::string::npos);
    // The audit log names it, without the secret.
    auto audit = call("GET", "/api/v1/teams/team-a/audit");
    ASSERT_EQ(audit.body["items"][0]["action"], "api_token.created");
    EXPECT_EQ(audit.body["items"][0]["target"], "visual-tests");
    EXPECT_EQ(audit.body["items"][0]["actor"]["name"], "alice");
    EXPECT_EQ(audit.text.find(secret.substr(4)), std::string::npos);
}

TEST_F(ApiTokens, OnlyOwnersAndOperatorsManageThemAndInputIsChecked) {
    EXPECT_EQ(asUser(member_, "POST", "/api/v1/teams/team-a/tokens", {{"name", "x"}, {"role", "reporter"}}).status, 403);
    EXPECT_EQ(asUser(member_, "GET", "/api/v1/teams/team-a/tokens").status, 403);
    EXPECT_EQ(asUser(owner_, "GET", "/api/v1/teams/team-b/tokens").status, 404);
    auto by_operator = call("POST", "/api/v1/teams/team-a/tokens", {{"name", "ops"}, {"role", "admin"}});
    ASSERT_EQ(by_operator.status, 201) << by_operator.text;
    EXPECT_EQ(by_operator.body["token"]["created_by"].get<std::string>().rfind("operator sha256:", 0), 0u);
    EXPECT_EQ(make({{"name", "ops"}, {"role", "admin"}}).status, 409);
    EXPECT_EQ(make({{"name", "x"}, {"role", "owner"}}).status, 400);
    EXPECT_EQ(make({{"name", "x"}}).status, 400);
    EXPECT_EQ(make({{"name", "x"}, {"role", "reporter"}, {"expires_in_days", 0}}).status, 400);
    EXPECT_EQ(make({{"name", "x"}, {"role", "reporter"}, {"secret", "mine"}}).status, 400);
    const auto b = store_->findTeamBySlug("team-b").value().id;
    const auto b_project = store_->createProject(b, "theirs", "Theirs").value().id;
    auto foreign = make({{"name", "x"}, {"role", "reporter"}, {"project_id", b_project}});
    EXPECT_EQ(foreign.status, 422) << foreign.text;
    EXPECT_EQ(foreign.body["error"]["code"], "unknown_project");
    // A token never makes tokens, whatever its role.
    const auto admin = by_operator.body["secret"].get<std::string>();
    EXPECT_EQ(as(admin, "POST", "/api/v1/teams/team-a/tokens", {{"name", "y"}, {"role", "admin"}}).status, 403);
    EXPECT_EQ(as(admin, "GET", "/api/v1/teams/team-a/tokens").status, 403);
}

TEST_F(ApiTokens, AReporterRecordsBuildsOfItsTeamAndChangesNothingElse) {
    const auto reporter = secretOf({{"name", "ci"}, {"role", "reporter"}});
    auto created = as(reporter, "POST", "/api/v1/projects/" + project_ + "/builds", build());
    ASSERT_EQ(created.status, 202) << created.text;
    const auto id = std::to_string(created.body["build"]["id"].get<std::int64_t>());
    EXPECT_EQ(as(reporter, "PATCH", "/api/v1/projects/" + project_ + "/builds/" + id, {{"state", "accepted"}}).status, 202);
    EXPECT_EQ(as(reporter, "GET", "/api/v1/projects/" + project_ + "/builds/" + id).status, 200);
    EXPECT_EQ(as(reporter, "GET", "/api/v1/projects/" + project_ + "/builds").status, 200);
    EXPECT_EQ(as(reporter, "GET", "/api/v1/projects/" + project_).status, 200);
    EXPECT_EQ(as(reporter, "POST", "/api/v1/projects/" + second_ + "/builds", build()).status, 202);  // the whole team

    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"PUT", "/api/v1/teams/team-a/providers/gitlab"},
             {"DELETE", "/api/v1/teams/team-a/providers/gitlab"},
             {"POST", "/api/v1/teams/team-a/members"},
             {"POST", "/api/v1/teams/team-a/projects"},
             {"DELETE", "/api/v1/projects/" + project_},
             {"DELETE", "/api/v1/projects/" + project_ + "/repository"},
             {"DELETE", "/api/v1/teams/team-a"},
             {"GET", "/api/v1/teams/team-a"},
             {"GET", "/api/v1/teams/team-a/audit"},
             {"GET", "/api/v1/teams"},
             {"POST", "/api/v1/teams"},
             {"GET", "/api/v1/session"}}) {
        auto reply = as(reporter, method, path, method == "GET" || method == "DELETE" ? nlohmann::json(nullptr)
                                                                                      : nlohmann::json::object());
        EXPECT_EQ(reply.status, 403) << method << " " << path << ": " << reply.text;
    }
    EXPECT_TRUE(store_->providerSettings(store_->findTeamBySlug("team-a").value().id, "gitlab").ok());
    EXPECT_TRUE(store_->project(std::stoll(project_)).ok());
    // Builds are not settings: the audit log has no event by the token.
    const auto audit = call("GET", "/api/v1/teams/team-a/audit");
    for (const auto& item : audit.body["items"]) EXPECT_NE(item["actor"]["kind"], "token");
}

TEST_F(ApiTokens, AnAdminTokenChangesSettingsAndIsNamedInTheAuditLog) {
    const auto admin = secretOf({{"name", "terraform"}, {"role", "admin"}});
    auto put = as(admin, "PUT", "/api/v1/teams/team-a/providers/gitlab", {{"token", kBotToken}});
    ASSERT_EQ(put.status, 200) << put.text;
    auto audit = call("GET", "/api/v1/teams/team-a/audit");
    EXPECT_EQ(audit.body["items"][0]["action"], "provider_token.replaced");
    EXPECT_EQ(audit.body["items"][0]["actor"]["kind"], "token");
    EXPECT_EQ(audit.body["items"][0]["actor"]["name"], "terraform");
    EXPECT_TRUE(audit.body["items"][0]["actor"]["token_id"].is_number_integer());
    EXPECT_EQ(as(admin, "GET", "/api/v1/teams/team-a/audit").status, 200);
    EXPECT_EQ(as(admin, "POST", "/api/v1/projects/" + project_ + "/builds", build()).status, 202);
    EXPECT_EQ(as(admin, "DELETE", "/api/v1/teams/team-a").status, 403);
    EXPECT_EQ(as(admin, "GET", "/api/v1/teams/team-b").status, 404);
    EXPECT_EQ(as(admin, "PUT", "/api/v1/teams/team-b/providers/gitlab", {{"token", kBotToken}}).status, 404);
}

TEST_F(ApiTokens, AProjectTokenReachesOnlyItsProject) {
    const auto scoped = secretOf({{"name", "guide-only"}, {"role", "admin"}, {"project_id", std::stoll(project_)}});
    EXPECT_EQ(as(scoped, "POST", "/api/v1/projects/" + project_ + "/builds", build()).status, 202);
    EXPECT_EQ(as(scoped, "POST", "/api/v1/projects/" + second_ + "/builds", build()).status, 404);
    EXPECT_EQ(as(scoped, "GET", "/api/v1/projects/" + second_).status, 404);
    EXPECT_EQ(as(scoped, "DELETE", "/api/v1/projects/" + second_).status, 404);
    EXPECT_EQ(as(scoped, "GET", "/api/v1/teams/team-a/projects").status, 403);
    EXPECT_EQ(as(scoped, "PUT", "/api/v1/teams/team-a/providers/gitlab", {{"token", kBotToken}}).status, 403);
    EXPECT_TRUE(store_->project(std::stoll(second_)).ok());
    // The project deleted, its token goes with it (a later project may be given the same id).
    ASSERT_EQ(call("DELETE", "/api/v1/projects/" + project_).status, 204);
    EXPECT_EQ(as(scoped, "GET", "/api/v1/projects/" + second_).status, 401);
}

TEST_F(ApiTokens, RevokedExpiredAndForgedTokensAreRefused) {
    auto made = make({{"name", "ci"}, {"role", "reporter"}});
    ASSERT_EQ(made.status, 201);
    const std::string reporter = made.body["secret"];
    const auto path = "/api/v1/projects/" + project_ + "/builds";
    EXPECT_EQ(as(reporter, "GET", path).status, 200);
    // Same lookup key, other secret: refused (the digest decides).
    std::string forged = reporter;
    forged.back() = forged.back() == '0' ? '1' : '0';
    auto wrong = as(forged, "GET", path);
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.body["error"]["code"], "invalid_token");
    EXPECT_NE(wrong.body["error"]["message"].get<std::string>().find("API token"), std::string::npos);
    EXPECT_EQ(as("flt_short", "GET", path).status, 401);
    EXPECT_EQ(as(reporter + "0", "GET", path).status, 401);

    const auto id = std::to_string(made.body["token"]["id"].get<std::int64_t>());
    EXPECT_EQ(call("DELETE", "/api/v1/teams/team-b/tokens/" + id).status, 404);  // not team-b's
    EXPECT_EQ(as(reporter, "GET", path).status, 200);
    EXPECT_EQ(asUser(owner_, "DELETE", "/api/v1/teams/team-a/tokens/" + id).status, 204);
    EXPECT_EQ(as(reporter, "GET", path).status, 401);
    EXPECT_EQ(asUser(owner_, "DELETE", "/api/v1/teams/team-a/tokens/" + id).status, 404);
    auto audit = call("GET", "/api/v1/teams/team-a/audit");
    EXPECT_EQ(audit.body["items"][0]["action"], "api_token.revoked");
    EXPECT_EQ(audit.body["items"][0]["target"], "ci");

    const auto expiring = secretOf({{"name", "short"}, {"role", "reporter"}, {"expires_in_days", 1}});
    EXPECT_EQ(as(expiring, "GET", path).status, 200);
    options_.clock = [] { return store::nowTimestamp() + std::chrono::hours(25); };
    startServer();
    EXPECT_EQ(as(expiring, "GET", path).status, 401);
}

TEST_F(ApiTokens, LastUseIsWrittenAtMostOnceAMinute) {
    const auto reporter = secretOf({{"name", "ci"}, {"role", "reporter"}});
    auto lastUsed = [&] {
        auto listed = call("GET", "/api/v1/teams/team-a/tokens");
        return listed.body["items"][0]["last_used_at"];
    };
    EXPECT_TRUE(lastUsed().is_null());
    for (int i = 0; i < 20; ++i) ASSERT_EQ(as(reporter, "GET", "/api/v1/projects/" + project_).status, 200);
    const auto first = lastUsed();
    ASSERT_TRUE(first.is_string());
    std::this_thread::sleep_for(20ms);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(as(reporter, "GET", "/api/v1/projects/" + project_).status, 200);
    EXPECT_EQ(lastUsed(), first) << "uses within the minute write nothing";
    // A minute later (another host's clock, or this one's), the next use is written.
    options_.clock = [] { return store::nowTimestamp() + std::chrono::minutes(2); };
    startServer();
    ASSERT_EQ(as(reporter, "GET", "/api/v1/projects/" + project_).status, 200);
    EXPECT_NE(lastUsed(), first);
}

TEST(ApiTokenShape, GeneratedTokensParseAndCompareInConstantTime) {
    const auto a = generateApiToken();
    const auto b = generateApiToken();
    EXPECT_NE(a.token, b.token);
    EXPECT_EQ(a.token.size(), 84u);
    EXPECT_EQ(apiTokenLookupKey(a.token), a.lookup_key);
    EXPECT_EQ(a.lookup_key.size(), 16u);
    EXPECT_TRUE(apiTokenMatches(a.token, a.digest));
    EXPECT_FALSE(apiTokenMatches(b.token, a.digest));
    EXPECT_FALSE(apiTokenLookupKey("flt_" + std::string(80, 'G')));
    EXPECT_FALSE(apiTokenLookupKey("glpat-" + std::string(80, 'a')));
    EXPECT_TRUE(looksLikeApiToken("flt_x"));
    EXPECT_FALSE(looksLikeApiToken("admin-0123456789-secret"));
}

}  // namespace
}  // namespace forgelink::service::testing
