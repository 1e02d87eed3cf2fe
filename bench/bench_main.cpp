// forgelink_bench: runs the benchmarks of issue 7, prints a table and writes JSON results.
//
//   forgelink_bench [--quick] [--build DIR] [--out FILE] [--only ID,...]
//
// Exit 0 when every benchmark ran and saw no correctness failure (speed targets are reported,
// never asserted), 1 when one failed to run or saw duplicates or losses, 2 on a usage error.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "benchmarks.hpp"
#include "pg_server.hpp"

namespace fs = std::filesystem;
using namespace forgelink::bench;

namespace forgelink::bench {

nlohmann::json toJson(const BenchResult& result) {
    nlohmann::json measures = nlohmann::json::array();
    for (const auto& m : result.measures) {
        nlohmann::json j = {{"metric", m.metric}, {"value", m.value}, {"unit", m.unit}};
        j["baseline"] = m.baseline ? nlohmann::json(*m.baseline) : nlohmann::json(nullptr);
        j["baseline_name"] = m.baseline_name;
        j["ratio"] = m.ratio() ? nlohmann::json(*m.ratio()) : nlohmann::json(nullptr);
        j["target"] = m.target;
        j["met"] = m.met ? nlohmann::json(*m.met) : nlohmann::json(nullptr);
        measures.push_back(j);
    }
    return {{"id", result.id},       {"title", result.title}, {"status", toString(result.status)},
            {"reason", result.reason}, {"measures", measures}, {"notes", result.notes},
            {"details", result.details}};
}

}  // namespace forgelink::bench

namespace {

std::string number(double v) {
    std::ostringstream out;
    if (v >= 1000) out << std::fixed << std::setprecision(0) << v;
    else if (v >= 10) out << std::fixed << std::setprecision(1) << v;
    else out << std::fixed << std::setprecision(3) << v;
    return out.str();
}

void printTable(const std::vector<BenchResult>& results) {
    std::cout << "\n";
    for (const auto& r : results) {
        std::cout << "== " << r.title << " [" << toString(r.status) << "]";
        if (!r.reason.empty()) std::cout << ": " << r.reason;
        std::cout << "\n";
        for (const auto& m : r.measures) {
            std::cout << "  " << std::left << std::setw(62) << m.metric << std::right << std::setw(10)
                      << number(m.value) << " " << std::left << std::setw(6) << m.unit;
            if (m.baseline) {
                std::cout << " baseline " << number(*m.baseline) << " (" << m.baseline_name << ")";
                if (m.ratio()) std::cout << " ratio " << std::fixed << std::setprecision(2) << *m.ratio();
            }
            if (!m.target.empty()) std::cout << "  target " << m.target << (m.met.value_or(false) ? " MET" : " MISSED");
            std::cout << "\n";
        }
        for (const auto& n : r.notes) std::cout << "  note: " << n << "\n";
    }
}

std::string isoNow() {
    const std::time_t t = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return text;
}

double loadAverage() {
    double load[1] = {0};
    return getloadavg(load, 1) == 1 ? load[0] : -1;
}

int usage(const std::string& why) {
    std::cerr << "forgelink_bench: " << why << "\n"
              << "usage: forgelink_bench [--quick] [--build DIR] [--out FILE] [--only listing,delivery,api_reads,"
                 "startup,sim_capacity]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    BenchContext context;
    // The build tree this binary belongs to: <build>/bin/forgelink_bench.
    context.bench_bin_dir = fs::canonical("/proc/self/exe").parent_path();
    context.build_dir = context.bench_bin_dir.parent_path();
    fs::path out = "bench/results/latest.json";
    std::set<std::string> only;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        try {
            if (a == "--quick") context.quick = true;
            else if (a == "--build") context.build_dir = fs::absolute(value());
            else if (a == "--out") out = value();
            else if (a == "--only") {
                std::stringstream list(value());
                for (std::string id; std::getline(list, id, ',');) only.insert(id);
            } else if (a == "--help" || a == "-h") {
                usage("runs the benchmarks (bench/README.md)");
                return 0;
            } else return usage("unknown option " + a);
        } catch (const std::exception& e) {
            return usage(e.what());
        }
    }
    for (const auto& needed : {context.forgelink(), context.baselineServer(), context.pluginDir()}) {
        if (!fs::exists(needed)) {
            std::cerr << "forgelink_bench: " << needed << " does not exist; build the tree first (--build DIR)\n";
            return 1;
        }
    }

    char dir_template[] = "/tmp/forgelink-bench-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) {
        std::cerr << "forgelink_bench: cannot make a temporary directory\n";
        return 1;
    }
    context.work_dir = dir_template;
    // The PostgreSQL variants of delivery and api_reads (full run only): the server starts when the
    // first of them needs it and stops when main returns (its watchdog stops it if we are killed).
    std::optional<PgServer> postgres;
    if (!context.quick) {
        postgres.emplace(FORGELINK_PG_TEST_SERVER, context.work_dir);
        context.postgres = &*postgres;
    }

    struct Entry {
        const char* id;
        BenchResult (*run)(const BenchContext&);
    };
    const Entry entries[] = {{"startup", runStartupBench},
                             {"listing", runListingBench},
                             {"sim_capacity", runSimCapacityBench},
                             {"api_reads", runApiReadBench},
                             {"delivery", runDeliveryBench}};
    const double load_before = loadAverage();
    const auto started = std::chrono::steady_clock::now();
    std::vector<BenchResult> results;
    for (const auto& e : entries) {
        if (!only.empty() && !only.count(e.id)) continue;
        std::cerr << "forgelink_bench: running " << e.id << (context.quick ? " (quick)" : "") << "\n";
        const auto t0 = std::chrono::steady_clock::now();
        results.push_back(e.run(context));
        const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        results.back().details["bench_seconds"] = took;
        std::cerr << "forgelink_bench: " << e.id << " " << toString(results.back().status) << " in "
                  << number(took) << " s\n";
    }
    if (postgres) postgres->stop();
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    printTable(results);

    nlohmann::json doc = {{"mode", context.quick ? "quick" : "full"},
                          {"finished_at", isoNow()},
                          {"seconds", total},
                          {"machine",
                           {{"cpus", std::thread::hardware_concurrency()},
                            {"load_average_1m_before", load_before},
                            {"load_average_1m_after", loadAverage()}}},
                          {"benchmarks", nlohmann::json::array()}};
    bool failed = false;
    for (const auto& r : results) {
        doc["benchmarks"].push_back(toJson(r));
        failed = failed || r.status == Status::failed;
    }
    std::error_code ec;
    if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
    std::ofstream file(out);
    file << doc.dump(2) << "\n";
    if (!file) {
        std::cerr << "forgelink_bench: cannot write " << out << "\n";
        failed = true;
    } else {
        std::cout << "\nresults: " << out.string() << " (" << number(total) << " s, load average "
                  << number(load_before) << " before, " << number(loadAverage()) << " after)\n";
    }
    if (failed) std::cerr << "forgelink_bench: logs of the failed run kept in " << context.work_dir.string() << "\n";
    else fs::remove_all(context.work_dir, ec);
    return failed ? 1 : 0;
}
