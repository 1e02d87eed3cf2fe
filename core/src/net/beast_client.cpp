// The Boost.Beast backend behind HttpClient: one attempt, no policy. Everything about calling out
// stays in this file.
//
// Why Beast and not cpprestsdk's client (core/src/net/README.md has the evidence): cpprestsdk read a
// forge's status line, headers, each chunk-size line and each chunk whole into unbounded buffers
// before any hook could see them. Beast's response parser enforces a header limit and a body limit
// as it parses, and checks a chunk's declared size before reading it.
//
// Threading: a small pool of I/O threads runs every socket of this client; execute() starts one
// exchange on a strand and waits on the calling thread until it completes or the deadline passes
// (then the exchange is cancelled on its strand and the caller returns at once). Kept-alive
// connections wait in a pool per origin and proxy.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <forgelink/support/http_text.hpp>
#include <forgelink/support/url.hpp>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "net/http_client.hpp"

namespace forgelink::net {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;
using Clock = std::chrono::steady_clock;

// A kept-alive connection idle longer is closed rather than reused: forges close theirs after a
// while (nginx's default keepalive_timeout is 75 s) and a request sent just then is lost.
constexpr auto kIdleReuse = std::chrono::seconds(30);
// Idle connections kept per origin; more concurrent requests open more, the surplus is closed.
constexpr std::size_t kMaxIdlePerKey = 32;

Error transientError(std::string message, std::string code) {
    return makeError(ErrorKind::transient, std::move(message), std::move(code));
}

// RFC 9110 5.6.2: a method and a header name are tokens.
bool isToken(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

// Whatever built the request (a plugin, the admin CLI), a CR or LF in a header would end it and
// start another (header injection: a token saved with "\r\nX-Evil: 1" sent X-Evil everywhere), and a
// NUL cuts it short. Returns what is wrong, naming the header but never showing its value.
std::string headerProblem(const HttpRequest& request) {
    if (!isToken(request.method)) return "the method is not an HTTP token";
    for (const auto& [name, value] : request.headers) {
        if (!isToken(name))
            return "a header name is not an HTTP token (" + std::to_string(name.size()) +
                   " bytes, with a space, separator or control character)";
        for (char c : value) {
            if (c == '\r' || c == '\n' || c == '\0')
                return "the value of header '" + name + "' contains a CR, LF or NUL character";
        }
    }
    return {};
}

std::string describeBytes(std::size_t bytes) {
    if (bytes % (std::size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes % (std::size_t{1} << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

// Every address `host` resolves to (an IP literal is its own); empty when it does not resolve.
std::vector<common::IpAddress> resolve(const std::string& host, std::uint16_t port) {
    std::vector<common::IpAddress> out;
    if (auto literal = common::IpAddress::parse(host)) return {*literal};
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return out;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        common::IpAddress address;
        if (a->ai_family == AF_INET) {
            const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
            std::memcpy(address.bytes.data(), &in->sin_addr, 4);
        } else if (a->ai_family == AF_INET6) {
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
            std::memcpy(address.bytes.data(), &in6->sin6_addr, 16);
            address.v6 = true;
        } else {
            continue;
        }
        out.push_back(address);
    }
    freeaddrinfo(found);
    return out;
}

// "host:port" with IPv6 in brackets; the port only when `always` or not the scheme's default.
std::string authority(const support::Url& url, bool always) {
    std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    const std::uint16_t default_port = url.scheme == "https" ? 443 : 80;
    if (always || url.port != default_port) host += ":" + std::to_string(url.port);
    return host;
}

std::string base64(std::string_view text) {
    std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
    return out;
}

// "Basic ..." from a proxy URL's userinfo, or "" without one.
std::string proxyAuthorization(const support::Url& proxy) {
    if (proxy.userinfo.empty()) return {};
    const auto colon = proxy.userinfo.find(':');
    const std::string user = support::urlDecode(proxy.userinfo.substr(0, colon), false);
    const std::string password =
        colon == std::string::npos ? std::string{} : support::urlDecode(proxy.userinfo.substr(colon + 1), false);
    return "Basic " + base64(user + ":" + password);
}

// One connection, plain or TLS, to a forge or through a proxy. Lives on one strand.
struct Connection {
    explicit Connection(const asio::any_io_executor& executor) : tcp(std::in_place, executor) {}
    std::optional<beast::tcp_stream> tcp;                       // until TLS takes it over
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    Clock::time_point idle_since{};

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
    void close() {
        error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().close();
    }
    // A kept-alive connection the forge has closed (or sent something unasked on) since: not reusable.
    bool stale() {
        if (Clock::now() - idle_since > kIdleReuse) return true;
        char byte;
        const auto n = ::recv(lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
};

// Idle connections by "origin|proxy". Shared with the exchanges that return connections to it.
class ConnectionPool {
public:
    std::unique_ptr<Connection> take(const std::string& key) {
        std::unique_ptr<Connection> found;
        std::vector<std::unique_ptr<Connection>> stale;
        {
            std::lock_guard lock(mutex_);
            auto it = idle_.find(key);
            if (it == idle_.end()) return nullptr;
            while (!it->second.empty() && !found) {
                auto candidate = std::move(it->second.back());
                it->second.pop_back();
                if (candidate->stale()) stale.push_back(std::move(candidate));
                else found = std::move(candidate);
            }
        }
        // Idle connections have no operation pending: closing them here touches nothing in use.
        for (auto& connection : stale) connection->close();
        return found;
    }
    void give(const std::string& key, std::unique_ptr<Connection> connection) {
        connection->idle_since = Clock::now();
        std::lock_guard lock(mutex_);
        if (closed_) return;
        auto& list = idle_[key];
        if (list.size() < kMaxIdlePerKey) list.push_back(std::move(connection));
    }
    void clear() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        idle_.clear();
    }

private:
    std::mutex mutex_;
    bool closed_ = false;
    std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

// What the caller waits for; outlives execute() when the deadline passes first.
struct Outcome {
    std::mutex mutex;
    std::condition_variable done_cv;
    std::optional<Result<HttpResponse>> result;
};

// Everything one request needs, fixed before it starts.
struct Plan {
    std::string where;           // "GET http://host/path" for messages
    support::Url url;
    std::optional<support::Url> proxy;    // set when the request goes through a proxy
    std::string pool_key;
    std::vector<common::IpAddress> pinned;  // checked addresses to connect to (host policy), or empty
    std::size_t max_answer_bytes = 0;
    std::size_t max_head_bytes = 0;
    // Whether the request may be sent twice (idempotent, or marked Retry::always): the same rule
    // as the transport policy's retries.
    bool may_resend = false;
    Clock::time_point deadline;
    Clock::time_point started;
};

class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(Plan plan, http::request<http::string_body> request, std::shared_ptr<ConnectionPool> pool,
             ssl::context& tls_context, asio::any_io_executor executor, std::unique_ptr<Connection> reused,
             std::shared_ptr<Outcome> outcome)
        : plan_(std::move(plan)), request_(std::move(request)), pool_(std::move(pool)), tls_context_(tls_context),
          executor_(std::move(executor)), resolver_(executor_), connection_(std::move(reused)),
          outcome_(std::move(outcome)), reused_(connection_ != nullptr) {}

    void start() {
        asio::dispatch(executor_, [self = shared_from_this()] {
            if (self->connection_) self->send();
            else self->connect();
        });
    }
    // From any thread: ends the exchange where it is (the deadline passed).
    void cancel() {
        asio::post(executor_, [self = shared_from_this()] {
            self->cancelled_ = true;
            self->resolver_.cancel();
            if (self->connection_) self->connection_->close();
        });
    }

private:
    enum class Stage { resolving, connecting, proxy_connect, handshake, writing, reading };

    void connect() {
        connection_ = std::make_unique<Connection>(executor_);
        const support::Url& next_hop = plan_.proxy ? *plan_.proxy : plan_.url;
        if (!plan_.pinned.empty() && !plan_.proxy) {
            std::vector<tcp::endpoint> endpoints;
            for (const auto& address : plan_.pinned) {
                error_code ec;
                const auto ip = asio::ip::make_address(address.toString(), ec);
                if (!ec) endpoints.emplace_back(ip, plan_.url.port);
            }
            connectTo(endpoints);
            return;
        }
        stage_ = Stage::resolving;
        resolver_.async_resolve(next_hop.host, std::to_string(next_hop.port),
                                [self = shared_from_this()](error_code ec, tcp::resolver::results_type results) {
                                    if (ec) return self->fail(ec);
                                    std::vector<tcp::endpoint> endpoints;
                                    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
                                    self->connectTo(endpoints);
                                });
    }

    void connectTo(const std::vector<tcp::endpoint>& endpoints) {
        if (cancelled_) return fail(asio::error::operation_aborted);
        stage_ = Stage::connecting;
        connection_->tcp->expires_at(plan_.deadline);
        connection_->tcp->async_connect(endpoints, [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
            if (ec) return self->fail(ec);
            self->connection_->tcp->socket().set_option(tcp::no_delay(true), ec);
            if (self->plan_.proxy && self->plan_.url.scheme == "https") self->openTunnel();
            else if (self->plan_.url.scheme == "https") self->handshake();
            else self->send();
        });
    }

    // CONNECT host:port through the proxy; its answer is read with the same head bound.
    void openTunnel() {
        stage_ = Stage::proxy_connect;
        tunnel_request_.emplace(http::verb::connect, authority(plan_.url, true), 11);
        tunnel_request_->set(http::field::host, authority(plan_.url, true));
        if (auto credentials = proxyAuthorization(*plan_.proxy); !credentials.empty())
            tunnel_request_->set(http::field::proxy_authorization, credentials);
        http::async_write(*connection_->tcp, *tunnel_request_, [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->fail(ec);
            self->tunnel_answer_.emplace();
            self->tunnel_answer_->header_limit(static_cast<std::uint32_t>(self->plan_.max_head_bytes));
            self->tunnel_answer_->skip(true);  // a 2xx to CONNECT has no body (RFC 9110 9.3.6)
            http::async_read_header(*self->connection_->tcp, self->buffer_, *self->tunnel_answer_,
                                    [self](error_code ec, std::size_t) {
                                        if (ec) return self->fail(ec);
                                        const int status = self->tunnel_answer_->get().result_int();
                                        if (status / 100 != 2) {
                                            return self->finish(transientError(
                                                self->plan_.where + ": the proxy " + support::describeUrl(self->plan_.proxy->withoutQuery()) +
                                                    " answered HTTP " + std::to_string(status) + " to CONNECT " +
                                                    authority(self->plan_.url, true),
                                                "proxy_failed"));
                                        }
                                        self->handshake();
                                    });
        });
    }

    void handshake() {
        stage_ = Stage::handshake;
        connection_->tls.emplace(std::move(*connection_->tcp), tls_context_);
        connection_->tcp.reset();
        SSL* native = connection_->tls->native_handle();
        const bool literal = common::IpAddress::parse(plan_.url.host).has_value();
        // SNI names the forge (never an address, RFC 6066 3); the certificate must name it.
        if (!literal) SSL_set_tlsext_host_name(native, plan_.url.host.c_str());
        X509_VERIFY_PARAM* param = SSL_get0_param(native);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (literal) X509_VERIFY_PARAM_set1_ip_asc(param, plan_.url.host.c_str());
        else X509_VERIFY_PARAM_set1_host(param, plan_.url.host.c_str(), plan_.url.host.size());
        connection_->tls->async_handshake(ssl::stream_base::client, [self = shared_from_this()](error_code ec) {
            if (ec) return self->fail(ec);
            self->send();
        });
    }

    template <typename Handler>
    void onStream(Handler handler) {
        if (connection_->tls) handler(*connection_->tls);
        else handler(*connection_->tcp);
    }

    void send() {
        if (cancelled_) return fail(asio::error::operation_aborted);
        stage_ = Stage::writing;
        connection_->lowest().expires_at(plan_.deadline);
        onStream([&](auto& stream) {
            http::async_write(stream, request_, [self = shared_from_this()](error_code ec, std::size_t written) {
                self->written_ = written;
                if (ec) return self->fail(ec);
                self->read();
            });
        });
    }

    void read() {
        stage_ = Stage::reading;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(plan_.max_head_bytes, UINT32_MAX)));
        parser_->body_limit(plan_.max_answer_bytes);
        if (request_.method() == http::verb::head) parser_->skip(true);
        // The head first: Beast 1.74 checks a Content-Length against body_limit when the header
        // ends, but its eager mode (what async_read uses) carries on into the body regardless.
        onStream([&](auto& stream) {
            http::async_read_header(stream, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
                if (!ec && self->parser_->content_length() && *self->parser_->content_length() > self->plan_.max_answer_bytes)
                    ec = http::error::body_limit;
                if (ec || self->parser_->is_done()) return self->onRead(ec);
                self->onStream([&](auto& stream) {
                    http::async_read(stream, self->buffer_, *self->parser_,
                                     [self](error_code ec, std::size_t) { self->onRead(ec); });
                });
            });
        });
    }

    void onRead(error_code ec) {
        // Over TLS a close-delimited answer ends without close_notify on many servers.
        if (ec == ssl::error::stream_truncated && parser_->is_header_done() && !parser_->is_done()) {
            error_code eof;
            parser_->put_eof(eof);
            if (!eof && parser_->is_done()) ec = {};
        }
        if (ec) return fail(ec);
        auto& message = parser_->get();
        const int status = message.result_int();
        if (status / 100 == 1 && status != 101) return read();  // 100 Continue and the like: the answer follows
        HttpResponse out;
        out.status = status;
        out.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
        for (const auto& field : message)
            out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        out.body = std::move(message.body());
        // Not after an answer delimited by the close of the connection, nor with bytes nobody asked for.
        if (message.keep_alive() && !parser_->need_eof() && request_.keep_alive() && buffer_.size() == 0 &&
            !cancelled_) {
            pool_->give(plan_.pool_key, std::move(connection_));
        } else {
            connection_->close();
        }
        finish(std::move(out));
    }

    void fail(error_code ec) {
        if (cancelled_ || ec == beast::error::timeout) {
            const auto allowed = std::chrono::duration_cast<std::chrono::milliseconds>(plan_.deadline - plan_.started);
            if (connection_) connection_->close();
            return finish(transientError(plan_.where + ": no complete answer within the deadline of " +
                                             std::to_string(allowed.count()) + " ms; the request was cancelled",
                                         "deadline_exceeded"));
        }
        // A kept-alive connection the forge closed just as it was reused: the request is sent again
        // on a new connection, once, when the forge cannot have received it (nothing was written)
        // or when it may be applied twice. A POST the forge may have acted on before the drop
        // (a note, a token rotation) is never sent again: it fails, for its caller to decide.
        const bool unsent = stage_ == Stage::writing && written_ == 0;
        const bool unanswered = stage_ == Stage::writing || (stage_ == Stage::reading && !parser_->got_some());
        if (reused_ && (unsent || (plan_.may_resend && unanswered)) &&
            (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
             ec == asio::error::broken_pipe)) {
            reused_ = false;
            connection_->close();
            connection_.reset();
            buffer_.consume(buffer_.size());
            return connect();
        }
        if (connection_) connection_->close();
        finish(classify(ec));
    }

    Error classify(error_code ec) const {
        const std::string& where = plan_.where;
        if (ec == http::error::body_limit) {
            return makeError(ErrorKind::invalid_input,
                             where + ": the answer is larger than " + describeBytes(plan_.max_answer_bytes) +
                                 " (forge.max_answer_mb); reading stopped there",
                             "answer_too_large");
        }
        if (ec == http::error::header_limit) {
            return makeError(ErrorKind::invalid_input,
                             where + ": the answer's status line and headers are larger than " +
                                 describeBytes(plan_.max_head_bytes) + "; reading stopped there",
                             "answer_too_large");
        }
        const std::string detail = ec.message();
        const std::string via = plan_.proxy ? " (through proxy " + support::describeUrl(plan_.proxy->withoutQuery()) + ")" : "";
        switch (stage_) {
            case Stage::resolving:
                if (plan_.proxy)
                    return transientError(where + ": cannot resolve the proxy " + plan_.proxy->host + ": " + detail,
                                          "proxy_failed");
                return transientError(where + ": cannot resolve " + plan_.url.host + ": " + detail, "dns_failed");
            case Stage::connecting:
                if (plan_.proxy)
                    return transientError(where + ": cannot connect to the proxy " +
                                              authority(*plan_.proxy, true) + ": " + detail,
                                          "proxy_failed");
                return transientError(where + ": cannot connect to " + authority(plan_.url, true) + ": " + detail,
                                      "connect_failed");
            case Stage::proxy_connect:
                return transientError(where + via + ": the proxy did not open a tunnel: " + detail, "proxy_failed");
            case Stage::handshake: {
                std::string reason = detail;
                if (connection_ && connection_->tls) {
                    const long verify = SSL_get_verify_result(connection_->tls->native_handle());
                    if (verify != X509_V_OK)
                        reason = std::string("the certificate of ") + plan_.url.host + " was not accepted: " +
                                 X509_verify_cert_error_string(verify) +
                                 " (trusted CAs: the system's, or SSL_CERT_FILE / SSL_CERT_DIR)";
                }
                return transientError(where + via + ": TLS failure: " + reason, "tls_failed");
            }
            case Stage::writing:
            case Stage::reading:
                break;
        }
        if (ec.category() == asio::error::get_ssl_category() || ec == ssl::error::stream_truncated)
            return transientError(where + via + ": TLS failure: " + detail, "tls_failed");
        return transientError(where + via + ": " + (stage_ == Stage::writing ? "sending failed: " : "reading the answer failed: ") +
                                  detail,
                              "network_error");
    }

    void finish(Result<HttpResponse> result) {
        if (finished_) return;
        finished_ = true;
        std::lock_guard lock(outcome_->mutex);
        outcome_->result.emplace(std::move(result));
        outcome_->done_cv.notify_all();
    }

    Plan plan_;
    http::request<http::string_body> request_;
    std::shared_ptr<ConnectionPool> pool_;
    ssl::context& tls_context_;
    asio::any_io_executor executor_;
    tcp::resolver resolver_;
    std::unique_ptr<Connection> connection_;
    std::shared_ptr<Outcome> outcome_;
    bool reused_;
    std::size_t written_ = 0;  // of the request, on the current connection
    bool cancelled_ = false;
    bool finished_ = false;
    Stage stage_ = Stage::resolving;
    beast::flat_buffer buffer_;
    std::optional<http::request<http::empty_body>> tunnel_request_;
    std::optional<http::response_parser<http::empty_body>> tunnel_answer_;
    std::optional<http::response_parser<http::string_body>> parser_;
};

class BeastClient final : public HttpClient {
public:
    BeastClient(ProxySettings proxy, ClientLimits limits)
        : proxy_(std::move(proxy)), limits_(std::move(limits)), tls_context_(ssl::context::tls_client),
          work_(asio::make_work_guard(io_)) {
        tls_context_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                                 ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        tls_context_.set_verify_mode(ssl::verify_peer);
        const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
        for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
    }

    ~BeastClient() override {
        work_.reset();
        io_.stop();
        for (auto& thread : threads_) thread.join();
        pool_->clear();
    }

    Result<HttpResponse> execute(const HttpRequest& request, Clock::time_point deadline) override {
        auto result = attempt(request, deadline);
        if (!result.ok() && limits_.hosts && result.error().kind == ErrorKind::transient &&
            result.error().code != "deadline_exceeded") {
            // One error for every base URL without an answer: refused by the policy, unresolvable,
            // closed port, TLS failure. The reason goes to the operator's log only.
            if (limits_.note_unreachable) limits_.note_unreachable(result.error().message);
            const auto url = support::parseUrl(request.url);
            return transientError(request.method + " " + support::describeUrl(request.url) + ": no answer from " +
                                      (url ? url->origin() : std::string("the forge")) +
                                      ": unreachable, or its address is not allowed (" + limits_.config_key + ")",
                                  "forge_unreachable");
        }
        return result;
    }

private:
    Result<HttpResponse> attempt(const HttpRequest& request, Clock::time_point deadline) {
        Plan plan;
        const auto started = Clock::now();
        plan.started = started;
        plan.deadline = deadline;
        plan.where = request.method + " " + support::describeUrl(request.url);
        plan.max_answer_bytes = limits_.max_answer_bytes;
        plan.max_head_bytes = limits_.max_head_bytes;
        plan.may_resend = request.retry == HttpRequest::Retry::always ||
                          (request.retry == HttpRequest::Retry::by_method &&
                           (request.method == "GET" || request.method == "HEAD" || request.method == "PUT" ||
                            request.method == "DELETE" || request.method == "OPTIONS"));
        auto url = support::parseUrl(request.url);
        if (!url || (url->scheme != "http" && url->scheme != "https")) {
            return makeError(ErrorKind::invalid_input, plan.where + ": not an absolute http:// or https:// URL",
                             "invalid_url");
        }
        plan.url = *url;
        if (url->scheme == "https") {
            if (auto problem = loadTrustedCertificates(); !problem.empty())
                return makeError(ErrorKind::internal, plan.where + ": " + problem, "tls_setup_failed");
        }
        const std::string proxy = proxy_.proxyFor(url->withoutQuery());
        if (!proxy.empty()) {
            plan.proxy = support::parseUrl(proxy);
            if (!plan.proxy || plan.proxy->scheme != "http") {
                return makeError(ErrorKind::invalid_input,
                                 plan.where + ": the proxy URL '" + support::describeUrl(proxy) +
                                     "' is not an http:// URL (HTTP_PROXY / HTTPS_PROXY)",
                                 "invalid_url");
            }
        }
        if (limits_.hosts) {
            const auto addresses = resolve(url->host, url->port);
            if (addresses.empty()) return transientError(plan.where + ": cannot resolve " + url->host, "dns_failed");
            if (!limits_.hosts->allows(url->host, addresses)) {
                std::string list;
                for (const auto& a : addresses) list += (list.empty() ? "" : ", ") + a.toString();
                return transientError(plan.where + ": " + url->host + " (" + list + ") is not allowed by " +
                                          limits_.config_key,
                                      "host_not_allowed");
            }
            // Without a proxy the connection goes to the addresses just checked (http and https
            // alike), so a second DNS answer cannot point elsewhere (rebinding).
            plan.pinned = addresses;
        }
        if (auto problem = headerProblem(request); !problem.empty()) {
            return makeError(ErrorKind::invalid_input, plan.where + ": refused before sending: " + problem,
                             "invalid_header");
        }
        if (plan.started >= deadline) {
            return transientError(plan.where + ": deadline exceeded before the request was sent", "deadline_exceeded");
        }

        http::request<http::string_body> message;
        message.method_string(request.method);
        // Through an http proxy the target is absolute-form, the URL as the caller wrote it
        // (RFC 9112 3.2.2); otherwise origin-form.
        const bool absolute = plan.proxy && url->scheme == "http";
        message.target(absolute ? (url->query.empty() ? url->withoutQuery() : url->withoutQuery() + "?" + url->query)
                                : url->target());
        message.version(11);
        if (const auto* host = findHeader(request.headers, "Host")) message.set(http::field::host, *host);
        else message.set(http::field::host, authority(*url, false));
        if (absolute) {
            if (auto credentials = proxyAuthorization(*plan.proxy); !credentials.empty())
                message.set(http::field::proxy_authorization, credentials);
        }
        for (const auto& [name, value] : request.headers) {
            // The body is framed here.
            if (common::iequals(name, "Content-Length") || common::iequals(name, "Transfer-Encoding") ||
                common::iequals(name, "Host"))
                continue;
            message.insert(name, value);
        }
        message.body() = request.body;
        message.prepare_payload();

        plan.pool_key = url->origin() + "|" + (plan.proxy ? plan.proxy->origin() + "|" + proxyAuthorization(*plan.proxy) : "");
        auto reused = pool_->take(plan.pool_key);
        asio::any_io_executor executor = reused ? reused->lowest().get_executor() : asio::make_strand(io_);
        auto outcome = std::make_shared<Outcome>();
        auto exchange = std::make_shared<Exchange>(std::move(plan), std::move(message), pool_, tls_context_, executor,
                                                   std::move(reused), outcome);
        exchange->start();

        std::unique_lock lock(outcome->mutex);
        if (!outcome->done_cv.wait_until(lock, deadline, [&] { return outcome->result.has_value(); })) {
            lock.unlock();
            exchange->cancel();  // closes the connection; the exchange ends on its strand
            const auto allowed = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - started);
            return transientError(request.method + " " + support::describeUrl(request.url) +
                                      ": no complete answer within the deadline of " + std::to_string(allowed.count()) +
                                      " ms; the request was cancelled",
                                  "deadline_exceeded");
        }
        return std::move(*outcome->result);
    }

    // The certificates TLS connections are verified against, read before the first https request
    // rather than when the client is made: OpenSSL parses the whole system bundle
    // (/etc/ssl/certs/ca-certificates.crt, about 140 certificates) at once, 20-30 ms of CPU and
    // about a megabyte per client, and serve makes three clients at start-up (one per forge
    // provider, one for webhooks), most of which never speak TLS in a test or a plain-http setup:
    // that was 0.1 s of serve's 0.107 s start-up (bench/run --only startup). Empty, or what failed.
    std::string loadTrustedCertificates() {
        std::call_once(tls_loaded_, [this] {
            error_code ec;
            tls_context_.set_default_verify_paths(ec);  // honours SSL_CERT_FILE and SSL_CERT_DIR
            if (!limits_.ca_file.empty()) {
                tls_context_.load_verify_file(limits_.ca_file, ec);
                if (ec) tls_problem_ = "cannot read the CA file " + limits_.ca_file + ": " + ec.message();
            }
        });
        return tls_problem_;
    }

    ProxySettings proxy_;
    ClientLimits limits_;
    ssl::context tls_context_;  // before io_: exchanges io_ still holds at destruction refer to it
    std::once_flag tls_loaded_;
    std::string tls_problem_;   // written once, under tls_loaded_
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::shared_ptr<ConnectionPool> pool_ = std::make_shared<ConnectionPool>();
    std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<HttpClient> makeHttpClient(ProxySettings proxy, ClientLimits limits) {
    return std::make_unique<BeastClient>(std::move(proxy), std::move(limits));
}

}  // namespace forgelink::net
