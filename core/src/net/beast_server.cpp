// The Boost.Beast backend behind HttpServer. Everything about serving HTTP stays in this file.
//
// Why Beast and not cpprestsdk's listener (see core/src/net/README.md for the evidence): the
// listener read a request head without any bound and read whole bodies before it could answer,
// and offered no hook to change either. Here every limit is enforced as the bytes arrive.
//
// Threading: `io_threads` threads run the sockets (reading, parsing, writing; never blocking).
// A complete request is queued to `workers` threads that run the handler, which may block (a
// plugin, the store); its answer is posted back to the connection's strand to be written.
// One request per connection is in flight at a time: the next one (pipelined or not) is read
// only once the answer has been written.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include <forgelink/support/http_text.hpp>

#include "common/strings.hpp"
#include "net/http_server.hpp"

namespace forgelink::net {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

// How long stop() waits for requests already received to be answered before it closes the
// remaining connections anyway (a client may stall its body or never read the answer).
constexpr auto kDrainTimeout = std::chrono::seconds(10);
// After an error answer to a request whose body was not read, the connection is half-closed and
// what the client still sends is read and discarded for a while before it is closed, so that
// the client reads the answer instead of a reset (RFC 9112 section 9.6). Bounded both ways: a
// client streaming 200 MB is cut off after this much.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 1 << 20;
constexpr std::size_t kReadChunk = 8192;

std::string errorBody(std::string_view code, std::string_view message) {
    // Hand-written to keep a JSON library out of the server; code and message are our own text,
    // never the client's bytes.
    std::string body = "{\"error\":{\"code\":\"";
    body += code;
    body += "\",\"message\":\"";
    body += message;
    body += "\"}}";
    return body;
}

struct Failure {
    int status;
    std::string code;
    std::string message;
};

// RFC 3986 characters allowed unencoded in a path segment (pchar without '%').
bool isPathChar(unsigned char c) {
    if (std::isalnum(c)) return true;
    switch (c) {
        case '-': case '.': case '_': case '~':                                       // unreserved
        case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+':
        case ',': case ';': case '=':                                                 // sub-delims
        case ':': case '@':
            return true;
        default:
            return false;
    }
}

bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Checks that `text` holds only `allowed` characters and well-formed %XX escapes.
template <typename Allowed>
bool validUriPart(std::string_view text, Allowed allowed) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '%') {
            if (i + 2 >= text.size()) return false;
            if (!isHex(text[i + 1]) || !isHex(text[i + 2])) return false;
            i += 2;
        } else if (!allowed(c)) {
            return false;
        }
    }
    return true;
}

bool isControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

struct Target {
    std::string raw_path;
    std::string raw_query;
    std::string path;  // decoded
    std::multimap<std::string, std::string> query;
};

