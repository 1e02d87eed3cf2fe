// Provider settings, browsing and projects, with the real GitLab plugin against forge-sim.
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class ProvidersProjects : public ServiceTest {};

TEST_F(ProvidersProjects, AcceptedTokenIsStoredAndShownOnlyByItsLastFourCharacters) {
    createTeam("docs");
    auto put = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kBotToken}});
    ASSERT_EQ(put.status, 200) << put.text;
    const auto& settings = put.body["settings"];
    EXPECT_EQ(settings["token_last4"], "0000");
    EXPECT_EQ(settings["kind"], "personal");
    EXPECT_EQ(settings["identity"]["username"], "forgelink-bot");
    EXPECT_EQ(settings["status"], "active");
    EXPECT_EQ(settings["base_url"], sim_->gitlabUrl());
    EXPECT_NE(std::find(settings["scopes"].begin(), settings["scopes"].end(), "api"), settings["scopes"].end());

    auto get = call("GET", "/api/v1/teams/docs/providers/gitlab");
    ASSERT_EQ(get.status, 200) << get.text;
    EXPECT_EQ(get.body["settings"]["token_last4"], "0000");
    EXPECT_TRUE(get.body["settings"].contains("days_left"));
    EXPECT_TRUE(get.body["settings"]["warnings"].is_array());
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers").body["items"].size(), 1u);

    // The token is in the store, sealed, and nowhere in what the API said or logged.
    auto credentials = store_->providerCredentials(store_->findTeamBySlug("docs").value().id, "gitlab");
    ASSERT_TRUE(credentials.ok());
    EXPECT_EQ(credentials.value().token, kBotToken);
    EXPECT_EQ(all_responses_.find(kBotToken), std::string::npos);
    EXPECT_EQ(all_responses_.find("glpat-bot"), std::string::npos);
    EXPECT_EQ(logText().find("glpat-bot"), std::string::npos);

    EXPECT_EQ(call("DELETE", "/api/v1/teams/docs/providers/gitlab").status, 204);
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab").status, 404);
    EXPECT_EQ(call("DELETE", "/api/v1/teams/docs/providers/gitlab").status, 404);
}

TEST_F(ProvidersProjects, RefusedTokenIs422WithThePluginsCodeAndNothingIsStored) {
    createTeam("docs");
    auto revoked = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", "glpat-revoked-0000000000"}});
    EXPECT_EQ(revoked.status, 422) << revoked.text;
    EXPECT_EQ(revoked.body["error"]["code"], "token_revoked");
    EXPECT_FALSE(revoked.body["error"]["message"].get<std::string>().empty());
    auto scope = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", "glpat-read-user-00000000"}});
    EXPECT_EQ(scope.status, 422) << scope.text;
    EXPECT_EQ(scope.body["error"]["code"], "missing_scope");
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab").status, 404);
    EXPECT_EQ(all_responses_.find("glpat-revoked"), std::string::npos);
    EXPECT_EQ(logText().find("glpat-revoked"), std::string::npos);
}

TEST_F(ProvidersProjects, ATokenWithTwoProblemsIsRefusedWithBothCausesEachWithItsFix) {
    createTeam("docs");
    auto both = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", "glpat-project-report-rdapi"}});
    EXPECT_EQ(both.status, 422) << both.text;
    EXPECT_EQ(both.body["error"]["code"], "missing_scope");
    const auto& causes = both.body["error"]["details"]["causes"];
    ASSERT_EQ(causes.size(), 2u) << both.text;
    EXPECT_NE(causes[0].get<std::string>().find("needs scope api"), std::string::npos) << causes[0];
    EXPECT_NE(causes[0].get<std::string>().find("create a project access token with scope api"), std::string::npos)
        << causes[0];
    EXPECT_NE(causes[1].get<std::string>().find("Reporter (20)"), std::string::npos) << causes[1];
    EXPECT_NE(causes[1].get<std::string>().find("create a token with role Developer or higher"), std::string::npos)
        << causes[1];
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab").status, 404);
}

