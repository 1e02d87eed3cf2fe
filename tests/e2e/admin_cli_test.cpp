// `forgelink admin ... --host URL` against a running host: each verb's happy path (with --json, the
// API's own objects), human output, --all, the exit code and message for a wrong token, an
// unreachable host and bad input, and the README's walkthrough as a newcomer types it.
#include <gtest/gtest.h>

#include <set>

#include <sqlite3.h>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

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
    auto created = admin({"teams", "create", "--slug", "ops", "--name", "Operations", "--json"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    EXPECT_EQ(parse(created.out)["team"]["slug"], "ops") << created.out;
    auto listed = admin({"teams", "list", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    bool found = false;
    const auto teams = parse(listed.out);
    for (const auto& t : teams["items"]) found = found || t["name"] == "Operations";
    EXPECT_TRUE(found) << listed.out;

    auto set = admin({"providers", "save", "--team", "ops", "--provider", "gitlab", "--token-env", "E2E_GL_TOKEN", "--json"},
                     {{"E2E_GL_TOKEN", kGitlabBot + "\n"}});
    ASSERT_EQ(set.exit_code, 0) << set.err;
    EXPECT_EQ(parse(set.out)["settings"]["token_last4"], "1234") << set.out;
    EXPECT_FALSE(contains(set.out + set.err, kGitlabBot));
    auto show = admin({"providers", "show", "--team", "ops", "--provider", "gitlab", "--json"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_EQ(parse(show.out)["settings"]["identity"]["username"], "forgelink-bot");

    auto repos = admin({"repositories", "list", "--team", "ops", "--provider", "gitlab", "--search", "widget", "--json"});
    ASSERT_EQ(repos.exit_code, 0) << repos.err;
    ASSERT_EQ(parse(repos.out)["items"].size(), 1u) << repos.out;
    EXPECT_EQ(parse(repos.out)["items"][0]["full_path"], "acme/tools/widget");
    EXPECT_EQ(parse(repos.out)["items"][0]["namespace"], "acme/tools") << "the API's field names, unchanged";
    auto namespaces = admin({"namespaces", "list", "--team", "ops", "--provider", "gitlab", "--json"});
    ASSERT_EQ(namespaces.exit_code, 0) << namespaces.err;
    EXPECT_FALSE(parse(namespaces.out)["items"].empty()) << namespaces.out;

    auto project = admin({"projects", "create", "--team", "ops", "--name", "CLI docs", "--provider", "gitlab",
                          "--repository", "acme/tools/widget", "--json"});
    ASSERT_EQ(project.exit_code, 0) << project.err;
    const auto project_json = parse(project.out)["project"];
    EXPECT_EQ(project_json["repository"]["repository_id"], "100") << project.out;
    const std::string id = std::to_string(project_json["id"].get<long long>());
    auto projects = admin({"projects", "list", "--team", "ops", "--json"});
    ASSERT_EQ(projects.exit_code, 0) << projects.err;
    EXPECT_EQ(parse(projects.out)["items"].size(), 1u);

    auto disconnected = admin({"projects", "disconnect", "--project", id});
    ASSERT_EQ(disconnected.exit_code, 0) << disconnected.err;
    EXPECT_EQ(disconnected.out, "disconnected project " + id + " from its repository\n") << "one line, not {}";
    EXPECT_TRUE(host_->call("GET", "/api/v1/projects/" + id).body["project"]["repository"].is_null());
    auto connected =
        admin({"projects", "connect", "--project", id, "--provider", "gitlab", "--repository", "100", "--json"});
    ASSERT_EQ(connected.exit_code, 0) << connected.err;
    EXPECT_EQ(parse(connected.out)["project"]["repository"]["full_path"], "acme/tools/widget");

    auto build = admin({"builds", "create", "--project", id, "--commit", kFeatureSha, "--branch", "feature", "--state",
                        "in_progress", "--mr", "1", "--url", "https://ci.example/b/9", "--json"});
    ASSERT_EQ(build.exit_code, 0) << build.err;
    EXPECT_EQ(parse(build.out)["build"]["state"], "in_progress");
    const std::string build_id = std::to_string(parse(build.out)["build"]["id"].get<long long>());
    // Changing a build's state needs no curl.
    auto updated = admin({"builds", "update", "--project", id, "--build", build_id, "--state", "changes_detected",
                          "--changed", "2", "--added", "1", "--json"});
    ASSERT_EQ(updated.exit_code, 0) << updated.err;
    const auto build_json = parse(updated.out)["build"];
    EXPECT_EQ(build_json["state"], "changes_detected");
    EXPECT_EQ(build_json["stats"]["changed"], 2);
    EXPECT_EQ(build_json["merge_request"], "1");
    auto builds = admin({"builds", "list", "--project", id, "--json"});
    ASSERT_EQ(builds.exit_code, 0) << builds.err;
    EXPECT_EQ(parse(builds.out)["items"].size(), 1u) << builds.out;
    nlohmann::json shown;
    ASSERT_TRUE(waitUntil(
        [&] {
            auto r = admin({"builds", "show", "--project", id, "--build", build_id, "--json"});
            if (r.exit_code != 0) return false;
            shown = parse(r.out);
            // Version 1's status and comment are replaced in place when the update comes before
            // they were delivered (2 deliveries), or delivered first and followed by version 2's
            // (4): which one depends on how fast the forge answered. Either way version 2's status
            // and comment must be there and everything finished.
            int latest = 0;
            bool done = !shown["deliveries"].empty();
            for (const auto& d : shown["deliveries"]) {
                done = done && (d["state"] == "done" || d["state"] == "superseded");
                if (d["build_version"] == 2 && d["state"] == "done") ++latest;
            }
            return done && latest == 2;
        },
        std::chrono::seconds(20), std::chrono::milliseconds(200)))
        << shown.dump();
    auto statuses = gitlabStatuses(sim_->state(), kFeatureSha);
    ASSERT_FALSE(statuses.empty());
    EXPECT_EQ(statuses.back()["status"], "failed");

    auto deleted = admin({"providers", "remove", "--team", "ops", "--provider", "gitlab", "--json"});
    EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
    EXPECT_TRUE(deleted.out.empty()) << "--json: nothing on stdout when there is nothing to show";
    EXPECT_EQ(admin({"providers", "show", "--team", "ops", "--provider", "gitlab"}).exit_code, 3);
    auto gone = admin({"teams", "delete", "--team", "ops"});
    EXPECT_EQ(gone.exit_code, 0) << gone.err;
    EXPECT_EQ(host_->call("GET", "/api/v1/teams/ops").status, 404);
}

TEST_F(AdminCli, WrongOrMissingAdminTokenIsRefusedWithoutEchoingIt) {
    auto wrong = admin({"teams", "list"}, {{"FORGELINK_ADMIN_TOKEN", "e2e-not-an-admin-token"}});
    EXPECT_EQ(wrong.exit_code, 3) << wrong.out << wrong.err;
    EXPECT_TRUE(wrong.out.empty()) << wrong.out;
    EXPECT_TRUE(contains(wrong.err, "admin token was rejected")) << wrong.err;
    EXPECT_FALSE(contains(wrong.err, "authentication required")) << wrong.err;
    EXPECT_FALSE(contains(wrong.err, "e2e-not-an-admin-token"));
    auto wrong_json = admin({"teams", "list", "--json"}, {{"FORGELINK_ADMIN_TOKEN", "e2e-not-an-admin-token"}});
    EXPECT_EQ(parse(wrong_json.err)["error"]["code"], "invalid_token") << wrong_json.err;

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

    auto slug = admin({"teams", "create", "--slug", "Not A Slug", "--json"});
    EXPECT_EQ(slug.exit_code, 1) << slug.err;
    EXPECT_TRUE(contains(parse(slug.err)["error"]["message"].get<std::string>(), "slug")) << slug.err;
    auto taken = admin({"teams", "create", "--slug", "badin"});
    EXPECT_EQ(taken.exit_code, 1) << taken.err;
    EXPECT_EQ(taken.err, "forgelink admin teams create: a team with slug 'badin' already exists (conflict, HTTP 409)\n");

    auto refused = admin({"providers", "save", "--team", "badin", "--provider", "gitlab", "--token-env", "E2E_BAD", "--json"},
                         {{"E2E_BAD", kGitlabRevoked}});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_EQ(parse(refused.err)["error"]["code"], "token_revoked") << refused.err;
    EXPECT_FALSE(contains(refused.err, kGitlabRevoked));
    auto no_var = admin({"providers", "save", "--team", "badin", "--provider", "gitlab", "--token-env", "E2E_UNSET_VAR"});
    EXPECT_EQ(no_var.exit_code, 1) << no_var.err;
    EXPECT_TRUE(contains(no_var.err, "E2E_UNSET_VAR is not set")) << no_var.err;
    auto both = admin({"providers", "save", "--team", "badin", "--provider", "gitlab"});
    EXPECT_EQ(both.exit_code, 2) << both.err;
    EXPECT_TRUE(contains(both.err, "--token-env")) << both.err;
    auto argv_token = admin({"providers", "save", "--team", "badin", "--provider", "gitlab", "--token", "glpat-argv-123"});
    EXPECT_EQ(argv_token.exit_code, 2) << argv_token.err;
    EXPECT_FALSE(contains(argv_token.err, "glpat-argv-123")) << "a token on the command line is not echoed";

    auto no_team = admin({"providers", "show", "--team", "no-such-team", "--provider", "gitlab", "--json"});
    EXPECT_EQ(no_team.exit_code, 3) << no_team.err;
    EXPECT_EQ(parse(no_team.err)["error"]["code"], "not_found") << no_team.err;

    auto project = admin({"projects", "create", "--team", "badin", "--name", "Plain", "--json"});
    ASSERT_EQ(project.exit_code, 0) << project.err;
    EXPECT_EQ(parse(project.out)["warnings"][0]["code"], "unlinked") << project.out;
    auto plain = admin({"projects", "create", "--team", "badin", "--name", "Plain two"});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_TRUE(contains(plain.err, "warning: the project is not connected to a repository")) << plain.err;
    const std::string id = std::to_string(parse(project.out)["project"]["id"].get<long long>());
    auto state = admin(
        {"builds", "create", "--project", id, "--commit", kFeatureSha, "--branch", "main", "--state", "green", "--json"});
    EXPECT_EQ(state.exit_code, 1) << state.err;
    EXPECT_TRUE(contains(parse(state.err)["error"]["message"].get<std::string>(), "state")) << state.err;
    auto sha = admin(
        {"builds", "create", "--project", id, "--commit", "not-a-sha", "--branch", "main", "--state", "queued", "--json"});
    EXPECT_EQ(sha.exit_code, 1) << sha.err;
    EXPECT_TRUE(contains(parse(sha.err)["error"]["message"].get<std::string>(), "commit_sha")) << sha.err;
    auto count = admin({"builds", "create", "--project", id, "--commit", kFeatureSha, "--branch", "main", "--state",
                        "queued", "--changed", "many"});
    EXPECT_EQ(count.exit_code, 2) << count.err;

    auto missing = admin({"builds", "show", "--project", id});
    EXPECT_EQ(missing.exit_code, 2) << missing.err;
    EXPECT_TRUE(contains(missing.err, "--build")) << missing.err;
    auto resource = admin({"widgets", "list"});
    EXPECT_EQ(resource.exit_code, 2);
    EXPECT_TRUE(contains(resource.err, "unknown resource 'widgets'")) << resource.err;
    auto verb = admin({"teams", "explode"});
    EXPECT_EQ(verb.exit_code, 2);
    EXPECT_TRUE(contains(verb.err, "unknown verb 'explode'")) << verb.err;
    // Without --host: FORGELINK_HOST, here without a scheme.
    const std::string bare = host_->baseUrl().substr(std::string("http://").size());
    auto env_host = runForgelink({"admin", "teams", "list", "--json"},
                                 {{"FORGELINK_ADMIN_TOKEN", host_->adminToken()}, {"FORGELINK_HOST", bare}});
    EXPECT_EQ(env_host.exit_code, 0) << env_host.err;
    EXPECT_TRUE(parse(env_host.out).contains("items")) << env_host.out;
}

// People who logged in once, written as the host's store keeps them (this host has no OAuth app
// configured, so nobody can log in through a browser here).
void addLoggedInUser(const std::filesystem::path& database, const std::string& provider, const std::string& instance,
                     const std::string& forge_id, const std::string& username) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    const std::string values = "'" + provider + "', '" + instance + "', '" + forge_id + "', '" + username + "', '" +
                               username + "'";
    char* error = nullptr;
    const std::string insert = "INSERT INTO users (provider, instance, forge_user_id, username, name, created_at) VALUES (" +
                               values + ", 0); INSERT INTO user_identities (user_id, provider, instance, forge_user_id, "
                               "username, name, linked_at) VALUES (last_insert_rowid(), " + values + ", 0)";
    EXPECT_EQ(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
}

TEST_F(AdminCli, MembersAddTakesTheForgeUsernameAndAsksForTheProviderWhenTwoForgesHaveIt) {
    ASSERT_EQ(admin({"teams", "create", "--slug", "people"}).exit_code, 0);
    addLoggedInUser(host_->databasePath(), "gitlab", "127.0.0.1", "501", "dana");
    addLoggedInUser(host_->databasePath(), "gitlab", "127.0.0.1", "502", "lee");
    addLoggedInUser(host_->databasePath(), "github", "127.0.0.1", "9502", "lee");

    auto dana = admin({"members", "add", "--team", "people", "--username", "dana", "--role", "member", "--json"});
    ASSERT_EQ(dana.exit_code, 0) << dana.err;
    EXPECT_EQ(parse(dana.out)["member"]["username"], "dana") << dana.out;
    EXPECT_EQ(parse(dana.out)["member"]["role"], "member") << dana.out;

    auto lee = admin({"members", "add", "--team", "people", "--username", "lee", "--role", "owner"});
    EXPECT_EQ(lee.exit_code, 3) << lee.err;
    EXPECT_TRUE(contains(lee.err, "more than one user is named 'lee'")) << lee.err;
    EXPECT_TRUE(contains(lee.err, "github (127.0.0.1), gitlab (127.0.0.1)")) << lee.err;
    auto chosen =
        admin({"members", "add", "--team", "people", "--username", "lee", "--provider", "github", "--role", "owner"});
    ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
    EXPECT_TRUE(contains(chosen.out, "username: lee")) << chosen.out;
    auto members = host_->call("GET", "/api/v1/teams/people/members");
    ASSERT_EQ(members.body["items"].size(), 2u) << members.text;

    auto both = admin({"members", "add", "--team", "people", "--username", "dana", "--user-id", "1", "--role", "member"});
    EXPECT_EQ(both.exit_code, 2) << both.err;
    EXPECT_TRUE(contains(both.err, "give exactly one of --username NAME and --user-id ID")) << both.err;
    auto neither = admin({"members", "add", "--team", "people", "--role", "member"});
    EXPECT_EQ(neither.exit_code, 2) << neither.err;
    auto nobody = admin({"members", "add", "--team", "people", "--username", "nobody-here", "--role", "member"});
    EXPECT_EQ(nobody.exit_code, 3) << nobody.err;
    EXPECT_TRUE(contains(nobody.err, "no user named 'nobody-here'")) << nobody.err;
}

TEST_F(AdminCli, HumanOutputIsATableAndNothingToShowIsOneLine) {
    ASSERT_EQ(admin({"teams", "create", "--slug", "tables", "--name", "Tables team"}).exit_code, 0);
    auto listed = admin({"teams", "list"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_EQ(listed.out.rfind("SLUG", 0), 0u) << listed.out;
    EXPECT_TRUE(contains(listed.out, "\ntables ")) << listed.out;
    EXPECT_TRUE(contains(listed.out, "Tables team")) << listed.out;
    EXPECT_FALSE(contains(listed.out, "{")) << listed.out;
    auto shown = admin({"teams", "show", "--team", "tables"});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_TRUE(contains(shown.out, "slug:")) << shown.out;
    EXPECT_TRUE(contains(shown.out, "projects:")) << shown.out;
    auto gone = admin({"teams", "delete", "--team", "tables"});
    EXPECT_EQ(gone.exit_code, 0) << gone.err;
    EXPECT_EQ(gone.out, "deleted team tables\n");
}

TEST_F(AdminCli, RepositoriesAllStreamsEveryPageWithProgressOnStderr) {
    ASSERT_EQ(admin({"teams", "create", "--slug", "pages"}).exit_code, 0);
    ASSERT_EQ(admin({"providers", "save", "--team", "pages", "--provider", "gitlab", "--token-env", "E2E_GL_TOKEN"},
                    {{"E2E_GL_TOKEN", kGitlabBot}})
                  .exit_code,
              0);
    // One page per call without --all.
    auto one = admin({"repositories", "list", "--team", "pages", "--provider", "gitlab", "--json"});
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const auto first = parse(one.out);
    ASSERT_TRUE(first["next_cursor"].is_string()) << "the e2e world's 151 repositories take more than one page";
    auto all = admin({"repositories", "list", "--team", "pages", "--provider", "gitlab", "--all", "--json"});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    const auto every = parse(all.out);
    EXPECT_GT(every["items"].size(), first["items"].size());
    std::set<std::string> paths;
    for (const auto& r : every["items"]) paths.insert(r["full_path"].get<std::string>());
    EXPECT_EQ(paths.size(), every["items"].size()) << "no repository twice";
    EXPECT_TRUE(paths.count("acme/tools/widget"));
    EXPECT_TRUE(paths.count("acme/tools/page-150"));
    EXPECT_TRUE(contains(all.err, "repositories: " + std::to_string(first["items"].size()) + " fetched")) << all.err;
    EXPECT_TRUE(contains(all.err, "repositories: " + std::to_string(every["items"].size()) + " fetched")) << all.err;

    auto human = admin({"repositories", "list", "--team", "pages", "--provider", "gitlab", "--all"});
    ASSERT_EQ(human.exit_code, 0) << human.err;
    EXPECT_EQ(human.out.rfind("FULL_PATH", 0), 0u) << human.out;
    std::size_t rows = 0;
    for (char c : human.out) rows += c == '\n';
    EXPECT_EQ(rows, every["items"].size() + 1) << "one header, one line per repository";
}

}  // namespace
}  // namespace forgelink::e2e
