// 3. Host API reads: GET a team's project list (1,000 projects) under wrk, 32 connections, against
// a running `forgelink serve`; the baseline is forgelink_bench_baseline (the Beast server
// behind forgelink::net::makeHttpServer) answering a constant body of the same size, same run.
// Then (full run only) the same reads from a host on PostgreSQL, against the host on SQLite.
#include <atomic>
#include <mutex>
#include <thread>

#include "api_probe.hpp"
#include "benchmarks.hpp"
#include "pg_server.hpp"
#include "serve_process.hpp"
#include "wrk_runner.hpp"

namespace forgelink::bench {

namespace {
constexpr int kProjects = 1000;
constexpr int kClients = 4;  // creating the projects: a few connections at once
const std::string kPath = "/api/v1/teams/reads/projects";

struct HostReads {
    bool not_mounted = false;
    std::string error;
    WrkResult wrk;
    WrkOptions options;       // as run (url, headers), for the baseline's run
    std::size_t body_bytes = 0;
    long long rss = 0;
};

// A host with `options` in `dir_name`, a team of kProjects projects, and wrk on the list.
HostReads readFromHost(const BenchContext& context, const ServeOptions& options, const std::string& dir_name,
                       double seconds) {
    HostReads out;
    ServeProcess serve(context, context.work_dir / dir_name, options);
    if (!serve.start(std::chrono::milliseconds(15000))) {
        out.error = serve.error();
        return out;
    }
    bool mounted = true;
    if (!createTeam(serve, "reads", mounted, out.error)) {
        out.not_mounted = !mounted;
        return out;
    }
    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    std::string first_failure;
    std::mutex failure_mutex;
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&] {
            for (int i = next++; i < kProjects; i = next++) {
                auto reply = serve.call("POST", kPath,
                                        {{"name", "Project " + std::to_string(i)}, {"slug", "project-" + std::to_string(i)}});
                if (reply.status != 201 && failures++ == 0) {
                    std::lock_guard lock(failure_mutex);
                    first_failure = std::to_string(reply.status) + " " + reply.body.substr(0, 300) + reply.error;
                }
            }
        });
    }
    for (auto& t : clients) t.join();
    if (failures > 0) {
        out.error = std::to_string(failures.load()) + " project creations failed, first: " + first_failure;
        return out;
    }
    auto list = serve.call("GET", kPath);
    auto body = nlohmann::json::parse(list.body, nullptr, false);
    const std::size_t listed =
        body.is_object() && body.contains("items") && body["items"].is_array() ? body["items"].size() : 0;
    if (list.status != 200 || listed != kProjects) {
        out.error = "GET " + kPath + " answered " + std::to_string(list.status) + " with " + std::to_string(listed) +
                    " projects, expected 1000";
        return out;
    }
    out.body_bytes = list.body.size();
    out.options.url = serve.baseUrl() + kPath;
    out.options.seconds = seconds;
    out.options.headers = {"Authorization: Bearer " + serve.adminToken()};
    out.wrk = runWrk(out.options, context.work_dir, dir_name);
    out.rss = serve.process()->rssBytes();
    serve.stop();
    return out;
}

nlohmann::json wrkDetails(const WrkResult& w) {
    return {{"rps", w.requests_per_second}, {"p50_ms", w.p50_ms}, {"p90_ms", w.p90_ms}, {"p99_ms", w.p99_ms},
            {"requests", w.requests}};
}

void checkWrk(BenchResult& result, const std::string& name, const WrkResult& w) {
    if (!w.ran) result.fail(name + ": wrk: " + w.error);
    else if (w.non_2xx > 0 || w.socket_errors > 0)
        result.fail(name + ": " + std::to_string(w.non_2xx) + " non-2xx answers, " + std::to_string(w.socket_errors) +
                    " socket errors");
}

}  // namespace

