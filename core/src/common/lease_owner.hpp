// Who holds a lease on a row of the store (a feedback task, a notice, a refresh claim): one name
// per worker of one process, "<role>:<host>:<pid>:<16 hex digits>", or "<host>:<pid>:<16 hex>"
// without a role (the dispatcher's, which it reads back to find leases of a process that is gone).
#pragma once

#include <string>
#include <string_view>

namespace forgelink::common {

// This machine's host name, "host" when it cannot be read.
std::string hostName();

// A fresh owner name for a worker of this process (random suffix: two workers never share one).
std::string leaseOwner(std::string_view role = {});

}  // namespace forgelink::common
