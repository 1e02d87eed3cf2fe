// 2. Feedback delivery: build state changes posted through the service API of a running
// `forgelink serve` (admin token; a team with a GitLab token pointing at forge-sim; projects
// linked), delivered by the dispatcher as commit statuses and one comment per merge request.
// Baseline: the simulator's raw capacity for the same status POSTs (wrk), measured in the same run
// on the same simulator (then reset, so its statuses do not slow the delivery run).
//
// Then the same work on PostgreSQL (full run only): one host, then two hosts on one database (the
// posting clients split between them), each against SQLite's throughput of the same run.
//
// Latency (202 accepted -> delivered) comes from the host's own histogram
// forgelink_delivery_latency_seconds (task creation -> delivery, statuses and comments), read from
// /metrics: quantiles are interpolated inside its buckets.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "api_probe.hpp"
#include "benchmarks.hpp"
#include "pg_server.hpp"
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

// Where one delivery run stores: SQLite (one host) or PostgreSQL with `hosts` hosts on one database.
struct Backend {
    std::string label;         // "SQLite, 1 host", for messages and the JSON
    std::string postgres_url;  // empty = SQLite
    std::string postgres_password;
    int hosts = 1;
};

// What one delivery run measured (the same work on a fresh forge world and a fresh store).
struct DeliveryRun {
    bool ran = false;
    bool not_mounted = false;  // the API is not there: not run, not failed
    std::string error;
    double seconds = 0;        // to every final status (or, when they never all arrive, to the quiet forge)
    long long forge_calls = 0;
    int duplicates = 0, missing_notes = 0, wrong_status = 0;
    double p50_ms = 0, p99_ms = 0;
    nlohmann::json details;
};

struct Workload {
    std::vector<MergeRequestPlan> mrs;
    std::string world;
    int total_changes = 0, per_mr = 0, projects = 0;
};

