// Builds are written with their feedback tasks (the outbox) and show their delivery state.
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

const std::string kSha = "af5b13261899fb2c0db30abdd0af8b07cb44fdc5";

class Builds : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        createTeam("docs");
        connectGitlab("docs");
        project_ = std::to_string(createLinkedProject("docs", "guide"));
    }
    nlohmann::json build(nlohmann::json extra = nlohmann::json::object()) {
        nlohmann::json body = {{"commit_sha", kSha},
                               {"branch", "feature"},
                               {"state", "changes_detected"},
                               {"stats", {{"changed", 3}, {"added", 2}, {"removed", 0}, {"failures", 0}}},
                               {"url", "https://ci.example/builds/1"}};
        for (auto& [k, v] : extra.items()) body[k] = v;
        return body;
    }
    std::string project_;
};

TEST_F(Builds, PostingABuildEnqueuesOneStatusAndOneCommentPerMergeRequest) {
    auto reply = call("POST", "/api/v1/projects/" + project_ + "/builds", build({{"merge_request", 1}}));
    ASSERT_EQ(reply.status, 202) << reply.text;
    const auto& b = reply.body["build"];
    EXPECT_EQ(b["commit_sha"], kSha);
    EXPECT_EQ(b["state"], "changes_detected");
    EXPECT_EQ(b["merge_request"], "1");
    EXPECT_EQ(b["version"], 1);
    ASSERT_EQ(reply.body["deliveries"].size(), 2u) << reply.text;

    const auto build_id = b["id"].get<std::int64_t>();
    auto tasks = store_->listTasksOfBuild(build_id);
    ASSERT_TRUE(tasks.ok());
    ASSERT_EQ(tasks.value().size(), 2u);
    const store::FeedbackTask* status = nullptr;
    const store::FeedbackTask* comment = nullptr;
    for (const auto& t : tasks.value()) (t.key.kind == store::FeedbackKind::status ? status : comment) = &t;
    ASSERT_NE(status, nullptr);
    ASSERT_NE(comment, nullptr);
    EXPECT_EQ(status->state, store::TaskState::pending);
    EXPECT_EQ(status->key.repository_id, "100");
    EXPECT_EQ(status->key.context, "forgelink");
    EXPECT_EQ(status->payload["description"], "3 changed, 2 added \u2014 waiting for your decision");
    EXPECT_EQ(status->payload["sha"], kSha);
    EXPECT_EQ(status->payload["ref"], "feature");
    EXPECT_EQ(status->payload["target_url"], "https://ci.example/builds/1");
    EXPECT_EQ(comment->key.mr_number, "1");

    auto shown = call("GET", "/api/v1/projects/" + project_ + "/builds/" + std::to_string(build_id));
    ASSERT_EQ(shown.status, 200) << shown.text;
    bool saw_status = false;
    for (const auto& d : shown.body["deliveries"]) {
        EXPECT_EQ(d["state"], "pending");
        EXPECT_EQ(d["attempts"], 0);
        if (d["kind"] == "status") {
            saw_status = true;
            EXPECT_EQ(d["status_posted"], false);
        } else {
            EXPECT_TRUE(d["comment_id"].is_null());
        }
    }
    EXPECT_TRUE(saw_status);
}

