#include "sim_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace forgelink::sim {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// "http://host:port/rest" -> {"host:port", "/rest"}; false for any other scheme.
bool splitHttpUrl(const std::string& url, std::string& authority, std::string& target) {
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) return false;
    const std::size_t host_end = url.find('/', scheme.size());
    authority = url.substr(scheme.size(), host_end == std::string::npos ? std::string::npos : host_end - scheme.size());
    target = host_end == std::string::npos ? "/" : url.substr(host_end);
    return true;
}

std::string lowerCase(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

HttpResult httpRequest(const std::string& method, const std::string& url, const Headers& headers, const std::string& body,
                       int timeout_ms) {
    std::string authority, target;
    if (!splitHttpUrl(url, authority, target)) {
        HttpResult out;
        out.error = "only http:// URLs are supported: " + url;
        return out;
    }
    HttpConnection connection("http://" + authority, false);
    return connection.request(method, target, headers, body, timeout_ms);
}

// Asynchronous steps on one io_context: beast::tcp_stream deadlines only bind async calls, and
// tests rely on the deadline (stalled servers). The buffer outlives a request: bytes the server
// sent past one response belong to the next.
struct HttpConnection::Socket {
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;
};

HttpConnection::HttpConnection(std::string origin, bool keep_alive) : keep_alive_(keep_alive) {
    std::string rest;
    if (!splitHttpUrl(origin, authority_, rest) || rest != "/") {
        origin_error_ = "an HttpConnection needs an http://host:port origin without a path: " + origin;
        return;
    }
    const std::size_t colon = authority_.rfind(':');
    host_ = colon == std::string::npos ? authority_ : authority_.substr(0, colon);
    port_ = colon == std::string::npos ? "80" : authority_.substr(colon + 1);
}

HttpConnection::~HttpConnection() {
    if (!socket_) return;
    beast::error_code ignored;
    socket_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

HttpResult HttpConnection::request(const std::string& method, const std::string& target, const Headers& headers,
                                   const std::string& body, int timeout_ms) {
    HttpResult out;
    if (!origin_error_.empty()) {
        out.error = origin_error_;
        return out;
    }
    try {
        http::request<http::string_body> req{http::string_to_verb(method), target, 11};
        // A method Beast has no verb for (tests send made-up ones) is sent as written, not empty.
        if (req.method() == http::verb::unknown) req.method_string(method);
        req.set(http::field::host, authority_);
        bool has_ua = false;
        for (auto& [k, v] : headers) {
            if (lowerCase(k) == "user-agent") {
                has_ua = true;
                if (v.empty()) continue;
            }
            req.set(k, v);
        }
        if (!has_ua) req.set(http::field::user_agent, "forge-sim-test");
        if (!keep_alive_) req.set(http::field::connection, "close");
        req.body() = body;
        if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.prepare_payload();
        http::response_parser<http::string_body> parser;
        parser.body_limit(256 * 1024 * 1024);
        if (method == "HEAD") parser.skip(true);

        const bool reuse = socket_ != nullptr;
        if (!reuse) socket_ = std::make_unique<Socket>();
        Socket& s = *socket_;
        beast::error_code result;
        auto exchange = [&] {
            http::async_write(s.stream, req, [&](beast::error_code written, std::size_t) {
                if (written) {
                    result = written;
                    return;
                }
                http::async_read(s.stream, s.buffer, parser, [&](beast::error_code read, std::size_t) { result = read; });
            });
        };
        s.stream.expires_after(std::chrono::milliseconds(timeout_ms));
        if (reuse) {
            exchange();
        } else {
            tcp::resolver resolver(s.ioc);
            auto endpoints = resolver.resolve(host_, port_);
            ++connects_;
            s.stream.async_connect(endpoints, [&](beast::error_code connected, const tcp::endpoint&) {
                if (connected) result = connected;
                else exchange();
            });
        }
        s.ioc.restart();
        s.ioc.run();
        if (result) {
            socket_.reset();
            out.error = result.message();
            return out;
        }
        auto& res = parser.get();
        out.status = static_cast<int>(res.result_int());
        for (auto& f : res) out.headers[lowerCase(std::string(f.name_string()))] = std::string(f.value());
        out.body = res.body();
        if (!keep_alive_ || !res.keep_alive()) {
            beast::error_code ignored;
            s.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
            socket_.reset();
        }
    } catch (const std::exception& e) {
        socket_.reset();
        out.status = 0;
        out.error = e.what();
    }
    return out;
}

std::string SimProcess::scenarioFile(const std::string& name) {
    std::ifstream in(std::string(FORGE_SIM_SCENARIO_DIR) + "/" + name);
    if (!in) throw std::runtime_error("cannot read scenario " + name + " in " FORGE_SIM_SCENARIO_DIR);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

SimProcess::SimProcess(const std::string& scenario, SimOptionsForTest options) {
    char tmpl[] = "/tmp/forge-sim-scenario-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) throw std::runtime_error("cannot create a temporary scenario file");
    scenario_path_ = tmpl;
    if (write(fd, scenario.data(), scenario.size()) != static_cast<ssize_t>(scenario.size())) {
        close(fd);
        throw std::runtime_error("cannot write the temporary scenario file");
    }
    close(fd);
    int out_pipe[2];
    if (pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> args = {FORGE_SIM_PATH, "--scenario", scenario_path_, "--port", "0", "--threads", "2"};
    if (!options.external_url.empty()) args.insert(args.end(), {"--external-url", options.external_url});
    if (options.seed >= 0) args.insert(args.end(), {"--seed", std::to_string(options.seed)});
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        close(out_pipe[0]);
        close(out_pipe[1]);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(out_pipe[1]);
    // Read the "listening on" line; EOF first means the simulator refused the scenario.
    std::string line;
    char c;
    while (read(out_pipe[0], &c, 1) == 1) {
        if (c == '\n') break;
        line += c;
    }
    close(out_pipe[0]);
    const std::string marker = "forge-sim listening on http://127.0.0.1:";
    std::size_t at = line.find(marker);
    if (at == std::string::npos) {
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        std::remove(scenario_path_.c_str());
        throw std::runtime_error("forge-sim did not start (exit status " + std::to_string(WEXITSTATUS(status)) +
                                 "); see its stderr above");
    }
    port_ = std::stoi(line.substr(at + marker.size()));
    gitlab_url_ = baseUrl();
    if (!options.external_url.empty()) {
        std::string ext = options.external_url;
        std::size_t z = ext.find(":0/");
        if (z != std::string::npos) ext = ext.substr(0, z) + ":" + std::to_string(port_) + ext.substr(z + 2);
        else if (ext.size() > 2 && ext.compare(ext.size() - 2, 2, ":0") == 0) ext = ext.substr(0, ext.size() - 2) + ":" + std::to_string(port_);
        while (!ext.empty() && ext.back() == '/') ext.pop_back();
        gitlab_url_ = ext;
    }
}

int SimProcess::stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        usleep(10000);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
}

SimProcess::~SimProcess() {
    stop();
    if (!scenario_path_.empty()) std::remove(scenario_path_.c_str());
}

std::string SimProcess::baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
std::string SimProcess::gitlabUrl() const { return gitlab_url_; }
std::string SimProcess::githubUrl() const { return baseUrl() + "/api/v3"; }

HttpResult SimProcess::post(const std::string& url, const std::string& body, const Headers& h) const {
    Headers all = h;
    bool has_ct = false;
    for (auto& [k, v] : h) has_ct = has_ct || k == "Content-Type" || k == "content-type";
    if (!has_ct) all.emplace_back("Content-Type", "application/json");
    return httpRequest("POST", url, all, body);
}

namespace {
HttpResult adminCall(const std::string& method, const std::string& url, const std::string& body = "") {
    HttpResult r = httpRequest(method, url, {{"Content-Type", "application/json"}}, body);
    if (r.status < 200 || r.status >= 300)
        throw std::runtime_error("forge-sim admin " + method + " " + url + " failed: " + std::to_string(r.status) + " " + r.body + r.error);
    return r;
}
}  // namespace

nlohmann::json SimProcess::requests() const { return adminCall("GET", baseUrl() + "/_sim/requests").json(); }
void SimProcess::clearRequests() const { adminCall("DELETE", baseUrl() + "/_sim/requests"); }
void SimProcess::faults(const nlohmann::json& rule) const { adminCall("POST", baseUrl() + "/_sim/faults", rule.dump()); }
void SimProcess::clearFaults() const { adminCall("DELETE", baseUrl() + "/_sim/faults"); }
void SimProcess::advanceTime(long long seconds) const {
    adminCall("POST", baseUrl() + "/_sim/time", nlohmann::json{{"advance_seconds", seconds}}.dump());
}
nlohmann::json SimProcess::state() const { return adminCall("GET", baseUrl() + "/_sim/state").json(); }
void SimProcess::loadScenario(const std::string& scenario) const { adminCall("POST", baseUrl() + "/_sim/scenario", scenario); }

}  // namespace forgelink::sim