TEST_F(ProvidersProjects, ProviderSettingsInputIsValidated) {
    createTeam("docs");
    auto unknown = call("PUT", "/api/v1/teams/docs/providers/nosuch", {{"token", "x"}});
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.body["error"]["code"], "unknown_provider");
    EXPECT_NE(unknown.body["error"]["message"].get<std::string>().find("gitlab"), std::string::npos);
    auto extra = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", "x"}, {"scopes", "api"}});
    EXPECT_EQ(extra.status, 400);
    EXPECT_EQ(extra.body["error"]["code"], "unknown_field");
    auto url = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", "x"}, {"base_url", "ftp://host"}});
    EXPECT_EQ(url.status, 400);
    EXPECT_NE(url.body["error"]["message"].get<std::string>().find("base_url"), std::string::npos);
    auto no_team = call("PUT", "/api/v1/teams/nope/providers/gitlab", {{"token", "x"}});
    EXPECT_EQ(no_team.status, 404);
    // The example plugin validates tokens too; its refusal carries its own code.
    auto example = call("PUT", "/api/v1/teams/docs/providers/example", {{"token", "wrong"}});
    EXPECT_EQ(example.status, 422);
    EXPECT_EQ(example.body["error"]["code"], "token_unknown");
    auto good = call("PUT", "/api/v1/teams/docs/providers/example", {{"token", "good-token"}});
    EXPECT_EQ(good.status, 200) << good.text;
    EXPECT_EQ(good.body["settings"]["token_last4"], "");  // too short to show any of it
    // Browsing through a provider without the capability says so.
    auto browse = call("GET", "/api/v1/teams/docs/providers/example/repositories");
    EXPECT_EQ(browse.status, 422);
    EXPECT_EQ(browse.body["error"]["code"], "unsupported");
}