TEST_F(Builds, AStatusGoesOnTheCommitAndOnAHeadShaThatDiffers) {
    const std::string head(40, 'c');
    auto reply = call("POST", "/api/v1/projects/" + project_ + "/builds", build({{"head_sha", head}}));
    ASSERT_EQ(reply.status, 202) << reply.text;
    auto tasks = store_->listTasksOfBuild(reply.body["build"]["id"].get<std::int64_t>());
    // No merge request named: a status on each commit, and a comment task for the open MRs of the head.
    ASSERT_EQ(tasks.value().size(), 3u);
    std::set<std::string> status_commits;
    for (const auto& task : tasks.value()) {
        if (task.key.kind == store::FeedbackKind::comment) {
            EXPECT_EQ(task.key.commit_sha, head);
            EXPECT_EQ(task.key.mr_number, "");
        } else {
            status_commits.insert(task.key.commit_sha);
            EXPECT_EQ(task.payload["sha"], task.key.commit_sha);
            EXPECT_EQ(task.payload["find_head"], false) << "the caller named the head";
        }
    }
    EXPECT_EQ(status_commits, (std::set<std::string>{kSha, head}));

    // The same head as the commit: one status.
    auto same = call("POST", "/api/v1/projects/" + project_ + "/builds", build({{"head_sha", kSha}}));
    ASSERT_EQ(same.status, 202) << same.text;
    EXPECT_EQ(store_->listTasksOfBuild(same.body["build"]["id"].get<std::int64_t>()).value().size(), 2u);

    // A merge request without a head: one status, which asks the dispatcher to find the head.
    auto mr = call("POST", "/api/v1/projects/" + project_ + "/builds", build({{"merge_request", 4}}));
    ASSERT_EQ(mr.status, 202) << mr.text;
    const std::vector<store::FeedbackTask> mr_tasks = store_->listTasksOfBuild(mr.body["build"]["id"].get<std::int64_t>()).value();
    for (const auto& task : mr_tasks) {
        if (task.key.kind != store::FeedbackKind::status) continue;
        EXPECT_EQ(task.key.commit_sha, kSha);
        EXPECT_EQ(task.payload["merge_request"], "4");
        EXPECT_EQ(task.payload["find_head"], true);
    }
    EXPECT_TRUE(mr.body["build"]["merge_request_head_sha"].is_null()) << "not found on the forge yet";
}

TEST_F(Builds, PatchChangesStateAndReplacesTheWaitingTask) {
    auto created = call("POST", "/api/v1/projects/" + project_ + "/builds", build({{"state", "in_progress"}}));
    ASSERT_EQ(created.status, 202);
    const auto id = std::to_string(created.body["build"]["id"].get<std::int64_t>());
    auto patched = call("PATCH", "/api/v1/projects/" + project_ + "/builds/" + id,
                        {{"state", "no_changes"}, {"stats", {{"changed", 0}}}});
    ASSERT_EQ(patched.status, 202) << patched.text;
    EXPECT_EQ(patched.body["build"]["state"], "no_changes");
    EXPECT_EQ(patched.body["build"]["version"], 2);
    EXPECT_EQ(patched.body["build"]["stats"]["added"], 2);  // untouched fields stay
    EXPECT_EQ(patched.body["build"]["url"], "https://ci.example/builds/1");
    auto tasks = store_->listTasksOfBuild(std::stoll(id));
    ASSERT_TRUE(tasks.ok());
    std::size_t waiting = 0;
    for (const auto& t : tasks.value()) {
        if (t.state != store::TaskState::pending || t.key.kind != store::FeedbackKind::status) continue;
        ++waiting;
        EXPECT_EQ(t.payload["description"], "No changes detected");
        EXPECT_EQ(t.build_version, 2);
    }
    EXPECT_EQ(waiting, 1u);  // coalesced: one waiting status for (repository, commit, context)

    EXPECT_EQ(call("PATCH", "/api/v1/projects/" + project_ + "/builds/999", {{"state", "accepted"}}).status, 404);
    EXPECT_EQ(call("PATCH", "/api/v1/projects/" + project_ + "/builds/" + id, {{"commit_sha", kSha}}).status, 400);
    EXPECT_EQ(call("PATCH", "/api/v1/projects/" + project_ + "/builds/" + id, nlohmann::json::object()).status, 400);
}

