// What the console's pages show that the API did not say before: a saved token's role and
// binding, its health for the team banner (valid / expiring / invalid, with the fix), the fix of
// each refusal, and the forge pages of deliveries (status target, merge-request comment).
#include "service/api_error.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class ConsoleViews : public ServiceTest {
protected:
    std::string today(int days_from_now) {
        const auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) + std::chrono::days(days_from_now);
        const std::chrono::year_month_day ymd{day};
        char text[16];
        std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()));
        return text;
    }
    std::string tokenPage() const { return sim_->gitlabUrl() + "/-/user_settings/personal_access_tokens?name=forgelink"; }
};

TEST_F(ConsoleViews, ASavedTokenKeepsItsRoleAndBindingAndIsValid) {
    createTeam("views");
    auto put = call("PUT", "/api/v1/teams/views/providers/gitlab", {{"token", "glpat-project-token-0000"}});
    ASSERT_EQ(put.status, 200) << put.text;
    auto shown = call("GET", "/api/v1/teams/views/providers/gitlab");
    ASSERT_EQ(shown.status, 200) << shown.text;
    const auto& s = shown.body["settings"];
    EXPECT_EQ(s["kind"], "project");
    EXPECT_EQ(s["token_last4"], "0000");
    EXPECT_EQ(s["role"], put.body["settings"]["role"]);
    EXPECT_FALSE(s["role"].is_null()) << shown.text;
    EXPECT_FALSE(s["role_label"].get<std::string>().empty()) << shown.text;
    EXPECT_EQ(s["bound_to"]["kind"], "project");
    EXPECT_EQ(s["bound_to"]["full_path"], "acme/tools/widget");
    EXPECT_EQ(s["health"]["state"], "valid");
    EXPECT_TRUE(s["health"]["fix"].is_null());
    EXPECT_TRUE(call("GET", "/api/v1/teams/views").body["team"]["alerts"].empty());
}

TEST_F(ConsoleViews, ExpiringAndInvalidTokensRaiseTheTeamBannerWithTheFix) {
    createTeam("banner");
    connectGitlab("banner");
    auto team = orThrow(store_->findTeamBySlug("banner"));
    auto saved = orThrow(store_->providerSettings(team.id, "gitlab"));
    store::ProviderSettingsInput input;
    input.team_id = team.id;
    input.provider = "gitlab";
    input.base_url = saved.base_url;
    input.instance = saved.instance;
    input.token = kBotToken;
    input.kind = saved.kind;
    input.identity = saved.identity;
    input.scopes = saved.scopes;
    input.expires_at = today(12);
    ASSERT_TRUE(store_->saveProviderSettings(input).ok());

    auto expiring = call("GET", "/api/v1/teams/banner/providers/gitlab").body["settings"]["health"];
    EXPECT_EQ(expiring["state"], "expiring") << expiring.dump();
    EXPECT_EQ(expiring["days_left"], 12);
    EXPECT_NE(expiring["reason"].get<std::string>().find("in 12 days"), std::string::npos) << expiring.dump();
    EXPECT_EQ(expiring["fix"]["url"].get<std::string>().rfind(tokenPage(), 0), 0u) << expiring.dump();
    auto alerts = call("GET", "/api/v1/teams/banner").body["team"]["alerts"];
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0]["provider"], "gitlab");
    EXPECT_EQ(alerts[0]["state"], "expiring");

    input.expires_at = today(31);
    ASSERT_TRUE(store_->saveProviderSettings(input).ok());
    EXPECT_EQ(call("GET", "/api/v1/teams/banner/providers/gitlab").body["settings"]["health"]["state"], "valid");
    input.expires_at = today(30);
    ASSERT_TRUE(store_->saveProviderSettings(input).ok());
    EXPECT_EQ(call("GET", "/api/v1/teams/banner/providers/gitlab").body["settings"]["health"]["state"], "expiring");
    input.expires_at = today(-1);
    ASSERT_TRUE(store_->saveProviderSettings(input).ok());
    EXPECT_EQ(call("GET", "/api/v1/teams/banner/providers/gitlab").body["settings"]["health"]["state"], "invalid");

    input.expires_at.reset();
    ASSERT_TRUE(store_->saveProviderSettings(input).ok());
    ASSERT_TRUE(store_->markProviderInvalid(team.id, "gitlab", "401 Unauthorized: token revoked").ok());
    auto invalid = call("GET", "/api/v1/teams/banner/providers/gitlab").body["settings"]["health"];
    EXPECT_EQ(invalid["state"], "invalid");
    EXPECT_NE(invalid["reason"].get<std::string>().find("token revoked"), std::string::npos);
    EXPECT_EQ(invalid["fix"]["url"].get<std::string>().rfind(tokenPage(), 0), 0u);
    EXPECT_EQ(call("GET", "/api/v1/teams/banner").body["team"]["alerts"][0]["state"], "invalid");
}