BenchResult runApiReadBench(const BenchContext& context) {
    BenchResult result;
    result.id = "api_reads";
    result.title = "3. Host API reads: GET /api/v1/teams/{team}/projects (1,000 projects), wrk 32 connections";
    const double seconds = context.quick ? 2 : 15;
    try {
        HostReads host = readFromHost(context, {}, "api-reads", seconds);
        if (host.not_mounted) {
            result.status = Status::not_run;
            result.reason = host.error;
            return result;
        }
        if (!host.error.empty()) {
            result.fail(host.error);
            return result;
        }
        const WrkResult& measured = host.wrk;

        const int port = freeLoopbackPort();
        ChildProcess baseline({context.baselineServer().string(), "--port", std::to_string(port), "--body-bytes",
                               std::to_string(host.body_bytes)},
                              context.work_dir / "baseline-reads");
        const std::string baseline_url = "http://127.0.0.1:" + std::to_string(port) + kPath;
        if (!waitFor200(baseline_url, std::chrono::steady_clock::now(), std::chrono::milliseconds(10000), baseline,
                        nullptr)) {
            result.fail("the baseline server did not answer: " + baseline.stderrText().substr(0, 300));
            return result;
        }
        WrkOptions base = host.options;
        base.url = baseline_url;
        auto reference = runWrk(base, context.work_dir, "baseline-reads");
        baseline.stop();

        checkWrk(result, "forgelink", measured);
        checkWrk(result, "baseline", reference);
        Measure rps;
        rps.metric = "throughput";
        rps.value = measured.requests_per_second;
        rps.unit = "req/s";
        rps.baseline = reference.requests_per_second;
        rps.baseline_name = "bare makeHttpServer (Beast) constant of the same size";
        rps.target = "ratio >= 0.5";
        rps.met = reference.requests_per_second > 0 && measured.requests_per_second >= 0.5 * reference.requests_per_second;
        result.measures.push_back(rps);
        Measure p99;
        p99.metric = "p99 latency";
        p99.value = measured.p99_ms;
        p99.unit = "ms";
        p99.baseline = reference.p99_ms;
        p99.baseline_name = "same baseline";
        p99.target = "< 20 ms";
        p99.met = measured.p99_ms < 20;
        result.measures.push_back(p99);
        nlohmann::json forgelink = wrkDetails(measured);
        forgelink["rss_mb"] = host.rss / 1048576.0;
        result.details = {{"projects", kProjects},
                          {"body_bytes", host.body_bytes},
                          {"wrk_seconds", seconds},
                          {"connections", host.options.connections},
                          {"forgelink", forgelink},
                          {"baseline", wrkDetails(reference)}};

        // The same reads from a host on PostgreSQL, against the host on SQLite.
        if (context.postgres == nullptr) {
            result.notes.push_back("PostgreSQL: full run only, not in --quick");
            return result;
        }
        ServeOptions on_pg;
        on_pg.postgres_url = context.postgres->createDatabase("bench_api_reads");
        on_pg.postgres_password = context.postgres->password();
        if (on_pg.postgres_url.empty()) {
            result.fail("PostgreSQL: " + context.postgres->error());
            return result;
        }
        HostReads pg = readFromHost(context, on_pg, "api-reads-pg", seconds);
        if (!pg.error.empty()) {
            result.fail("PostgreSQL: " + pg.error);
            return result;
        }
        checkWrk(result, "forgelink on PostgreSQL", pg.wrk);
        Measure pg_rps;
        pg_rps.metric = "throughput, PostgreSQL";
        pg_rps.value = pg.wrk.requests_per_second;
        pg_rps.unit = "req/s";
        pg_rps.baseline = measured.requests_per_second;
        pg_rps.baseline_name = "the host on SQLite, same run";
        result.measures.push_back(pg_rps);
        Measure pg_p99;
        pg_p99.metric = "p99 latency, PostgreSQL";
        pg_p99.value = pg.wrk.p99_ms;
        pg_p99.unit = "ms";
        pg_p99.baseline = measured.p99_ms;
        pg_p99.baseline_name = "the host on SQLite";
        pg_p99.target = "< 20 ms";
        pg_p99.met = pg.wrk.p99_ms < 20;
        result.measures.push_back(pg_p99);
        nlohmann::json pg_details = wrkDetails(pg.wrk);
        pg_details["rss_mb"] = pg.rss / 1048576.0;
        result.details["postgres"] = pg_details;
    } catch (const std::exception& e) {
        result.fail(e.what());
    }
    return result;
}

}  // namespace forgelink::bench
