// Issue 6: the service API works the same with provider github: a team's GitHub token, a project
// connected to a repository, builds whose status and one PR comment appear once in forge-sim.
#include <gtest/gtest.h>

#include <set>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

std::vector<nlohmann::json> githubStatuses(const nlohmann::json& state, const std::string& sha) {
    std::vector<nlohmann::json> out;
    for (const auto& s : state["github"]["statuses"])
        if (s["sha"] == sha && s["context"] == "forgelink") out.push_back(s);
    return out;
}

std::vector<nlohmann::json> githubMarkedComments(const nlohmann::json& state, int issue) {
    std::vector<nlohmann::json> out;
    for (const auto& c : state["github"]["comments"])
        if (c["issue"] == issue && contains(c["body"], kMarker)) out.push_back(c);
    return out;
}

TEST(GithubFlow, TeamTokenProjectAndBuildsPostOneStatusAndOnePullRequestComment) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    Host host;  // no providers.github in the config: the base URL comes with the token, as for GHES
    host.start();
    const std::string base_url = sim.githubUrl();

    ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", "web"}}).status, 201);
    auto no_base = host.call("PUT", "/api/v1/teams/web/providers/github", {{"token", kGithubAlice}});
    EXPECT_EQ(no_base.status, 400) << no_base.text;
    EXPECT_TRUE(contains(no_base.text, "base_url")) << no_base.text;

    for (const auto& bad : {kGithubExpired, kGithubReadUser, std::string("ghp_e2eUnknown000000000000000000000000000")}) {
        auto put = host.call("PUT", "/api/v1/teams/web/providers/github", {{"token", bad}, {"base_url", base_url}});
        EXPECT_EQ(put.status, 422) << put.text;
        ASSERT_TRUE(put.body.is_object()) << put.text;
        EXPECT_FALSE(put.body["error"]["message"].get<std::string>().empty());
        EXPECT_FALSE(contains(put.text, bad));
    }
    EXPECT_EQ(host.call("PUT", "/api/v1/teams/web/providers/github", {{"token", kGithubReadUser}, {"base_url", base_url}})
                  .body["error"]["code"],
              "missing_scope");
    EXPECT_EQ(host.call("GET", "/api/v1/teams/web/providers/github").status, 404);

    auto saved = host.call("PUT", "/api/v1/teams/web/providers/github", {{"token", kGithubAlice}, {"base_url", base_url}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    auto shown = host.call("GET", "/api/v1/teams/web/providers/github");
    ASSERT_EQ(shown.status, 200) << shown.text;
    EXPECT_EQ(shown.body["settings"]["token_last4"], "5678");
    EXPECT_EQ(shown.body["settings"]["identity"]["username"], "alice");
    EXPECT_EQ(shown.body["settings"]["kind"], "personal");
    EXPECT_EQ(shown.body["settings"]["provider"], "github");
    EXPECT_FALSE(contains(shown.text, kGithubAlice));

    auto repos = host.call("GET", "/api/v1/teams/web/providers/github/repositories");
    ASSERT_EQ(repos.status, 200) << repos.text;
    std::set<std::string> paths;
    for (const auto& r : repos.body["items"]) paths.insert(r["full_path"].get<std::string>());
    EXPECT_TRUE(paths.count("acme/widget")) << repos.text;
    auto permissions = host.call("GET", "/api/v1/teams/web/providers/github/repositories/acme%2Fwidget/permissions");
    ASSERT_EQ(permissions.status, 200) << permissions.text;
    EXPECT_EQ(permissions.body["post_status"]["allowed"], true);
    EXPECT_EQ(permissions.body["comment"]["allowed"], true);

    // A project made first, connected to the repository afterwards ("Project settings -> Connect").
    auto project = host.call("POST", "/api/v1/teams/web/projects", {{"name", "Storefront"}});
    ASSERT_EQ(project.status, 201) << project.text;
    EXPECT_TRUE(project.body["project"]["repository"].is_null());
    const std::string id = std::to_string(project.body["project"]["id"].get<long long>());
    auto connected = host.call("PUT", "/api/v1/projects/" + id + "/repository",
                               {{"provider", "github"}, {"repository", "acme/widget"}});
    ASSERT_EQ(connected.status, 200) << connected.text;
    EXPECT_EQ(connected.body["project"]["repository"]["provider"], "github");
    EXPECT_EQ(connected.body["project"]["repository"]["repository_id"], "515435682");

    auto posted = host.call("POST", "/api/v1/projects/" + id + "/builds",
                            {{"commit_sha", kGithubFixSha}, {"branch", "fix"}, {"merge_request", 7}, {"state", "queued"}});
    ASSERT_EQ(posted.status, 202) << posted.text;
    const std::string build = "/api/v1/projects/" + id + "/builds/" + std::to_string(posted.body["build"]["id"].get<long long>());
    nlohmann::json state;
    ASSERT_TRUE(waitUntil(
        [&] {
            state = sim.state();
            return githubStatuses(state, kGithubFixSha).size() == 1 && githubMarkedComments(state, 7).size() == 1;
        },
        20s))
        << state["github"].dump();
    EXPECT_EQ(githubStatuses(state, kGithubFixSha)[0]["state"], "pending");
    const auto comment_id = githubMarkedComments(state, 7)[0]["id"];

    ASSERT_EQ(host.call("PATCH", build, {{"state", "accepted"}, {"stats", {{"changed", 2}}}}).status, 202);
    ApiReply shown_build;
    ASSERT_TRUE(waitUntil(
        [&] {
            shown_build = host.call("GET", build);
            bool done = shown_build.status == 200;
            for (const auto& d : shown_build.body["deliveries"]) done = done && (d["state"] == "done" || d["state"] == "superseded");
            return done;
        },
        20s))
        << shown_build.text;
    for (const auto& d : shown_build.body["deliveries"]) {
        if (d["build_version"] != 2) continue;
        if (d["kind"] == "status") EXPECT_EQ(d["forge_state"], "success") << d.dump();
        else EXPECT_EQ(d["comment_id"], std::to_string(comment_id.get<long long>())) << d.dump();
    }

    state = sim.state();
    auto statuses = githubStatuses(state, kGithubFixSha);
    ASSERT_EQ(statuses.size(), 2u) << "one status per state change, nothing repeated: " << state["github"].dump();
    EXPECT_EQ(statuses.back()["state"], "success");
    auto comments = githubMarkedComments(state, 7);
    ASSERT_EQ(comments.size(), 1u);
    EXPECT_EQ(comments[0]["id"], comment_id) << "edited in place";
    EXPECT_TRUE(contains(comments[0]["body"], "accepted")) << comments[0]["body"];
    int carol = 0;
    for (const auto& c : state["github"]["comments"]) carol += c["id"] == 1001 && c["body"] == "LGTM";
    EXPECT_EQ(carol, 1) << "someone else's comment is left alone";
    const auto log = sim.requests();
    EXPECT_EQ(countRequests(log, "POST", "/repos/acme/widget/issues/7/comments$"), 1);
    EXPECT_GE(countRequests(log, "PATCH", "/repos/acme/widget/issues/comments/"), 1);

    EXPECT_EQ(host.stop(), 0);
    for (const auto& secret : {kGithubAlice, kGithubExpired, kGithubReadUser})
        EXPECT_FALSE(contains(host.logs(), secret)) << "in the logs: " << secret.substr(0, 10);
}

}  // namespace
}  // namespace forgelink::e2e