TEST_F(ConsoleViews, EachRefusalOfATokenCarriesItsFix) {
    createTeam("refusals");
    auto revoked = call("PUT", "/api/v1/teams/refusals/providers/gitlab", {{"token", "glpat-revoked-0000000000"}});
    ASSERT_EQ(revoked.status, 422) << revoked.text;
    const auto& fix = revoked.body["error"]["details"]["fix"];
    EXPECT_EQ(fix["url"].get<std::string>().rfind(tokenPage(), 0), 0u) << revoked.text;
    EXPECT_FALSE(fix["message"].get<std::string>().empty());

    auto scope = call("PUT", "/api/v1/teams/refusals/providers/gitlab", {{"token", "glpat-read-api-000000000"}});
    ASSERT_EQ(scope.status, 422) << scope.text;
    EXPECT_EQ(scope.body["error"]["details"]["fix"]["url"],
              sim_->gitlabUrl() + "/-/user_settings/personal_access_tokens?name=forgelink&scopes=api")
        << scope.text;
}

TEST_F(ConsoleViews, DeliveriesLinkToTheStatusTargetAndTheComment) {
    createTeam("links");
    connectGitlab("links");
    const auto project = createLinkedProject("links", "web");
    auto build = call("POST", "/api/v1/projects/" + std::to_string(project) + "/builds",
                      {{"commit_sha", "af5b13261899fb2c0db30abdd0af8b07cb44fdc5"}, {"branch", "feature"},
                       {"merge_request", 1}, {"state", "in_progress"}, {"url", "https://visual.example/builds/9"}});
    ASSERT_EQ(build.status, 202) << build.text;
    // Delivered as the dispatcher would record it.
    auto claimed = orThrow(store_->claimDueTasks("test", store::nowTimestamp(), std::chrono::seconds(30), 10));
    ASSERT_EQ(claimed.size(), 2u);
    for (const auto& task : claimed) {
        store::TaskCompletion done;
        if (task.key.kind == store::FeedbackKind::comment) {
            done.comment_id = "4242";
            done.result = {{"comments", {{{"merge_request", "1"}, {"comment_id", "4242"}, {"action", "created"}}}}};
        }
        ASSERT_TRUE(store_->completeTask(task.id, "test", done).ok());
    }
    const std::string path = build.header("location");
    auto shown = call("GET", path);
    ASSERT_EQ(shown.status, 200) << shown.text;
    const std::string repo = sim_->gitlabUrl() + "/acme/tools/widget";
    bool saw_status = false, saw_comment = false;
    for (const auto& d : shown.body["deliveries"]) {
        if (d["kind"] == "status") {
            saw_status = true;
            EXPECT_EQ(d["target_url"], "https://visual.example/builds/9");
        } else {
            saw_comment = true;
            EXPECT_EQ(d["comment_url"], repo + "/-/merge_requests/1#note_4242") << d.dump();
            EXPECT_EQ(d["comments"][0]["comment_url"], repo + "/-/merge_requests/1#note_4242");
        }
    }
    EXPECT_TRUE(saw_status && saw_comment) << shown.text;
}

TEST_F(ConsoleViews, ARefusedFieldIsNamedForTheForm) {
    auto slug = call("POST", "/api/v1/teams", {{"slug", "Not A Slug"}});
    EXPECT_EQ(slug.status, 400);
    EXPECT_EQ(slug.body["error"]["details"]["field"], "slug") << slug.text;
    auto missing = call("POST", "/api/v1/teams", {{"name", "No slug"}});
    EXPECT_EQ(missing.body["error"]["details"]["field"], "slug") << missing.text;
    auto unknown = call("POST", "/api/v1/teams", {{"slug", "ok"}, {"colour", "red"}});
    EXPECT_EQ(unknown.body["error"]["details"]["field"], "colour") << unknown.text;
    createTeam("fields");
    auto url = call("PUT", "/api/v1/teams/fields/providers/gitlab", {{"token", kBotToken}, {"base_url", "ftp://x"}});
    EXPECT_EQ(url.status, 400);
    EXPECT_EQ(url.body["error"]["details"]["field"], "base_url") << url.text;
    auto type = call("PUT", "/api/v1/teams/fields/providers/gitlab", {{"token", 5}});
    EXPECT_EQ(type.body["error"]["details"]["field"], "token") << type.text;
    auto json = raw("POST", "/api/v1/teams", "{", {{"Authorization", std::string("Bearer ") + kAdminToken},
                                                   {"Content-Type", "application/json"}});
    EXPECT_FALSE(json.body["error"].contains("details")) << "not about one field";
}

}  // namespace
}  // namespace forgelink::service::testing
