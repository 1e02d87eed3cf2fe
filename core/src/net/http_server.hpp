// Forgelink's own HTTP server interface. The only implementation today is the cpprestsdk
// adapter (cpprest_server.cpp); nothing else in Forgelink includes cpprestsdk's listener, so a
// Boost.Beast backend could replace it in this one module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "forgelink/transport.hpp"  // Headers, findHeader

namespace forgelink::net {

struct ServerRequest {
    std::string method;       // "GET", "POST", ...
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
    std::string body;
    // When set, the connection is dropped without an answer (for fault injection).
    bool drop_connection = false;
    // When set, sent instead of `body`: a large answer kept in a cache goes out without being
    // copied into every response. Never modified through here.
    std::shared_ptr<const std::string> shared_body = nullptr;
};

// Called on one of the server's worker threads (never on the listener's I/O threads), so a
// handler may block (call a plugin, the store). Must be thread-safe. Exceptions are caught and
// answered 500 without their text.
using Handler = std::function<ServerResponse(const ServerRequest&)>;

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;          // 0 = pick a free port
    std::size_t workers = 8;         // handler threads
    std::size_t max_body_bytes = 1 << 20;  // larger bodies are answered 413 before reading
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
