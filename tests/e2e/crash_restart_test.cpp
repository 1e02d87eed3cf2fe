// Issue 5: "a kill -9 of the host during delivery followed by a restart, with nothing lost and
// nothing duplicated". The forge answers slowly so that deliveries are in flight when the host dies.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;

// The host's database, opened by the test while no host runs.
class Database {
public:
    explicit Database(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path);
        sqlite3_busy_timeout(db_, 5000);
    }
    ~Database() { sqlite3_close(db_); }
    std::map<std::string, int> taskStates() {
        std::map<std::string, int> counts;
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db_, "SELECT state, COUNT(*) FROM feedback_tasks GROUP BY state", -1, &s, nullptr);
        while (sqlite3_step(s) == SQLITE_ROW)
            counts[reinterpret_cast<const char*>(sqlite3_column_text(s, 0))] = sqlite3_column_int(s, 1);
        sqlite3_finalize(s);
        return counts;
    }

private:
    sqlite3* db_ = nullptr;
};

TEST(CrashRestart, KillNineDuringDeliveryThenRestartLosesNothingAndDuplicatesNoNote) {
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    Host host(HostOptions{sim.gitlabUrl()});
    host.start();
    ASSERT_EQ(host.call("POST", "/api/v1/teams", {{"slug", "crash"}}).status, 201);
    ASSERT_EQ(host.call("PUT", "/api/v1/teams/crash/providers/gitlab", {{"token", kGitlabBot}}).status, 200);
    auto project = host.call("POST", "/api/v1/teams/crash/projects",
                             {{"name", "Widget"}, {"repository", {{"provider", "gitlab"}, {"id", "100"}}}});
    ASSERT_EQ(project.status, 201) << project.text;
    const std::string builds = "/api/v1/projects/" + std::to_string(project.body["project"]["id"].get<long long>()) + "/builds";

    std::vector<Mr> mrs = {{2, "c100000000000000000000000000000000000002", "accepted", "success", "accepted"},
                           {3, "c100000000000000000000000000000000000003", "rejected", "failed", "rejected"},
                           {4, "c100000000000000000000000000000000000004", "aborted", "canceled", "aborted"},
                           {5, "c100000000000000000000000000000000000005", "no_changes", "success", "no changes"}};
    auto change = [&](const Mr& mr, const nlohmann::json& body) {
        auto r = host.call("PATCH", builds + "/" + std::to_string(mr.build), body);
        ASSERT_EQ(r.status, 202) << r.text;
    };
    for (auto& mr : mrs) {
        auto posted = host.call("POST", builds,
                                {{"commit_sha", mr.sha}, {"branch", "crash-" + std::to_string(mr.iid)},
                                 {"merge_request", mr.iid}, {"state", "queued"}});
        ASSERT_EQ(posted.status, 202) << posted.text;
        mr.build = posted.body["build"]["id"].get<long long>();
        // The first two MRs get their note before the crash: afterwards it must be edited, not
        // made again. The other two may be creating theirs when the host dies.
        if (mr.iid <= 3) {
            ASSERT_TRUE(waitUntil([&] { return gitlabMarkedNotes(sim.state(), mr.iid).size() == 1; }, 20s));
        }
    }

    // From now on every forge write takes 800 ms, so that deliveries are in flight at the kill.
    sim.faults({{"route", "POST /api/v4/projects/.*/statuses/"}, {"latency_ms", 800}});
    sim.faults({{"route", "(POST|PUT) /api/v4/projects/.*/notes"}, {"latency_ms", 800}});
    // Interleaved across the MRs, the way several CI pipelines report at once.
    for (const auto& step : std::vector<nlohmann::json>{{{"state", "in_progress"}},
                                                         {{"state", "changes_detected"}, {"stats", {{"changed", 4}}}},
                                                         {{"state", "in_progress"}}})
        for (const auto& mr : mrs) change(mr, step);
    for (const auto& mr : mrs) change(mr, {{"state", mr.final_state}, {"stats", {{"changed", 1}}}});

    std::string seen;  // what the polls saw, for the failure message
    ASSERT_TRUE(waitUntil(
        [&] {
            for (const auto& mr : mrs) {
                auto reply = host.call("GET", builds + "/" + std::to_string(mr.build));
                seen += " " + std::to_string(reply.status) + ":";
                for (const auto& d : reply.body["deliveries"]) {
                    seen += d["state"].get<std::string>().substr(0, 2) + ",";
                    if (d["state"] == "in_flight") return true;
                }
            }
            return false;
        },
        20s, 5ms))
        << "no delivery was seen in flight; polls saw" << seen.substr(seen.size() > 3000 ? seen.size() - 3000 : 0);
    host.killHard();

    {
        Database db(host.databasePath().string());
        const auto states = db.taskStates();
        const int stranded = states.count("in_flight") ? states.at("in_flight") : 0;
        // In flight a moment ago, each forge write takes 800 ms: the kill hit deliveries mid-way.
        ASSERT_GT(stranded, 0) << "the kill came between deliveries: the crash was not tested";
        RecordProperty("stranded_in_flight", stranded);
    }

    // The dead process's tasks are leased to it for 120 s. The restarted host sees that their owner
    // (this machine, a process id that no longer runs) is gone and takes them back at once: the
    // outbox drains well within the wait below, far shorter than the lease.
    host.start();  // same directory: same store, key and port
    ApiReply last;
    const bool drained = waitUntil(
        [&] {
            for (const auto& mr : mrs) {
                last = host.call("GET", builds + "/" + std::to_string(mr.build));
                if (last.status != 200) return false;
                for (const auto& d : last.body["deliveries"])
                    if (d["state"] != "done" && d["state"] != "superseded") return false;
            }
            return true;
        },
        30s, 100ms);
    ASSERT_TRUE(drained) << "the outbox did not drain after the restart: " << last.text;
    EXPECT_EQ(host.stop(), 0);

    const auto state = sim.state();
    const auto log = sim.requests();
    for (const auto& mr : mrs) {
        SCOPED_TRACE("MR !" + std::to_string(mr.iid));
        auto statuses = gitlabStatuses(state, mr.sha);
        ASSERT_FALSE(statuses.empty()) << "the commit got no status";
        EXPECT_EQ(statuses.back()["status"], mr.forge_state) << "the latest state is the final one";
        for (const auto& s : statuses) EXPECT_EQ(s["ref"], "crash-" + std::to_string(mr.iid));
        auto notes = gitlabMarkedNotes(state, mr.iid);
        ASSERT_EQ(notes.size(), 1u) << "exactly one Forgelink note: " << state["gitlab"]["notes"].dump();
        EXPECT_TRUE(contains(notes[0]["body"], "| " + mr.label + " |")) << notes[0]["body"];
        EXPECT_EQ(countRequests(log, "POST", "/merge_requests/" + std::to_string(mr.iid) + "/notes$"), 1)
            << "a note was created more than once";
    }
    int running = 0;
    for (const auto& mr : mrs) {
        auto statuses = gitlabStatuses(state, mr.sha);
        running += !statuses.empty() && statuses.back()["status"] == "running";
    }
    EXPECT_EQ(running, 0) << "a commit was left at running";

    Database db(host.databasePath().string());
    const auto states = db.taskStates();
    EXPECT_EQ(states.count("pending") + states.count("in_flight") + states.count("failed") + states.count("paused"), 0u)
        << "every task ends delivered";
    EXPECT_GT(states.count("done") ? states.at("done") : 0, 0);
}

}  // namespace
}  // namespace forgelink::e2e