// Reads a request target (RFC 9112 section 3.2): origin-form, absolute-form (its path is used),
// or "*" for OPTIONS. Anything else, a character a URI may not hold, a broken %-escape, a control
// byte in the decoded path or a NUL in a decoded query value is refused.
std::optional<Failure> readTarget(std::string_view target, std::string_view method, Target& out) {
    const auto invalid = [](std::string what) { return Failure{400, "bad_request", std::move(what)}; };
    if (target == "*") {
        if (method != "OPTIONS") return invalid("the request target '*' is only valid for OPTIONS");
        out.raw_path = out.path = "*";
        return std::nullopt;
    }
    if (target.empty()) return invalid("the request target is empty");
    if (target.front() != '/') {
        // absolute-form: http://authority/path?query
        std::string_view rest;
        for (std::string_view scheme : {"http://", "https://"}) {
            if (target.size() >= scheme.size() && common::iequals(target.substr(0, scheme.size()), scheme))
                rest = target.substr(scheme.size());
        }
        if (rest.empty()) {
            return invalid("the request target is not a valid URI: expected a path starting with '/' (or an "
                           "absolute http URI)");
        }
        const auto end_of_authority = rest.find_first_of("/?");
        target = end_of_authority == std::string_view::npos ? std::string_view("/") : rest.substr(end_of_authority);
    }
    const auto question = target.find('?');
    std::string_view path = target.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    if (path.empty()) path = "/";
    if (!validUriPart(path, [](unsigned char c) { return c == '/' || isPathChar(c); }))
        return invalid("the request path is not a valid URI path (RFC 3986: letters, digits, -._~!$&'()*+,;=:@/ and "
                       "%XX escapes)");
    if (!validUriPart(query, [](unsigned char c) { return c == '/' || c == '?' || isPathChar(c); }))
        return invalid("the request query is not a valid URI query (RFC 3986: letters, digits, -._~!$&'()*+,;=:@/? "
                       "and %XX escapes)");
    out.raw_path = std::string(path);
    out.path = support::urlDecode(path, false);
    if (std::any_of(out.path.begin(), out.path.end(), [](char c) { return isControl(static_cast<unsigned char>(c)); }))
        return invalid("the request path holds a control character (percent-encoded)");
    out.raw_query = std::string(query);
    if (!query.empty()) {
        for (const auto& pair : common::split(query, '&')) {
            if (pair.empty()) continue;
            const auto eq = pair.find('=');
            const std::string_view key = std::string_view(pair).substr(0, eq);
            const std::string_view value =
                eq == std::string::npos ? std::string_view{} : std::string_view(pair).substr(eq + 1);
            auto decoded_key = support::urlDecode(key, true);
            auto decoded_value = support::urlDecode(value, true);
            if (decoded_key.find('\0') != std::string::npos || decoded_value.find('\0') != std::string::npos)
                return invalid("the request query holds a NUL character (percent-encoded)");
            out.query.emplace(std::move(decoded_key), std::move(decoded_value));
        }
    }
    return std::nullopt;
}

bool isTokenChar(unsigned char c) {
    if (std::isalnum(c)) return true;
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

// A handler's header must not be able to split the answer (CR, LF) or cut it short (NUL).
bool validResponseHeader(const std::string& name, const std::string& value) {
    if (name.empty()) return false;
    for (unsigned char c : name)
        if (!isTokenChar(c)) return false;
    for (unsigned char c : value)
        if (isControl(c) && c != '\t') return false;
    return true;
}

class Session;

// Everything the connections share. Owned by the server object; it outlives every session
// (sessions live only inside the io_context's handlers, which `ioc` destroys first, and inside
// worker tasks, which are joined before it goes).
struct Core {
    ServerOptions options;
    Handler handler;

    std::mutex mutex;
    std::condition_variable work_ready;
    std::condition_variable drained;
    std::deque<std::function<void()>> queue;
    bool accepting = false;
    bool workers_stopping = false;
    std::size_t in_flight = 0;  // heads received and not yet answered

    std::mutex sessions_mutex;
    std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;

    // Declared after everything the sessions touch, so that it is destroyed first.
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    asio::steady_timer accept_retry{ioc};

    Core(ServerOptions o, Handler h)
        : options(std::move(o)), handler(std::move(h)), ioc(static_cast<int>(options.io_threads)) {}

    // False when the server is shutting down: the request is answered 503.
    bool begin() {
        std::lock_guard lock(mutex);
        if (!accepting) return false;
        ++in_flight;
        return true;
    }

    void finishOne() {
        std::lock_guard lock(mutex);
        if (in_flight > 0 && --in_flight == 0) drained.notify_all();
    }

    bool isAccepting() {
        std::lock_guard lock(mutex);
        return accepting;
    }

    void enqueue(std::function<void()> task) {
        {
            std::lock_guard lock(mutex);
            queue.push_back(std::move(task));
        }
        work_ready.notify_one();
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
                // run() catches the handler's exceptions; this keeps a worker alive should that change.
            }
        }
    }

    ServerResponse run(const ServerRequest& request) {
        try {
            return handler(request);
        } catch (...) {
            // The exception's text may hold anything (paths, secrets): it is not sent.
            return ServerResponse{500, {{"Content-Type", "application/json"}},
                                  errorBody("internal", "internal server error"), false};
        }
    }

    // False when max_connections are already open.
    bool remember(const std::shared_ptr<Session>& session) {
        std::lock_guard lock(sessions_mutex);
        if (sessions.size() >= options.max_connections) return false;
        sessions.emplace(session.get(), session);
        return true;
    }

    void forget(const Session* session) {
        std::lock_guard lock(sessions_mutex);
        sessions.erase(session);
    }

    std::vector<std::shared_ptr<Session>> liveSessions() {
        std::vector<std::shared_ptr<Session>> out;
        std::lock_guard lock(sessions_mutex);
        for (auto& [key, weak] : sessions)
            if (auto session = weak.lock()) out.push_back(std::move(session));
        return out;
    }

    void accept();
};

