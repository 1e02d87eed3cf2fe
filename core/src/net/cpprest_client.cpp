// The cpprestsdk adapter behind HttpClient: one attempt, no policy. Everything cpprestsdk-specific
// about calling out stays in this file (PITFALLS: archived upstream, keep it replaceable).
#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include <cpprest/http_client.h>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "net/http_client.hpp"
#include "net/url.hpp"

namespace forgelink::net {

namespace {

using namespace std::chrono_literals;
namespace client = web::http::client;

// cpprestsdk's timeout is an inactivity timer, not a total deadline (PITFALLS, #558). Our own
// deadline cancels the request; this only has to stay out of its way.
constexpr auto kInactivityTimeout = std::chrono::seconds(3600);

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

// The outcome of one request, shared with the pplx continuation: after a deadline the
// continuation may still run, after execute() has returned.
struct Pending {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::optional<HttpResponse> response;
    std::string failure;       // cpprestsdk's message (fixed texts without URLs)
    int failure_errno = 0;
    bool cancelled = false;
    std::atomic<bool> too_large{false};  // set by the progress handler on a cpprestsdk thread
};

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

class CpprestClient final : public HttpClient {
public:
    CpprestClient(ProxySettings proxy, ClientLimits limits) : proxy_(std::move(proxy)), limits_(std::move(limits)) {}

    Result<HttpResponse> execute(const HttpRequest& request, std::chrono::steady_clock::time_point deadline) override {
        auto result = attempt(request, deadline);
        if (!result.ok() && limits_.hosts && result.error().kind == ErrorKind::transient &&
            result.error().code != "deadline_exceeded") {
            // One error for every base URL without an answer: refused by the policy, unresolvable,
            // closed port, TLS failure. The reason goes to the operator's log only.
            if (limits_.note_unreachable) limits_.note_unreachable(result.error().message);
            const auto url = parseUrl(request.url);
            return transientError(request.method + " " + describeUrl(request.url) + ": no answer from " +
                                      (url ? url->origin() : std::string("the forge")) +
                                      ": unreachable, or its address is not allowed (" + limits_.config_key + ")",
                                  "forge_unreachable");
        }
        return result;
    }

private:
    Result<HttpResponse> attempt(const HttpRequest& request, std::chrono::steady_clock::time_point deadline) {
        const auto started = std::chrono::steady_clock::now();
        auto url = parseUrl(request.url);
        const std::string where = request.method + " " + describeUrl(request.url);
        if (!url || (url->scheme != "http" && url->scheme != "https")) {
            return makeError(ErrorKind::invalid_input,
                             where + ": not an absolute http:// or https:// URL", "invalid_url");
        }
        // The authority the forge expects in Host when the connection goes to a checked address.
        std::string host_header;
        if (limits_.hosts) {
            const auto addresses = resolve(url->host, url->port);
            if (addresses.empty()) return transientError(where + ": cannot resolve " + url->host, "dns_failed");
            if (!limits_.hosts->allows(url->host, addresses)) {
                std::string list;
                for (const auto& a : addresses) list += (list.empty() ? "" : ", ") + a.toString();
                return transientError(where + ": " + url->host + " (" + list + ") is not allowed by " + limits_.config_key,
                                      "host_not_allowed");
            }
            // Plain http without a proxy: connect to the address just checked, so a second DNS
            // answer cannot point elsewhere (rebinding).
            if (url->scheme == "http" && proxy_.proxyFor(url->withoutQuery()).empty() &&
                !common::IpAddress::parse(url->host)) {
                host_header = url->host + (url->explicit_port && url->port != 80 ? ":" + std::to_string(url->port) : "");
                url->host = addresses.front().toString();
            }
        }
        if (auto problem = headerProblem(request); !problem.empty()) {
            return makeError(ErrorKind::invalid_input, where + ": refused before sending: " + problem, "invalid_header");
        }
        if (started >= deadline) {
            return transientError(where + ": deadline exceeded before the request was sent", "deadline_exceeded");
        }

        std::shared_ptr<client::http_client> http;
        web::http::http_request message(request.method);
        try {
            http = clientFor(*url);
            message.set_request_uri(web::uri(url->target()));
        } catch (const std::exception& e) {
            return makeError(ErrorKind::invalid_input, where + ": the URL was refused: " + common::redact(e.what()),
                             "invalid_url");
        }
        if (!request.body.empty()) {
            message.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
        }
        if (!host_header.empty() && !findHeader(request.headers, "Host")) message.headers()["Host"] = host_header;
        for (const auto& [name, value] : request.headers) {
            // cpprestsdk frames the body itself.
            if (common::iequals(name, "Content-Length") || common::iequals(name, "Transfer-Encoding")) continue;
            if (common::iequals(name, "Content-Type") || common::iequals(name, "Host")) {
                message.headers()[name] = value;
            } else {
                message.headers().add(name, value);
            }
        }

        pplx::cancellation_token_source cancel;
        auto pending = std::make_shared<Pending>();
        const std::size_t limit = limits_.max_answer_bytes;
        // cpprestsdk calls this between reads of the body; throwing ends the request there, so no
        // more than `limit` plus one read (64 KB, or one chunk of a chunked answer) is taken in.
        message.set_progress_handler([pending, limit](web::http::message_direction::direction direction,
                                                      utility::size64_t bytes) {
            if (direction == web::http::message_direction::download && bytes > limit) {
                pending->too_large = true;
                throw std::length_error("answer too large");
            }
        });
        try {
            http->request(message, cancel.get_token())
                .then([pending, limit, cancel](web::http::http_response response) {
                    if (response.headers().content_length() > limit) {
                        pending->too_large = true;
                        cancel.cancel();  // closes the connection without reading the body
                        throw std::length_error("answer too large");
                    }
                    return response.extract_vector().then([response](std::vector<unsigned char> body) {
                        HttpResponse out;
                        out.status = response.status_code();
                        for (const auto& [name, value] : response.headers()) out.headers.emplace_back(name, value);
                        // One memcpy: assigning from the vector's iterators converts byte by byte (4 % of a
                        // listing's CPU in perf).
                        out.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
                        return out;
                    });
                })
                .then([pending](pplx::task<HttpResponse> task) {
                    // Ends the chain: every exception is observed here (PITFALLS: an unobserved
                    // pplx exception terminates the process).
                    std::lock_guard lock(pending->mutex);
                    try {
                        pending->response = task.get();
                    } catch (const web::http::http_exception& e) {
                        pending->failure = e.what();
                        pending->failure_errno = e.error_code().value();
                    } catch (const pplx::task_canceled&) {
                        pending->cancelled = true;
                    } catch (const std::exception& e) {
                        pending->failure = e.what();
                    } catch (...) {
                        pending->failure = "unknown failure";
                    }
                    pending->done = true;
                    pending->done_cv.notify_all();
                });
        } catch (const std::exception& e) {
            return transientError(where + ": the request could not be started: " + common::redact(e.what()),
                                  "request_failed");
        }

        std::unique_lock lock(pending->mutex);
        if (!pending->done_cv.wait_until(lock, deadline, [&] { return pending->done; })) {
            lock.unlock();
            cancel.cancel();  // closes the connection; the continuation above still runs and is observed
            const auto allowed = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - started);
            return transientError(where + ": no complete answer within the deadline of " +
                                      std::to_string(allowed.count()) + " ms; the request was cancelled",
                                  "deadline_exceeded");
        }
        if (pending->too_large) {
            return makeError(ErrorKind::invalid_input,
                             where + ": the answer is larger than " + describeBytes(limit) +
                                 " (forge.max_answer_mb); reading stopped there",
                             "answer_too_large");
        }
        if (pending->response) return std::move(*pending->response);
        if (pending->cancelled) {
            return transientError(where + ": the request was cancelled", "deadline_exceeded");
        }
        return classifyFailure(where, *url, pending->failure, pending->failure_errno);
    }

