#include "socket_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <forgelink/support/http_text.hpp>

#include "common/strings.hpp"

namespace forgelink::net::test {

namespace {

int connectTo(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void sendAll(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<std::size_t>(n);
    }
}

// Parses the head; returns false while it is incomplete.
bool parseHead(const std::string& data, std::size_t& head_end, std::string& first_line, Headers& headers) {
    head_end = data.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    const auto lines = common::split(std::string_view(data).substr(0, head_end), '\n');
    headers.clear();
    first_line = std::string(support::trimSpace(lines.front()));
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto colon = lines[i].find(':');
        if (colon == std::string::npos) continue;
        headers.emplace_back(std::string(support::trimSpace(std::string_view(lines[i]).substr(0, colon))),
                             std::string(support::trimSpace(std::string_view(lines[i]).substr(colon + 1))));
    }
    head_end += 4;
    return true;
}

}  // namespace

RawResponse rawExchange(std::uint16_t port, const std::string& request, std::chrono::milliseconds timeout) {
    RawResponse response;
    const int fd = connectTo(port);
    if (fd < 0) return response;
    sendAll(fd, request);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string data;
    char buffer[16384];
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        data.append(buffer, static_cast<std::size_t>(n));
        std::size_t head_end = 0;
        std::string first;
        Headers headers;
        if (parseHead(data, head_end, first, headers)) {
            const auto* length = findHeader(headers, "Content-Length");
            if (length && data.size() >= head_end + std::stoul(*length)) break;
        }
    }
    ::close(fd);
    response.raw = data;
    std::size_t head_end = 0;
    std::string first;
    if (parseHead(data, head_end, first, response.headers)) {
        const auto space = first.find(' ');
        if (space != std::string::npos) response.status = std::atoi(first.c_str() + space + 1);
        response.body = data.substr(head_end);
    }
    return response;
}

bool canConnect(std::uint16_t port) {
    const int fd = connectTo(port);
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

RawConnection::RawConnection(std::uint16_t port) : fd_(connectTo(port)) {}

RawConnection::~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(std::string_view data) {
    if (fd_ < 0) return false;
    std::size_t sent = 0;
    while (sent < data.size()) {
        // A server that neither reads nor closes for 15 s counts as gone: the test must not hang.
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, 15000) <= 0 || (p.revents & (POLLERR | POLLHUP)) != 0) return false;
        const auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

RawResponse RawConnection::read(std::chrono::milliseconds timeout, bool head_only) {
    RawResponse response;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[16384];
    while (fd_ >= 0) {
        std::size_t head_end = 0;
        std::string first;
        Headers headers;
        if (parseHead(pending_, head_end, first, headers)) {
            const auto* length = findHeader(headers, "Content-Length");
            const std::size_t body = head_only || !length ? 0 : std::stoul(*length);
            if (pending_.size() >= head_end + body) {
                response.raw = pending_.substr(0, head_end + body);
                response.headers = headers;
                response.body = pending_.substr(head_end, body);
                const auto space = first.find(' ');
                if (space != std::string::npos) response.status = std::atoi(first.c_str() + space + 1);
                pending_.erase(0, head_end + body);
                return response;
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        pending_.append(buffer, static_cast<std::size_t>(n));
    }
    response.raw = pending_;
    return response;
}

bool RawConnection::closedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[16384];
    while (fd_ >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0) return true;
        pending_.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

std::string httpReply(int status, const std::string& body, const std::string& extra_headers) {
    return "HTTP/1.1 " + std::to_string(status) + " Status\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
}

ScriptedServer::ScriptedServer(std::function<ScriptedReply(const RecordedRequest&)> script)
    : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 128) != 0) {
        throw std::runtime_error(std::string("ScriptedServer: ") + std::strerror(errno));
    }
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
}

ScriptedServer::~ScriptedServer() { stop(); }

void ScriptedServer::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    stopping_cv_.notify_all();
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    for (auto& connection : connections_) connection.join();
}

std::vector<RecordedRequest> ScriptedServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void ScriptedServer::acceptLoop() {
    while (true) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        std::lock_guard lock(mutex_);
        if (stopping_) {
            ::close(fd);
            return;
        }
        connections_.emplace_back([this, fd] { serve(fd); });
    }
}

void ScriptedServer::serve(int fd) {
    const int now = ++concurrent_;
    int seen = max_concurrent_.load();
    while (now > seen && !max_concurrent_.compare_exchange_weak(seen, now)) {
    }
    std::string data;
    char buffer[16384];
    RecordedRequest request;
    std::size_t head_end = 0;
    while (true) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        data.append(buffer, static_cast<std::size_t>(n));
        if (parseHead(data, head_end, request.request_line, request.headers)) {
            const auto* length = findHeader(request.headers, "Content-Length");
            const std::size_t want = length ? std::stoul(*length) : 0;
            if (data.size() >= head_end + want) {
                request.body = data.substr(head_end, want);
                break;
            }
        }
    }
    if (!request.request_line.empty()) {
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
        }
        const auto reply = script_(request);
        bool stopped;
        {
            std::unique_lock lock(mutex_);
            stopped = stopping_cv_.wait_for(lock, reply.delay, [this] { return stopping_; });
        }
        if (!stopped) sendAll(fd, reply.raw);
    }
    --concurrent_;
    ::close(fd);
}

SlowClients::SlowClients(std::uint16_t port, int count, std::string head) : head_(std::move(head)) {
    for (int i = 0; i < count; ++i) connections_.push_back(std::make_unique<RawConnection>(port));
    trickle_ = std::thread([this] {
        for (std::size_t at = 0; at < head_.size() && !done_; ++at) {
            for (auto& connection : connections_)
                if (!connection->send(std::string_view(head_).substr(at, 1))) ++failed_sends_;
            trickled_ = at + 1;
            for (int i = 0; i < 10 && !done_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
}

SlowClients::~SlowClients() { stop(); }

void SlowClients::stop() {
    done_ = true;
    if (trickle_.joinable()) trickle_.join();
}

int SlowClients::finish() {
    stop();
    int answered = 0;
    const std::string rest = head_.substr(trickled_) + "Connection: close\r\n\r\n";
    for (auto& connection : connections_)
        if (connection->send(rest)) answered += connection->read(std::chrono::seconds(5)).status == 200;
    return answered;
}

std::chrono::milliseconds slowestAnswer(std::uint16_t port, const std::string& path, int times, std::vector<int>& statuses) {
    std::chrono::milliseconds worst{0};
    for (int i = 0; i < times; ++i) {
        const auto started = std::chrono::steady_clock::now();
        statuses.push_back(rawExchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status);
        worst = std::max(worst, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return worst;
}

}  // namespace forgelink::net::test