// Counts one received request as in flight until its answer is written or its connection is gone.
class InFlight {
public:
    explicit InFlight(Core& core) : core_(core) {}
    ~InFlight() { core_.finishOne(); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

private:
    Core& core_;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Core& core, tcp::socket socket, std::string remote)
        : core_(core),
          stream_(std::move(socket)),
          buffer_(core.options.max_header_bytes + 2 * kReadChunk),
          remote_(std::move(remote)) {}

    ~Session() { core_.forget(this); }

    void start() { awaitRequest(); }

    // One connection too many: told so and closed.
    void refuse() {
        version_ = 11;
        answerError({503, "too_many_connections",
                     "the server has " + std::to_string(core_.options.max_connections) +
                         " connections open, its limit; try again shortly"},
                    {{"Retry-After", "1"}});
    }

    // Only once the io threads have stopped (HttpServer::stop).
    void closeNow() {
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

private:
    void awaitRequest() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(
            std::min<std::size_t>(core_.options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
        parser_->body_limit(static_cast<std::uint64_t>(core_.options.max_body_bytes));
        if (buffer_.size() > 0) {  // pipelined: the next request is already here
            readHead();
            return;
        }
        // Between requests the idle timeout applies; the header timeout starts with the first byte.
        stream_.expires_after(core_.options.idle_timeout);
        stream_.async_read_some(buffer_.prepare(kReadChunk), [self = shared_from_this()](error_code ec, std::size_t n) {
            if (ec) {
                self->closeQuietly();  // idle too long, or the client went away
                return;
            }
            self->buffer_.commit(n);
            self->readHead();
        });
    }

    void readHead() {
        stream_.expires_after(core_.options.header_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](error_code ec, std::size_t) { self->onHead(ec); });
    }

    void onHead(error_code ec) {
        if (ec) {
            failRead(ec);
            return;
        }
        const auto& message = parser_->get();
        version_ = message.version();
        head_ = message.method() == http::verb::head;
        keep_alive_ = message.keep_alive();
        if (auto failure = checkHead(message)) {
            answerError(*failure);
            return;
        }
        if (!core_.begin()) {
            answerError({503, "shutting_down", "the server is shutting down"});
            return;
        }
        in_flight_.emplace(core_);
        if (parser_->is_done()) {
            dispatch();
            return;
        }
        if (version_ >= 11 && common::iequals(view(message[http::field::expect]), "100-continue")) {
            // The client waits for this before it sends the body (the body's size was already checked).
            auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, version_);
            stream_.expires_after(core_.options.body_timeout);
            http::async_write(stream_, *go_on, [self = shared_from_this(), go_on](error_code ec, std::size_t) {
                if (ec) {
                    self->closeQuietly();
                    return;
                }
                self->readBody();
            });
            return;
        }
        readBody();
    }

