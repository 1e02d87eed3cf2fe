#include "wrk_runner.hpp"

#include <algorithm>
#include <chrono>
#include <regex>
#include <sstream>

#include "child_process.hpp"

namespace forgelink::bench {

namespace {
double toMs(double value, const std::string& unit) {
    if (unit == "us") return value / 1000.0;
    if (unit == "s") return value * 1000.0;
    if (unit == "m") return value * 60000.0;
    return value;  // ms
}
}  // namespace

WrkResult parseWrkOutput(const std::string& text) {
    WrkResult r;
    r.output = text;
    std::smatch m;
    static const std::regex rps(R"(Requests/sec:\s+([0-9.]+))");
    static const std::regex total(R"((\d+) requests in)");
    static const std::regex non2xx(R"(Non-2xx or 3xx responses:\s+(\d+))");
    static const std::regex sockets(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))");
    static const std::regex pct(R"(^\s+(50|90|99)%\s+([0-9.]+)(us|ms|s|m)\s*$)");
    if (std::regex_search(text, m, rps)) {
        r.requests_per_second = std::stod(m[1]);
        r.ran = true;
    }
    if (std::regex_search(text, m, total)) r.requests = std::stoll(m[1]);
    if (std::regex_search(text, m, non2xx)) r.non_2xx = std::stoll(m[1]);
    if (std::regex_search(text, m, sockets))
        r.socket_errors = std::stoll(m[1]) + std::stoll(m[2]) + std::stoll(m[3]) + std::stoll(m[4]);
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (!std::regex_match(line, m, pct)) continue;
        const double ms = toMs(std::stod(m[2]), m[3]);
        if (m[1] == "50") r.p50_ms = ms;
        if (m[1] == "90") r.p90_ms = ms;
        if (m[1] == "99") r.p99_ms = ms;
    }
    if (!r.ran) r.error = "wrk printed no Requests/sec line";
    return r;
}

WrkResult runWrk(const WrkOptions& options, const std::filesystem::path& work_dir, const std::string& label) {
    std::vector<std::string> argv = {"/usr/bin/wrk", "-t", std::to_string(options.threads), "-c",
                                     std::to_string(options.connections), "-d",
                                     std::to_string(std::max(1, static_cast<int>(options.seconds + 0.5))) + "s", "--latency",
                                     "--timeout", "5s"};
    for (const auto& h : options.headers) {
        argv.push_back("-H");
        argv.push_back(h);
    }
    if (!options.script.empty()) {
        argv.push_back("-s");
        argv.push_back(options.script.string());
    }
    argv.push_back(options.url);
    WrkResult result;
    try {
        ChildProcess wrk(argv, work_dir / ("wrk-" + label));
        auto code = wrk.wait(std::chrono::milliseconds(static_cast<long long>(options.seconds * 1000) + 20000));
        if (!code) {
            wrk.stop();
            result.error = "wrk did not finish in time";
            return result;
        }
        result = parseWrkOutput(wrk.stdoutText());
        if (*code != 0) {
            result.ran = false;
            result.error = "wrk exited " + std::to_string(*code) + ": " + wrk.stderrText().substr(0, 300);
        }
    } catch (const std::exception& e) {
        result.error = e.what();
    }
    return result;
}

}  // namespace forgelink::bench
