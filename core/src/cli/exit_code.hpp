// The process exit codes of every forgelink command (documented in docs/cli.md).
#pragma once

#include <forgelink/result.hpp>

namespace forgelink::cli {

enum ExitCode : int {
    exit_ok = 0,
    exit_invalid_input = 1,  // bad configuration, unreadable file, unknown provider, malformed data
    exit_usage = 2,          // bad command line: unknown option, missing argument, token as argument
    exit_refused = 3,        // a forge or the plugin loader said no: token refused, forbidden, not found, unsupported
    exit_internal = 4,       // transient or internal: network, rate limit, conflict, a bug; retrying may help
    exit_deadline = 5,       // the command's overall deadline (--deadline) passed before it finished
};

inline int exitCodeFor(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::unauthorized:
        case ErrorKind::forbidden:
        case ErrorKind::missing_scope:
        case ErrorKind::not_found:
        case ErrorKind::unsupported: return exit_refused;
        case ErrorKind::invalid_input: return exit_invalid_input;
        case ErrorKind::rate_limited:
        case ErrorKind::transient:
        case ErrorKind::conflict:
        case ErrorKind::internal: return exit_internal;
    }
    return exit_internal;
}

}  // namespace forgelink::cli