TEST_F(Builds, EveryFieldIsValidated) {
    const std::string path = "/api/v1/projects/" + project_ + "/builds";
    auto expect400 = [&](nlohmann::json body, const std::string& field) {
        auto reply = call("POST", path, body);
        EXPECT_EQ(reply.status, 400) << body.dump() << " -> " << reply.text;
        EXPECT_NE(reply.text.find(field), std::string::npos) << reply.text;
    };
    expect400(build({{"commit_sha", "abc"}}), "commit_sha");
    expect400(build({{"commit_sha", std::string(40, 'g')}}), "commit_sha");
    expect400(build({{"head_sha", "xyz"}}), "head_sha");
    expect400(build({{"state", "done"}}), "state");
    expect400(build({{"stats", {{"changed", -1}}}}), "stats.changed");
    expect400(build({{"stats", {{"changed", 1.5}}}}), "stats.changed");
    expect400(build({{"stats", {{"renamed", 1}}}}), "stats.renamed");
    expect400(build({{"url", "javascript:alert(1)"}}), "url");
    expect400(build({{"merge_request", 0}}), "merge_request");
    expect400(build({{"merge_request", "12"}}), "merge_request");
    expect400(build({{"branch", "bad branch"}}), "branch");
    expect400(build({{"priority", 1}}), "priority");
    auto no_branch = build();
    no_branch.erase("branch");
    expect400(no_branch, "branch");
    EXPECT_EQ(call("GET", path).body["items"].size(), 0u);  // nothing was recorded
}

// Issue 22 point 10: 2^64 does not fit 64 bits, so the JSON parser reads it as a double; it was
// called "a fractional number". It is out of range, and the message says what, where and the range.
TEST_F(Builds, AnIntegerBeyond64BitsIsOutOfRangeNotFractional) {
    const std::string path = "/api/v1/projects/" + project_ + "/builds";
    auto send = [&](const std::string& number) {
        std::string text = build().dump();
        text.insert(text.size() - 1, ",\"merge_request\":" + number);
        return raw("POST", path, text,
                   {{"Authorization", std::string("Bearer ") + kAdminToken}, {"Content-Type", "application/json"}});
    };
    auto huge = send("18446744073709551616");
    ASSERT_EQ(huge.status, 400) << huge.text;
    EXPECT_EQ(huge.body["error"]["code"], "out_of_range") << huge.text;
    EXPECT_EQ(huge.body["error"]["details"]["field"], "merge_request") << huge.text;
    const std::string message = huge.body["error"]["message"];
    EXPECT_EQ(message.find("fractional"), std::string::npos) << message;
    EXPECT_NE(message.find("field 'merge_request' is out of range"), std::string::npos) << message;
    EXPECT_NE(message.find("from -9223372036854775808 to 9223372036854775807"), std::string::npos) << message;

    auto unsigned_huge = send("9223372036854775808");  // fits uint64, not int64
    EXPECT_EQ(unsigned_huge.body["error"]["code"], "out_of_range") << unsigned_huge.text;
    EXPECT_NE(unsigned_huge.text.find("got 9223372036854775808"), std::string::npos) << unsigned_huge.text;

    auto fraction = send("1.5");
    EXPECT_EQ(fraction.body["error"]["code"], "wrong_type") << fraction.text;
    EXPECT_NE(fraction.text.find("a fractional number (1.5)"), std::string::npos) << fraction.text;
    auto exponent = send("1e3");
    EXPECT_EQ(exponent.body["error"]["code"], "wrong_type") << exponent.text;
    EXPECT_NE(exponent.text.find("decimal point or an exponent (1000.0)"), std::string::npos) << exponent.text;
}

// Issue 22 point 10: a build whose feedback a newer build replaced showed "deliveries": [].
TEST_F(Builds, ASupersededBuildShowsItsDeliveriesAsSuperseded) {
    const std::string path = "/api/v1/projects/" + project_ + "/builds";
    auto first = call("POST", path, build({{"merge_request", 1}}));
    ASSERT_EQ(first.status, 202) << first.text;
    auto second = call("POST", path, build({{"merge_request", 1}}));
    ASSERT_EQ(second.status, 202) << second.text;
    const auto first_id = std::to_string(first.body["build"]["id"].get<std::int64_t>());
    const auto second_id = std::to_string(second.body["build"]["id"].get<std::int64_t>());
    auto shown = call("GET", path + "/" + first_id);
    ASSERT_EQ(shown.status, 200) << shown.text;
    const auto& deliveries = shown.body["deliveries"];
    ASSERT_EQ(deliveries.size(), 2u) << shown.text;  // the status and the comment
    for (const auto& d : deliveries) {
        EXPECT_EQ(d["state"], "superseded") << d.dump();
        EXPECT_EQ(d["last_error"], "superseded by build " + second_id + " before it was delivered") << d.dump();
    }
    // Held in a local: a range-for over call(...).body[...] iterated a member of a destroyed reply.
    auto newer = call("GET", path + "/" + second_id);
    ASSERT_EQ(newer.status, 200) << newer.text;
    for (const auto& d : newer.body["deliveries"]) EXPECT_EQ(d["state"], "pending") << d.dump();
}

