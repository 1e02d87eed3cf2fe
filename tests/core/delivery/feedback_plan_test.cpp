#include <gtest/gtest.h>

#include "delivery/feedback_plan.hpp"

namespace forgelink::delivery {
namespace {

TEST(StatusDescription, ReadsLikeArgos) {
    EXPECT_EQ(statusDescription(BuildState::changes_detected, {3, 2, 0, 0}),
              "3 changed, 2 added \u2014 waiting for your decision");
    EXPECT_EQ(statusDescription(BuildState::no_changes, {}), "No changes detected");
    EXPECT_EQ(statusDescription(BuildState::in_progress, {}), "Build in progress\u2026");
    EXPECT_EQ(statusDescription(BuildState::changes_detected, {}), "Changes detected \u2014 waiting for your decision");
    EXPECT_EQ(statusDescription(BuildState::errored, {0, 0, 0, 2}), "Build failed: 2 failures");
    EXPECT_EQ(statusDescription(BuildState::accepted, {1, 0, 4, 0}), "1 changed, 4 removed \u2014 accepted");
}

TEST(PlanFeedbackTasks, OneStatusPerRepositoryAndOneCommentPerMergeRequest) {
    store::RepositoryLink link;
    link.project_id = 7;
    link.provider = "gitlab";
    link.instance = "gitlab.example";
    link.repository_id = "100";
    link.status_context = "forgelink/docs";
    store::BuildInput build;
    build.commit_sha = std::string(40, 'a');
    build.head_sha = std::string(40, 'b');
    build.branch = "feature";
    build.mr_number = "12";
    build.state = BuildState::changes_detected;
    build.stats = {3, 2, 0, 0};
    build.url = "https://ci.example/b/1";

    auto tasks = planFeedbackTasks(5, build, link, true);
    ASSERT_EQ(tasks.size(), 3u);
    // A status on the build's commit, and on the head the merge request shows when it differs.
    const auto& on_commit = tasks[0];
    EXPECT_EQ(on_commit.key.kind, store::FeedbackKind::status);
    EXPECT_EQ(on_commit.key.commit_sha, std::string(40, 'a'));
    EXPECT_EQ(on_commit.payload["sha"], std::string(40, 'a'));
    EXPECT_EQ(on_commit.payload["merge_request"], "12");
    EXPECT_EQ(on_commit.payload["find_head"], false) << "the caller named the head";
    const auto& status = tasks[1];
    EXPECT_EQ(status.team_id, 5);
    EXPECT_EQ(status.key.kind, store::FeedbackKind::status);
    EXPECT_EQ(status.key.commit_sha, std::string(40, 'b'));  // the head commit is what the MR shows
    EXPECT_EQ(status.key.context, "forgelink/docs");
    EXPECT_EQ(status.payload["sha"], std::string(40, 'b'));
    EXPECT_EQ(status.payload["ref"], "feature");
    EXPECT_EQ(status.payload["state"], "changes_detected");
    EXPECT_EQ(status.payload["target_url"], "https://ci.example/b/1");
    EXPECT_EQ(status.payload["description"], "3 changed, 2 added \u2014 waiting for your decision");
    EXPECT_EQ(status.payload["find_head"], false);
    const auto& comment = tasks[2];
    EXPECT_EQ(comment.key.kind, store::FeedbackKind::comment);
    EXPECT_EQ(comment.key.mr_number, "12");
    EXPECT_EQ(comment.key.commit_sha, std::string(40, 'b'));
    EXPECT_EQ(comment.key.context, "");  // one comment per MR for every project on the repository
    EXPECT_EQ(comment.payload["merge_request"], "12");

    build.mr_number.clear();
    auto unnamed = planFeedbackTasks(5, build, link, true);  // no MR named: the forge is asked at delivery
    ASSERT_EQ(unnamed.size(), 3u);
    EXPECT_EQ(unnamed[2].key.kind, store::FeedbackKind::comment);
    EXPECT_EQ(unnamed[2].key.mr_number, "");
    EXPECT_EQ(unnamed[2].payload["merge_request"], "");
    EXPECT_EQ(unnamed[2].payload["sha"], std::string(40, 'b'));

    // The MR named without its head: one status, which asks the dispatcher to find the head.
    build.mr_number = "12";
    build.head_sha.clear();
    auto find = planFeedbackTasks(5, build, link, false);
    ASSERT_EQ(find.size(), 1u);
    EXPECT_EQ(find[0].key.commit_sha, std::string(40, 'a'));
    EXPECT_EQ(find[0].payload["find_head"], true);
    build.head_sha = std::string(40, 'b');
    EXPECT_EQ(planFeedbackTasks(5, build, link, false).size(), 2u);  // feedback.comment: false
}

}  // namespace
}  // namespace forgelink::delivery
