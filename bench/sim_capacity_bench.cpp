// forge-sim's own throughput (issue 3), under wrk: a commit status POST (the request feedback
// delivery makes most) and one 100-project page of the listing the GitLab plugin asks for.
// The status POST figure is also the baseline of the delivery benchmark.
#include <fstream>

#include "benchmarks.hpp"
#include "sim_capacity.hpp"
#include "sim_process.hpp"
#include "wrk_runner.hpp"

namespace forgelink::bench {

namespace {
constexpr const char* kToken = "glpat-bench-capacity-000000000";
constexpr const char* kSha = "0123456789abcdef0123456789abcdef01234567";

std::string scenario() {
    nlohmann::json s = {
        {"seed", 7},
        {"gitlab",
         {{"users", {{{"id", 1}, {"username", "bench-bot"}}}},
          {"tokens", {{{"value", kToken}, {"kind", "personal"}, {"user", "bench-bot"}, {"scopes", {"api"}}}}},
          {"groups", {{{"id", 10}, {"path", "cap"}, {"members", {{"bench-bot", 30}}}}}},
          {"projects", {{{"id", 100}, {"path", "status-target"}, {"namespace", "cap"},
                         {"commits", {{{"sha", kSha}, {"branches", {"main"}}}}}}}},
          {"generate", {{{"projects", 200}, {"namespace", "cap"}, {"path_prefix", "page-"}, {"start_id", 1000}}}}}}};
    return s.dump();
}
}  // namespace

SimCapacity measureStatusPostCapacity(const BenchContext& context, const std::string& gitlab_url,
                                      const std::string& token, const std::string& project_id, const std::string& sha,
                                      double seconds, const std::string& label) {
    // The same request the GitLab plugin sends for a finished build (query parameters, empty body).
    const auto script = context.work_dir / ("status-post-" + label + ".lua");
    std::ofstream(script) << "wrk.method = \"POST\"\n"
                             "wrk.headers[\"Content-Type\"] = \"application/json\"\n";
    WrkOptions options;
    options.url = gitlab_url + "/api/v4/projects/" + project_id + "/statuses/" + sha +
                  "?state=success&name=bench-capacity&description=wrk";
    options.seconds = seconds;
    options.connections = 32;
    options.headers = {"PRIVATE-TOKEN: " + token};
    options.script = script;
    SimCapacity out;
    out.wrk = runWrk(options, context.work_dir, "status-post-" + label);
    return out;
}

BenchResult runSimCapacityBench(const BenchContext& context) {
    BenchResult result;
    result.id = "sim_capacity";
    result.title = "forge-sim throughput (wrk, 32 connections, 2 sim threads)";
    const double seconds = context.quick ? 2 : 10;
    try {
        sim::SimProcess sim(scenario());
        auto status = measureStatusPostCapacity(context, sim.gitlabUrl(), kToken, "100", kSha, seconds, "capacity");
        WrkOptions page;
        page.url = sim.gitlabUrl() +
                   "/api/v4/projects?membership=true&min_access_level=30&archived=false&order_by=id&sort=asc"
                   "&per_page=100&page=1";
        page.seconds = seconds;
        page.headers = {std::string("PRIVATE-TOKEN: ") + kToken};
        auto listing = runWrk(page, context.work_dir, "project-page");
        for (auto [name, w] : {std::pair{"status POST", &status.wrk}, std::pair{"100-project page", &listing}}) {
            if (!w->ran) {
                result.fail(std::string(name) + ": " + w->error);
                continue;
            }
            if (w->non_2xx > 0) result.fail(std::string(name) + ": " + std::to_string(w->non_2xx) + " non-2xx answers");
            Measure rps;
            rps.metric = std::string(name) + ": throughput";
            rps.value = w->requests_per_second;
            rps.unit = "req/s";
            result.measures.push_back(rps);
            Measure p99;
            p99.metric = std::string(name) + ": p99 latency";
            p99.value = w->p99_ms;
            p99.unit = "ms";
            result.measures.push_back(p99);
            result.details[name] = {{"requests_per_second", w->requests_per_second}, {"requests", w->requests},
                                    {"p50_ms", w->p50_ms}, {"p99_ms", w->p99_ms}, {"non_2xx", w->non_2xx},
                                    {"socket_errors", w->socket_errors}};
        }
        result.notes.push_back("Every status POST with a final state adds a status to the commit and the simulator "
                               "scans them for a running one, so its cost grows slowly over a long run.");
    } catch (const std::exception& e) {
        result.fail(e.what());
    }
    return result;
}

}  // namespace forgelink::bench