// Posts every change of `work` through the hosts of `backend` (client c through host c mod hosts)
// and waits until the forge shows every final status; then reads what the forge holds.
DeliveryRun deliverOnce(const BenchContext& context, sim::SimProcess& sim, Workload work, const Backend& backend,
                        const std::string& dir_name) {
    DeliveryRun run;
    auto& mrs = work.mrs;
    const int projects = work.projects, per_mr = work.per_mr, total_changes = work.total_changes;
    const int mr_count = static_cast<int>(mrs.size());
    sim.loadScenario(work.world);

    std::vector<std::unique_ptr<ServeProcess>> hosts;
    for (int h = 0; h < backend.hosts; ++h) {
        ServeOptions options;
        options.gitlab_base_url = sim.gitlabUrl();
        options.postgres_url = backend.postgres_url;
        options.postgres_password = backend.postgres_password;
        options.share_with = h == 0 ? nullptr : hosts.front().get();
        hosts.push_back(std::make_unique<ServeProcess>(
            context, context.work_dir / (dir_name + (backend.hosts > 1 ? "-host" + std::to_string(h) : "")), options));
        if (!hosts.back()->start(std::chrono::milliseconds(15000))) {
            run.error = backend.label + ": " + hosts.back()->error();
            return run;
        }
    }
    ServeProcess& first = *hosts.front();
    bool mounted = true;
    if (!createTeam(first, "delivery", mounted, run.error)) {
        run.not_mounted = !mounted;
        return run;
    }
    auto put = first.call("PUT", "/api/v1/teams/delivery/providers/gitlab", {{"token", kToken}});
    if (put.status != 200) {
        run.error = "saving the GitLab token answered " + std::to_string(put.status) + ": " + put.body.substr(0, 300);
        return run;
    }
    std::map<std::string, std::int64_t> project_ids;
    for (int p = 0; p < projects; ++p) {
        const std::string path = "dlv/proj-" + std::to_string(p);
        auto made = first.call("POST", "/api/v1/teams/delivery/projects",
                               {{"name", "Project " + std::to_string(p)}, {"slug", "proj-" + std::to_string(p)},
                                {"repository", {{"provider", "gitlab"}, {"path", path}}}});
        auto body = nlohmann::json::parse(made.body, nullptr, false);
        if (made.status != 201 || !body.is_object() || !body.contains("project")) {
            run.error = "creating a linked project answered " + std::to_string(made.status) + ": " + made.body.substr(0, 300);
            return run;
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
            const ServeProcess& serve = *hosts[c % hosts.size()];
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
        run.error = backend.label + ": " + std::to_string(failures.load()) + " of " + std::to_string(total_changes) +
                    " changes were not accepted, first: " + first_failure;
        return run;
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
    long long last_seq = -1;  // deliveries counted by the hosts
    auto last_change = std::chrono::steady_clock::now();
    nlohmann::json state;
    auto metricsOf = [](const ServeProcess& serve) {
        return sim::httpRequest("GET", serve.baseUrl() + "/metrics", {{"Authorization", "Bearer " + serve.adminToken()}})
            .body;
    };
    // The hosts' delivery counters tell when they went quiet; the simulator's state (large) is
    // read every 250-500 ms only, so that watching does not slow the run down much.
    auto deliveriesSoFar = [&] {
        double sum = 0;
        for (const auto& serve : hosts) {
            std::istringstream lines(metricsOf(*serve));
            for (std::string text; std::getline(lines, text);) {
                if (text.rfind("forgelink_deliveries_total{", 0) != 0) continue;
                sum += std::stod(text.substr(text.rfind(' ') + 1));
            }
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
    // The hosts' latency histograms, added up bucket by bucket.
    std::map<double, double> summed;
    for (const auto& serve : hosts)
        for (const auto& [le, count] : latencyBuckets(metricsOf(*serve))) summed[le] += count;
    const std::vector<std::pair<double, double>> buckets(summed.begin(), summed.end());
    auto log = sim.requests();
    for (auto& serve : hosts) serve->stop();

    // Correctness: exactly one Forgelink note per MR, every final status as last posted.
    std::map<std::pair<long long, int>, int> notes;
    for (const auto& n : state["gitlab"]["notes"])
        if (n.value("body", "").find("forgelink:instance=") != std::string::npos)
            ++notes[{n.value("project_id", 0LL), n.value("mr_iid", 0)}];
    auto latest = latestStatuses(state);
    for (const auto& mr : mrs) {
        const int n = notes[{mr.project_id, mr.iid}];
        if (n > 1) run.duplicates += n - 1;
        if (n == 0) ++run.missing_notes;
        auto it = latest.find({mr.project_id, mr.sha});
        if (it == latest.end() || it->second.second != mr.expected_state) ++run.wrong_status;
    }
    if (delivered_seconds < 0) run.error = backend.label + ": not every final status arrived before the deadline";

    const long long seq_end = log.empty() ? seq_start : log.back().value("seq", 0LL);
    run.forge_calls = seq_end - seq_start;
    std::map<std::string, int> by_kind;
    for (const auto& e : log) {
        if (e.value("seq", 0LL) <= seq_start) continue;
        std::string path = std::regex_replace(e.value("path", ""), std::regex("/[0-9a-f]{40}"), "/:sha");
        path = std::regex_replace(path, std::regex("/[0-9]+"), "/:id");
        ++by_kind[e.value("method", "") + " " + path];
    }
    run.p50_ms = histogramQuantile(buckets, 0.5) * 1000;
    run.p99_ms = histogramQuantile(buckets, 0.99) * 1000;
    run.seconds = delivered_seconds > 0 ? delivered_seconds : quiet_seconds;
    run.ran = true;
    run.details = {{"store", backend.label},
                   {"hosts", backend.hosts},
                   {"posting_seconds", post_seconds},
                   {"posting_clients", kClients},
                   {"posting_connections", connections.load()},
                   {"seconds_to_final_statuses", delivered_seconds},
                   {"seconds_to_quiet_forge", quiet_seconds},
                   {"forge_calls", run.forge_calls},
                   {"forge_calls_by_route", by_kind},
                   {"log_entries_seen", log.size()},
                   {"latency_buckets", buckets}};
    return run;
}

// The correctness failures of `run`, on `result` (named by `label`).
void reportFailures(BenchResult& result, const DeliveryRun& run, const std::string& label) {
    if (run.duplicates) result.fail(label + ": " + std::to_string(run.duplicates) + " duplicate Forgelink notes");
    if (run.missing_notes)
        result.fail(label + ": " + std::to_string(run.missing_notes) + " merge requests without a Forgelink note");
    if (run.wrong_status)
        result.fail(label + ": " + std::to_string(run.wrong_status) + " commits whose final status is not the last posted");
    if (!run.error.empty()) result.fail(run.error);
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
        Workload work;
        work.total_changes = total_changes;
        work.per_mr = per_mr;
        work.projects = projects;
        for (int i = 0; i < mr_count; ++i) {
            MergeRequestPlan mr;
            mr.project_id = 500 + i % projects;
            mr.repository = "dlv/proj-" + std::to_string(i % projects);
            mr.iid = 1 + i / projects;
            mr.sha = shaFor(i + 1);
            mr.branch = "feature-" + std::to_string(i);
            mr.expected_state = changeAt(per_mr - 1, i).gitlab;
            work.mrs.push_back(mr);
        }
        work.world = scenario(work.mrs, projects);
        sim::SimProcess sim(work.world);

        // Baseline first, on the same simulator; each run then loads a fresh world.
        auto capacity = measureStatusPostCapacity(context, sim.gitlabUrl(), kToken, "499", shaFor(0),
                                                  context.quick ? 2 : 8, "delivery-baseline");
        if (!capacity.wrk.ran || capacity.wrk.non_2xx > 0) {
            result.fail("baseline wrk: " + (capacity.wrk.ran ? std::to_string(capacity.wrk.non_2xx) + " non-2xx"
                                                              : capacity.wrk.error));
            return result;
        }

        const Backend sqlite{"SQLite, 1 host", "", "", 1};
        const DeliveryRun run = deliverOnce(context, sim, work, sqlite, "delivery");
        if (run.not_mounted) {
            result.status = Status::not_run;
            result.reason = run.error;
            return result;
        }
        reportFailures(result, run, sqlite.label);
        if (!run.ran) return result;

        Measure rate;
        rate.metric = "throughput (changes / time to every final status)";
        rate.value = total_changes / run.seconds;
        rate.unit = "ch/s";
        rate.baseline = capacity.wrk.requests_per_second;
        rate.baseline_name = "forge-sim raw status POSTs/s (wrk, 32 connections)";
        rate.target = "ratio >= 0.5";
        rate.met = rate.value >= 0.5 * *rate.baseline;
        result.measures.push_back(rate);
        Measure calls;
        calls.metric = "forge API calls per state change";
        calls.value = run.forge_calls / static_cast<double>(total_changes);
        calls.unit = "calls";
        calls.target = "<= 1.2";
        calls.met = calls.value <= 1.2;
        result.measures.push_back(calls);
        for (auto [name, v] : {std::pair{"p50", run.p50_ms}, std::pair{"p99", run.p99_ms}}) {
            Measure m;
            m.metric = std::string("delivery latency ") + name + " (task created -> delivered, host histogram)";
            m.value = v;
            m.unit = "ms";
            result.measures.push_back(m);
        }
        Measure dup;
        dup.metric = "duplicate notes / lost final statuses";
        dup.value = run.duplicates + run.wrong_status;
        dup.unit = "count";
        dup.target = "0";
        dup.met = run.duplicates + run.wrong_status == 0;
        result.measures.push_back(dup);
        result.details = {{"changes", total_changes},
                          {"merge_requests", mr_count},
                          {"projects", projects},
                          {"sqlite", run.details},
                          {"baseline",
                           {{"rps", capacity.wrk.requests_per_second}, {"p50_ms", capacity.wrk.p50_ms},
                            {"p99_ms", capacity.wrk.p99_ms}}}};
        if (run.forge_calls > 20000)
            result.notes.push_back("the simulator's log keeps the newest 20,000 requests: the per-route split is partial");

        // The same work on PostgreSQL, one host then two on one database, against SQLite's
        // throughput of this run.
        if (context.postgres == nullptr) {
            result.notes.push_back("PostgreSQL (1 and 2 hosts): full run only, not in --quick");
            return result;
        }
        for (int hosts : {1, 2}) {
            Backend pg;
            pg.hosts = hosts;
            pg.label = "PostgreSQL, " + std::to_string(hosts) + (hosts == 1 ? " host" : " hosts");
            pg.postgres_url = context.postgres->createDatabase("bench_delivery_" + std::to_string(hosts));
            pg.postgres_password = context.postgres->password();
            if (pg.postgres_url.empty()) {
                result.fail(pg.label + ": " + context.postgres->error());
                return result;
            }
            const DeliveryRun on_pg = deliverOnce(context, sim, work, pg, "delivery-pg" + std::to_string(hosts));
            reportFailures(result, on_pg, pg.label);
            if (!on_pg.ran) continue;
            Measure pg_rate;
            pg_rate.metric = "throughput, " + pg.label;
            pg_rate.value = total_changes / on_pg.seconds;
            pg_rate.unit = "ch/s";
            pg_rate.baseline = rate.value;
            pg_rate.baseline_name = "SQLite, 1 host, same run";
            result.measures.push_back(pg_rate);
            // Reported without SQLite's target: fewer changes coalesce when the accept side is the
            // slower one (the dispatcher keeps up, so more intermediate states reach the forge).
            Measure pg_calls;
            pg_calls.metric = "forge API calls per state change, " + pg.label;
            pg_calls.value = on_pg.forge_calls / static_cast<double>(total_changes);
            pg_calls.unit = "calls";
            result.measures.push_back(pg_calls);
            Measure pg_latency;
            pg_latency.metric = "delivery latency p50, " + pg.label;
            pg_latency.value = on_pg.p50_ms;
            pg_latency.unit = "ms";
            pg_latency.baseline = run.p50_ms;
            pg_latency.baseline_name = "SQLite, 1 host";
            result.measures.push_back(pg_latency);
            Measure pg_dup = dup;
            pg_dup.metric = "duplicate notes / lost final statuses, " + pg.label;
            pg_dup.value = on_pg.duplicates + on_pg.wrong_status;
            pg_dup.met = pg_dup.value == 0;
            result.measures.push_back(pg_dup);
            result.details["postgres_" + std::to_string(hosts)] = on_pg.details;
            result.details["postgres_" + std::to_string(hosts)]["ratio_to_raw"] =
                pg_rate.value / capacity.wrk.requests_per_second;
        }
        result.details["postgres_server_start_seconds"] = context.postgres->startSeconds();
    } catch (const std::exception& e) {
        result.fail(e.what());
    }
    return result;
}

}  // namespace forgelink::bench
