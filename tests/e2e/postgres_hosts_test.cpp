// Several `forgelink serve` hosts on one PostgreSQL database (issue 16), against the throwaway
// server ctest starts (fixture 'postgres'): what one host writes the others read; build changes
// posted through every host at once are each delivered, with one comment per merge request and no
// status left at running, while one host is killed with kill -9 and restarted and PostgreSQL itself
// restarts; then `forgelink rekey` re-seals the team's token in the database and a host on the new
// key still uses it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "e2e_host.hpp"
#include "e2e_world.hpp"
#include "pg_test_server.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;
namespace pgt = store::pg::testing;

// Every host of one installation has the same server.instance_id: it marks the installation's
// comments on the forge (so that hosts edit each other's comment), not the process.
HostOptions onPostgres(const pgt::TestDatabase& db, const std::string& gitlab_url) {
    HostOptions o;
    o.gitlab_base_url = gitlab_url;
    o.postgres_url = db.options().conninfo;
    o.postgres_password = pgt::testServer().password;
    // instance_id: the default ("e2e") on every host.
    return o;
}

// A call that may meet the database restarting: 503 store_unavailable is an answer to retry.
ApiReply callThroughRestarts(const Host& host, const std::string& method, const std::string& path,
                             const nlohmann::json& body = nullptr) {
    ApiReply reply;
    for (int attempt = 0; attempt < 100; ++attempt) {
        reply = host.call(method, path, body);
        if (reply.status != 503 && reply.status != 0) return reply;
        std::this_thread::sleep_for(100ms);
    }
    return reply;
}

