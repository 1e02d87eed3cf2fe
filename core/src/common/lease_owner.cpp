#include "common/lease_owner.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

bool leaseOwnerIsGone(const std::string& owner, const std::string& self) {
    if (owner == self) return false;
    const auto last = owner.rfind(':');
    if (last == std::string::npos || last == 0) return false;
    const auto middle = owner.rfind(':', last - 1);
    if (middle == std::string::npos || owner.compare(0, middle, hostName()) != 0) return false;
    const std::string pid_text = owner.substr(middle + 1, last - middle - 1);
    if (pid_text.empty() || pid_text.size() > 9 ||
        !std::all_of(pid_text.begin(), pid_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    const auto pid = static_cast<pid_t>(std::stol(pid_text));
    // Our own pid under another owner name: an earlier process that had the same pid (a restarted
    // container's process 1, say).
    if (pid == getpid()) return true;
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace forgelink::common
