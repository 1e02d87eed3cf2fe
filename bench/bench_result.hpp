// What one benchmark reports: measured values, each next to the baseline measured in the same run,
// the ratio, and the target it is judged against. A missed target is reported, never a failure;
// `failed` means the benchmark could not run or saw a correctness failure (duplicates, losses).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace forgelink::bench {

struct Measure {
    std::string metric;                 // "wall time, concurrency 8"
    double value = 0;
    std::string unit;                   // "s", "ms", "req/s", "MB", "calls/change"
    std::optional<double> baseline;     // same unit
    std::string baseline_name;          // what the baseline is
    std::string target;                 // "ratio <= 1.3", "< 150 ms"; empty = reported only
    std::optional<bool> met;            // nullopt: no target
    std::optional<double> ratio() const {
        if (!baseline || *baseline == 0) return std::nullopt;
        return value / *baseline;
    }
};

enum class Status { ok, failed, not_run };

struct BenchResult {
    std::string id;      // "listing", "delivery", "api_reads", "startup", "sim_capacity"
    std::string title;
    Status status = Status::ok;
    std::string reason;  // why failed / not run
    std::vector<Measure> measures;
    std::vector<std::string> notes;
    nlohmann::json details = nlohmann::json::object();

    void fail(const std::string& why) {
        status = Status::failed;
        reason = reason.empty() ? why : reason + "; " + why;
    }
};

inline const char* toString(Status s) {
    switch (s) {
        case Status::ok: return "ok";
        case Status::failed: return "failed";
        case Status::not_run: return "not_run";
    }
    return "?";
}

nlohmann::json toJson(const BenchResult& result);

}  // namespace forgelink::bench