    void readBody() {
        stream_.expires_after(core_.options.body_timeout);
        http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) {
                self->failRead(ec);
                return;
            }
            self->dispatch();
        });
    }

    // RFC 9112 checks Beast leaves to its user, and the per-line limits.
    std::optional<Failure> checkHead(const http::request_parser<http::string_body>::value_type& message) {
        const auto line_limit = core_.options.max_header_line_bytes;
        if (message.method_string().size() + message.target().size() + 10 > line_limit) {
            return Failure{414, "uri_too_long",
                           "the request line is longer than the limit of " + std::to_string(line_limit) + " bytes"};
        }
        std::size_t hosts = 0;
        std::vector<std::string_view> codings;
        bool has_length = false;
        for (const auto& field : message) {
            if (field.name_string().size() + 2 + field.value().size() > line_limit) {
                return Failure{431, "headers_too_large",
                               "a header line is longer than the limit of " + std::to_string(line_limit) + " bytes"};
            }
            switch (field.name()) {
                case http::field::host: ++hosts; break;
                case http::field::content_length: has_length = true; break;
                case http::field::transfer_encoding: {
                    const http::token_list list(field.value());
                    if (list.begin() == list.end()) codings.emplace_back();  // an empty coding is not chunked
                    for (auto coding : list) codings.push_back(view(coding));
                    break;
                }
                default: break;
            }
        }
        if (hosts > 1) return Failure{400, "bad_request", "the request has more than one Host header"};
        if (hosts == 0 && version_ >= 11) return Failure{400, "bad_request", "an HTTP/1.1 request needs a Host header"};
        if (!codings.empty()) {
            if (has_length) {
                return Failure{400, "bad_request",
                               "the request has both Content-Length and Transfer-Encoding (RFC 9112 section 6.3)"};
            }
            if (!common::iequals(codings.back(), "chunked")) {
                return Failure{400, "bad_request",
                               "the last transfer coding of a request must be chunked (RFC 9112 section 6.3)"};
            }
            if (codings.size() > 1) {
                return Failure{501, "not_implemented", "only the chunked transfer coding is supported"};
            }
        }
        return readTarget(view(message.target()), view(message.method_string()), target_);
    }

    void failRead(error_code ec) {
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
            answerError({431, "headers_too_large",
                         "the request line and headers exceed the limit of " +
                             std::to_string(core_.options.max_header_bytes) + " bytes"});
        } else if (ec == http::error::body_limit) {
            const auto declared = parser_->content_length();
            answerError({413, "payload_too_large",
                         declared && *declared > core_.options.max_body_bytes
                             ? "request body of " + std::to_string(*declared) + " bytes exceeds the limit of " +
                                   std::to_string(core_.options.max_body_bytes) + " bytes"
                             : "request body exceeds the limit of " + std::to_string(core_.options.max_body_bytes) +
                                   " bytes"});
        } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                   ec != http::error::end_of_stream && ec != http::error::partial_message &&
                   ec != http::error::need_more) {
            answerError({400, "bad_request", describe(ec)});
        } else {
            // Timed out (the stream is already closed), the client left, or a socket error.
            closeQuietly();
        }
    }

    static std::string describe(error_code ec) {
        if (ec == http::error::bad_target)
            return "the request target is not a valid URI (it holds a control character or a space)";
        if (ec == http::error::bad_content_length)
            return "Content-Length is malformed, repeated with different values, or sent with Transfer-Encoding "
                   "(RFC 9112 section 6.3)";
        if (ec == http::error::bad_transfer_encoding)
            return "Transfer-Encoding is repeated or sent with Content-Length (RFC 9112 section 6.3)";
        if (ec == http::error::bad_method) return "the request method is not a valid token";
        if (ec == http::error::bad_version) return "the HTTP version is not HTTP/1.0 or HTTP/1.1";
        if (ec == http::error::bad_field) return "a header name is malformed";
        if (ec == http::error::bad_value) return "a header value holds a character it may not";
        if (ec == http::error::bad_line_ending) return "a line does not end with CRLF";
        if (ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension)
            return "the chunked body is malformed";
        if (ec == http::error::bad_obs_fold) return "a header is folded over lines (obsolete, RFC 9112 section 5.2)";
        return "the request is malformed";
    }

    void dispatch() {
        auto message = parser_->release();
        ServerRequest request;
        request.method = std::string(message.method_string());
        request.raw_path = std::move(target_.raw_path);
        request.path = std::move(target_.path);
        request.raw_query = std::move(target_.raw_query);
        request.query = std::move(target_.query);
        for (const auto& field : message) {
            const std::string name(field.name_string());
            // Repeated fields are joined as one list (RFC 9110 section 5.3), as the handler reads the first.
            bool joined = false;
            for (auto& [seen_name, seen_value] : request.headers) {
                if (common::iequals(seen_name, name)) {
                    seen_value += ", ";
                    seen_value += view(field.value());
                    joined = true;
                    break;
                }
            }
            if (!joined) request.headers.emplace_back(name, std::string(field.value()));
        }
        request.body = std::move(message.body());
        request.remote_address = remote_;
        // Nothing is read on this connection until the answer is written: no timer is needed meanwhile.
        stream_.expires_never();
        core_.enqueue([self = shared_from_this(), request = std::move(request)]() mutable {
            auto answer = self->core_.run(request);
            asio::post(self->stream_.get_executor(), [self, answer = std::move(answer)]() mutable {
                self->respond(std::move(answer));
            });
        });
    }

    void respond(ServerResponse answer) {
        if (answer.drop_connection) {
            error_code ignored;
            stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);  // a reset, not a close
            stream_.socket().close(ignored);
            in_flight_.reset();
            return;
        }
        bool keep = keep_alive_ && core_.isAccepting();
        for (const auto& [name, value] : answer.headers) {
            if (!validResponseHeader(name, value)) {
                answer = ServerResponse{500, {{"Content-Type", "application/json"}},
                                        errorBody("internal", "internal server error"), false};
                break;
            }
            if (common::iequals(name, "Connection") && value.find("close") != std::string::npos) keep = false;
        }
        auto body = answer.shared_body ? std::move(answer.shared_body)
                                       : std::make_shared<const std::string>(std::move(answer.body));
        send(answer.status, answer.headers, std::move(body), keep);
    }

    void answerError(const Failure& failure, const Headers& extra = {}) {
        if (core_.options.on_refused) {
            try {
                core_.options.on_refused(failure.status, failure.code);
            } catch (...) {
                // Counting must never stop the answer.
            }
        }
        Headers headers = extra;
        headers.emplace_back("Content-Type", "application/json");
        headers.emplace_back("X-Content-Type-Options", "nosniff");
        // The request's body (if any) was not read: the connection cannot carry another request.
        send(failure.status, headers, std::make_shared<const std::string>(errorBody(failure.code, failure.message)),
             false);
    }

    void send(int status, const Headers& headers, std::shared_ptr<const std::string> body, bool keep) {
        response_.emplace(static_cast<http::status>(status), version_ == 10 ? 10 : 11);
        auto& response = *response_;
        bool has_type = false;
        for (const auto& [name, value] : headers) {
            // The body is framed here; the handler's own framing or connection headers would contradict it.
            if (common::iequals(name, "Content-Length") || common::iequals(name, "Transfer-Encoding") ||
                common::iequals(name, "Connection"))
                continue;
            if (common::iequals(name, "Content-Type")) has_type = true;
            response.insert(beast::string_view(name.data(), name.size()), beast::string_view(value.data(), value.size()));
        }
        const bool no_body = status / 100 == 1 || status == 204 || status == 304;
        if (!no_body) {
            if (!has_type && !body->empty()) response.set(http::field::content_type, "application/octet-stream");
            response.content_length(body->size());  // for HEAD too: the size a GET would get
            if (!head_) response.body() = {body->data(), body->size()};
        }
        response.keep_alive(keep);
        response_body_ = std::move(body);  // the span above points into it: kept until written
        stream_.expires_after(core_.options.body_timeout);
        http::async_write(stream_, response,
                          [self = shared_from_this(), keep](error_code ec, std::size_t) {
                              self->response_.reset();
                              self->response_body_.reset();
                              self->in_flight_.reset();
                              if (ec) {
                                  self->closeQuietly();
                              } else if (keep) {
                                  self->awaitRequest();
                              } else {
                                  self->lingerThenClose();
                              }
                          });
    }

    // Half-closes, then reads and drops what the client still sends until it closes too (bounded by
    // kLingerTime and kLingerBytes), so that unread request bytes do not turn our close into a
    // reset that could destroy the answer in the client's buffers.
    void lingerThenClose() {
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.expires_after(kLingerTime);
        discard();
    }

    void discard() {
        buffer_.clear();
        stream_.async_read_some(buffer_.prepare(kReadChunk), [self = shared_from_this()](error_code ec, std::size_t n) {
            self->discarded_ += n;
            if (ec || self->discarded_ >= kLingerBytes) {
                self->closeQuietly();
                return;
            }
            self->discard();
        });
    }

    void closeQuietly() {
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
        in_flight_.reset();
    }

    Core& core_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    Target target_;
    std::optional<http::response<http::span_body<const char>>> response_;
    std::shared_ptr<const std::string> response_body_;
    std::optional<InFlight> in_flight_;
    std::string remote_;
    unsigned version_ = 11;
    bool keep_alive_ = false;
    bool head_ = false;
    std::size_t discarded_ = 0;
};

