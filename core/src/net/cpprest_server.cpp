// The cpprestsdk adapter behind HttpServer. Everything cpprestsdk-specific about serving stays in
// this file (PITFALLS: cpprestsdk is archived upstream, keep it replaceable).
//
// Threading: cpprestsdk calls the listener's handler on its own pplx/asio threads (40 on Linux).
// Blocking one of them per request hangs the server at 40+ concurrent requests (PITFALLS, #1144),
// so the listener thread only queues the request; Forgelink's worker threads run the handler and
// hand the reply back to cpprestsdk, which writes it asynchronously.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <cpprest/containerstream.h>
#include <cpprest/http_listener.h>

#include "common/strings.hpp"
#include "net/http_server.hpp"

namespace forgelink::net {

namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;

// How long stop() waits for requests already received to be answered before it closes the
// remaining connections anyway (a client may stall its body forever).
constexpr auto kDrainTimeout = std::chrono::seconds(10);
// cpprestsdk gives no signal when a reply has been written (reply()'s task completes at once on
// Linux), so stop() leaves the asio threads this long to flush the last answers before
// close() cuts every connection.
constexpr auto kFlushGrace = std::chrono::milliseconds(100);

std::string errorBody(std::string_view code, std::string_view message) {
    // Hand-written to keep nlohmann out of the adapter; code and message are our own constants.
    std::string body = "{\"error\":{\"code\":\"";
    body += code;
    body += "\",\"message\":\"";
    body += message;
    body += "\"}}";
    return body;
}

// A read-only view of a shared body as cpprestsdk's container stream wants a collection. The
// stream is opened for reading only, so the mutable accessors container_buffer also needs (it
// writes through them only when opened for writing) are never used to write.
class SharedBytes {
public:
    using value_type = std::uint8_t;
    explicit SharedBytes(std::shared_ptr<const std::string> text) : text_(std::move(text)) {}
    std::size_t size() const { return text_->size(); }
    value_type& operator[](std::size_t at) { return begin()[at]; }
    value_type* begin() { return reinterpret_cast<value_type*>(const_cast<char*>(text_->data())); }
    value_type* end() { return begin() + size(); }
    void resize(std::size_t) { throw std::logic_error("a shared response body is read-only"); }

private:
    std::shared_ptr<const std::string> text_;
};

http_response makeResponse(int status, const Headers& headers, std::string body, bool close_connection,
                           std::shared_ptr<const std::string> shared_body = nullptr) {
    http_response response(static_cast<web::http::status_code>(status));
    std::string content_type;
    bool has_type = false;
    for (const auto& [name, value] : headers) {
        if (common::iequals(name, "Content-Type")) {
            has_type = true;
            content_type = value;
        }
    }
    if (!has_type) content_type = "application/octet-stream";
    // Handed over, not copied: the body may be hundreds of KB and this runs on every request.
    if (shared_body && !shared_body->empty()) {
        const auto length = shared_body->size();
        response.set_body(concurrency::streams::bytestream::open_istream(SharedBytes(std::move(shared_body))), length,
                          content_type);
    } else if (!body.empty()) {
        response.set_body(std::move(body), content_type);
    }
    for (const auto& [name, value] : headers) {
        // cpprestsdk frames the body itself; a handler's own framing headers would contradict it.
        if (common::iequals(name, "Content-Length") || common::iequals(name, "Transfer-Encoding")) continue;
        if (common::iequals(name, "Content-Type")) {
            response.headers()[name] = value;
            continue;
        }
        response.headers().add(name, value);
    }
    if (close_connection) response.headers()[web::http::header_names::connection] = "close";
    return response;
}

// Ends a reply chain: a pplx task whose exception nobody observes terminates the process.
void sendReply(http_request& request, const http_response& response) {
    try {
        request.reply(response).then([](pplx::task<void> done) {
            try {
                done.get();
            } catch (...) {
                // The client went away; nothing to answer to.
            }
        });
    } catch (...) {
        // A second reply to the same request, or the connection is already closed.
    }
}

void replyError(http_request& request, int status, std::string_view code, std::string_view message,
                bool close_connection) {
    sendReply(request, makeResponse(status, {{"Content-Type", "application/json"}}, errorBody(code, message),
                                    close_connection));
}

ServerRequest toServerRequest(const http_request& request, std::string body) {
    ServerRequest out;
    out.method = request.method();
    const auto& uri = request.request_uri();
    out.raw_path = uri.path();
    if (out.raw_path.empty()) out.raw_path = "/";
    out.path = common::urlDecode(out.raw_path);
    out.raw_query = uri.query();
    if (!out.raw_query.empty()) {
        for (const auto& pair : common::split(out.raw_query, '&')) {
            if (pair.empty()) continue;
            const auto eq = pair.find('=');
            const std::string_view key = std::string_view(pair).substr(0, eq);
            const std::string_view value = eq == std::string::npos ? std::string_view{} : std::string_view(pair).substr(eq + 1);
            out.query.emplace(common::urlDecode(key, true), common::urlDecode(value, true));
        }
    }
    for (const auto& [name, value] : request.headers()) out.headers.emplace_back(name, value);
    out.body = std::move(body);
    out.remote_address = request.remote_address();
    return out;
}

// State shared with cpprestsdk's callbacks. They hold it by shared_ptr because a body read may
// complete after the server object is gone (close() races, PITFALLS #1226).
struct ServerState {
    ServerOptions options;
    Handler handler;

