// 3. Host API reads: GET a team's project list (1,000 projects) under wrk, 32 connections, against
// a running `forgelink serve`; the baseline is forgelink_bench_baseline (the Beast server
// behind forgelink::net::makeHttpServer) answering a constant body of the same size, same run.
#include <atomic>
#include <thread>

#include "api_probe.hpp"
#include "benchmarks.hpp"
#include "serve_process.hpp"
#include "wrk_runner.hpp"

namespace forgelink::bench {

namespace {
constexpr int kProjects = 1000;
constexpr int kClients = 4;  // creating the projects: a few connections at once
}  // namespace

BenchResult runApiReadBench(const BenchContext& context) {
    BenchResult result;
    result.id = "api_reads";
    result.title = "3. Host API reads: GET /api/v1/teams/{team}/projects (1,000 projects), wrk 32 connections";
    const double seconds = context.quick ? 2 : 15;
    try {
        ServeProcess serve(context, context.work_dir / "api-reads");
        if (!serve.start(std::chrono::milliseconds(15000))) {
            result.fail(serve.error());
            return result;
        }
        bool mounted = true;
        std::string why;
        if (!createTeam(serve, "reads", mounted, why)) {
            if (mounted) result.fail(why);
            else {
                result.status = Status::not_run;
                result.reason = why;
            }
            return result;
        }
        std::atomic<int> next{0};
        std::atomic<int> failures{0};
        std::string first_failure;
        std::mutex failure_mutex;
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c) {
            clients.emplace_back([&] {
                for (int i = next++; i < kProjects; i = next++) {
                    auto reply = serve.call("POST", "/api/v1/teams/reads/projects",
                                            {{"name", "Project " + std::to_string(i)},
                                             {"slug", "project-" + std::to_string(i)}});
                    if (reply.status != 201 && failures++ == 0) {
                        std::lock_guard lock(failure_mutex);
                        first_failure = std::to_string(reply.status) + " " + reply.body.substr(0, 300) + reply.error;
                    }
                }
            });
        }
        for (auto& t : clients) t.join();
        if (failures > 0) {
            result.fail(std::to_string(failures.load()) + " project creations failed, first: " + first_failure);
            return result;
        }
        const std::string path = "/api/v1/teams/reads/projects";
        auto list = serve.call("GET", path);
        auto body = nlohmann::json::parse(list.body, nullptr, false);
        const std::size_t listed = body.is_object() && body.contains("items") && body["items"].is_array()
                                       ? body["items"].size()
                                       : 0;
        if (list.status != 200 || listed != kProjects) {
            result.fail("GET " + path + " answered " + std::to_string(list.status) + " with " +
                        std::to_string(listed) + " projects, expected 1000");
            return result;
        }

        WrkOptions api;
        api.url = serve.baseUrl() + path;
        api.seconds = seconds;
        api.headers = {"Authorization: Bearer " + serve.adminToken()};
        auto measured = runWrk(api, context.work_dir, "api-reads");
        const long long rss = serve.process()->rssBytes();
        serve.stop();

        const int port = freeLoopbackPort();
        ChildProcess baseline({context.baselineServer().string(), "--port", std::to_string(port), "--body-bytes",
                               std::to_string(list.body.size())},
                              context.work_dir / "baseline-reads");
        const std::string baseline_url = "http://127.0.0.1:" + std::to_string(port) + path;
        if (!waitFor200(baseline_url, std::chrono::steady_clock::now(), std::chrono::milliseconds(10000), baseline,
                        nullptr)) {
            result.fail("the baseline server did not answer: " + baseline.stderrText().substr(0, 300));
            return result;
        }
        WrkOptions base = api;
        base.url = baseline_url;
        auto reference = runWrk(base, context.work_dir, "baseline-reads");
        baseline.stop();

        for (auto [name, w] : {std::pair{"forgelink", &measured}, std::pair{"baseline", &reference}}) {
            if (!w->ran) result.fail(std::string(name) + ": wrk: " + w->error);
            else if (w->non_2xx > 0 || w->socket_errors > 0)
                result.fail(std::string(name) + ": " + std::to_string(w->non_2xx) + " non-2xx answers, " +
                            std::to_string(w->socket_errors) + " socket errors");
        }
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
        result.details = {{"projects", kProjects},
                          {"body_bytes", list.body.size()},
                          {"wrk_seconds", seconds},
                          {"connections", api.connections},
                          {"forgelink", {{"rps", measured.requests_per_second}, {"p50_ms", measured.p50_ms},
                                         {"p90_ms", measured.p90_ms}, {"p99_ms", measured.p99_ms},
                                         {"requests", measured.requests}, {"rss_mb", rss / 1048576.0}}},
                          {"baseline", {{"rps", reference.requests_per_second}, {"p50_ms", reference.p50_ms},
                                        {"p90_ms", reference.p90_ms}, {"p99_ms", reference.p99_ms},
                                        {"requests", reference.requests}}}};
    } catch (const std::exception& e) {
        result.fail(e.what());
    }
    return result;
}

}  // namespace forgelink::bench
