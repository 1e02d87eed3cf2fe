// 4. Start-up to the first GET /healthz 200 with both plugins loaded, and the resident set after
// an idle period; next to the same two numbers for the bare baseline server (the Beast
// server behind forgelink::net::makeHttpServer answering a constant) measured in the same run.
#include <algorithm>
#include <thread>

#include "benchmarks.hpp"
#include "serve_process.hpp"

namespace forgelink::bench {

namespace {

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Baseline {
    std::vector<double> startup_ms;
    double rss_mb = 0;
    std::string error;
};

Baseline measureBaseline(const BenchContext& context, int starts, std::chrono::seconds idle) {
    Baseline out;
    for (int i = 0; i < starts; ++i) {
        const int port = freeLoopbackPort();
        const auto since = std::chrono::steady_clock::now();
        ChildProcess server({context.baselineServer().string(), "--port", std::to_string(port)},
                            context.work_dir / ("baseline-startup-" + std::to_string(i)));
        auto took = waitFor200("http://127.0.0.1:" + std::to_string(port) + "/healthz", since,
                               std::chrono::milliseconds(10000), server, nullptr);
        if (!took) {
            out.error = "the baseline server did not answer: " + server.stderrText().substr(0, 300);
            return out;
        }
        out.startup_ms.push_back(took->count());
        if (i + 1 == starts) {
            std::this_thread::sleep_for(idle);
            out.rss_mb = server.rssBytes() / (1024.0 * 1024.0);
        }
        server.stop();
    }
    return out;
}

}  // namespace

BenchResult runStartupBench(const BenchContext& context) {
    BenchResult result;
    result.id = "startup";
    result.title = "4. Start-up to /healthz 200 (both plugins) and idle RSS";
    const int starts = context.quick ? 3 : 10;
    const auto idle = std::chrono::seconds(context.quick ? 2 : 10);
    try {
        ServeProcess serve(context, context.work_dir / "startup");
        std::vector<double> startup_ms;
        double rss_mb = 0;
        for (int i = 0; i < starts; ++i) {
            auto took = serve.start(std::chrono::milliseconds(15000));
            if (!took) {
                result.fail(serve.error());
                return result;
            }
            startup_ms.push_back(took->count());
            if (i == 0) {
                auto health = nlohmann::json::parse(serve.healthBody(), nullptr, false);
                auto plugins = health.is_object() ? health.value("plugins", nlohmann::json::array()) : nlohmann::json();
                auto has = [&](const char* name) {
                    return plugins.is_array() && std::find(plugins.begin(), plugins.end(), name) != plugins.end();
                };
                if (!has("gitlab") || !has("github")) {
                    result.fail("/healthz does not list both plugins: " + serve.healthBody());
                    return result;
                }
            }
            if (i + 1 == starts) {
                std::this_thread::sleep_for(idle);
                rss_mb = serve.process()->rssBytes() / (1024.0 * 1024.0);
            }
            if (int code = serve.stop(); code != 0) result.fail("forgelink serve exited " + std::to_string(code) + " on SIGTERM");
        }
        auto baseline = measureBaseline(context, starts, idle);
        if (!baseline.error.empty()) {
            result.fail(baseline.error);
            return result;
        }
        Measure start;
        start.metric = "start-up to /healthz 200, median of " + std::to_string(starts);
        start.value = median(startup_ms);
        start.unit = "ms";
        start.baseline = median(baseline.startup_ms);
        start.baseline_name = "bare makeHttpServer (Beast) constant server";
        start.target = "< 150 ms";
        start.met = start.value < 150;
        result.measures.push_back(start);

        Measure rss;
        rss.metric = "RSS after " + std::to_string(idle.count()) + " s idle";
        rss.value = rss_mb;
        rss.unit = "MB";
        rss.baseline = baseline.rss_mb;
        rss.baseline_name = "bare makeHttpServer (Beast) constant server";
        rss.target = "< 40 MB";
        rss.met = rss_mb < 40;
        result.measures.push_back(rss);

        result.details = {{"starts", starts},
                          {"startup_ms", startup_ms},
                          {"baseline_startup_ms", baseline.startup_ms},
                          {"idle_seconds", idle.count()},
                          {"rss_mb", rss_mb},
                          {"baseline_rss_mb", baseline.rss_mb},
                          {"healthz", nlohmann::json::parse(serve.healthBody(), nullptr, false)}};
    } catch (const std::exception& e) {
        result.fail(e.what());
    }
    return result;
}

}  // namespace forgelink::bench
