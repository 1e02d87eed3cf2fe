// The simulator's raw capacity for commit status POSTs, shared by the capacity report and the
// delivery benchmark (its baseline).
#pragma once

#include <string>

#include "bench_context.hpp"
#include "wrk_runner.hpp"

namespace forgelink::bench {

struct SimCapacity {
    WrkResult wrk;
};

SimCapacity measureStatusPostCapacity(const BenchContext& context, const std::string& gitlab_url,
                                      const std::string& token, const std::string& project_id, const std::string& sha,
                                      double seconds, const std::string& label);

}  // namespace forgelink::bench
