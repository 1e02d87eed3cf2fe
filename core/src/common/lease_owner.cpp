#include "common/lease_owner.hpp"

#include <unistd.h>

#include <cstdio>
#include <random>

namespace forgelink::common {

std::string hostName() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "host";
    return host;
}

std::string leaseOwner(std::string_view role) {
    std::random_device device;
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%08x%08x", device(), device());
    std::string owner = role.empty() ? std::string() : std::string(role) + ":";
    return owner + hostName() + ":" + std::to_string(getpid()) + ":" + suffix;
}

}  // namespace forgelink::common