void Core::accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        if (ec) {
            // Out of file descriptors, typically: try again shortly instead of spinning.
            accept_retry.expires_after(std::chrono::milliseconds(100));
            accept_retry.async_wait([this](error_code wait) {
                if (!wait) accept();
            });
            return;
        }
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        const auto endpoint = socket.remote_endpoint(ignored);
        auto session = std::make_shared<Session>(*this, std::move(socket), ignored ? "" : endpoint.address().to_string());
        if (remember(session)) {
            session->start();
        } else {
            session->refuse();
        }
        accept();
    });
}

class BeastServer final : public HttpServer {
public:
    BeastServer(ServerOptions options, Handler handler) {
        if (!handler) throw std::invalid_argument("HttpServer: the handler is empty");
        if (options.workers == 0) throw std::invalid_argument("HttpServer: workers must be at least 1");
        if (options.io_threads == 0) throw std::invalid_argument("HttpServer: io_threads must be at least 1");
        if (options.max_connections == 0) throw std::invalid_argument("HttpServer: max_connections must be at least 1");
        if (options.max_header_bytes < 256 || options.max_header_line_bytes < 64)
            throw std::invalid_argument("HttpServer: the header limits are too small to read any request");
        core_ = std::make_unique<Core>(std::move(options), std::move(handler));
    }

