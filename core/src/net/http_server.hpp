// Forgelink's own HTTP server interface. The implementation is the Boost.Beast backend
// (beast_server.cpp); nothing else in Forgelink knows which library serves HTTP. It replaced a
// cpprestsdk listener that could not bound what it read (core/src/net/README.md says why).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "forgelink/transport.hpp"  // Headers, findHeader

namespace forgelink::net {

// What a handler is given. The server has already refused (400, JSON) a target that is not a
// valid origin-form URI, a path holding a control byte (raw or percent-encoded) and a query
// holding a NUL, so none of them reaches a handler.
struct ServerRequest {
    std::string method;       // as sent: any token, even one no handler knows
    std::string path;         // percent-decoded path, e.g. "/api/v4/projects/group/proj"
    std::string raw_path;     // path as sent, still percent-encoded ("/api/v4/projects/group%2Fproj")
    std::string raw_query;    // query string as sent, without '?'
    std::multimap<std::string, std::string> query;  // decoded query parameters (repeats kept)
    Headers headers;
    std::string body;
    std::string remote_address;

    const std::string* header(std::string_view name) const noexcept { return findHeader(headers, name); }
    // First value of a query parameter, or nullptr.
    const std::string* param(const std::string& name) const {
        auto it = query.find(name);
        return it == query.end() ? nullptr : &it->second;
    }
};

struct ServerResponse {
    int status = 200;
    Headers headers;
    std::string body;  // not sent for HEAD: the Content-Length is still its size
    // When set, the connection is reset without an answer (for fault injection).
    bool drop_connection = false;
    // When set, sent instead of `body`: a large answer kept in a cache goes out without being
    // copied into every response. Never modified through here.
    std::shared_ptr<const std::string> shared_body = nullptr;
};

// Called on one of the server's worker threads (never on the listener's I/O threads), so a
// handler may block (call a plugin, the store). Must be thread-safe. Exceptions are caught and
// answered 500 without their text.
using Handler = std::function<ServerResponse(const ServerRequest&)>;

// Every limit is enforced as the bytes arrive, before the handler runs and before anything is
// authenticated; the answers use the API's error shape {"error":{"code","message"}} and close the
// connection.
struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;          // 0 = pick a free port
    std::size_t workers = 8;         // handler threads
    // A body above this is answered 413 as soon as it is known to be larger: at once for a
    // Content-Length, as the chunks arrive for a chunked body.
    std::size_t max_body_bytes = 1 << 20;
    // The request line and all header lines together; more is answered 431 as it arrives.
    std::size_t max_header_bytes = 32 << 10;
    // One header line (name, colon and value): 431 above it; a longer request line: 414.
    std::size_t max_header_line_bytes = 8 << 10;
    // Connections open at once; one more is answered 503 and closed.
    std::size_t max_connections = 512;
    // A request's line and headers must arrive within this of its first byte (else 408, closed).
    std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
    // A request body must arrive, and an answer be taken by the client, within this.
    std::chrono::milliseconds body_timeout = std::chrono::seconds(30);
    // A kept-alive connection waiting for its next request is closed after this.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
    std::size_t io_threads = 2;      // threads that read and write sockets (never run handlers)
    // Called (on an I/O thread; must be quick and thread-safe) for every request the server
    // answers itself, before any handler: its status and error code (431 "headers_too_large",
    // 413, 414, 400 "bad_request", 501, 503 "too_many_connections"...). Empty: not reported.
    std::function<void(int status, const std::string& code)> on_refused;
};

class HttpServer {
public:
    virtual ~HttpServer() = default;
    // Starts accepting; throws std::runtime_error with the address when it cannot listen.
    virtual void start() = 0;
    // Stops accepting, lets in-flight handlers finish, and closes. Idempotent.
    virtual void stop() = 0;
    virtual std::uint16_t port() const = 0;
    // "http://127.0.0.1:PORT"
    virtual std::string baseUrl() const = 0;
};

std::unique_ptr<HttpServer> makeHttpServer(ServerOptions options, Handler handler);

// Finds a free TCP port on `host` (binds port 0 and releases it).
std::uint16_t findFreePort(const std::string& host = "127.0.0.1");

}  // namespace forgelink::net
