// Where the benchmarks find the built programs and how big a run is.
#pragma once

#include <filesystem>
#include <string>

namespace forgelink::bench {

class PgServer;

struct BenchContext {
    bool quick = false;
    std::filesystem::path build_dir;  // holds bin/forgelink, bin/forge-sim, plugins/
    std::filesystem::path work_dir;   // a fresh temporary directory, removed at the end
    std::filesystem::path bench_bin_dir;  // where forgelink_bench (and the baseline next to it) is
    // The throwaway PostgreSQL of the PostgreSQL variants (started on first use); nullptr = those
    // variants are not run (--quick).
    PgServer* postgres = nullptr;

    std::filesystem::path forgelink() const { return build_dir / "bin" / "forgelink"; }
    std::filesystem::path baselineServer() const { return bench_bin_dir / "forgelink_bench_baseline"; }
    std::filesystem::path pluginDir() const { return build_dir / "plugins"; }
};

}  // namespace forgelink::bench
