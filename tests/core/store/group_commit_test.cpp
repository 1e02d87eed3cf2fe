// The shared write transactions of the SQLite store (GroupCommit), directly and through the
// outbox methods that use them.
#include <atomic>
#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/sqlite/group_commit.hpp"
#include "store_fixture.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class GroupCommitTest : public StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        // The store created the schema; the tests below use a table of their own.
        pool_ = std::make_unique<sqlite::ConnectionPool>(dbPath(), 5000ms, 4);
        pool_->acquire()->exec("CREATE TABLE items (n INTEGER PRIMARY KEY)");
    }

    std::set<std::int64_t> storedItems() {
        auto c = pool_->acquire();
        auto s = c->prepare("SELECT n FROM items ORDER BY n");
        std::set<std::int64_t> out;
        while (s.step()) out.insert(s.int64(0));
        return out;
    }

    static void insert(sqlite::Connection& c, std::int64_t n) { c.prepare("INSERT INTO items (n) VALUES (?1)").bind(1, n).run(); }

    std::unique_ptr<sqlite::ConnectionPool> pool_;
};

TEST_F(GroupCommitTest, ConcurrentWritesShareTransactionsAndAFailureUndoesOnlyItsOwn) {
    sqlite::GroupCommit writes(*pool_);
    constexpr int kWriters = 12;
    // The first writer holds its transaction open until every other writer is about to queue, so
    // they have to wait and are then committed together. The others start only once it holds it:
    // a thread started first is not scheduled first, and writer 5 relies on row 1000 existing.
    std::latch holding(1);
    std::latch queued(kWriters - 1);
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
        writes.run([&](sqlite::Connection& c) {
            insert(c, 1000);
            holding.count_down();
            queued.wait();
            std::this_thread::sleep_for(100ms);
        });
    });
    for (int i = 1; i < kWriters; ++i) {
        threads.emplace_back([&, i] {
            holding.wait();
            queued.count_down();
            try {
                writes.run([&](sqlite::Connection& c) {
                    insert(c, i);
                    // Writer 5 inserts a second row, then fails: neither of its rows may stay.
                    if (i == 5) {
                        insert(c, 500);
                        insert(c, 1000);  // primary key taken: SQLITE_CONSTRAINT
                    }
                });
            } catch (const sqlite::SqliteError&) {
                ++failed;
            }
        });
    }
    for (auto& t : threads) t.join();

    EXPECT_EQ(failed.load(), 1);
    std::set<std::int64_t> expected{1000};
    for (int i = 1; i < kWriters; ++i)
        if (i != 5) expected.insert(i);
    EXPECT_EQ(storedItems(), expected);
    EXPECT_EQ(writes.items(), static_cast<std::size_t>(kWriters));
    // 1 transaction for the first writer, then the 11 that queued behind it in as few as one more;
    // a busy machine may let a straggler arrive late, never one transaction per writer.
    EXPECT_LE(writes.transactions(), 4u);
}

TEST_F(GroupCommitTest, WorkThatThrowsSomethingElseIsRethrownAndRolledBack) {
    sqlite::GroupCommit writes(*pool_);
    EXPECT_THROW(writes.run([&](sqlite::Connection& c) {
                     insert(c, 7);
                     throw std::runtime_error("refused by the caller");
                 }),
                 std::runtime_error);
    writes.run([&](sqlite::Connection& c) { insert(c, 8); });
    EXPECT_EQ(storedItems(), (std::set<std::int64_t>{8}));
}

TEST_F(GroupCommitTest, RunReturnsOnlyAfterTheCommitIsVisibleToOtherConnections) {
    sqlite::GroupCommit writes(*pool_);
    std::atomic<int> done{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&, i] {
            writes.run([&](sqlite::Connection& c) { insert(c, 100 + i); });
            // A connection of its own, opened afterwards, must already see it.
            sqlite::Connection fresh(dbPath(), 5000ms);
            EXPECT_TRUE(fresh.prepare("SELECT 1 FROM items WHERE n = ?1").bind(1, std::int64_t{100 + i}).step());
            ++done;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(done.load(), 6);
}

// ---- the store's outbox through shared transactions ------------------------------------------

class StoreBatchTest : public StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
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

TEST_F(StoreBatchTest, ConcurrentBuildChangesAreEachAllOrNothing) {
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

TEST_F(StoreBatchTest, CompletionsFromManyThreadsAreAllKeptAndALostLeaseFailsAlone) {
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

TEST_F(StoreBatchTest, ProjectsWithLinksMatchTheOneByOneReads) {
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

}  // namespace
}  // namespace forgelink::store::testing