TEST(PostgresHosts, ThreeHostsShareOneDatabaseAndDeliverEveryChangeOnceThroughAKillAndADatabaseRestart) {
    if (!pgt::haveTestServer()) return;
    pgt::TestDatabase db;
    sim::SimProcess sim(readText(scenarioPath("e2e-world.yaml")));
    Host a(onPostgres(db, sim.gitlabUrl()));
    a.start();
    HostOptions ob = onPostgres(db, sim.gitlabUrl());
    ob.share_store_of = &a;
    Host b(ob);
    b.start();
    HostOptions oc = onPostgres(db, sim.gitlabUrl());
    oc.share_store_of = &a;
    Host c(oc);
    c.start();
    std::vector<Host*> hosts = {&a, &b, &c};

    // Written through one host, read through the others.
    ASSERT_EQ(a.call("POST", "/api/v1/teams", {{"slug", "pg"}}).status, 201);
    auto saved = b.call("PUT", "/api/v1/teams/pg/providers/gitlab", {{"token", kGitlabBot}});
    ASSERT_EQ(saved.status, 200) << saved.text;
    auto project = c.call("POST", "/api/v1/teams/pg/projects",
                          {{"name", "Widget"}, {"repository", {{"provider", "gitlab"}, {"id", "100"}}}});
    ASSERT_EQ(project.status, 201) << project.text;
    auto listed = a.call("GET", "/api/v1/teams/pg/projects");
    ASSERT_EQ(listed.status, 200) << listed.text;
    EXPECT_TRUE(contains(listed.text, "\"Widget\"")) << listed.text;
    const std::string builds = "/api/v1/projects/" + std::to_string(project.body["project"]["id"].get<long long>()) + "/builds";

    std::vector<Mr> mrs = {{2, "c100000000000000000000000000000000000002", "accepted", "success", "accepted"},
                           {3, "c100000000000000000000000000000000000003", "rejected", "failed", "rejected"},
                           {4, "c100000000000000000000000000000000000004", "aborted", "canceled", "aborted"},
                           {5, "c100000000000000000000000000000000000005", "no_changes", "success", "no changes"}};
    for (std::size_t i = 0; i < mrs.size(); ++i) {
        auto& mr = mrs[i];
        auto posted = hosts[i % 3]->call("POST", builds,
                                         {{"commit_sha", mr.sha}, {"branch", "pg-" + std::to_string(mr.iid)},
                                          {"merge_request", mr.iid}, {"state", "queued"}});
        ASSERT_EQ(posted.status, 202) << posted.text;
        mr.build = posted.body["build"]["id"].get<long long>();
    }
    // Every forge write takes 300 ms from now on, so that deliveries are in flight at the kill.
    sim.faults({{"route", "POST /api/v4/projects/.*/statuses/"}, {"latency_ms", 300}});
    sim.faults({{"route", "(POST|PUT) /api/v4/projects/.*/notes"}, {"latency_ms", 300}});

    // Changes through all three hosts at once, one thread per host.
    auto changes = [&](std::size_t host_index, const std::vector<nlohmann::json>& steps) {
        for (const auto& step : steps)
            for (std::size_t i = host_index; i < mrs.size(); i += 3) {
                auto r = callThroughRestarts(*hosts[host_index], "PATCH", builds + "/" + std::to_string(mrs[i].build), step);
                EXPECT_EQ(r.status, 202) << r.text;
            }
    };
    const std::vector<nlohmann::json> first_steps = {{{"state", "in_progress"}},
                                                     {{"state", "changes_detected"}, {"stats", {{"changed", 4}}}},
                                                     {{"state", "in_progress"}}};
    {
        std::thread tb(changes, 1, first_steps), tc(changes, 2, first_steps);
        changes(0, first_steps);
        tb.join();
        tc.join();
    }
    // Host a dies with whatever it holds, and comes back.
    a.killHard();
    a.start();
    // PostgreSQL restarts under the hosts: requests in flight fail (503), the next ones work.
    pgt::restartTestServer();
    {
        auto final_steps = [&](std::size_t host_index) {
            for (std::size_t i = host_index; i < mrs.size(); i += 3) {
                auto r = callThroughRestarts(*hosts[host_index], "PATCH", builds + "/" + std::to_string(mrs[i].build),
                                             {{"state", mrs[i].final_state}, {"stats", {{"changed", 1}}}});
                EXPECT_EQ(r.status, 202) << r.text;
            }
        };
        std::thread tb(final_steps, 1), tc(final_steps, 2);
        final_steps(0);
        tb.join();
        tc.join();
    }

    ApiReply last;
    const bool drained = waitUntil(
        [&] {
            for (const auto& mr : mrs) {
                last = callThroughRestarts(c, "GET", builds + "/" + std::to_string(mr.build));
                if (last.status != 200) return false;
                for (const auto& d : last.body["deliveries"])
                    if (d["state"] != "done" && d["state"] != "superseded") return false;
            }
            return true;
        },
        60s, 200ms);
    ASSERT_TRUE(drained) << "the outbox did not drain: " << last.text << "\nhost a:\n" << a.logs();

    const auto state = sim.state();
    const auto log = sim.requests();
    for (const auto& mr : mrs) {
        SCOPED_TRACE("MR !" + std::to_string(mr.iid));
        auto statuses = gitlabStatuses(state, mr.sha);
        ASSERT_FALSE(statuses.empty()) << "the commit got no status";
        EXPECT_EQ(statuses.back()["status"], mr.forge_state) << "the latest state is the final one";
        auto notes = gitlabMarkedNotes(state, mr.iid);
        ASSERT_EQ(notes.size(), 1u) << "exactly one Forgelink note: " << state["gitlab"]["notes"].dump();
        EXPECT_TRUE(contains(notes[0]["body"], "| " + mr.label + " |")) << notes[0]["body"];
        EXPECT_EQ(countRequests(log, "POST", "/merge_requests/" + std::to_string(mr.iid) + "/notes$"), 1)
            << "a note was created more than once";
        // Five changes of the build (queued and four more): at most five status posts, and one
        // more if host a died in the middle of posting this commit's (its task is taken over and
        // posted again: the forge may or may not have kept the first). Two hosts delivering one
        // task would post more.
        const int posts = countRequests(log, "POST", "/statuses/" + mr.sha + "$");
        EXPECT_LE(posts, 6) << "status posts of " << mr.sha;
    }
    for (Host* h : hosts) EXPECT_EQ(h->stop(), 0);

    // rekey on PostgreSQL: the team's token is re-sealed with a new key, and a host on the new key
    // still reaches the forge with it.
    const auto new_key = a.dir() / "secret-2.key";
    ASSERT_EQ(runForgelink({"keygen", "--out", new_key.string()}).exit_code, 0);
    auto rekeyed = runForgelink({"rekey", "--config", (a.dir() / "forgelink.yaml").string(), "--new-key-file",
                                 new_key.string()},
                                {{"E2E_PG_PASSWORD", pgt::testServer().password}});
    ASSERT_EQ(rekeyed.exit_code, 0) << rekeyed.err;
    EXPECT_TRUE(contains(rekeyed.out, "re-sealed 1 secrets")) << rekeyed.out;
    std::filesystem::copy_file(new_key, a.keyPath(), std::filesystem::copy_options::overwrite_existing);
    a.start();
    auto repositories = a.call("GET", "/api/v1/teams/pg/providers/gitlab/repositories");
    EXPECT_EQ(repositories.status, 200) << repositories.text;
    EXPECT_EQ(a.stop(), 0);
}

}  // namespace
}  // namespace forgelink::e2e
