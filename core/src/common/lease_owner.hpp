// Who holds a lease on a row of the store (a feedback task, a notice, a refresh claim, a token
// rotation): one name per worker of one process, "<role>:<host>:<pid>:<16 hex digits>", or
// "<host>:<pid>:<16 hex>" without a role (the dispatcher's, which it reads back with
// leaseOwnerIsGone to find leases of a process that is gone). The one writer and reader of them.
#pragma once

#include <string>
#include <string_view>

namespace forgelink::common {

// This machine's host name, "host" when it cannot be read.
std::string hostName();

// A fresh owner name for a worker of this process (random suffix: two workers never share one).
std::string leaseOwner(std::string_view role = {});

// True when `owner` names a worker without a role ("<host>:<pid>:<random>", as leaseOwner makes
// it) of an earlier process on this machine that no longer runs: its leases protect nothing.
// Other owners cannot be judged (false), nor `self`; a process id that is alive (possibly reused
// by another program) keeps its leases until they expire.
bool leaseOwnerIsGone(const std::string& owner, const std::string& self);

}  // namespace forgelink::common
