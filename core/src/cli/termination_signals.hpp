// SIGINT/SIGTERM handled by sigwait instead of a handler: a handler may not safely stop a server
// (cpprestsdk listeners crash when closed from one, PITFALLS), ordinary code can.
#pragma once

namespace forgelink::cli {

// Blocks SIGINT and SIGTERM in the calling thread; threads created afterwards inherit the mask.
// Call it in main() before anything starts a thread.
void blockTerminationSignals();

// Waits for SIGINT or SIGTERM (which must be blocked) and returns its number.
int waitForTerminationSignal();

}  // namespace forgelink::cli
