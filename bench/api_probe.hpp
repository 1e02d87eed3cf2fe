// Whether a running `forgelink serve` mounts the REST API (the service): the host answered only
// /healthz before the service was wired into serve, and the API benchmarks need it.
#pragma once

#include <string>

#include "serve_process.hpp"

namespace forgelink::bench {

// Creates team `slug`; false with `why` set when the API is not mounted or the call failed.
// `mounted` tells the two apart (not mounted = the benchmark is not run, not failed).
bool createTeam(const ServeProcess& serve, const std::string& slug, bool& mounted, std::string& why);

}  // namespace forgelink::bench