    std::mutex mutex;
    std::condition_variable work_ready;
    std::condition_variable drained;
    std::deque<std::function<void()>> queue;
    bool accepting = false;
    bool workers_stopping = false;
    std::size_t in_flight = 0;  // received and not yet answered

    // Called on a listener thread: must not block.
    void onRequest(http_request request, const std::shared_ptr<ServerState>& self) {
        {
            std::lock_guard lock(mutex);
            if (!accepting) {
                replyError(request, 503, "shutting_down", "the server is shutting down", true);
                return;
            }
            ++in_flight;
        }
        try {
            std::uint64_t declared = 0;
            if (request.headers().match(web::http::header_names::content_length, declared) &&
                declared > options.max_body_bytes) {
                // cpprestsdk still drains the body from the socket before it writes any answer, but
                // it is never copied into a ServerRequest; Connection: close stops a client from
                // pipelining behind it.
                replyError(request, 413, "payload_too_large",
                           "request body of " + std::to_string(declared) + " bytes exceeds the limit of " +
                               std::to_string(options.max_body_bytes) + " bytes",
                           true);
                finishOne();
                return;
            }
            request.extract_vector().then([self, request](pplx::task<std::vector<unsigned char>> read) mutable {
                try {
                    std::vector<unsigned char> bytes;
                    try {
                        bytes = read.get();
                    } catch (...) {
                        replyError(request, 400, "bad_request", "the request body could not be read", true);
                        self->finishOne();
                        return;
                    }
                    if (bytes.size() > self->options.max_body_bytes) {  // chunked bodies declare no length
                        replyError(request, 413, "payload_too_large",
                                   "request body exceeds the limit of " + std::to_string(self->options.max_body_bytes) +
                                       " bytes",
                                   true);
                        self->finishOne();
                        return;
                    }
                    std::string body(bytes.begin(), bytes.end());
                    self->enqueue([self, request, body = std::move(body)]() mutable {
                        self->handle(request, std::move(body));
                    });
                } catch (...) {
                    self->finishOne();
                }
            });
        } catch (...) {
            replyError(request, 500, "internal", "internal server error", false);
            finishOne();
        }
    }

    // Runs on a worker thread.
    void handle(http_request& request, std::string body) {
        ServerResponse answer;
        try {
            answer = handler(toServerRequest(request, std::move(body)));
        } catch (...) {
            // The exception's text may hold anything (paths, secrets): it is not sent.
            answer = ServerResponse{500, {{"Content-Type", "application/json"}},
                                    errorBody("internal", "internal server error"), false};
        }
        bool closing;
        {
            std::lock_guard lock(mutex);
            closing = !accepting;
        }
        if (answer.drop_connection) {
            // cpprestsdk offers no way to reset a connection from a handler; the forge simulator
            // that needs real drops runs its own socket server.
            answer = ServerResponse{500, {{"Content-Type", "application/json"}},
                                    errorBody("connection_drop_unsupported",
                                              "this server cannot drop connections; answered 500 instead"),
                                    false};
        }
        try {
            sendReply(request, makeResponse(answer.status, answer.headers, std::move(answer.body), closing,
                                            std::move(answer.shared_body)));
        } catch (...) {
            replyError(request, 500, "internal", "internal server error", closing);
        }
        finishOne();
    }

    void enqueue(std::function<void()> task) {
        {
            std::lock_guard lock(mutex);
            queue.push_back(std::move(task));
        }
        work_ready.notify_one();
    }

    void finishOne() {
        std::lock_guard lock(mutex);
        if (in_flight > 0 && --in_flight == 0) drained.notify_all();
    }

