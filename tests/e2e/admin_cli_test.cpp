// `forgelink admin ... --host URL` against a running host: each subcommand's happy path, and the
// exit code and message for a wrong token, an unreachable host and bad input.
#include <gtest/gtest.h>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class AdminCli : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        sim_ = new sim::SimProcess(readText(scenarioPath("e2e-world.yaml")));
        // The admin token from the environment this time (admin.tokens_env), as README allows.
        host_ = new Host(HostOptions{sim_->gitlabUrl(), /*admin_tokens_in_env=*/true});
        host_->start();
    }
    static void TearDownTestSuite() {
        delete host_;
        delete sim_;
        host_ = nullptr;
        sim_ = nullptr;
    }

    // `forgelink admin ARGS --host URL` with the admin token (or `token`) in FORGELINK_ADMIN_TOKEN.
    test::RunResult admin(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                          const std::string& host = "") {
        args.insert(args.begin(), "admin");
        args.insert(args.end(), {"--host", host.empty() ? host_->baseUrl() : host});
        if (!env.count("FORGELINK_ADMIN_TOKEN")) env["FORGELINK_ADMIN_TOKEN"] = host_->adminToken();
        return runForgelink(args, env);
    }
    static nlohmann::json parse(const std::string& text) {
        auto json = nlohmann::json::parse(text, nullptr, false);
        return json.is_discarded() ? nlohmann::json() : json;
    }

    static sim::SimProcess* sim_;
    static Host* host_;
};

sim::SimProcess* AdminCli::sim_ = nullptr;
Host* AdminCli::host_ = nullptr;

