// forge-sim's HTTP/1.1 listener on Boost.Beast: keep-alive, a fixed pool of io threads, and the
// wire-level faults the simulator needs (latency, stalls, connection resets).
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "sim_http.hpp"

namespace forgelink::sim {

class SimServer {
public:
    using Handler = std::function<SimResponse(const SimRequest&)>;
    // Binds 127.0.0.1:port (0 = any free port). Throws std::runtime_error when binding fails.
    SimServer(int port, Handler handler, int io_threads = 4);
    ~SimServer();
    int port() const;
    void run();   // blocks until stop()
    void stop();  // thread-safe

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace forgelink::sim
