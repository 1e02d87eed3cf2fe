// Several named credentials per forge (issue 17), with the real GitLab plugin against forge-sim
// (gitlab-basic.yaml): forgelink-bot's personal token (Developer through group acme), the group
// token of acme, and the project token of acme/tools/widget.
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

constexpr const char* kGroupToken = "glpat-group-token-000000";
constexpr const char* kProjectToken = "glpat-project-token-0000";

class Credentials : public ServiceTest {
protected:
    void addCredential(const std::string& team, const std::string& name, const std::string& token) {
        auto reply = call("PUT", "/api/v1/teams/" + team + "/providers/gitlab/credentials/" + name, {{"token", token}});
        ASSERT_EQ(reply.status, 200) << reply.text;
        EXPECT_EQ(reply.body["settings"]["name"], name);
    }
    nlohmann::json project(std::int64_t id) {
        return call("GET", "/api/v1/projects/" + std::to_string(id)).body["project"];
    }
    std::vector<std::string> names(const nlohmann::json& items) {
        std::vector<std::string> out;
        for (const auto& item : items) out.push_back(item.value("name", ""));
        return out;
    }
};

TEST_F(Credentials, EachRepositoryIsServedByTheMostSpecificCredential) {
    createTeam("docs");
    connectGitlab("docs");  // 'default': forgelink-bot's personal token
    addCredential("docs", "widget", kProjectToken);
    addCredential("docs", "acme-group", kGroupToken);

    // Every credential listed, 'default' first; the route without a name still shows 'default'.
    auto listed = call("GET", "/api/v1/teams/docs/providers");
    ASSERT_EQ(listed.status, 200) << listed.text;
    EXPECT_EQ(names(listed.body["items"]), (std::vector<std::string>{"default", "acme-group", "widget"}));
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab").body["settings"]["name"], "default");
    auto one = call("GET", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group");
    ASSERT_EQ(one.status, 200) << one.text;
    EXPECT_EQ(one.body["settings"]["kind"], "group");
    EXPECT_EQ(one.body["settings"]["bound_to"]["full_path"], "acme");
    // The team view names the forge once however many credentials it has.
    EXPECT_EQ(call("GET", "/api/v1/teams/docs").body["team"]["providers"], nlohmann::json::array({"gitlab"}));

    // The project token of widget serves widget; the group token serves the rest of acme.
    const auto widget = createLinkedProject("docs", "widget", "acme/tools/widget");
    const auto lib = createLinkedProject("docs", "lib", "acme/libs/lib-core");
    EXPECT_EQ(project(widget)["repository"]["credential"], "widget");
    EXPECT_EQ(project(lib)["repository"]["credential"], "acme-group");

    // The permission report says which serves, and why the others do not.
    auto report = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories/acme%2Flibs%2Flib-core/permissions");
    ASSERT_EQ(report.status, 200) << report.text;
    EXPECT_EQ(report.body["credential"], "acme-group");
    EXPECT_TRUE(report.body["post_status"]["allowed"].get<bool>());
    std::map<std::string, nlohmann::json> verdicts;
    for (const auto& v : report.body["credentials"]) verdicts[v["credential"].get<std::string>()] = v;
    ASSERT_EQ(verdicts.size(), 3u) << report.text;
    EXPECT_TRUE(verdicts["acme-group"]["serves"].get<bool>());
    EXPECT_EQ(verdicts["acme-group"]["description"], "group token of group acme");
    EXPECT_FALSE(verdicts["default"]["serves"].get<bool>());
    EXPECT_EQ(verdicts["default"]["reason"], "a more specific credential serves it");
    EXPECT_FALSE(verdicts["widget"]["serves"].get<bool>());
    EXPECT_NE(verdicts["widget"]["reason"].get<std::string>().find("bound to project acme/tools/widget"),
              std::string::npos)
        << verdicts["widget"];

    // Each credential lists the repositories it serves.
    auto credentials = call("GET", "/api/v1/teams/docs/providers/gitlab/credentials");
    ASSERT_EQ(credentials.status, 200) << credentials.text;
    for (const auto& c : credentials.body["items"]) {
        const auto name = c["name"].get<std::string>();
        const auto& serves = c["serves"];
        if (name == "default") {
            EXPECT_TRUE(serves.empty()) << serves;
        } else if (name == "widget") {
            EXPECT_EQ(serves.at(0)["full_path"], "acme/tools/widget");
        } else if (name == "acme-group") {
            EXPECT_EQ(serves.at(0)["full_path"], "acme/libs/lib-core");
        }
    }
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab/credentials/nobody").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab/credentials/Bad%20Name").status, 400);
    EXPECT_EQ(call("PUT", "/api/v1/teams/docs/providers/gitlab/credentials/-x", {{"token", kGroupToken}}).status, 400);
}