// A token with CR/LF was saved and injected a header into every forge request; NUL, LF or ESC
// gave a misleading 502. Each is a 400 naming the field, without the value, and nothing is sent.
TEST_F(ProvidersProjects, TokensMustBePrintableAsciiOfBoundedLength) {
    createTeam("docs");
    sim_->clearRequests();
    const std::vector<std::string> hostile = {
        std::string(kBotToken) + "\r\nX-Evil: injected", std::string("glpat-nul\0SECRETPART", 20), "glpat-lf\nSECRETPART",
        "glpat-esc\x1b[2JSECRETPART", "glpat-space SECRETPART", "glpat-\xc3\xa9SECRETPART", std::string(4097, 'a'),
        ""};
    for (const auto& token : hostile) {
        auto put = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", token}});
        EXPECT_EQ(put.status, 400) << put.text;
        EXPECT_EQ(put.body["error"]["code"], "invalid_value");
        const std::string message = put.body["error"]["message"];
        EXPECT_NE(message.find("field 'token' must be 1 to 4096 printable ASCII characters"), std::string::npos)
            << message;
        EXPECT_EQ(put.text.find("SECRETPART"), std::string::npos) << "never echo the token";
        EXPECT_EQ(put.text.find("X-Evil"), std::string::npos);
    }
    EXPECT_TRUE(sim_->requests().empty()) << sim_->requests().dump();
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab").status, 404);
    EXPECT_EQ(call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", std::string(4096, 'a')}}).status, 422)
        << "4096 characters is still a token the forge may judge";
}

TEST_F(ProvidersProjects, BrowsingUsesTheTeamsToken) {
    createTeam("docs");
    auto before = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories");
    EXPECT_EQ(before.status, 409);
    EXPECT_EQ(before.body["error"]["code"], "provider_not_connected");
    connectGitlab("docs");

    auto repos = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories");
    ASSERT_EQ(repos.status, 200) << repos.text;
    bool widget = false;
    for (const auto& item : repos.body["items"]) widget = widget || item["full_path"] == "acme/tools/widget";
    EXPECT_TRUE(widget) << repos.text;
    EXPECT_TRUE(repos.body.contains("next_cursor"));

    auto search = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories?search=nothing-matches-this");
    ASSERT_EQ(search.status, 200);
    EXPECT_TRUE(search.body["items"].empty());

    auto namespaces = call("GET", "/api/v1/teams/docs/providers/gitlab/namespaces");
    ASSERT_EQ(namespaces.status, 200) << namespaces.text;
    EXPECT_FALSE(namespaces.body["items"].empty());

    auto typo = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories?serch=x");
    EXPECT_EQ(typo.status, 400);
    EXPECT_EQ(typo.body["error"]["code"], "unknown_parameter");
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab/repositories?min_role=boss").status, 400);

    auto permissions = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories/acme%2Ftools%2Fwidget/permissions");
    ASSERT_EQ(permissions.status, 200) << permissions.text;
    EXPECT_EQ(permissions.body["repository"]["id"], "100");
    EXPECT_EQ(permissions.body["post_status"]["allowed"], true);
    auto by_id = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories/100/permissions");
    EXPECT_EQ(by_id.status, 200);
    auto hidden = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories/bob%2Fsecret/permissions");
    EXPECT_EQ(hidden.status, 404) << hidden.text;
}

// Issue 22 point 5: a listing is bounded in items and pages across requests (the count travels in
// next_cursor), so a client following next_cursor (the console, admin --all) stops at the bound.
TEST_F(ProvidersProjects, BrowsingStopsAtTheListingBoundsWithAClearError) {
    createTeam("docs");
    connectGitlab("docs");
    const std::string repos = "/api/v1/teams/docs/providers/gitlab/repositories";
    auto whole = call("GET", repos);
    ASSERT_EQ(whole.status, 200) << whole.text;
    const auto seen = whole.body["items"].size();
    ASSERT_GE(seen, 2u) << whole.text;

    config_.forge.max_listing_items = seen - 1;
    auto items = call("GET", repos);
    EXPECT_EQ(items.status, 422) << items.text;
    EXPECT_EQ(items.body["error"]["code"], "listing_too_long") << items.text;
    EXPECT_NE(items.body["error"]["message"].get<std::string>().find(
                  "the repository listing of provider gitlab has more than " + std::to_string(seen - 1) +
                  " items (forge.max_listing_items); it stopped there, after 0 pages and 0 items. Narrow it "
                  "(query parameters namespace or search)"),
              std::string::npos)
        << items.text;
    config_.forge.max_listing_items = 100000;

    // A listing already 2,000 pages long (as its cursor says) gets no further page.
    config_.forge.max_listing_pages = 2000;
    auto pages = call("GET", repos + "?cursor=fl1.2000.5.gl1.o.2.0.0.x");
    EXPECT_EQ(pages.status, 422) << pages.text;
    EXPECT_EQ(pages.body["error"]["code"], "listing_too_long") << pages.text;
    auto ns = call("GET", "/api/v1/teams/docs/providers/gitlab/namespaces?cursor=fl1.2000.5.x");
    EXPECT_EQ(ns.status, 422) << ns.text;
    EXPECT_EQ(ns.body["error"]["code"], "listing_too_long") << ns.text;

    for (const std::string bad : {"gl1.o.2.0.0.x", "fl1.x.0.abc", "fl1.1.2.", "fl1.1", "fl1..1.abc"}) {
        auto refused = call("GET", repos + "?cursor=" + bad);
        EXPECT_EQ(refused.status, 400) << bad << ": " << refused.text;
        EXPECT_EQ(refused.body["error"]["code"], "bad_cursor") << bad << ": " << refused.text;
    }
}

TEST_F(ProvidersProjects, ContinueWithGitlabCreatesAndLinksInOneStep) {
    createTeam("docs");
    connectGitlab("docs");
    auto created = call("POST", "/api/v1/teams/docs/projects",
                        {{"name", "User Guide"}, {"repository", {{"provider", "gitlab"}, {"path", "acme/tools/widget"}}}});
    ASSERT_EQ(created.status, 201) << created.text;
    const auto& project = created.body["project"];
    EXPECT_EQ(project["slug"], "user-guide");
    EXPECT_EQ(project["team"], "docs");
    EXPECT_EQ(project["repository"]["repository_id"], "100");
    EXPECT_EQ(project["repository"]["full_path"], "acme/tools/widget");
    EXPECT_EQ(project["repository"]["status_context"], "forgelink");

    // A second project on the same repository gets its own status name.
    auto second = call("POST", "/api/v1/teams/docs/projects",
                       {{"name", "API docs"}, {"slug", "api"}, {"repository", {{"provider", "gitlab"}, {"id", "100"}}}});
    ASSERT_EQ(second.status, 201) << second.text;
    EXPECT_EQ(second.body["project"]["repository"]["status_context"], "forgelink/api");

    auto list = call("GET", "/api/v1/teams/docs/projects");
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.body["items"].size(), 2u);
    const auto id = std::to_string(project["id"].get<std::int64_t>());
    auto shown = call("GET", "/api/v1/projects/" + id);
    ASSERT_EQ(shown.status, 200);
    EXPECT_EQ(shown.body["project"]["repository"]["repository_id"], "100");

    auto dup = call("POST", "/api/v1/teams/docs/projects", {{"name", "User Guide"}});
    EXPECT_EQ(dup.status, 409);

    EXPECT_EQ(call("DELETE", "/api/v1/projects/" + id + "/repository").status, 204);
    EXPECT_TRUE(call("GET", "/api/v1/projects/" + id).body["project"]["repository"].is_null());
    EXPECT_EQ(call("DELETE", "/api/v1/projects/" + id + "/repository").status, 404);
    auto reconnect = call("PUT", "/api/v1/projects/" + id + "/repository",
                          {{"provider", "gitlab"}, {"repository", "acme/tools/widget"}});
    ASSERT_EQ(reconnect.status, 200) << reconnect.text;
    EXPECT_EQ(reconnect.body["project"]["repository"]["repository_id"], "100");
    EXPECT_EQ(call("DELETE", "/api/v1/projects/" + id).status, 204);
    EXPECT_EQ(call("GET", "/api/v1/projects/" + id).status, 404);
}

