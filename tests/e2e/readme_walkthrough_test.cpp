// The README's walkthrough ("Try it with forgelink admin"), command by command as a newcomer types
// them, against forge-sim on tests/sim/scenarios/gitlab-basic.yaml and a real `forgelink serve`:
// team -> provider token -> project from a repository -> build -> status and comment on the forge.
// Keep the two in step: each step here is a line of the README.
#include <gtest/gtest.h>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

// The commit and merge request !1 of acme/tools/widget in gitlab-basic.yaml.
const std::string kSha = "af5b13261899fb2c0db30abdd0af8b07cb44fdc5";

TEST(ReadmeWalkthrough, TheSeedFlowWithForgelinkAdminAlone) {
    sim::SimProcess sim(sim::SimProcess::scenarioFile("gitlab-basic.yaml"));
    Host host;  // no providers.gitlab.base_url: the walkthrough passes --base-url
    host.start();
    // export FORGELINK_ADMIN_TOKEN=$(cat var/admin-tokens); export GL_TOKEN=glpat-readme-bot-00000000
    const std::map<std::string, std::string> env = {{"FORGELINK_ADMIN_TOKEN", host.adminToken()},
                                                     {"FORGELINK_HOST", host.baseUrl()},
                                                     {"GL_TOKEN", "glpat-readme-bot-00000000"}};
    auto admin = [&](std::vector<std::string> words) {
        words.insert(words.begin(), "admin");
        auto r = runForgelink(words, env);
        EXPECT_EQ(r.exit_code, 0) << "forgelink admin ...: " << r.out << r.err;
        return r;
    };

    auto team = admin({"teams", "create", "--slug", "docs", "--name", "Docs team"});
    EXPECT_TRUE(contains(team.out, "slug:")) << team.out;

    auto token = admin({"providers", "save", "--team", "docs", "--provider", "gitlab", "--token-env", "GL_TOKEN",
                        "--base-url", sim.gitlabUrl()});
    EXPECT_TRUE(contains(token.out, "identity.username:")) << token.out;
    EXPECT_TRUE(contains(token.out, "forgelink-bot")) << token.out;
    EXPECT_FALSE(contains(token.out + token.err, "glpat-readme-bot")) << "the token is never shown";
    // The README's token carries the scopes Forgelink recommends: no warning on every save.
    EXPECT_FALSE(contains(token.out + token.err, "missing_optional_scope")) << token.out << token.err;
    EXPECT_TRUE(token.err.empty()) << token.err;

    auto repositories = admin({"repositories", "list", "--team", "docs", "--provider", "gitlab", "--all"});
    EXPECT_TRUE(contains(repositories.out, "acme/tools/widget")) << repositories.out;
    EXPECT_TRUE(contains(repositories.err, "repositories: ")) << repositories.err;

    auto project = admin({"projects", "create", "--team", "docs", "--name", "Widget", "--provider", "gitlab",
                          "--repository", "acme/tools/widget"});
    EXPECT_TRUE(contains(project.out, "repository.full_path:")) << project.out;
    EXPECT_TRUE(contains(project.out, "\nid:")) << project.out;
    auto projects = admin({"projects", "list", "--team", "docs"});
    EXPECT_TRUE(contains(projects.out, "\n1 ")) << "the first project of a fresh host is project 1: " << projects.out;

    auto started = admin({"builds", "create", "--project", "1", "--commit", kSha, "--branch", "feature", "--mr", "1",
                          "--state", "in_progress"});
    EXPECT_TRUE(contains(started.out, "state:") && contains(started.out, "in_progress")) << started.out;
    auto finished = admin({"builds", "update", "--project", "1", "--build", "1", "--state", "changes_detected",
                           "--changed", "3"});
    EXPECT_TRUE(contains(finished.out, "changes_detected")) << finished.out;

    // forgelink admin builds show --project 1 --build 1: every delivery (status and comment of each
    // change) done.
    std::string shown;
    EXPECT_TRUE(waitUntil(
        [&] {
            shown = runForgelink({"admin", "builds", "show", "--project", "1", "--build", "1"}, env).out;
            std::size_t done = 0;
            for (auto at = shown.find(" done "); at != std::string::npos; at = shown.find(" done ", at + 1)) ++done;
            return done >= 2 && !contains(shown, " pending ") && !contains(shown, " in_flight ") &&
                   !contains(shown, " failed ");
        },
        std::chrono::seconds(30), std::chrono::milliseconds(200)))
        << shown;

    // What the forge shows: the commit status and the one comment on MR !1.
    const auto state = sim.state();
    bool status = false;
    for (const auto& s : state["gitlab"]["statuses"])
        status = status || (s["sha"] == kSha && s["name"] == "forgelink" && s["status"] == "failed");
    EXPECT_TRUE(status) << state["gitlab"]["statuses"].dump();
    int comments = 0;
    for (const auto& n : state["gitlab"]["notes"])
        comments += n["project_id"] == 100 && n["mr_iid"] == 1 &&
                    n["body"].get<std::string>().find("<!-- forgelink:instance=") != std::string::npos;
    EXPECT_EQ(comments, 1) << state["gitlab"]["notes"].dump();
}

}  // namespace
}  // namespace forgelink::e2e

namespace forgelink::e2e {
namespace {

// What a forge sends is shown, never obeyed: a group named with an escape sequence and CR/LF
// cannot clear the screen or forge a line of `forgelink admin`'s tables.
TEST(AdminHumanOutput, ControlCharactersFromTheForgeAreShownEscaped) {
    std::string scenario = sim::SimProcess::scenarioFile("gitlab-basic.yaml");
    const std::string plain = "name: ACME,";
    ASSERT_NE(scenario.find(plain), std::string::npos);
    scenario.replace(scenario.find(plain), plain.size(), "name: \"ACME\\e[2J\\r\\nforged line\",");
    sim::SimProcess sim(scenario);
    Host host;
    host.start();
    const std::map<std::string, std::string> env = {{"FORGELINK_ADMIN_TOKEN", host.adminToken()},
                                                     {"FORGELINK_HOST", host.baseUrl()},
                                                     {"GL_TOKEN", "glpat-readme-bot-00000000"}};
    ASSERT_EQ(runForgelink({"admin", "teams", "create", "--slug", "esc"}, env).exit_code, 0);
    auto saved = runForgelink({"admin", "providers", "save", "--team", "esc", "--provider", "gitlab", "--token-env",
                               "GL_TOKEN", "--base-url", sim.gitlabUrl()},
                              env);
    ASSERT_EQ(saved.exit_code, 0) << saved.err;
    auto listed = runForgelink({"admin", "namespaces", "list", "--team", "esc", "--provider", "gitlab"}, env);
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_TRUE(contains(listed.out, "ACME\\x1b[2J\\r\\nforged line")) << listed.out;
    EXPECT_EQ(listed.out.find('\x1b'), std::string::npos) << listed.out;
    EXPECT_EQ(listed.out.find('\r'), std::string::npos) << listed.out;
    EXPECT_EQ(listed.out.find("\nforged line"), std::string::npos) << listed.out;
    // --json is the API's object: the name as the forge gave it, escaped by JSON itself.
    auto json = runForgelink({"admin", "namespaces", "list", "--team", "esc", "--provider", "gitlab", "--json"}, env);
    ASSERT_EQ(json.exit_code, 0) << json.err;
    bool found = false;
    const auto answer = nlohmann::json::parse(json.out);
    for (const auto& ns : answer["items"]) found = found || ns["name"] == "ACME\x1b[2J\r\nforged line";
    EXPECT_TRUE(found) << json.out;
}

}  // namespace
}  // namespace forgelink::e2e
