// forge-sim: a simulated GitLab + GitHub for Forgelink's tests, benchmarks and demos.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "forge_sim.hpp"
#include "sim_server.hpp"

namespace {

const char* kUsage =
    "usage: forge-sim --scenario FILE [--port N] [--external-url URL] [--seed N] [--threads N]\n"
    "  --scenario FILE     YAML or JSON world description (see tests/sim/SCENARIO.md)\n"
    "  --port N            port on 127.0.0.1 (default 0 = any free port)\n"
    "  --external-url URL  GitLab external URL, e.g. http://127.0.0.1:0/gitlab (port 0 = the real port)\n"
    "  --seed N            seed for generated tokens, bot names and fault RNG\n"
    "  --threads N         io threads (default 4)\n";

int usage(const std::string& problem) {
    std::cerr << "forge-sim: " << problem << "\n" << kUsage;
    return 2;
}

bool parseInt(const std::string& s, long long& out) {
    try {
        std::size_t used = 0;
        out = std::stoll(s, &used);
        return used == s.size();
    } catch (...) {
        return false;
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string scenario_path;
    long long port = 0, threads = 4;
    forgelink::sim::SimOptions options;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        std::string v;
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (a == "--scenario") {
            if (!value(scenario_path)) return usage("--scenario needs a file");
        } else if (a == "--port") {
            if (!value(v) || !parseInt(v, port) || port < 0 || port > 65535) return usage("--port needs 0..65535");
        } else if (a == "--external-url") {
            if (!value(options.external_url)) return usage("--external-url needs a URL");
        } else if (a == "--seed") {
            long long s = 0;
            if (!value(v) || !parseInt(v, s)) return usage("--seed needs an integer");
            options.seed = static_cast<std::uint64_t>(s);
        } else if (a == "--threads") {
            if (!value(v) || !parseInt(v, threads) || threads < 1 || threads > 64) return usage("--threads needs 1..64");
        } else {
            return usage("unknown argument \"" + a + "\"");
        }
    }
    if (scenario_path.empty()) return usage("--scenario is required");
    std::ifstream in(scenario_path);
    if (!in) return usage("cannot read scenario file " + scenario_path);
    std::stringstream text;
    text << in.rdbuf();

    // Signals are taken by one thread with sigwait so shutdown runs outside a signal handler.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<forgelink::sim::World> world;
    try {
        world = forgelink::sim::loadScenario(text.str(), options.seed.value_or(0), options.seed.has_value());
    } catch (const std::exception& e) {
        std::cerr << "forge-sim: " << scenario_path << ": " << e.what() << "\n";
        return 1;
    }
    try {
        forgelink::sim::ForgeSim sim(std::move(world), options);
        forgelink::sim::SimServer server(static_cast<int>(port), [&sim](const auto& req) { return sim.handle(req); },
                                         static_cast<int>(threads));
        sim.setPort(server.port());
        // The signal thread uses the server, so it is joined before the server is destroyed: detached,
        // it could still be inside stop()'s post (waking an I/O thread) when run() returned and main
        // destroyed the io_context (a data race TSan reported at every shutdown). If run() ends any
        // other way, the thread is woken with the signal it waits for (a thread-directed signal that
        // arrives once it has returned from sigwait is discarded with it).
        std::thread signals([&] {
            int sig = 0;
            sigwait(&set, &sig);
            server.stop();
        });
        struct JoinSignals {
            std::thread& thread;
            ~JoinSignals() {
                pthread_kill(thread.native_handle(), SIGTERM);
                thread.join();
            }
        } join_signals{signals};
        std::cout << "forge-sim listening on http://127.0.0.1:" << server.port() << std::endl;
        server.run();
    } catch (const std::exception& e) {
        std::cerr << "forge-sim: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
