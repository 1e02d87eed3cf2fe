#include "cli/termination_signals.hpp"

#include <pthread.h>

#include <csignal>

namespace forgelink::cli {

namespace {
sigset_t terminationSet() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}
}  // namespace

void blockTerminationSignals() {
    sigset_t set = terminationSet();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int waitForServeSignal() {
    sigset_t set = terminationSet();
    int number = 0;
    while (sigwait(&set, &number) != 0) {
    }
    return number;
}

}  // namespace forgelink::cli