    void workerLoop() {
        while (true) {
            std::function<void()> task;
            {
                std::unique_lock lock(mutex);
                work_ready.wait(lock, [this] { return workers_stopping || !queue.empty(); });
                if (queue.empty()) return;  // stopping and nothing left
                task = std::move(queue.front());
                queue.pop_front();
            }
            try {
                task();
            } catch (...) {
                // handle() catches everything; this keeps a worker alive should that ever change.
            }
        }
    }
};

class CpprestServer final : public HttpServer {
public:
    CpprestServer(ServerOptions options, Handler handler) : state_(std::make_shared<ServerState>()) {
        if (!handler) throw std::invalid_argument("HttpServer: the handler is empty");
        if (options.workers == 0) throw std::invalid_argument("HttpServer: workers must be at least 1");
        state_->options = std::move(options);
        state_->handler = std::move(handler);
    }

    ~CpprestServer() override { stop(); }

    void start() override {
        std::lock_guard lifecycle(lifecycle_mutex_);
        if (started_) throw std::logic_error("HttpServer::start called twice");
        const auto& options = state_->options;
        // A port picked by findFreePort can be taken by someone else before we bind it: try again.
        const int attempts = options.port == 0 ? 5 : 1;
        std::string last_error;
        for (int attempt = 0; attempt < attempts && !listener_; ++attempt) {
            const std::uint16_t port = options.port == 0 ? findFreePort(options.host) : options.port;
            const std::string url = "http://" + options.host + ":" + std::to_string(port);
            try {
                auto listener = std::make_unique<http_listener>(web::uri(url));
                std::weak_ptr<ServerState> weak = state_;
                auto handle = [weak](http_request request) {
                    if (auto state = weak.lock()) {
                        state->onRequest(std::move(request), state);
                    } else {
                        replyError(request, 503, "shutting_down", "the server is shutting down", true);
                    }
                };
                listener->support(handle);
                // cpprest answers OPTIONS itself (200, an empty Allow) before the catch-all handler;
                // the service knows each path's methods, so it answers OPTIONS too.
                listener->support(web::http::methods::OPTIONS, handle);
                {
                    std::lock_guard lock(state_->mutex);
                    state_->accepting = true;
                }
                listener->open().wait();
                listener_ = std::move(listener);
                port_ = port;
            } catch (const std::exception& e) {
                std::lock_guard lock(state_->mutex);
                state_->accepting = false;
                last_error = e.what();
            }
        }
        if (!listener_) {
            throw std::runtime_error("cannot listen on " + options.host + ":" +
                                     (options.port == 0 ? std::string("<free port>") : std::to_string(options.port)) +
                                     ": " + last_error);
        }
        for (std::size_t i = 0; i < options.workers; ++i) {
            workers_.emplace_back([state = state_] { state->workerLoop(); });
        }
        started_ = true;
    }

    void stop() override {
        std::lock_guard lifecycle(lifecycle_mutex_);
        if (!started_ || stopped_) return;
        stopped_ = true;
        {
            // New requests get 503 from here on; the ones already received are answered.
            std::unique_lock lock(state_->mutex);
            state_->accepting = false;
            state_->drained.wait_for(lock, kDrainTimeout, [this] { return state_->in_flight == 0; });
        }
        std::this_thread::sleep_for(kFlushGrace);
        try {
            listener_->close().wait();
        } catch (...) {
            // Closing a listener whose connections already failed; nothing left to release.
        }
        {
            std::lock_guard lock(state_->mutex);
            state_->workers_stopping = true;
        }
        state_->work_ready.notify_all();
        for (auto& worker : workers_) worker.join();
        workers_.clear();
        listener_.reset();
    }

    std::uint16_t port() const override { return port_; }

    std::string baseUrl() const override { return "http://" + state_->options.host + ":" + std::to_string(port_); }

private:
    std::shared_ptr<ServerState> state_;
    std::unique_ptr<http_listener> listener_;
    std::vector<std::thread> workers_;
    std::uint16_t port_ = 0;
    std::mutex lifecycle_mutex_;
    bool started_ = false;
    bool stopped_ = false;
};

}  // namespace

std::unique_ptr<HttpServer> makeHttpServer(ServerOptions options, Handler handler) {
    return std::make_unique<CpprestServer>(std::move(options), std::move(handler));
}

std::uint16_t findFreePort(const std::string& host) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error(std::string("findFreePort: socket(): ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        ::close(fd);
        throw std::runtime_error("findFreePort: '" + host + "' is not an IPv4 address");
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        const std::string reason = std::strerror(errno);
        ::close(fd);
        throw std::runtime_error("findFreePort: cannot bind " + host + ":0: " + reason);
    }
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

}  // namespace forgelink::net
