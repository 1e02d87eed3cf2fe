// The host owns the wire. A plugin builds requests and reads responses; the host's Transport
// applies the policy: a total deadline per request, retries with backoff and jitter for
// idempotent requests (and for the statuses a request names), Retry-After and RateLimit-*
// handling, pacing of writes, proxies from the environment, and per-provider metrics. It decides
// every wait and retry: a plugin describes its forge and never sleeps. One place to change, one
// place to test.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forgelink/result.hpp"

namespace forgelink {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; nullptr when absent. Returns the first match.
const std::string* findHeader(const Headers& headers, std::string_view name) noexcept;

struct HttpRequest {
    std::string method = "GET";
    std::string url;          // absolute: scheme://host[:port]/path?query
    Headers headers;          // secrets go in headers (never in the URL): the host masks
                              // Authorization, PRIVATE-TOKEN, Cookie and the like in logs
    std::string body;
    // Total time allowed for this request, retries included. Zero = the host's default.
    std::chrono::milliseconds deadline{0};
    // Retry on transient failures (connection errors, 502/503/504). Unset = by method:
    // GET, HEAD, PUT, DELETE and OPTIONS are idempotent; POST and PATCH are not. Any request
    // answered 429 is retried after Retry-After while the deadline allows: it was not processed.
    enum class Retry { by_method, always, never };
    Retry retry = Retry::by_method;
    // Answers the forge gives to a request it did not act on, which the host retries like a 503
    // (its backoff, within its attempts and the deadline) whatever `retry` says: say, 409 while
    // the forge holds a lock for a moment. What is still one of them after the last attempt comes
    // back as the answer. Added in ABI version 2.
    std::vector<int> retry_statuses;
    // Pacing of a forge's content-creating writes (ABI version 2): requests with the same `key`
    // (a token's digest, never the token) get `burst` slots at once, then a steady refill so that
    // no minute holds more than `per_minute`. The host waits for the request's slot; when that
    // wait would exceed 30 s it does not send it, and send() returns an Error of kind rate_limited,
    // code "write_paced", with retry_after. per_minute 0: not paced.
    struct Pacing {
        std::string key;
        int per_minute = 0;
        int burst = 0;
    };
    Pacing pacing;
};

struct HttpResponse {
    int status = 0;
    Headers headers;
    std::string body;

    const std::string* header(std::string_view name) const noexcept { return findHeader(headers, name); }
};

// Thread-safe; every method blocks the calling thread until done. The host calls providers
// from its own worker threads, never from an HTTP listener thread.
class Transport {
public:
    virtual ~Transport() = default;

    // Sends one request. Any HTTP answer is a value, whatever its status, after the retry
    // policy ran (a 503 that stayed 503 comes back as status 503). An Error means there was no
    // usable answer: kind transient (connection refused, reset, deadline passed, TLS failure)
    // with a message naming the method and the URL without its query string.
    // Redirects are not followed: the caller sees 3xx and Location.
    virtual Result<HttpResponse> send(const HttpRequest& request) = 0;

    // Sends the requests concurrently, at most `max_concurrency` in flight, and returns the
    // results in the same order. Each request gets the same policy as send().
    virtual std::vector<Result<HttpResponse>> sendAll(const std::vector<HttpRequest>& requests,
                                                      std::size_t max_concurrency) = 0;
};

enum class LogLevel { debug, info, warn, error };

// Structured log sink. Messages must never contain secrets; the host redacts secret-looking
// headers, parameters and fields, and the token prefixes plugins declare (abi.h,
// secret_token_prefixes), as a second line of defence.
class Logger {
public:
    virtual ~Logger() = default;
    virtual void log(LogLevel level, std::string_view message) = 0;
};

inline const std::string* findHeader(const Headers& headers, std::string_view name) noexcept {
    for (const auto& [key, value] : headers) {
        if (key.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < key.size() && same; ++i) {
            char a = key[i], b = name[i];
            if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
            same = a == b;
        }
        if (same) return &value;
    }
    return nullptr;
}

}  // namespace forgelink
