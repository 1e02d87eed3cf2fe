// Writes from many threads of one host at once (SQLite shares their transactions: group commit):
// each build change is all or nothing, every completion is kept, a lost lease fails alone, and the
// one-query listing matches the one-by-one reads.
#include <atomic>
#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class ConcurrentWritesTest : public StoreContract {
protected:
    void SetUp() override {
        StoreContract::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        team_ = must(store_->createTeam("core", "Core"));
        project_ = must(store_->createProject(team_.id, "web", "Web"));
    }

    BuildChange newBuild(const std::string& sha) {
        BuildChange change;
        change.build.project_id = project_.id;
        change.build.commit_sha = sha;
        change.build.branch = "main";
        change.build.state = BuildState::queued;
        NewFeedbackTask t;
        t.team_id = team_.id;
        t.key = FeedbackKey{"example", "forge.test", "55", sha, "forgelink/web", FeedbackKind::status, ""};
        t.payload = {{"state", "queued"}};
        change.tasks.push_back(t);
        return change;
    }

    Team team_;
    Project project_;
};

TEST_P(ConcurrentWritesTest, ConcurrentBuildChangesAreEachAllOrNothing) {
    // Half the changes name a build version that is not current: they must fail alone, without
    // taking the changes that shared their transaction with them.
    constexpr int kBuilds = 40;
    std::vector<Build> builds;
    for (int i = 0; i < kBuilds; ++i) builds.push_back(must(store_->recordBuildChange(newBuild("sha" + std::to_string(i)))).build);

    std::atomic<int> conflicts{0}, accepted{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < 8; ++w) {
        threads.emplace_back([&, w] {
            for (int i = w; i < kBuilds; i += 8) {
                BuildChange change = newBuild(builds[i].commit_sha);
                change.build.id = builds[i].id;
                change.build.state = BuildState::in_progress;
                change.build.expected_version = i % 2 == 0 ? builds[i].version : builds[i].version + 5;
                change.tasks[0].payload = {{"state", "in_progress"}};
                auto r = store_->recordBuildChange(change);
                if (r.ok()) {
                    ++accepted;
                    EXPECT_EQ(r->build.version, 2);
                    ASSERT_EQ(r->tasks.size(), 1u);
                    EXPECT_EQ(r->tasks[0].payload["state"], "in_progress");
                } else {
                    EXPECT_EQ(r.error().kind, ErrorKind::conflict) << r.error().message;
                    ++conflicts;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(accepted.load(), kBuilds / 2);
    EXPECT_EQ(conflicts.load(), kBuilds / 2);
    for (int i = 0; i < kBuilds; ++i) {
        const Build now = must(store_->build(builds[i].id));
        EXPECT_EQ(now.version, i % 2 == 0 ? 2 : 1) << "build " << i;
        EXPECT_EQ(now.state, i % 2 == 0 ? BuildState::in_progress : BuildState::queued) << "build " << i;
        auto tasks = must(store_->listTasksOfBuild(builds[i].id));
        ASSERT_EQ(tasks.size(), 1u);
        EXPECT_EQ(tasks[0].payload["state"], i % 2 == 0 ? "in_progress" : "queued") << "build " << i;
    }
}

TEST_P(ConcurrentWritesTest, CompletionsFromManyThreadsAreAllKeptAndALostLeaseFailsAlone) {
    constexpr int kTasks = 60;
    for (int i = 0; i < kTasks; ++i) must(store_->recordBuildChange(newBuild("sha" + std::to_string(i))));
    auto claimed = must(store_->claimDueTasks("me", now(), 60s, kTasks));
    ASSERT_EQ(claimed.size(), static_cast<std::size_t>(kTasks));
    std::atomic<int> ok{0}, lost{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < 6; ++w) {
        threads.emplace_back([&, w] {
            for (int i = w; i < kTasks; i += 6) {
                // Every tenth completion names an owner that does not hold the lease.
                const std::string owner = i % 10 == 0 ? "someone-else" : "me";
                auto r = store_->completeTask(claimed[i].id, owner, {"", {{"n", i}}});
                if (r.ok()) ++ok;
                else if (r.error().kind == ErrorKind::conflict) ++lost;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), kTasks - kTasks / 10);
    EXPECT_EQ(lost.load(), kTasks / 10);
    for (int i = 0; i < kTasks; ++i) {
        auto t = must(store_->feedbackTask(claimed[i].id));
        EXPECT_EQ(t.state, i % 10 == 0 ? TaskState::in_flight : TaskState::done) << "task " << i;
        if (i % 10 != 0) {
            EXPECT_EQ(t.result["n"], i);
        }
    }
}

// ---- the joined project listing -------------------------------------------------------------

TEST_P(ConcurrentWritesTest, ProjectsWithLinksMatchTheOneByOneReads) {
    const Team other = must(store_->createTeam("other", "Other"));
    must(store_->createProject(other.id, "elsewhere", "Elsewhere"));
    std::vector<Project> made{project_};
    for (const char* slug : {"zeta", "alpha", "mid", "beta"}) made.push_back(must(store_->createProject(team_.id, slug, slug)));
    // Every other project linked; two share one repository.
    for (std::size_t i = 0; i < made.size(); i += 2) {
        RepositoryLink link;
        link.project_id = made[i].id;
        link.provider = "gitlab";
        link.instance = "gitlab.test";
        link.repository_id = i < 4 ? "77" : "78";
        link.full_path = "group/repo-" + link.repository_id;
        link.web_url = "https://gitlab.test/" + link.full_path;
        link.status_context = "forgelink/" + made[i].slug;
        must(store_->linkRepository(link));
    }

    const auto listed = must(store_->listProjectsWithLinks(team_.id));
    const auto projects = must(store_->listProjects(team_.id));
    ASSERT_EQ(listed.size(), projects.size());
    ASSERT_EQ(listed.size(), made.size());
    std::size_t linked = 0;
    for (std::size_t i = 0; i < listed.size(); ++i) {
        const auto& row = listed[i];
        EXPECT_EQ(row.project.id, projects[i].id) << "same order (by slug) as listProjects";
        EXPECT_EQ(row.project.team_id, projects[i].team_id);
        EXPECT_EQ(row.project.slug, projects[i].slug);
        EXPECT_EQ(row.project.name, projects[i].name);
        EXPECT_EQ(row.project.created_at, projects[i].created_at);
        auto link = store_->repositoryLink(row.project.id);
        ASSERT_EQ(row.link.has_value(), link.ok()) << row.project.slug;
        if (!link.ok()) continue;
        ++linked;
        EXPECT_EQ(row.link->project_id, link->project_id);
        EXPECT_EQ(row.link->provider, link->provider);
        EXPECT_EQ(row.link->instance, link->instance);
        EXPECT_EQ(row.link->repository_id, link->repository_id);
        EXPECT_EQ(row.link->full_path, link->full_path);
        EXPECT_EQ(row.link->web_url, link->web_url);
        EXPECT_EQ(row.link->status_context, link->status_context);
        EXPECT_EQ(row.link->linked_at, link->linked_at);
    }
    EXPECT_EQ(linked, 3u);
    EXPECT_EQ(listed.front().project.slug, "alpha");
    EXPECT_TRUE(must(store_->listProjectsWithLinks(999)).empty());
}

INSTANTIATE_STORE_CONTRACT(ConcurrentWritesTest);

}  // namespace
}  // namespace forgelink::store::testing
