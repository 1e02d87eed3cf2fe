// A store with a row in every table `forgelink store copy` carries (written through the Store
// interface, as the hosts write them), and the checks that a copy of it reads back the same through
// the target's Store: the same ids, secrets that open with the key, outbox tasks that can be
// claimed, paused ones that stay paused, new ids past the copied ones. Used by the store's copy
// test (tests/core/store/store_copy_test.cpp) and the CLI's (tests/cli/store_copy_postgres_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/store.hpp"
#include "store_inputs.hpp"

namespace forgelink::store::testing {

struct CopiedStore {
    std::string token = "glpat-copied-team-token-0123456789";
    std::string webhook = "https://hooks.slack.test/services/T0/B0/copiedWXYZ";
    std::int64_t user_id = 0;
    std::int64_t team_id = 0;
    std::int64_t paused_team_id = 0;
    std::int64_t project_id = 0;
    std::int64_t odd_project_id = 0;  // named with the characters COPY's text format escapes
    std::string odd_name = "tab\there, newline\nthere, back\\slash \\N, return\r, caf\xc3\xa9";
    std::int64_t build_id = 0;
    std::vector<std::int64_t> pending_tasks;
    std::int64_t paused_task = 0;
    std::vector<std::int64_t> leased_tasks;  // in flight, leased to "source-host" for a minute
    std::int64_t notice_id = 0;
    std::int64_t audit_id = 0;
    std::int64_t api_token_id = 0;
    std::int64_t list_version = 0;
};

template <class T>
T copyMust(Result<T> result, const char* what) {
    if (!result.ok()) throw std::runtime_error(std::string(what) + ": " + result.error().message);
    return std::move(result).value();
}
inline void copyMust(Result<void> result, const char* what) {
    if (!result.ok()) throw std::runtime_error(std::string(what) + ": " + result.error().message);
}

// Fills `s` (an empty store sealing with the test's key) with a row in every copied table.
inline CopiedStore populateForCopy(Store& s, Timestamp now) {
    using namespace std::chrono_literals;
    CopiedStore c;
    const User user = copyMust(s.upsertUser({"example", "forge.test", "42", "alice", "Alice"}), "user");
    c.user_id = user.id;
    copyMust(s.createSession("copied-session-token", user.id, now + 24h), "session");
    copyMust(s.saveUserTokens({user.id, "example", "user-access-token", "user-refresh-token", now + 1h, now}), "user tokens");
    copyMust(s.saveOAuthState({"copied-state", "example", "copied-verifier", "/", now + 10min, "", 0}), "oauth state");
    // A team removed first: the copied ids have a gap, as in any installation.
    const Team gone = copyMust(s.createTeam("gone", "Gone"), "team");
    copyMust(s.deleteTeam(gone.id), "delete team");
    const Team team = copyMust(s.createTeam("core", "Core"), "team");
    const Team paused = copyMust(s.createTeam("infra", "Infra"), "team");
    c.team_id = team.id;
    c.paused_team_id = paused.id;
    copyMust(s.addTeamMember(team.id, user.id, TeamRole::owner), "member");
    copyMust(s.saveProviderSettings(exampleCredential(team.id, "default", c.token, now + 24h)), "credential");
    copyMust(s.saveProviderSettings(exampleCredential(paused.id, "default", c.token + "-infra", now + 24h)), "credential");
    copyMust(s.saveNotificationSettings(team.id, c.webhook), "webhook");
    const Project project = copyMust(s.createProject(team.id, "web", "Web"), "project");
    c.project_id = project.id;
    copyMust(s.linkRepository(exampleLink(project.id, "55", "group/web")), "link");
    const Project other = copyMust(s.createProject(paused.id, "api", c.odd_name), "project");
    c.odd_project_id = other.id;
    copyMust(s.linkRepository(exampleLink(other.id, "56", "group/api")), "link");

    auto build = [&](std::int64_t team_id, std::int64_t project_id, std::string repository) {
        BuildInput b;
        b.project_id = project_id;
        b.commit_sha = "abc123";
        b.branch = "main";
        b.mr_number = "7";
        b.head_sha = "abc123";
        b.url = "https://ci.test/1";
        std::vector<NewFeedbackTask> tasks;
        for (auto kind : {FeedbackKind::status, FeedbackKind::comment}) {
            NewFeedbackTask t;
            t.team_id = team_id;
            t.key = FeedbackKey{"example", "forge.test", repository, "abc123", "forgelink/web", kind,
                                kind == FeedbackKind::comment ? "7" : ""};
            t.payload = {{"state", "queued"}};
            tasks.push_back(std::move(t));
        }
        return copyMust(s.recordBuildChange(BuildChange{std::move(b), std::move(tasks)}), "build");
    };
    copyMust(s.saveRotationSettings(team.id, "example", "default", RotationSettings{true, 14, 90}, std::nullopt),
             "rotation");
    copyMust(s.saveTeamRefreshToken({team.id, "core", "example", "default", "https://forge.test", c.token,
                                     "team-refresh-token", now + 1h}),
             "team refresh token");
    // A build delivered already: the newest delivery per key and the comment id are remembered.
    build(team.id, project.id, "57");
    for (const auto& task : copyMust(s.claimDueTasks("source-host", now + 1s, 30s, 10), "claim"))
        copyMust(s.completeTask(task.id, "source-host", TaskCompletion{"9001", nlohmann::json::object(), {}}), "complete");
    // One in flight: its lease, held by a source host, expires on the target like any other.
    const RecordedBuild leased = build(team.id, project.id, "58");
    for (const auto& task : copyMust(s.claimDueTasks("source-host", now + 1s, 60s, 10), "claim")) c.leased_tasks.push_back(task.id);
    std::sort(c.leased_tasks.begin(), c.leased_tasks.end());
    const RecordedBuild pending = build(team.id, project.id, "55");
    c.build_id = pending.build.id;
    for (const auto& t : pending.tasks) c.pending_tasks.push_back(t.id);
    std::sort(c.pending_tasks.begin(), c.pending_tasks.end());
    const RecordedBuild held = build(paused.id, other.id, "56");
    copyMust(s.pauseTasksForTeam(paused.id, "example", "the token was refused"), "pause");
    c.paused_task = held.tasks.front().id;

    auto notice = copyMust(s.recordNotice({team.id, "example", "default", NoticeKind::token_invalid, "copied-notice",
                                           "the token was refused", nlohmann::json::object()}),
                           "notice");
    c.notice_id = notice ? notice->id : 0;
    c.audit_id = copyMust(s.recordAuditEvent({team.id, AuditActor{ActorKind::user, user.id, 0, "alice"}, "127.0.0.1",
                                              "provider_token.saved", "example", nlohmann::json::object()}),
                          "audit")
                     .id;
    ApiTokenInput token;
    token.team_id = team.id;
    token.project_id = project.id;
    token.name = "ci";
    token.lookup_key = "copied-lookup-key";
    token.secret_digest = std::string(64, 'a');
    token.created_by = "alice";
    c.api_token_id = copyMust(s.createApiToken(token), "api token").id;
    c.list_version = copyMust(s.projectListVersion(team.id), "list version");
    return c;
}

// What a copy of populateForCopy's store must read back through the target's Store `t` (opened
// with the same key) at `now`. Claims the pending feedback tasks and the notice's delivery.
inline void expectCopied(Store& t, const CopiedStore& c, Timestamp now) {
    using namespace std::chrono_literals;
    EXPECT_EQ(copyMust(t.user(c.user_id), "user").username, "alice");
    EXPECT_EQ(copyMust(t.findSession("copied-session-token", now), "session").user_id, c.user_id);
    EXPECT_EQ(copyMust(t.userTokens(c.user_id, "example"), "user tokens").refresh_token, "user-refresh-token");
    EXPECT_EQ(copyMust(t.consumeOAuthState("copied-state", now), "oauth state").code_verifier, "copied-verifier");
    EXPECT_EQ(copyMust(t.team(c.team_id), "team").slug, "core");
    EXPECT_EQ(copyMust(t.teamMember(c.team_id, c.user_id), "member").role, TeamRole::owner);
    EXPECT_EQ(copyMust(t.listTeams(), "teams").size(), 2u);
    // The sealed token, copied byte for byte, opens with the key under its row's label.
    EXPECT_EQ(copyMust(t.providerCredentials(c.team_id, "example"), "credentials").token, c.token);
    EXPECT_EQ(copyMust(t.providerCredentials(c.paused_team_id, "example"), "credentials").token, c.token + "-infra");
    EXPECT_EQ(copyMust(t.project(c.project_id), "project").slug, "web");
    EXPECT_EQ(copyMust(t.project(c.odd_project_id), "project").name, c.odd_name);
    EXPECT_EQ(copyMust(t.repositoryLink(c.project_id), "link").full_path, "group/web");
    EXPECT_EQ(copyMust(t.projectListVersion(c.team_id), "list version"), c.list_version);
    EXPECT_EQ(copyMust(t.build(c.build_id), "build").commit_sha, "abc123");
    EXPECT_TRUE(copyMust(t.providerRotation(c.team_id, "example", "default"), "rotation").settings.enabled);
    EXPECT_TRUE(copyMust(t.teamRefreshExpiry(c.team_id, "example", "default"), "refresh").has_value());
    EXPECT_EQ(copyMust(t.knownCommentId("example", "forge.test", "57", "7"), "comment id"), std::optional<std::string>("9001"));
    EXPECT_EQ(copyMust(t.listAuditEvents(c.team_id, 10), "audit").at(0).id, c.audit_id);
    EXPECT_EQ(copyMust(t.findApiToken("copied-lookup-key"), "api token").id, c.api_token_id);
    // The outbox: the pending tasks are claimable on the target, the paused team's stay paused.
    auto claimed = copyMust(t.claimDueTasks("copy-target-host", now + 1s, 10min, 10), "claim");
    std::vector<std::int64_t> ids;
    for (const auto& task : claimed) ids.push_back(task.id);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, c.pending_tasks);
    EXPECT_EQ(copyMust(t.feedbackTask(c.paused_task), "task").state, TaskState::paused);
    ASSERT_EQ(c.leased_tasks.size(), 2u);
    EXPECT_EQ(copyMust(t.feedbackTask(c.leased_tasks[0]), "task").state, TaskState::in_flight);
    auto reclaimed = copyMust(t.claimDueTasks("copy-target-host", now + 2min, 30s, 10), "claim");
    ids.clear();
    for (const auto& task : reclaimed) ids.push_back(task.id);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, c.leased_tasks) << "the source host's lease expired: its tasks are the target's to deliver";
    EXPECT_TRUE(copyMust(t.feedbackPause(c.paused_team_id, "example"), "pause").has_value());
    // The notice waits for its webhook, whose sealed URL opens too.
    auto deliveries = copyMust(t.claimNoticeDeliveries("copy-target-host", now + 1s, 30s, 10), "notices");
    ASSERT_EQ(deliveries.size(), 1u);
    EXPECT_EQ(deliveries[0].notice.id, c.notice_id);
    EXPECT_EQ(deliveries[0].webhook_url, c.webhook);
    // New rows take ids past the copied ones (PostgreSQL: the sequences were moved).
    EXPECT_GT(copyMust(t.createTeam("after-copy", "After"), "team").id, c.paused_team_id);
    EXPECT_GT(copyMust(t.createProject(c.team_id, "after-copy", "After"), "project").id, c.project_id);
    // The listing's version moves on with the new project (the target's triggers are on).
    EXPECT_GT(copyMust(t.projectListVersion(c.team_id), "list version"), c.list_version);
    EXPECT_GT(copyMust(t.recordAuditEvent({c.team_id, AuditActor{}, "", "team.renamed", "core", nlohmann::json::object()}),
                       "audit")
                  .id,
              c.audit_id);
}

// A host that keeps creating teams in `store` from its own thread, from construction (once it made
// a few) until stop(): the source of a copy taken while it changes.
class TeamWriter {
public:
    explicit TeamWriter(Store& store)
        : thread_([this, &store] {
              for (int i = 0; !stop_.load(); ++i)
                  if (store.createTeam("written-" + std::to_string(i), "Written").ok()) ++made_;
          }) {
        while (made_.load() < 5) std::this_thread::yield();
    }
    ~TeamWriter() { stop(); }
    TeamWriter(const TeamWriter&) = delete;
    TeamWriter& operator=(const TeamWriter&) = delete;

    int made() const { return made_.load(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> made_{0};
    std::thread thread_;
};

}  // namespace forgelink::store::testing
