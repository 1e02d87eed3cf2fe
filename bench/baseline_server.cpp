// The baseline for the host API benchmarks: Forgelink's own HttpServer (forgelink::net::makeHttpServer,
// i.e. the Boost.Beast server behind our interface) answering a constant JSON body on every
// route, with the same worker count as `forgelink serve`. What the host does
// beyond this (routing, auth, store, JSON) is what the API benchmark's ratio shows.
//
//   forgelink_bench_baseline --port N [--body-bytes N]
// prints "listening on http://127.0.0.1:PORT" and serves until SIGTERM/SIGINT.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "net/http_server.hpp"

int main(int argc, char** argv) {
    int port = 0;
    std::size_t body_bytes = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string name = argv[i];
        if (name == "--port") port = std::atoi(argv[i + 1]);
        else if (name == "--body-bytes") body_bytes = static_cast<std::size_t>(std::atoll(argv[i + 1]));
        else {
            std::cerr << "usage: forgelink_bench_baseline --port N [--body-bytes N]\n";
            return 2;
        }
    }
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    // Blocked before any thread exists, so only sigwait below sees them.
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    // A JSON array padded to the requested size, so the baseline can match a real answer's bytes.
    std::string body = "[";
    while (body.size() + 1 < body_bytes) body += body.size() == 1 ? "0" : ",0";
    body += "]";

    forgelink::net::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = static_cast<std::uint16_t>(port);
    auto server = forgelink::net::makeHttpServer(options, [body](const forgelink::net::ServerRequest&) {
        return forgelink::net::ServerResponse{200, {{"Content-Type", "application/json"}}, body};
    });
    try {
        server->start();
    } catch (const std::exception& e) {
        std::cerr << "forgelink_bench_baseline: " << e.what() << "\n";
        return 4;
    }
    std::cout << "listening on " << server->baseUrl() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    server->stop();
    return 0;
}
