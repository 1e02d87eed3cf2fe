// Issue 17, "several credentials per forge": a team with a group token and a personal token posts
// each repository's status with the right one. forge-sim records which token posted each status
// (token_id in /_sim/state), so two tokens acting for one user could be told apart too.
#include <gtest/gtest.h>

#include "e2e_host.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

// acme holds widget and lib; the bot (Developer of acme and of other) owns the personal token;
// the group token's bot is Developer of acme only.
constexpr const char* kWorld = R"yaml(
gitlab:
  users:
    - {id: 3, username: forgelink-bot, name: Forgelink Bot}
  groups:
    - {id: 10, path: acme, visibility: private, members: {forgelink-bot: 30}}
    - {id: 11, path: libs, parent: acme, visibility: private}
    - {id: 20, path: other, visibility: private, members: {forgelink-bot: 30}}
  projects:
    - id: 100
      path: widget
      namespace: acme
      commits: [{sha: 1111111111111111111111111111111111111111, branches: [main]}]
    - id: 101
      path: lib
      namespace: acme/libs
      commits: [{sha: 2222222222222222222222222222222222222222, branches: [main]}]
    - id: 102
      path: site
      namespace: other
      commits: [{sha: 3333333333333333333333333333333333333333, branches: [main]}]
  tokens:
    - {id: 71, value: glpat-e2e-personal-0000001, user: forgelink-bot, scopes: [api], name: bot}
    - {id: 72, value: glpat-e2e-group-acme-00002, kind: group, group: acme, access_level: 30, scopes: [api], name: acme-ci}
)yaml";

class Credentials : public ::testing::Test {
protected:
    void SetUp() override {
        sim_ = std::make_unique<sim::SimProcess>(kWorld);
        host_ = std::make_unique<Host>(HostOptions{sim_->gitlabUrl()});
        host_->start();
    }
    void TearDown() override {
        if (host_) host_->killHard();
    }

    long long linkedProject(const std::string& slug, const std::string& path, const std::string& serving) {
        auto made = host_->call("POST", "/api/v1/teams/docs/projects",
                                {{"name", slug}, {"slug", slug}, {"repository", {{"provider", "gitlab"}, {"path", path}}}});
        EXPECT_EQ(made.status, 201) << made.text;
        EXPECT_EQ(made.body["project"]["repository"]["credential"], serving) << made.text;
        return made.body["project"].value("id", 0LL);
    }

    std::unique_ptr<sim::SimProcess> sim_;
    std::unique_ptr<Host> host_;
};

TEST_F(Credentials, EachRepositorysStatusIsPostedWithTheCredentialThatServesIt) {
    ASSERT_EQ(host_->call("POST", "/api/v1/teams", {{"slug", "docs"}, {"name", "Docs"}}).status, 201);
    auto personal = host_->call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", "glpat-e2e-personal-0000001"}});
    ASSERT_EQ(personal.status, 200) << personal.text;
    auto group = host_->call("PUT", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group",
                             {{"token", "glpat-e2e-group-acme-00002"}});
    ASSERT_EQ(group.status, 200) << group.text;
    EXPECT_EQ(group.body["settings"]["kind"], "group");

    const struct {
        std::string slug, path, sha, serving;
        int token_id;
    } repos[] = {{"widget", "acme/widget", "1111111111111111111111111111111111111111", "acme-group", 72},
                 {"lib", "acme/libs/lib", "2222222222222222222222222222222222222222", "acme-group", 72},
                 {"site", "other/site", "3333333333333333333333333333333333333333", "default", 71}};
    for (const auto& r : repos) {
        const auto id = linkedProject(r.slug, r.path, r.serving);
        auto posted = host_->call("POST", "/api/v1/projects/" + std::to_string(id) + "/builds",
                                  {{"commit_sha", r.sha}, {"branch", "main"}, {"state", "accepted"}});
        ASSERT_EQ(posted.status, 202) << posted.text;
    }

    nlohmann::json state;
    const bool posted = waitUntil(
        [&] {
            state = sim_->state();
            return state["gitlab"]["statuses"].size() == 3;
        },
        20s);
    ASSERT_TRUE(posted) << state.dump();
    for (const auto& r : repos) {
        bool found = false;
        for (const auto& s : state["gitlab"]["statuses"]) {
            if (s["sha"] != r.sha) continue;
            found = true;
            EXPECT_EQ(s["token_id"], r.token_id) << r.path << " was posted with the wrong token: " << s.dump();
            EXPECT_EQ(s["status"], "success");
        }
        EXPECT_TRUE(found) << r.path;
    }

    // The CLI's listing shows which credential serves what.
    auto listed = host_->call("GET", "/api/v1/teams/docs/providers/gitlab/credentials");
    ASSERT_EQ(listed.status, 200) << listed.text;
    ASSERT_EQ(listed.body["items"].size(), 2u);
    EXPECT_EQ(listed.body["items"][0]["name"], "default");
    EXPECT_EQ(listed.body["items"][0]["serves"].size(), 1u);
    EXPECT_EQ(listed.body["items"][1]["serves"].size(), 2u);
}

}  // namespace
}  // namespace forgelink::e2e