TEST_F(AdminCli, EverySubcommandWorksAgainstTheRunningHost) {
    auto created = admin({"teams", "create", "--slug", "ops", "--name", "Operations"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    EXPECT_EQ(parse(created.out)["team"]["slug"], "ops") << created.out;
    auto listed = admin({"teams", "list"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    bool found = false;
    const auto teams = parse(listed.out);
    for (const auto& t : teams["items"]) found = found || t["name"] == "Operations";
    EXPECT_TRUE(found) << listed.out;

    auto set = admin({"providers", "set", "--team", "ops", "--provider", "gitlab", "--token-env", "E2E_GL_TOKEN"},
                     {{"E2E_GL_TOKEN", kGitlabBot + "\n"}});
    ASSERT_EQ(set.exit_code, 0) << set.err;
    EXPECT_EQ(parse(set.out)["settings"]["token_last4"], "1234") << set.out;
    EXPECT_FALSE(contains(set.out + set.err, kGitlabBot));
    auto show = admin({"providers", "show", "--team", "ops", "--provider", "gitlab"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_EQ(parse(show.out)["settings"]["identity"]["username"], "forgelink-bot");

    auto repos = admin({"repos", "list", "--team", "ops", "--provider", "gitlab", "--search", "widget"});
    ASSERT_EQ(repos.exit_code, 0) << repos.err;
    ASSERT_EQ(parse(repos.out)["items"].size(), 1u) << repos.out;
    EXPECT_EQ(parse(repos.out)["items"][0]["full_path"], "acme/tools/widget");

    auto project = admin({"projects", "create", "--team", "ops", "--name", "CLI docs", "--provider", "gitlab",
                          "--repository", "acme/tools/widget"});
    ASSERT_EQ(project.exit_code, 0) << project.err;
    const auto project_json = parse(project.out)["project"];
    EXPECT_EQ(project_json["repository"]["repository_id"], "100") << project.out;
    const std::string id = std::to_string(project_json["id"].get<long long>());
    auto projects = admin({"projects", "list", "--team", "ops"});
    ASSERT_EQ(projects.exit_code, 0) << projects.err;
    EXPECT_EQ(parse(projects.out)["items"].size(), 1u);

    auto disconnected = admin({"projects", "disconnect", "--project", id});
    ASSERT_EQ(disconnected.exit_code, 0) << disconnected.err;
    EXPECT_EQ(parse(disconnected.out), nlohmann::json::object());
    EXPECT_TRUE(host_->call("GET", "/api/v1/projects/" + id).body["project"]["repository"].is_null());
    auto connected = admin({"projects", "connect", "--project", id, "--provider", "gitlab", "--repository", "100"});
    ASSERT_EQ(connected.exit_code, 0) << connected.err;
    EXPECT_EQ(parse(connected.out)["project"]["repository"]["full_path"], "acme/tools/widget");

    auto build = admin({"builds", "post", "--project", id, "--commit", kFeatureSha, "--branch", "feature", "--state",
                        "changes_detected", "--mr", "1", "--changed", "2", "--added", "1", "--url",
                        "https://ci.example/b/9"});
    ASSERT_EQ(build.exit_code, 0) << build.err;
    const auto build_json = parse(build.out)["build"];
    EXPECT_EQ(build_json["state"], "changes_detected");
    EXPECT_EQ(build_json["stats"]["changed"], 2);
    EXPECT_EQ(build_json["merge_request"], "1");
    const std::string build_id = std::to_string(build_json["id"].get<long long>());
    nlohmann::json shown;
    ASSERT_TRUE(waitUntil(
        [&] {
            auto r = admin({"builds", "show", "--project", id, "--build", build_id});
            if (r.exit_code != 0) return false;
            shown = parse(r.out);
            bool done = shown["deliveries"].size() == 2;
            for (const auto& d : shown["deliveries"]) done = done && d["state"] == "done";
            return done;
        },
        std::chrono::seconds(20), std::chrono::milliseconds(200)))
        << shown.dump();
    auto statuses = gitlabStatuses(sim_->state(), kFeatureSha);
    ASSERT_FALSE(statuses.empty());
    EXPECT_EQ(statuses.back()["status"], "failed");

    auto deleted = admin({"providers", "delete", "--team", "ops", "--provider", "gitlab"});
    EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
    EXPECT_EQ(admin({"providers", "show", "--team", "ops", "--provider", "gitlab"}).exit_code, 3);
    auto gone = admin({"teams", "delete", "--team", "ops"});
    EXPECT_EQ(gone.exit_code, 0) << gone.err;
    EXPECT_EQ(host_->call("GET", "/api/v1/teams/ops").status, 404);
}

TEST_F(AdminCli, WrongOrMissingAdminTokenIsRefusedWithoutEchoingIt) {
    auto wrong = admin({"teams", "list"}, {{"FORGELINK_ADMIN_TOKEN", "e2e-not-an-admin-token"}});
    EXPECT_EQ(wrong.exit_code, 3) << wrong.out << wrong.err;
    EXPECT_TRUE(wrong.out.empty()) << wrong.out;
    EXPECT_FALSE(parse(wrong.err)["error"]["code"].get<std::string>().empty()) << wrong.err;
    EXPECT_FALSE(contains(wrong.err, "e2e-not-an-admin-token"));

    auto unset = runForgelink({"admin", "teams", "list", "--host", host_->baseUrl()}, {}, {"FORGELINK_ADMIN_TOKEN"});
    EXPECT_EQ(unset.exit_code, 2) << unset.err;
    EXPECT_TRUE(contains(unset.err, "FORGELINK_ADMIN_TOKEN")) << unset.err;
}

TEST_F(AdminCli, UnreachableHostIsExitFourNamingTheProblem) {
    const std::string nowhere = "http://127.0.0.1:" + std::to_string(freeLoopbackPort());
    auto r = admin({"teams", "list"}, {}, nowhere);
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_TRUE(r.out.empty());
    EXPECT_TRUE(contains(r.err, "forgelink admin teams list: ")) << r.err;
    EXPECT_FALSE(contains(r.err, host_->adminToken()));
}

TEST_F(AdminCli, BadInputGetsTheRightExitCodeAndMessage) {
    ASSERT_EQ(admin({"teams", "create", "--slug", "badin"}).exit_code, 0);

    auto slug = admin({"teams", "create", "--slug", "Not A Slug"});
    EXPECT_EQ(slug.exit_code, 1) << slug.err;
    EXPECT_TRUE(contains(parse(slug.err)["error"]["message"].get<std::string>(), "slug")) << slug.err;
    auto taken = admin({"teams", "create", "--slug", "badin"});
    EXPECT_EQ(taken.exit_code, 1) << taken.err;
    EXPECT_EQ(parse(taken.err)["error"]["code"], "conflict") << taken.err;

    auto refused = admin({"providers", "set", "--team", "badin", "--provider", "gitlab", "--token-env", "E2E_BAD"},
                         {{"E2E_BAD", kGitlabRevoked}});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_EQ(parse(refused.err)["error"]["code"], "token_revoked") << refused.err;
    EXPECT_FALSE(contains(refused.err, kGitlabRevoked));
    auto no_var = admin({"providers", "set", "--team", "badin", "--provider", "gitlab", "--token-env", "E2E_UNSET_VAR"});
    EXPECT_EQ(no_var.exit_code, 2) << no_var.err;
    EXPECT_TRUE(contains(no_var.err, "E2E_UNSET_VAR is not set")) << no_var.err;
    auto both = admin({"providers", "set", "--team", "badin", "--provider", "gitlab"});
    EXPECT_EQ(both.exit_code, 2) << both.err;
    EXPECT_TRUE(contains(both.err, "--token-env")) << both.err;
    auto argv_token = admin({"providers", "set", "--team", "badin", "--provider", "gitlab", "--token", "glpat-argv-123"});
    EXPECT_EQ(argv_token.exit_code, 2) << argv_token.err;
    EXPECT_FALSE(contains(argv_token.err, "glpat-argv-123")) << "a token on the command line is not echoed";

    auto no_team = admin({"providers", "show", "--team", "no-such-team", "--provider", "gitlab"});
    EXPECT_EQ(no_team.exit_code, 3) << no_team.err;
    EXPECT_EQ(parse(no_team.err)["error"]["code"], "not_found") << no_team.err;

    auto project = admin({"projects", "create", "--team", "badin", "--name", "Plain"});
    ASSERT_EQ(project.exit_code, 0) << project.err;
    const std::string id = std::to_string(parse(project.out)["project"]["id"].get<long long>());
    auto state = admin({"builds", "post", "--project", id, "--commit", kFeatureSha, "--branch", "main", "--state", "green"});
    EXPECT_EQ(state.exit_code, 1) << state.err;
    EXPECT_TRUE(contains(parse(state.err)["error"]["message"].get<std::string>(), "state")) << state.err;
    auto sha = admin({"builds", "post", "--project", id, "--commit", "not-a-sha", "--branch", "main", "--state", "queued"});
    EXPECT_EQ(sha.exit_code, 1) << sha.err;
    EXPECT_TRUE(contains(parse(sha.err)["error"]["message"].get<std::string>(), "commit_sha")) << sha.err;
    auto count = admin({"builds", "post", "--project", id, "--commit", kFeatureSha, "--branch", "main", "--state",
                        "queued", "--changed", "many"});
    EXPECT_EQ(count.exit_code, 2) << count.err;

    auto missing = admin({"builds", "show", "--project", id});
    EXPECT_EQ(missing.exit_code, 2) << missing.err;
    EXPECT_TRUE(contains(missing.err, "--build is required")) << missing.err;
    auto resource = admin({"widgets", "list"});
    EXPECT_EQ(resource.exit_code, 2);
    EXPECT_TRUE(contains(resource.err, "unknown resource 'widgets'")) << resource.err;
    auto verb = admin({"teams", "explode"});
    EXPECT_EQ(verb.exit_code, 2);
    EXPECT_TRUE(contains(verb.err, "unknown verb 'explode'")) << verb.err;
    auto no_host = runForgelink({"admin", "teams", "list"}, {{"FORGELINK_ADMIN_TOKEN", host_->adminToken()}});
    EXPECT_EQ(no_host.exit_code, 2) << no_host.err;
    EXPECT_TRUE(contains(no_host.err, "host")) << no_host.err;
}

}  // namespace
}  // namespace forgelink::e2e
