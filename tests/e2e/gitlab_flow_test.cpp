// Issue 5's "Done when", as a new user following the README does it: start the host, create a
// team, save a GitLab token (a bad one first), browse, create a project from a repository, post
// build states, and watch the commit status and the one MR comment appear in forge-sim.
#include <gtest/gtest.h>

#include <set>

#include <forgelink/support/http_text.hpp>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

class GitlabFlow : public ::testing::Test {
protected:
    void SetUp() override {
        sim_ = std::make_unique<sim::SimProcess>(readText(scenarioPath("e2e-world.yaml")));
        host_ = std::make_unique<Host>(HostOptions{sim_->gitlabUrl()});
        host_->start();
    }
    void TearDown() override {
        if (host_) host_->killHard();
    }

    // Waits for a build's deliveries to all be done; the last GET of the build.
    ApiReply waitDelivered(const std::string& build_path) {
        ApiReply last;
        const bool done = waitUntil(
            [&] {
                last = host_->call("GET", build_path);
                if (last.status != 200) return false;
                for (const auto& d : last.body["deliveries"])
                    if (d["state"] != "done" && d["state"] != "superseded") return false;
                return true;
            },
            20s);
        EXPECT_TRUE(done) << "deliveries not done within 20 s: " << last.text;
        return last;
    }

    std::unique_ptr<sim::SimProcess> sim_;
    std::unique_ptr<Host> host_;
};

