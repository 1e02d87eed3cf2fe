// Builds that never finish (issue 18): the maintenance pass ends a build still queued or in
// progress feedback.build_timeout_seconds after its creation as errored, through the ordinary
// build change (its status and comment tasks), once, even with two hosts on one store; a later
// result replaces the timeout, going back to running does not. The clock is the maintenance's own.
#include <atomic>
#include <thread>

#include "service/maintenance.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

using namespace std::chrono_literals;

const std::string kSha = "af5b13261899fb2c0db30abdd0af8b07cb44fdc5";
std::string shaFor(int mr) {
    if (mr == 1) return kSha;
    const std::string n = std::to_string(mr);
    return std::string(40 - n.size(), 'b') + n;
}

class BuildTimeout : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        createTeam("docs");
        connectGitlab("docs");
        project_ = std::to_string(createLinkedProject("docs", "guide"));
    }

    // A maintenance whose clock reads `ahead` past the real one (the store stamps builds with
    // the real clock).
    std::unique_ptr<Maintenance> maintenanceAt(store::Store& store, std::chrono::milliseconds ahead,
                                               const std::string& owner = "host-a") {
        MaintenanceOptions o;
        o.owner = owner;
        o.clock = [ahead] { return store::nowTimestamp() + ahead; };
        return std::make_unique<Maintenance>(MaintenanceDeps{store, *registry_, config_, metrics_, *logger_}, o);
    }

    // Each on a commit of its own (feedback of one commit coalesces in the outbox: a newer build's
    // task takes over a waiting one of the same commit).
    std::int64_t postBuild(const std::string& state, int mr = 1) {
        auto reply = call("POST", "/api/v1/projects/" + project_ + "/builds",
                          {{"commit_sha", shaFor(mr)}, {"branch", "feature"}, {"merge_request", mr}, {"state", state},
                           {"url", "https://ci.example/builds/1"}});
        EXPECT_EQ(reply.status, 202) << reply.text;
        return reply.body["build"].value("id", std::int64_t{0});
    }

    store::Build buildOf(std::int64_t id) {
        auto b = store_->build(id);
        EXPECT_TRUE(b.ok());
        return b.ok() ? b.value() : store::Build{};
    }

    // The status task of the build's newest version.
    std::optional<store::FeedbackTask> newestStatusTask(std::int64_t build_id) {
        std::optional<store::FeedbackTask> newest;
        const std::vector<store::FeedbackTask> tasks = store_->listTasksOfBuild(build_id).value();
        for (const auto& t : tasks)
            if (t.key.kind == store::FeedbackKind::status && (!newest || t.build_version >= newest->build_version))
                newest = t;
        return newest;
    }

    std::string project_;
};

TEST_F(BuildTimeout, AStalledBuildIsEndedOnceAsErroredWithTheTimeoutInItsDescription) {
    const auto running = postBuild("in_progress");
    const auto queued = postBuild("queued", 2);
    const auto finished = postBuild("no_changes", 3);

    // Not yet: six hours less a minute.
    EXPECT_EQ(maintenanceAt(*store_, 6h - 1min)->runOnce().builds_timed_out, 0);
    EXPECT_EQ(buildOf(running).state, BuildState::in_progress);
    EXPECT_FALSE(buildOf(running).timed_out_at.has_value());

    auto late = maintenanceAt(*store_, 6h + 1min);
    EXPECT_EQ(late->runOnce().builds_timed_out, 2);
    for (const auto id : {running, queued}) {
        const auto b = buildOf(id);
        EXPECT_EQ(b.state, BuildState::errored) << "build " << id;
        EXPECT_EQ(b.version, 2);
        ASSERT_TRUE(b.timed_out_at.has_value());
        EXPECT_EQ(b.timed_out_after_seconds, 6 * 3600);
        auto status = newestStatusTask(id);
        ASSERT_TRUE(status.has_value());
        EXPECT_EQ(status->build_version, 2);
        EXPECT_EQ(status->state, store::TaskState::pending);
        EXPECT_EQ(status->payload["state"], "errored");
        EXPECT_EQ(status->payload["description"], "timed out: no result within 6 h");
        EXPECT_EQ(status->payload["sha"], shaFor(id == running ? 1 : 2));
        // The merge request's comment is updated through the same change.
        bool comment = false;
        const std::vector<store::FeedbackTask> tasks = store_->listTasksOfBuild(id).value();
        for (const auto& t : tasks)
            comment |= t.key.kind == store::FeedbackKind::comment && t.build_version == 2;
        EXPECT_TRUE(comment) << "build " << id;
    }
    EXPECT_EQ(buildOf(finished).state, BuildState::no_changes);
    EXPECT_EQ(buildOf(finished).version, 1);

    // Once: the next pass finds nothing left to end.
    EXPECT_EQ(late->runOnce().builds_timed_out, 0);
    EXPECT_EQ(buildOf(running).version, 2);

    auto shown = call("GET", "/api/v1/projects/" + project_ + "/builds/" + std::to_string(running));
    ASSERT_EQ(shown.status, 200) << shown.text;
    EXPECT_EQ(shown.body["build"]["state"], "errored");
    EXPECT_TRUE(shown.body["build"]["timed_out_at"].is_string()) << shown.text;
    EXPECT_NE(metrics_.renderPrometheus().find("forgelink_builds_timed_out_total 2"), std::string::npos) << metrics_.renderPrometheus();
}

