// Plain-socket helpers for the network tests, independent of the code under test: a blocking
// HTTP/1.1 exchange and a scripted server that records what it received. 127.0.0.1 only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "forgelink/transport.hpp"

namespace forgelink::net::test {

struct RawResponse {
    int status = 0;  // 0 when nothing usable came back
    Headers headers;
    std::string body;
    std::string raw;
    const std::string* header(std::string_view name) const noexcept { return findHeader(headers, name); }
};

// Sends `request` verbatim to 127.0.0.1:port and reads until the server closes or the response
// is complete (by Content-Length). Returns status 0 when the connection failed or timed out.
RawResponse rawExchange(std::uint16_t port, const std::string& request,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
// True when a TCP connect to 127.0.0.1:port succeeds.
bool canConnect(std::uint16_t port);

// One client connection held open, for tests that stream a request, send it slowly, or send
// several on one connection.
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;
    bool connected() const { return fd_ >= 0; }
    // Sends all of `data`; false once the server has closed or reset the connection (or has
    // taken nothing for 15 s).
    bool send(std::string_view data);
    // Reads one response (its head, then a Content-Length body unless `head_only`) within
    // `timeout`; bytes after it stay buffered for the next read. Status 0 when none came.
    RawResponse read(std::chrono::milliseconds timeout = std::chrono::seconds(10), bool head_only = false);
    // True when the server closes the connection (EOF or reset) within `timeout`; what it sent
    // before is kept for read().
    bool closedWithin(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
    std::string pending_;
};

struct RecordedRequest {
    std::string request_line;  // "GET /x HTTP/1.1"
    Headers headers;
    std::string body;
};

struct ScriptedReply {
    std::string raw;                          // the full HTTP response text
    std::chrono::milliseconds delay{0};       // interruptible wait before answering
};

// Answers every connection with the scripted reply; one request per connection.
class ScriptedServer {
public:
    explicit ScriptedServer(std::function<ScriptedReply(const RecordedRequest&)> script);
    ~ScriptedServer();
    std::uint16_t port() const { return port_; }
    std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<RecordedRequest> requests() const;
    int maxConcurrent() const { return max_concurrent_; }
    void stop();

private:
    void acceptLoop();
    void serve(int fd);

    std::function<ScriptedReply(const RecordedRequest&)> script_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread acceptor_;
    std::vector<std::thread> connections_;
    mutable std::mutex mutex_;
    std::condition_variable stopping_cv_;
    bool stopping_ = false;
    std::vector<RecordedRequest> requests_;
    std::atomic<int> concurrent_{0};
    std::atomic<int> max_concurrent_{0};
};

std::string httpReply(int status, const std::string& body, const std::string& extra_headers = "");

// Slow clients (issue 19): `count` connections to 127.0.0.1:port, each sent `head` (a request head
// without its blank line) one byte a second, from a thread, from construction on.
class SlowClients {
public:
    SlowClients(std::uint16_t port, int count, std::string head);
    ~SlowClients();
    SlowClients(const SlowClients&) = delete;
    SlowClients& operator=(const SlowClients&) = delete;
    // Stops the trickle, sends every connection the rest of its head, "Connection: close" and the
    // blank line, and returns how many were answered 200: one the server dropped meanwhile is not.
    int finish();
    std::size_t bytesSent() const { return trickled_; }  // of the head, on each connection
    int failedSends() const { return failed_sends_; }

private:
    void stop();

    std::string head_;
    std::vector<std::unique_ptr<RawConnection>> connections_;
    std::atomic<bool> done_{false};
    std::atomic<std::size_t> trickled_{0};
    std::atomic<int> failed_sends_{0};
    std::thread trickle_;
};

// GET `path` on a new connection `times` times, 100 ms apart: the slowest exchange; `statuses`
// gets each answer's status.
std::chrono::milliseconds slowestAnswer(std::uint16_t port, const std::string& path, int times, std::vector<int>& statuses);

}  // namespace forgelink::net::test
