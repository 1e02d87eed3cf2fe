// Runs wrk (the load generator scripts/setup installs) against a loopback URL and reads its
// summary: throughput, latency percentiles, non-2xx answers and socket errors.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace forgelink::bench {

struct WrkOptions {
    std::string url;
    int threads = 2;
    int connections = 32;
    double seconds = 5;
    std::vector<std::string> headers;  // "Name: value"
    std::filesystem::path script;      // optional Lua script (method, body)
};

struct WrkResult {
    bool ran = false;
    std::string error;        // why it did not run, or wrk's complaint
    double requests_per_second = 0;
    long long requests = 0;
    double p50_ms = 0, p90_ms = 0, p99_ms = 0;
    long long non_2xx = 0;
    long long socket_errors = 0;
    std::string output;       // wrk's text, for the JSON details
};

WrkResult runWrk(const WrkOptions& options, const std::filesystem::path& work_dir, const std::string& label);
// Parses wrk's text output (exposed for the unit check in --self-test).
WrkResult parseWrkOutput(const std::string& text);

}  // namespace forgelink::bench
