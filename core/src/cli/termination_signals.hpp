// SIGINT/SIGTERM (stop) and SIGHUP (reload) handled by sigwait instead of a handler: a handler
// may not safely stop a server (cpprestsdk listeners crash when closed from one, PITFALLS) nor
// re-read a file, ordinary code can.
#pragma once

namespace forgelink::cli {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread; threads created afterwards inherit the
// mask. Call it in main() before anything starts a thread.
void blockTerminationSignals();

// Waits for SIGINT, SIGTERM or SIGHUP (which must be blocked) and returns its number.
int waitForServeSignal();

}  // namespace forgelink::cli
