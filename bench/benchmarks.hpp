// The benchmarks `forgelink_bench` runs, each self-contained: it starts what it needs on loopback
// (forge-sim, forgelink serve, the baseline server), measures, stops everything, and returns.
#pragma once

#include "bench_context.hpp"
#include "bench_result.hpp"

namespace forgelink::bench {

BenchResult runListingBench(const BenchContext& context);      // 1. repository listing
BenchResult runDeliveryBench(const BenchContext& context);     // 2. feedback delivery
BenchResult runApiReadBench(const BenchContext& context);      // 3. host API reads
BenchResult runStartupBench(const BenchContext& context);      // 4. start-up and idle RSS
BenchResult runSimCapacityBench(const BenchContext& context);  // forge-sim's own throughput (issue 3)

}  // namespace forgelink::bench