// Issue 22 point 10: before=1000000000000000000 was refused (capped at INT64_MAX / 10).
TEST_F(Builds, BeforeTakesAnyBuildIdUpToInt64Max) {
    const std::string path = "/api/v1/projects/" + project_ + "/builds";
    ASSERT_EQ(call("POST", path, build()).status, 202);
    for (const std::string before : {"1000000000000000000", "9223372036854775807"}) {
        auto listed = call("GET", path + "?before=" + before);
        EXPECT_EQ(listed.status, 200) << before << ": " << listed.text;
        EXPECT_EQ(listed.body["items"].size(), 1u) << listed.text;
    }
    auto over = call("GET", path + "?before=9223372036854775808");
    EXPECT_EQ(over.status, 400) << over.text;
    EXPECT_EQ(over.body["error"]["message"], "query parameter 'before' must be an integer from 1 to 9223372036854775807")
        << over.text;
}

TEST_F(Builds, AnUnlinkedProjectRecordsTheBuildWithoutFeedback) {
    auto plain = call("POST", "/api/v1/teams/docs/projects", {{"name", "Loose"}});
    const auto id = std::to_string(plain.body["project"]["id"].get<std::int64_t>());
    auto reply = call("POST", "/api/v1/projects/" + id + "/builds", build());
    ASSERT_EQ(reply.status, 202) << reply.text;
    EXPECT_TRUE(reply.body["deliveries"].empty());
    EXPECT_EQ(reply.body["warnings"][0]["code"], "no_repository");
    auto list = call("GET", "/api/v1/projects/" + id + "/builds?limit=5");
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.body["items"].size(), 1u);
    EXPECT_EQ(call("GET", "/api/v1/projects/" + id + "/builds?limit=0").status, 400);
}

TEST_F(Builds, ABuildOfAnotherProjectIsNotFound) {
    auto other = call("POST", "/api/v1/teams/docs/projects", {{"name", "Other"}});
    const auto other_id = std::to_string(other.body["project"]["id"].get<std::int64_t>());
    auto created = call("POST", "/api/v1/projects/" + project_ + "/builds", build());
    const auto build_id = std::to_string(created.body["build"]["id"].get<std::int64_t>());
    EXPECT_EQ(call("GET", "/api/v1/projects/" + other_id + "/builds/" + build_id).status, 404);
    EXPECT_EQ(call("GET", "/api/v1/projects/" + project_ + "/builds/" + build_id).status, 200);
}

TEST_F(Builds, PausedFeedbackResumesWhenANewTokenIsSaved) {
    const auto team_id = store_->findTeamBySlug("docs").value().id;
    ASSERT_TRUE(store_->pauseTasksForTeam(team_id, "gitlab", "token revoked").ok());
    auto created = call("POST", "/api/v1/projects/" + project_ + "/builds", build());
    ASSERT_EQ(created.status, 202);
    for (const auto& d : created.body["deliveries"]) EXPECT_EQ(d["state"], "paused");
    auto shown = call("GET", "/api/v1/teams/docs/providers/gitlab");
    EXPECT_EQ(shown.body["settings"]["feedback_paused"], "token revoked");

    auto put = call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kBotToken}});
    ASSERT_EQ(put.status, 200) << put.text;
    EXPECT_EQ(put.body["settings"]["resumed_deliveries"], 2);  // the status and the comment task
    auto tasks = store_->listTasksOfBuild(created.body["build"]["id"].get<std::int64_t>());
    for (const auto& t : tasks.value()) EXPECT_EQ(t.state, store::TaskState::pending);
}

}  // namespace
}  // namespace forgelink::service::testing