TEST_F(ProvidersProjects, LinkingIsRefusedWhenTheTokenCannotPostStatuses) {
    createTeam("readers");
    connectGitlab("readers", "glpat-reporter-000000000");
    auto refused = call("POST", "/api/v1/teams/readers/projects",
                        {{"name", "Guide"}, {"repository", {{"provider", "gitlab"}, {"path", "acme/tools/widget"}}}});
    EXPECT_EQ(refused.status, 422) << refused.text;
    EXPECT_EQ(refused.body["error"]["code"], "cannot_post_status");
    EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("Developer"), std::string::npos);
    // "Continue with GitLab" is one step: nothing half-made stays behind.
    EXPECT_TRUE(call("GET", "/api/v1/teams/readers/projects").body["items"].empty());

    auto plain = call("POST", "/api/v1/teams/readers/projects", {{"name", "Guide"}});
    ASSERT_EQ(plain.status, 201);
    const auto id = std::to_string(plain.body["project"]["id"].get<std::int64_t>());
    auto connect = call("PUT", "/api/v1/projects/" + id + "/repository",
                        {{"provider", "gitlab"}, {"repository", "acme/tools/widget"}});
    EXPECT_EQ(connect.status, 422);
    EXPECT_EQ(connect.body["error"]["code"], "cannot_post_status");
    auto missing = call("PUT", "/api/v1/projects/" + id + "/repository",
                        {{"provider", "gitlab"}, {"repository", "acme/does-not-exist"}});
    EXPECT_EQ(missing.status, 422) << missing.text;
}

TEST_F(ProvidersProjects, ProjectInputIsValidated) {
    createTeam("docs");
    EXPECT_EQ(call("POST", "/api/v1/teams/docs/projects", {{"name", ""}}).status, 400);
    EXPECT_EQ(call("POST", "/api/v1/teams/docs/projects", {{"name", "x"}, {"slug", "-bad"}}).status, 400);
    auto both = call("POST", "/api/v1/teams/docs/projects",
                     {{"name", "x"}, {"repository", {{"provider", "gitlab"}, {"id", "1"}, {"path", "a/b"}}}});
    EXPECT_EQ(both.status, 400);
    auto nested = call("POST", "/api/v1/teams/docs/projects",
                       {{"name", "x"}, {"repository", {{"provider", "gitlab"}, {"id", "1"}, {"branch", "main"}}}});
    EXPECT_EQ(nested.status, 400);
    EXPECT_NE(nested.body["error"]["message"].get<std::string>().find("repository.branch"), std::string::npos);
    auto not_connected = call("POST", "/api/v1/teams/docs/projects",
                              {{"name", "x"}, {"repository", {{"provider", "gitlab"}, {"id", "100"}}}});
    EXPECT_EQ(not_connected.status, 409);
    EXPECT_TRUE(call("GET", "/api/v1/teams/docs/projects").body["items"].empty());
    EXPECT_EQ(call("GET", "/api/v1/projects/abc").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/projects/999").status, 404);
}

}  // namespace
}  // namespace forgelink::service::testing
