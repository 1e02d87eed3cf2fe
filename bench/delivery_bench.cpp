// 2. Feedback delivery: build state changes posted through the service API of a running
// `forgelink serve` (admin token; a team with a GitLab token pointing at forge-sim; projects
// linked), delivered by the dispatcher as commit statuses and one comment per merge request.
// Baseline: the simulator's raw capacity for the same status POSTs (wrk), measured in the same run
// on the same simulator (then reset, so its statuses do not slow the delivery run).
//
// Latency (202 accepted -> delivered) comes from the host's own histogram
// forgelink_delivery_latency_seconds (task creation -> delivery, statuses and comments), read from
// /metrics: quantiles are interpolated inside its buckets.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "api_probe.hpp"
#include "benchmarks.hpp"
#include "serve_process.hpp"
#include "sim_capacity.hpp"
#include "sim_process.hpp"

namespace forgelink::bench {

namespace {

constexpr const char* kToken = "glpat-bench-delivery-00000000";
// As many concurrent posters as the baseline's wrk connections (32), so both sides are offered the
// same concurrency; each poster owns its merge requests, so every MR's changes stay in order, and
// keeps its connection alive between changes, as wrk does and as a pooled API client would.
constexpr int kClients = 32;

struct MergeRequestPlan {
    long long project_id = 0;      // forge id
    std::string repository;        // full path
    int iid = 0;
    std::string sha;
    std::string branch;
    std::int64_t forgelink_project = 0;
    std::string expected_state;    // GitLab state of the last change
};

std::string shaFor(int n) {
    char text[41];
    std::snprintf(text, sizeof text, "%040x", n + 0x1000);
    return text;
}

std::string scenario(const std::vector<MergeRequestPlan>& mrs, int projects) {
    nlohmann::json list = nlohmann::json::array();
    for (int p = 0; p < projects; ++p) {
        nlohmann::json project = {{"id", 500 + p}, {"path", "proj-" + std::to_string(p)}, {"namespace", "dlv"},
                                  {"commits", nlohmann::json::array()}, {"merge_requests", nlohmann::json::array()}};
        for (const auto& mr : mrs) {
            if (mr.project_id != 500 + p) continue;
            project["commits"].push_back({{"sha", mr.sha}, {"branches", {mr.branch}}});
            project["merge_requests"].push_back(
                {{"iid", mr.iid}, {"title", "MR " + std::to_string(mr.iid)}, {"source_branch", mr.branch},
                 {"sha", mr.sha}, {"author", "bench-bot"}});
        }
        list.push_back(project);
    }
    // One more project for the wrk baseline.
    list.push_back({{"id", 499}, {"path", "capacity"}, {"namespace", "dlv"},
                    {"commits", {{{"sha", shaFor(0)}, {"branches", {"main"}}}}}});
    nlohmann::json s = {
        {"seed", 7},
        {"gitlab",
         {{"users", {{{"id", 1}, {"username", "bench-bot"}}}},
          {"tokens", {{{"value", kToken}, {"kind", "personal"}, {"user", "bench-bot"}, {"scopes", {"api"}}}}},
          {"groups", {{{"id", 10}, {"path", "dlv"}, {"members", {{"bench-bot", 40}}}}}},
          {"projects", list}}}};
    return s.dump();
}

// The state sequence of one merge request's changes: builds of five changes each, the last one
// final (accepted on even MRs, rejected on odd ones).
struct Change {
    bool create = false;
    const char* state = "";
    const char* gitlab = "";
};
Change changeAt(int k, int mr_index) {
    static const Change even[] = {{true, "queued", "pending"},
                                  {false, "in_progress", "running"},
                                  {false, "changes_detected", "failed"},
                                  {false, "rejected", "failed"},
                                  {false, "accepted", "success"}};
    static const Change odd[] = {{true, "queued", "pending"},
                                 {false, "in_progress", "running"},
                                 {false, "changes_detected", "failed"},
                                 {false, "accepted", "success"},
                                 {false, "rejected", "failed"}};
    return (mr_index % 2 ? odd : even)[k % 5];
}

// Quantile from a Prometheus histogram's cumulative buckets, linear inside the bucket.
double histogramQuantile(const std::vector<std::pair<double, double>>& buckets, double q) {
    if (buckets.empty() || buckets.back().second <= 0) return 0;
    const double rank = q * buckets.back().second;
    double lower = 0, below = 0;
    for (const auto& [le, count] : buckets) {
        if (count >= rank) {
            if (std::isinf(le)) return lower;
            const double in_bucket = count - below;
            return in_bucket <= 0 ? le : lower + (le - lower) * (rank - below) / in_bucket;
        }
        lower = le;
        below = count;
    }
    return lower;
}

std::vector<std::pair<double, double>> latencyBuckets(const std::string& metrics) {
    std::vector<std::pair<double, double>> out;
    static const std::regex line(
        R"re(forgelink_delivery_latency_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\}\s+([0-9.eE+-]+))re");
    std::istringstream lines(metrics);
    std::string text;
    std::smatch m;
    while (std::getline(lines, text)) {
        if (text.find("provider=\"gitlab\"") == std::string::npos) continue;
        if (!std::regex_search(text, m, line)) continue;
        const double le = m[1] == "+Inf" ? INFINITY : std::stod(m[1]);
        out.emplace_back(le, std::stod(m[2]));
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

BenchResult runDeliveryBench(const BenchContext& context) {
    BenchResult result;
    result.id = "delivery";
    const int total_changes = context.quick ? 500 : 10000;
    const int mr_count = context.quick ? 50 : 500;
    const int projects = context.quick ? 10 : 50;
    const int per_mr = total_changes / mr_count;
    result.title = "2. Feedback delivery (" + std::to_string(total_changes) + " state changes across " +
                   std::to_string(mr_count) + " merge requests)";
    try {
        std::vector<MergeRequestPlan> mrs;
        for (int i = 0; i < mr_count; ++i) {
            MergeRequestPlan mr;
            mr.project_id = 500 + i % projects;
            mr.repository = "dlv/proj-" + std::to_string(i % projects);
            mr.iid = 1 + i / projects;
            mr.sha = shaFor(i + 1);
            mr.branch = "feature-" + std::to_string(i);
            mr.expected_state = changeAt(per_mr - 1, i).gitlab;
            mrs.push_back(mr);
        }
        const std::string world = scenario(mrs, projects);
        sim::SimProcess sim(world);

        // Baseline first, on the same simulator, then a fresh world for the run.
        auto capacity = measureStatusPostCapacity(context, sim.gitlabUrl(), kToken, "499", shaFor(0),
                                                  context.quick ? 2 : 8, "delivery-baseline");
        if (!capacity.wrk.ran || capacity.wrk.non_2xx > 0) {
            result.fail("baseline wrk: " + (capacity.wrk.ran ? std::to_string(capacity.wrk.non_2xx) + " non-2xx"
                                                              : capacity.wrk.error));
            return result;
        }
        sim.loadScenario(world);

        ServeOptions options;
        options.gitlab_base_url = sim.gitlabUrl();
        ServeProcess serve(context, context.work_dir / "delivery", options);
        if (!serve.start(std::chrono::milliseconds(15000))) {
            result.fail(serve.error());
            return result;
        }
        bool mounted = true;
        std::string why;
        if (!createTeam(serve, "delivery", mounted, why)) {
            if (mounted) result.fail(why);
            else {
                result.status = Status::not_run;
                result.reason = why;
            }
            return result;
        }
        auto put = serve.call("PUT", "/api/v1/teams/delivery/providers/gitlab", {{"token", kToken}});
        if (put.status != 200) {
            result.fail("saving the GitLab token answered " + std::to_string(put.status) + ": " + put.body.substr(0, 300));
            return result;
        }
        std::map<std::string, std::int64_t> project_ids;
        for (int p = 0; p < projects; ++p) {
            const std::string path = "dlv/proj-" + std::to_string(p);
            auto made = serve.call("POST", "/api/v1/teams/delivery/projects",
                                   {{"name", "Project " + std::to_string(p)}, {"slug", "proj-" + std::to_string(p)},
                                    {"repository", {{"provider", "gitlab"}, {"path", path}}}});
            auto body = nlohmann::json::parse(made.body, nullptr, false);
            if (made.status != 201 || !body.is_object() || !body.contains("project")) {
                result.fail("creating a linked project answered " + std::to_string(made.status) + ": " +
                            made.body.substr(0, 300));
                return result;
            }
            project_ids[path] = body["project"].value("id", std::int64_t{0});
        }
        for (auto& mr : mrs) mr.forgelink_project = project_ids[mr.repository];

        // The forge calls of the run: the log's sequence numbers, from a marker request on.
        sim.clearRequests();
        sim.get(sim.gitlabUrl() + "/api/v4/version", {{"PRIVATE-TOKEN", kToken}});
        const auto before = sim.requests();
        const long long seq_start = before.empty() ? 0 : before.back().value("seq", 0LL);

        std::atomic<int> failures{0};
        std::atomic<int> accepted{0};
        std::atomic<std::size_t> connections{0};
        std::string first_failure;
        std::mutex failure_mutex;
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c) {
            clients.emplace_back([&, c] {
                sim::HttpConnection connection(serve.baseUrl());
                std::map<int, std::int64_t> build_of;  // mr index -> current build id
                for (int k = 0; k < per_mr; ++k) {
                    for (int i = c; i < mr_count; i += kClients) {
                        const auto& mr = mrs[i];
                        const Change change = changeAt(k, i);
                        const std::string base = "/api/v1/projects/" + std::to_string(mr.forgelink_project) + "/builds";
                        sim::HttpResult reply;
                        if (change.create) {
                            reply = serve.call(connection, "POST", base,
                                               {{"commit_sha", mr.sha}, {"branch", mr.branch},
                                                {"merge_request", mr.iid}, {"state", change.state}});
                            auto body = nlohmann::json::parse(reply.body, nullptr, false);
                            if (reply.status == 202 && body.is_object() && body.contains("build"))
                                build_of[i] = body["build"].value("id", std::int64_t{0});
                        } else {
                            reply = serve.call(connection, "PATCH", base + "/" + std::to_string(build_of[i]),
                                               {{"state", change.state}});
                        }
                        if (reply.status == 202) ++accepted;
                        else if (failures++ == 0) {
                            std::lock_guard lock(failure_mutex);
                            first_failure = std::to_string(reply.status) + " " + reply.body.substr(0, 300) + reply.error;
                        }
                    }
                }
                connections += connection.connects();
            });
        }
        for (auto& t : clients) t.join();
        const double post_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (failures > 0) {
            result.fail(std::to_string(failures.load()) + " of " + std::to_string(total_changes) +
                        " changes were not accepted, first: " + first_failure);
            return result;
        }

        // Delivered = every commit's latest forgelink status is the last posted state, and the
        // forge saw no new request for a while (comments may still be on their way).
        auto latestStatuses = [&](const nlohmann::json& state) {
            std::map<std::pair<long long, std::string>, std::pair<long long, std::string>> latest;
            for (const auto& s : state["gitlab"]["statuses"]) {
                if (s.value("name", "") != "forgelink") continue;
                auto key = std::make_pair(s.value("project_id", 0LL), s.value("sha", ""));
                auto& slot = latest[key];
                if (s.value("id", 0LL) >= slot.first) slot = {s.value("id", 0LL), s.value("status", "")};
            }
            return latest;
        };
        const auto deadline = t0 + std::chrono::seconds(context.quick ? 60 : 300);
        double delivered_seconds = -1;
        long long last_seq = -1;  // deliveries counted by the host
        auto last_change = std::chrono::steady_clock::now();
        nlohmann::json state;
        // The host's delivery counter tells when it went quiet; the simulator's state (large) is
        // read every 250-500 ms only, so that watching does not slow the run down much.
        auto deliveriesSoFar = [&] {
            auto reply = sim::httpRequest("GET", serve.baseUrl() + "/metrics",
                                          {{"Authorization", "Bearer " + serve.adminToken()}});
            double sum = 0;
            std::istringstream lines(reply.body);
            for (std::string text; std::getline(lines, text);) {
                if (text.rfind("forgelink_deliveries_total{", 0) != 0) continue;
                sum += std::stod(text.substr(text.rfind(' ') + 1));
            }
            return static_cast<long long>(sum);
        };
        auto next_state_check = std::chrono::steady_clock::now();
        while (std::chrono::steady_clock::now() < deadline) {
            const long long seq = deliveriesSoFar();
            auto now = std::chrono::steady_clock::now();
            if (seq != last_seq) {
                last_seq = seq;
                last_change = now;
            }
            if (delivered_seconds < 0 && now >= next_state_check) {
                state = sim.state();
                auto latest = latestStatuses(state);
                std::size_t matching = 0;
                for (const auto& mr : mrs) {
                    auto it = latest.find({mr.project_id, mr.sha});
                    if (it != latest.end() && it->second.second == mr.expected_state) ++matching;
                }
                now = std::chrono::steady_clock::now();
                if (matching == mrs.size()) delivered_seconds = std::chrono::duration<double>(now - t0).count();
                next_state_check = now + std::chrono::milliseconds(context.quick ? 250 : 500);
            }
            if (delivered_seconds >= 0 && now - last_change > std::chrono::milliseconds(1500)) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        state = sim.state();
        const double quiet_seconds = std::chrono::duration<double>(last_change - t0).count();
        auto metrics = sim::httpRequest("GET", serve.baseUrl() + "/metrics", {{"Authorization", "Bearer " + serve.adminToken()}});
        auto log = sim.requests();
        serve.stop();

        // Correctness: exactly one Forgelink note per MR, every final status as last posted.
        std::map<std::pair<long long, int>, int> notes;
        for (const auto& n : state["gitlab"]["notes"])
            if (n.value("body", "").find("forgelink:instance=") != std::string::npos)
                ++notes[{n.value("project_id", 0LL), n.value("mr_iid", 0)}];
        int duplicates = 0, missing_notes = 0, wrong_status = 0;
        auto latest = latestStatuses(state);
        for (const auto& mr : mrs) {
            const int n = notes[{mr.project_id, mr.iid}];
            if (n > 1) duplicates += n - 1;
            if (n == 0) ++missing_notes;
            auto it = latest.find({mr.project_id, mr.sha});
            if (it == latest.end() || it->second.second != mr.expected_state) ++wrong_status;
        }
        if (duplicates) result.fail(std::to_string(duplicates) + " duplicate Forgelink notes");
        if (missing_notes) result.fail(std::to_string(missing_notes) + " merge requests without a Forgelink note");
        if (wrong_status) result.fail(std::to_string(wrong_status) + " commits whose final status is not the last posted");
        if (delivered_seconds < 0) result.fail("not every final status arrived before the deadline");

        const long long seq_end = log.empty() ? seq_start : log.back().value("seq", 0LL);
        const long long forge_calls = seq_end - seq_start;
        std::map<std::string, int> by_kind;
        for (const auto& e : log) {
            if (e.value("seq", 0LL) <= seq_start) continue;
            std::string path = std::regex_replace(e.value("path", ""), std::regex("/[0-9a-f]{40}"), "/:sha");
            path = std::regex_replace(path, std::regex("/[0-9]+"), "/:id");
            ++by_kind[e.value("method", "") + " " + path];
        }
        const auto buckets = latencyBuckets(metrics.body);
        const double p50 = histogramQuantile(buckets, 0.5) * 1000, p99 = histogramQuantile(buckets, 0.99) * 1000;

        const double seconds = delivered_seconds > 0 ? delivered_seconds : quiet_seconds;
        Measure rate;
        rate.metric = "throughput (changes / time to every final status)";
        rate.value = total_changes / seconds;
        rate.unit = "ch/s";
        rate.baseline = capacity.wrk.requests_per_second;
        rate.baseline_name = "forge-sim raw status POSTs/s (wrk, 32 connections)";
        rate.target = "ratio >= 0.5";
        rate.met = rate.value >= 0.5 * *rate.baseline;
        result.measures.push_back(rate);
        Measure calls;
        calls.metric = "forge API calls per state change";
        calls.value = forge_calls / static_cast<double>(total_changes);
        calls.unit = "calls";
        calls.target = "<= 1.2";
        calls.met = calls.value <= 1.2;
        result.measures.push_back(calls);
        for (auto [name, v] : {std::pair{"p50", p50}, std::pair{"p99", p99}}) {
            Measure m;
            m.metric = std::string("delivery latency ") + name + " (task created -> delivered, host histogram)";
            m.value = v;
            m.unit = "ms";
            result.measures.push_back(m);
        }
        Measure dup;
        dup.metric = "duplicate notes / lost final statuses";
        dup.value = duplicates + wrong_status;
        dup.unit = "count";
        dup.target = "0";
        dup.met = duplicates + wrong_status == 0;
        result.measures.push_back(dup);
        result.details = {{"changes", total_changes},
                          {"merge_requests", mr_count},
                          {"projects", projects},
                          {"posting_seconds", post_seconds},
                          {"posting_clients", kClients},
                          {"posting_connections", connections.load()},
                          {"seconds_to_final_statuses", delivered_seconds},
                          {"seconds_to_quiet_forge", quiet_seconds},
                          {"forge_calls", forge_calls},
                          {"forge_calls_by_route", by_kind},
                          {"log_entries_seen", log.size()},
                          {"latency_buckets", buckets},
                          {"baseline",
                           {{"rps", capacity.wrk.requests_per_second}, {"p50_ms", capacity.wrk.p50_ms},
                            {"p99_ms", capacity.wrk.p99_ms}}}};
        if (forge_calls > 20000)
            result.notes.push_back("the simulator's log keeps the newest 20,000 requests: the per-route split is partial");
    } catch (const std::exception& e) {
        result.fail(e.what());
    }
    return result;
}

}  // namespace forgelink::bench