    ~BeastServer() override { stop(); }

    void start() override {
        std::lock_guard lifecycle(lifecycle_mutex_);
        if (started_) throw std::logic_error("HttpServer::start called twice");
        const auto& options = core_->options;
        const std::string where =
            options.host + ":" + (options.port == 0 ? std::string("<free port>") : std::to_string(options.port));
        error_code ec;
        tcp::resolver resolver(core_->ioc);
        const auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                                tcp::resolver::numeric_service, ec);
        if (ec || endpoints.empty())
            throw std::runtime_error("cannot listen on " + where + ": " + (ec ? ec.message() : "no address"));
        const tcp::endpoint endpoint = *endpoints.begin();
        auto& acceptor = core_->acceptor;
        acceptor.open(endpoint.protocol(), ec);
        if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) acceptor.bind(endpoint, ec);
        if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            error_code ignored;
            acceptor.close(ignored);
            throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
        }
        port_ = acceptor.local_endpoint().port();
        {
            std::lock_guard lock(core_->mutex);
            core_->accepting = true;
        }
        core_->accept();
        for (std::size_t i = 0; i < options.io_threads; ++i) {
            io_threads_.emplace_back([core = core_.get()] {
                while (true) {
                    try {
                        core->ioc.run();
                        return;
                    } catch (...) {
                        // A completion handler threw (none should): keep serving.
                    }
                }
            });
        }
        for (std::size_t i = 0; i < options.workers; ++i) {
            workers_.emplace_back([core = core_.get()] { core->workerLoop(); });
        }
        started_ = true;
    }

    void stop() override {
        std::lock_guard lifecycle(lifecycle_mutex_);
        if (!started_ || stopped_) return;
        stopped_ = true;
        {
            // New requests get 503 from here on; the ones already received are answered.
            std::unique_lock lock(core_->mutex);
            core_->accepting = false;
            core_->drained.wait_for(lock, kDrainTimeout, [this] { return core_->in_flight == 0; });
        }
        core_->ioc.stop();
        for (auto& thread : io_threads_) thread.join();
        io_threads_.clear();
        // No io thread runs now, so the sockets can be closed from here.
        error_code ignored;
        core_->acceptor.close(ignored);
        for (const auto& session : core_->liveSessions()) session->closeNow();
        {
            std::lock_guard lock(core_->mutex);
            core_->workers_stopping = true;
        }
        core_->work_ready.notify_all();
        for (auto& worker : workers_) worker.join();
        workers_.clear();
    }

    std::uint16_t port() const override { return port_; }

    std::string baseUrl() const override { return "http://" + core_->options.host + ":" + std::to_string(port_); }

private:
    std::unique_ptr<Core> core_;
    std::vector<std::thread> io_threads_;
    std::vector<std::thread> workers_;
    std::uint16_t port_ = 0;
    std::mutex lifecycle_mutex_;
    bool started_ = false;
    bool stopped_ = false;
};

}  // namespace

std::unique_ptr<HttpServer> makeHttpServer(ServerOptions options, Handler handler) {
    return std::make_unique<BeastServer>(std::move(options), std::move(handler));
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