TEST_F(BuildTimeout, TheFigureFollowsTheConfiguredTimeout) {
    config_.feedback.build_timeout_seconds = 90 * 60;
    const auto id = postBuild("in_progress");
    EXPECT_EQ(maintenanceAt(*store_, 89min)->runOnce().builds_timed_out, 0);
    EXPECT_EQ(maintenanceAt(*store_, 91min)->runOnce().builds_timed_out, 1);
    EXPECT_EQ(newestStatusTask(id)->payload["description"], "timed out: no result within 90 min");
    EXPECT_EQ(buildOf(id).timed_out_after_seconds, 5400);
}

TEST_F(BuildTimeout, TwoHostsOnOneStoreEndEachBuildOnce) {
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 12; ++i) ids.push_back(postBuild("in_progress", 10 + i));
    auto other = store::SqliteStore::open((dir_ / "forgelink.db").string(), box_);
    ASSERT_TRUE(other.ok()) << other.error().message;
    auto a = maintenanceAt(*store_, 7h, "host-a");
    auto b = maintenanceAt(*other.value(), 7h, "host-b");

    std::atomic<bool> go{false};
    MaintenancePass pass_a, pass_b;
    std::thread ta([&] { while (!go) std::this_thread::yield(); pass_a = a->runOnce(); });
    std::thread tb([&] { while (!go) std::this_thread::yield(); pass_b = b->runOnce(); });
    go = true;
    ta.join();
    tb.join();
    EXPECT_EQ(pass_a.builds_timed_out + pass_b.builds_timed_out, 12)
        << "host a ended " << pass_a.builds_timed_out << ", host b " << pass_b.builds_timed_out;
    for (const auto id : ids) {
        EXPECT_EQ(buildOf(id).state, BuildState::errored);
        EXPECT_EQ(buildOf(id).version, 2) << "build " << id << " was changed more than once";
        int errored_status_tasks = 0;
        const std::vector<store::FeedbackTask> tasks = store_->listTasksOfBuild(id).value();
        for (const auto& t : tasks)
            if (t.key.kind == store::FeedbackKind::status && t.payload["state"] == "errored") ++errored_status_tasks;
        EXPECT_EQ(errored_status_tasks, 1) << "build " << id;
    }
}

TEST_F(BuildTimeout, ALaterResultReplacesTheTimeoutButRunningAgainIsRefused) {
    const auto id = postBuild("in_progress");
    ASSERT_EQ(maintenanceAt(*store_, 7h)->runOnce().builds_timed_out, 1);
    const std::string path = "/api/v1/projects/" + project_ + "/builds/" + std::to_string(id);

    auto running = call("PATCH", path, {{"state", "in_progress"}});
    EXPECT_EQ(running.status, 409) << running.text;
    EXPECT_EQ(running.body["error"]["code"], "build_timed_out");
    const std::string message = running.body["error"]["message"];
    EXPECT_NE(message.find("timed out: no result within 6 h"), std::string::npos) << message;
    EXPECT_NE(message.find("no_changes"), std::string::npos) << message;
    EXPECT_EQ(buildOf(id).state, BuildState::errored);

    auto result = call("PATCH", path, {{"state", "no_changes"}});
    ASSERT_EQ(result.status, 202) << result.text;
    EXPECT_EQ(result.body["build"]["state"], "no_changes");
    EXPECT_TRUE(result.body["build"]["timed_out_at"].is_null()) << result.text;
    EXPECT_FALSE(buildOf(id).timed_out_at.has_value());
    EXPECT_EQ(newestStatusTask(id)->payload["state"], "no_changes");
    EXPECT_EQ(newestStatusTask(id)->payload["description"], "No changes detected");
    // A finished build is never ended again.
    EXPECT_EQ(maintenanceAt(*store_, 8h)->runOnce().builds_timed_out, 0);
}

}  // namespace
}  // namespace forgelink::service::testing