    static std::string describeBytes(std::size_t bytes) {
        if (bytes % (std::size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
        return std::to_string(bytes) + " bytes";
    }

    Error classifyFailure(const std::string& where, const Url& url, const std::string& failure, int error_number) const {
        const std::string detail = common::redact(failure);
        const std::string proxy = proxy_.proxyFor(url.withoutQuery());
        const std::string via = proxy.empty() ? "" : " (through proxy " + describeUrl(proxy) + ")";
        if (error_number == ECONNREFUSED || failure.find("Failed to connect") != std::string::npos) {
            return transientError(where + ": cannot connect to " + url.host + ":" + std::to_string(url.port) + via +
                                      ": " + detail,
                                  "connect_failed");
        }
        if (failure.find("resolv") != std::string::npos) {
            return transientError(where + ": cannot resolve " + url.host + via + ": " + detail, "dns_failed");
        }
        if (failure.find("SSL") != std::string::npos || failure.find("TLS") != std::string::npos ||
            failure.find("certificate") != std::string::npos) {
            return transientError(where + ": TLS failure: " + detail, "tls_failed");
        }
        if (failure.find("proxy") != std::string::npos) {
            return transientError(where + via + ": " + detail, "proxy_failed");
        }
        return transientError(where + via + ": " + detail, "network_error");
    }

    // One http_client per origin and proxy: it owns the connection pool for that origin.
    std::shared_ptr<client::http_client> clientFor(const Url& url) {
        const std::string proxy = proxy_.proxyFor(url.withoutQuery());
        const std::string key = url.origin() + "|" + proxy;
        std::lock_guard lock(mutex_);
        if (auto it = clients_.find(key); it != clients_.end()) return it->second;

        client::http_client_config config;
        config.set_timeout(kInactivityTimeout);
        // cpprestsdk follows up to 10 redirects by default, copying every header (PRIVATE-TOKEN,
        // Authorization) to wherever Location points. The caller decides about 3xx.
        config.set_max_redirects(0);
        if (proxy.empty()) {
            config.set_proxy(web::web_proxy(web::web_proxy::disabled));
        } else {
            const auto proxy_url = parseUrl(proxy);
            if (!proxy_url) throw std::invalid_argument("proxy URL '" + describeUrl(proxy) + "' does not parse");
            web::web_proxy web_proxy(web::uri(proxy_url->scheme + "://" +
                                              (proxy_url->host.find(':') != std::string::npos ? "[" + proxy_url->host + "]"
                                                                                              : proxy_url->host) +
                                              ":" + std::to_string(proxy_url->port)));
            if (!proxy_url->userinfo.empty()) {
                const auto colon = proxy_url->userinfo.find(':');
                web_proxy.set_credentials(web::credentials(
                    common::urlDecode(proxy_url->userinfo.substr(0, colon)),
                    colon == std::string::npos ? std::string{} : common::urlDecode(proxy_url->userinfo.substr(colon + 1))));
            }
            config.set_proxy(web_proxy);
        }
        // Without the default port: a proxy sees the absolute-form target exactly as the caller wrote it.
        Url base = url;
        base.path = "/";
        auto created = std::make_shared<client::http_client>(web::uri(base.withoutQuery()), config);
        clients_.emplace(key, created);
        return created;
    }

    ProxySettings proxy_;
    ClientLimits limits_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<client::http_client>> clients_;
};

}  // namespace

std::unique_ptr<HttpClient> makeHttpClient(ProxySettings proxy, ClientLimits limits) {
    return std::make_unique<CpprestClient>(std::move(proxy), std::move(limits));
}

}  // namespace forgelink::net