TEST_F(GitlabFlow, NewUserGoesFromTokenToStatusAndOneUpdatedMergeRequestNote) {
    auto health = host_->call("GET", "/healthz");
    ASSERT_EQ(health.status, 200) << health.text;
    EXPECT_EQ(health.body["plugins"], nlohmann::json::array({"github", "gitlab"}));
    EXPECT_EQ(host_->call("GET", "/api/v1/teams", nullptr, "not-the-admin-token").status, 401);

    auto team = host_->call("POST", "/api/v1/teams", {{"slug", "docs"}, {"name", "Docs"}});
    ASSERT_EQ(team.status, 201) << team.text;
    EXPECT_EQ(team.body["team"]["slug"], "docs");

    // A bad token is refused with the plugin's own reason, and nothing is saved.
    struct Refusal {
        std::string token, code, says;
    };
    for (const auto& bad : {Refusal{kGitlabRevoked, "token_revoked", "was revoked"},
                            Refusal{kGitlabExpired, "token_expired", "expired"},
                            Refusal{"glpat-e2e-unknown-0000000", "token_unknown", "does not know this token"},
                            Refusal{kGitlabReadUser, "missing_scope", "api"}}) {
        auto put = host_->call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", bad.token}});
        EXPECT_EQ(put.status, 422) << bad.token << ": " << put.text;
        ASSERT_TRUE(put.body.is_object()) << put.text;
        EXPECT_EQ(put.body["error"]["code"], bad.code) << put.text;
        const std::string message = put.body["error"]["message"];
        EXPECT_TRUE(contains(message, bad.says)) << message;
        EXPECT_TRUE(contains(message, sim_->gitlabUrl())) << "names the instance and where to make a new token: " << message;
        EXPECT_FALSE(contains(put.text, bad.token)) << "the refused token is echoed: " << put.text;
    }
    EXPECT_EQ(host_->call("GET", "/api/v1/teams/docs/providers/gitlab").status, 404);

    auto saved = host_->call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kGitlabBot}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    auto shown = host_->call("GET", "/api/v1/teams/docs/providers/gitlab");
    ASSERT_EQ(shown.status, 200) << shown.text;
    const auto& settings = shown.body["settings"];
    EXPECT_EQ(settings["kind"], "personal");
    EXPECT_EQ(settings["identity"]["username"], "forgelink-bot");
    EXPECT_EQ(settings["token_last4"], "1234");
    EXPECT_EQ(settings["status"], "active");
    EXPECT_EQ(settings["base_url"], sim_->gitlabUrl());
    EXPECT_FALSE(contains(shown.text, kGitlabBot));
    EXPECT_FALSE(contains(saved.text, kGitlabBot));

    // Browsing through the saved token.
    auto namespaces = host_->call("GET", "/api/v1/teams/docs/providers/gitlab/namespaces");
    ASSERT_EQ(namespaces.status, 200) << namespaces.text;
    std::set<std::string> namespace_paths;
    for (const auto& n : namespaces.body["items"]) namespace_paths.insert(n["full_path"].get<std::string>());
    EXPECT_TRUE(namespace_paths.count("acme")) << namespaces.text;
    EXPECT_FALSE(namespace_paths.count("elsewhere")) << "a group the bot is not in";

    // "page-" matches the 150 generated projects: two forge pages, followed by the cursor.
    std::set<std::string> paged;
    std::string cursor;
    int pages = 0;
    do {
        auto page = host_->call("GET", "/api/v1/teams/docs/providers/gitlab/repositories?search=page-" +
                                           (cursor.empty() ? "" : "&cursor=" + support::urlEncode(cursor)));
        ASSERT_EQ(page.status, 200) << page.text;
        for (const auto& r : page.body["items"]) {
            const std::string path = r["full_path"];
            EXPECT_EQ(path.rfind("acme/tools/page-", 0), 0u) << path;
            EXPECT_TRUE(paged.insert(path).second) << "listed twice: " << path;
        }
        cursor = page.body["next_cursor"].is_null() ? "" : page.body["next_cursor"].get<std::string>();
        ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(paged.size(), 150u);
    EXPECT_EQ(pages, 2);

    auto widget = host_->call("GET", "/api/v1/teams/docs/providers/gitlab/repositories?search=widget");
    ASSERT_EQ(widget.status, 200) << widget.text;
    ASSERT_EQ(widget.body["items"].size(), 1u) << widget.text;
    EXPECT_EQ(widget.body["items"][0]["full_path"], "acme/tools/widget");
    EXPECT_EQ(widget.body["items"][0]["id"], "100");

    // "Create a new project -> Continue with GitLab".
    auto project = host_->call("POST", "/api/v1/teams/docs/projects",
                               {{"name", "Widget docs"},
                                {"repository", {{"provider", "gitlab"}, {"path", "acme/tools/widget"}}}});
    ASSERT_EQ(project.status, 201) << project.text;
    EXPECT_EQ(project.body["project"]["repository"]["repository_id"], "100");
    EXPECT_EQ(project.body["project"]["repository"]["status_context"], "forgelink");
    const std::string builds = "/api/v1/projects/" + std::to_string(project.body["project"]["id"].get<long long>()) + "/builds";

    auto posted = host_->call("POST", builds,
                              {{"commit_sha", kFeatureSha}, {"branch", "feature"}, {"merge_request", 1},
                               {"state", "queued"}, {"url", "https://ci.example/builds/1"}});
    ASSERT_EQ(posted.status, 202) << posted.text;
    const std::string build = builds + "/" + std::to_string(posted.body["build"]["id"].get<long long>());
    std::set<std::string> kinds;
    for (const auto& d : posted.body["deliveries"]) kinds.insert(d["kind"].get<std::string>());
    EXPECT_EQ(kinds, (std::set<std::string>{"comment", "status"})) << posted.text;

    // Each state shows on the forge before the next one is posted.
    auto latestStatus = [&] {
        auto statuses = gitlabStatuses(sim_->state(), kFeatureSha);
        return statuses.empty() ? std::string() : statuses.back()["status"].get<std::string>();
    };
    std::string note_id;
    auto waitForStep = [&](const std::string& forge_state, const std::string& label) {
        nlohmann::json state;
        const bool seen = waitUntil(
            [&] {
                state = sim_->state();
                auto statuses = gitlabStatuses(state, kFeatureSha);
                auto notes = gitlabMarkedNotes(state, 1);
                return !statuses.empty() && statuses.back()["status"] == forge_state && notes.size() == 1 &&
                       contains(notes[0]["body"], "| " + label + " |");
            },
            20s);
        ASSERT_TRUE(seen) << "waiting for " << forge_state << " / " << label << ": " << state["gitlab"].dump();
        auto notes = gitlabMarkedNotes(state, 1);
        ASSERT_EQ(notes.size(), 1u);
        const std::string id = std::to_string(notes[0]["id"].get<long long>());
        if (note_id.empty()) note_id = id;
        EXPECT_EQ(id, note_id) << "the note is updated in place, not replaced";
        EXPECT_EQ(notes[0]["author_id"], 3) << "posted as the token's user";
    };
    waitForStep("pending", "queued");
    ASSERT_EQ(host_->call("PATCH", build, {{"state", "in_progress"}}).status, 202);
    waitForStep("running", "in progress");
    auto changed = host_->call("PATCH", build,
                               {{"state", "changes_detected"}, {"stats", {{"changed", 3}, {"added", 1}}}});
    ASSERT_EQ(changed.status, 202) << changed.text;
    waitForStep("failed", "changes detected");
    EXPECT_EQ(latestStatus(), "failed");

    auto final_build = waitDelivered(build);
    EXPECT_EQ(final_build.body["build"]["state"], "changes_detected");
    EXPECT_EQ(final_build.body["build"]["version"], 3);
    bool saw_final_status = false, saw_final_comment = false;
    for (const auto& d : final_build.body["deliveries"]) {
        EXPECT_TRUE(d["last_error"].is_null()) << d.dump();
        EXPECT_GE(d["attempts"].get<int>(), 1) << d.dump();
        if (d["build_version"] != 3) continue;
        if (d["kind"] == "status") {
            saw_final_status = true;
            EXPECT_EQ(d["status_posted"], true);
            EXPECT_EQ(d["forge_state"], "failed");
            EXPECT_EQ(d["sha"], kFeatureSha);
            EXPECT_EQ(d["context"], "forgelink");
        } else {
            saw_final_comment = true;
            EXPECT_EQ(d["merge_request"], "1");
            EXPECT_EQ(d["comment_id"], note_id);
        }
    }
    EXPECT_TRUE(saw_final_status && saw_final_comment) << final_build.text;

    const auto state = sim_->state();
    const auto notes = gitlabMarkedNotes(state, 1);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_TRUE(contains(notes[0]["body"], "3 changed, 1 added")) << notes[0]["body"];
    EXPECT_TRUE(contains(notes[0]["body"], "https://ci.example/builds/1"));
    const auto statuses = gitlabStatuses(state, kFeatureSha);
    EXPECT_EQ(statuses.back()["target_url"], "https://ci.example/builds/1");
    EXPECT_EQ(statuses.back()["ref"], "feature");
    int others = 0;  // someone else's notes on the MR stay as they were
    for (const auto& n : state["gitlab"]["notes"])
        if (n["id"] == 901) others += n["body"] == "Looks good to me";
    EXPECT_EQ(others, 1);
    const auto log = sim_->requests();
    EXPECT_EQ(countRequests(log, "POST", "/merge_requests/1/notes$"), 1) << "one note created, then edited";
    EXPECT_GE(countRequests(log, "PUT", "/merge_requests/1/notes/" + note_id + "$"), 2);

    // The token is sealed at rest and never logged.
    EXPECT_EQ(host_->stop(), 0);
    EXPECT_FALSE(host_->logs().empty());
    for (const auto& secret : {kGitlabBot, kGitlabRevoked, kGitlabExpired, kGitlabReadUser, host_->adminToken()})
        EXPECT_FALSE(contains(host_->logs(), secret)) << "in the logs: " << secret.substr(0, 10);
    for (const auto& entry : std::filesystem::directory_iterator(host_->dir())) {
        if (entry.path().filename().string().rfind("forgelink.db", 0) != 0) continue;
        EXPECT_FALSE(contains(readText(entry.path().string()), kGitlabBot)) << entry.path();
    }
}

}  // namespace
}  // namespace forgelink::e2e