TEST_F(Credentials, AMoreSpecificCredentialTakesOverTheRepositoriesItCovers) {
    createTeam("docs");
    connectGitlab("docs");
    const auto widget = createLinkedProject("docs", "widget", "acme/tools/widget");
    EXPECT_EQ(project(widget)["repository"]["credential"], "default");

    auto saved = call("PUT", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group", {{"token", kGroupToken}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    const auto& now_serves = saved.body["settings"]["now_serves"];
    ASSERT_EQ(now_serves.size(), 1u) << saved.text;
    EXPECT_EQ(now_serves[0]["full_path"], "acme/tools/widget");
    EXPECT_EQ(now_serves[0]["was"], "default");
    EXPECT_EQ(project(widget)["repository"]["credential"], "acme-group");

    // Saving the less specific one again moves nothing back.
    auto again = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kBotToken}});
    ASSERT_EQ(again.status, 200) << again.text;
    EXPECT_TRUE(again.body["settings"]["now_serves"].empty());
    EXPECT_EQ(project(widget)["repository"]["credential"], "acme-group");
}

TEST_F(Credentials, RemovingACredentialSaysWhichRepositoriesWouldLoseFeedback) {
    createTeam("docs");
    addCredential("docs", "widget", kProjectToken);
    addCredential("docs", "acme-group", kGroupToken);
    const auto widget = createLinkedProject("docs", "widget", "acme/tools/widget");
    const auto lib = createLinkedProject("docs", "lib", "acme/libs/lib-core");
    ASSERT_EQ(project(widget)["repository"]["credential"], "widget");

    // Widget's own token goes: the group token covers widget, so it moves there.
    auto moved = call("DELETE", "/api/v1/teams/docs/providers/gitlab/credentials/widget");
    ASSERT_EQ(moved.status, 200) << moved.text;
    EXPECT_EQ(moved.body["moved"].size(), 1u);
    EXPECT_EQ(moved.body["moved"][0]["credential"], "acme-group");
    EXPECT_TRUE(moved.body["lost_feedback"].empty());
    EXPECT_EQ(project(widget)["repository"]["credential"], "acme-group");

    // The group token is the last: both repositories would lose feedback. Refused, listing them.
    auto refused = call("DELETE", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group");
    ASSERT_EQ(refused.status, 409) << refused.text;
    EXPECT_EQ(refused.body["error"]["code"], "credential_in_use");
    const std::string message = refused.body["error"]["message"];
    EXPECT_NE(message.find("acme/tools/widget (project widget)"), std::string::npos) << message;
    EXPECT_NE(message.find("acme/libs/lib-core (project lib)"), std::string::npos) << message;
    EXPECT_NE(message.find("?force=true"), std::string::npos) << message;
    EXPECT_EQ(refused.body["error"]["details"]["lost_feedback"].size(), 2u);
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group").status, 200);
    EXPECT_EQ(call("DELETE", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group?force=maybe").status, 400);

    auto forced = call("DELETE", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group?force=true");
    ASSERT_EQ(forced.status, 200) << forced.text;
    EXPECT_EQ(forced.body["lost_feedback"].size(), 2u);
    EXPECT_EQ(call("GET", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group").status, 404);
    EXPECT_EQ(project(lib)["repository"]["credential"], "acme-group");  // still linked, no credential
    EXPECT_EQ(call("DELETE", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group").status, 404);
}

TEST_F(Credentials, ConnectingARepositoryNoCredentialCanReportToIsRefusedWithEachReason) {
    createTeam("docs");
    connectGitlab("docs");
    addCredential("docs", "widget", kProjectToken);
    // public-stuff/site is public: forgelink-bot sees it but is no member, so cannot post.
    auto refused = call("POST", "/api/v1/teams/docs/projects",
                        {{"name", "Site"}, {"repository", {{"provider", "gitlab"}, {"path", "public-stuff/site"}}}});
    ASSERT_EQ(refused.status, 422) << refused.text;
    EXPECT_EQ(refused.body["error"]["code"], "cannot_post_status");
    const std::string message = refused.body["error"]["message"];
    EXPECT_NE(message.find("no gitlab credential of team 'docs' can post commit statuses on public-stuff/site"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("'default': "), std::string::npos) << message;
    EXPECT_NE(message.find("'widget': it is bound to project acme/tools/widget"), std::string::npos) << message;
    EXPECT_EQ(refused.body["error"]["details"]["credentials"].size(), 2u);
    EXPECT_TRUE(call("GET", "/api/v1/teams/docs/projects").body["items"].empty());

    // The report answers 200 with no serving credential.
    auto report = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories/public-stuff%2Fsite/permissions");
    ASSERT_EQ(report.status, 200) << report.text;
    EXPECT_TRUE(report.body["credential"].is_null());
    EXPECT_FALSE(report.body["post_status"]["allowed"].get<bool>());

    // A repository none of them can see: 404 from the report, naming what each said.
    auto unseen = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories/bob%2Fsecret/permissions");
    EXPECT_EQ(unseen.status, 404) << unseen.text;
    EXPECT_NE(unseen.body["error"]["message"].get<std::string>().find("'widget': "), std::string::npos) << unseen.text;
}

}  // namespace
}  // namespace forgelink::service::testing
