// What serve's reload (SIGHUP, `systemctl reload forgelink`) can change without a restart.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace forgelink::cli {

// The configuration keys whose values differ between the running configuration and a newly read
// one and that only take effect after a restart (listen address, limits, store, secrets, plugins,
// providers, feedback...). logging.level and admin.* are applied by the reload and never listed.
std::vector<std::string> keysNeedingRestart(const config::Config& running, const config::Config& next);

}  // namespace forgelink::cli
