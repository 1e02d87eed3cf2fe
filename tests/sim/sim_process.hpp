// Test helper: runs the built forge-sim binary as a child process on a free port and talks to it.
//
//   forgelink::sim::SimProcess sim(forgelink::sim::SimProcess::scenarioFile("gitlab-basic.yaml"));
//   auto r = sim.get(sim.gitlabUrl() + "/api/v4/user", {{"PRIVATE-TOKEN", "glpat-bot-api-0000000000"}});
//
// Not thread-safe per instance for the admin helpers; HTTP calls themselves are independent.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forgelink::sim {

struct HttpResult {
    int status = 0;                              // 0 = transport error (see error)
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string error;
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
    bool hasHeader(const std::string& lower_name) const { return headers.count(lower_name) > 0; }
    nlohmann::json json() const { return nlohmann::json::parse(body); }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One blocking HTTP/1.1 request (a fresh connection, Connection: close) to an http://127.0.0.1 URL.
// Adds "User-Agent: forge-sim-test" unless the caller passes its own (an empty value omits it).
HttpResult httpRequest(const std::string& method, const std::string& url, const Headers& headers = {},
                       const std::string& body = "", int timeout_ms = 10000);

// An HTTP/1.1 client connection to one http://host:port origin, kept open between requests as a
// pooled API client (or wrk) keeps it: the next request reuses it unless the server answered
// `Connection: close`. A request that fails drops the connection and the next one opens a new
// one; nothing is retried, so a POST is never sent twice. Not thread-safe: one per thread.
// Requests carry the same defaults as httpRequest (User-Agent, framing).
class HttpConnection {
public:
    // `origin` is "http://host:port" (a trailing path is refused when a request is made).
    explicit HttpConnection(std::string origin, bool keep_alive = true);
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    // `target` is the path and query ("/api/v1/teams?x=1"); `timeout_ms` bounds the whole
    // exchange, connecting included.
    HttpResult request(const std::string& method, const std::string& target, const Headers& headers = {},
                       const std::string& body = "", int timeout_ms = 10000);
    // TCP connections opened so far (1 for any number of requests answered with keep-alive).
    std::size_t connects() const { return connects_; }

private:
    struct Socket;
    std::string authority_, host_, port_;  // of the origin, parsed once
    std::string origin_error_;             // non-empty: the origin was not http://host:port
    bool keep_alive_;
    std::unique_ptr<Socket> socket_;
    std::size_t connects_ = 0;
};

struct SimOptionsForTest {
    std::string external_url;  // e.g. "http://127.0.0.1:0/gitlab" (port 0 = the real port)
    long long seed = -1;       // -1 = the scenario's seed
};

class SimProcess {
public:
    // `scenario` is YAML/JSON text.
    explicit SimProcess(const std::string& scenario, SimOptionsForTest options = {});
    ~SimProcess();  // stop()s it if still running
    SimProcess(const SimProcess&) = delete;
    SimProcess& operator=(const SimProcess&) = delete;

    static std::string scenarioFile(const std::string& name);  // reads tests/sim/scenarios/<name>

    int port() const { return port_; }
    std::string baseUrl() const;    // http://127.0.0.1:PORT
    std::string gitlabUrl() const;  // the GitLab instance root (external URL if one was given)
    std::string githubUrl() const;  // http://127.0.0.1:PORT/api/v3

    HttpResult get(const std::string& url, const Headers& h = {}) const { return httpRequest("GET", url, h); }
    HttpResult post(const std::string& url, const std::string& body, const Headers& h = {}) const;

    nlohmann::json requests() const;      // GET /_sim/requests
    void clearRequests() const;           // DELETE /_sim/requests
    void faults(const nlohmann::json& rule) const;  // POST /_sim/faults
    void clearFaults() const;             // DELETE /_sim/faults
    void advanceTime(long long seconds) const;
    nlohmann::json state() const;         // GET /_sim/state
    void loadScenario(const std::string& scenario) const;  // POST /_sim/scenario

    // SIGTERM, then SIGKILL after a second: forge-sim's exit status (WEXITSTATUS), or -1 if it had
    // to be killed. 0 is a clean stop (a sanitizer's report at shutdown makes it non-zero).
    int stop();

private:
    int pid_ = -1;
    int port_ = 0;
    std::string gitlab_url_;
    std::string scenario_path_;
};

}  // namespace forgelink::sim
