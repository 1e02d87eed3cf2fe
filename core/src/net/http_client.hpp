// Forgelink's own HTTP client interface: one attempt, no policy. The Transport policy
// (transport_policy.hpp) adds deadlines, retries, rate-limit handling and metrics on top.
// The only implementation is the Boost.Beast client (beast_client.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/host_policy.hpp"

#include "forgelink/result.hpp"
#include "forgelink/transport.hpp"

namespace forgelink::net {

struct ProxySettings {
    std::string http_proxy;   // from HTTP_PROXY / http_proxy
    std::string https_proxy;  // from HTTPS_PROXY / https_proxy
    std::string no_proxy;     // from NO_PROXY / no_proxy
    static ProxySettings fromEnvironment();
    // The proxy URL to use for `url`, or "" for a direct connection.
    std::string proxyFor(const std::string& url) const;
};

class HttpClient {
public:
    virtual ~HttpClient() = default;
    // One attempt. Returns the answer (any status) or a transient Error (connect failure, reset,
    // TLS failure, or `deadline` passed: the request is cancelled). Never follows redirects.
    virtual Result<HttpResponse> execute(const HttpRequest& request,
                                         std::chrono::steady_clock::time_point deadline) = 0;
};

// The largest forge answer read by default (forge.max_answer_mb): a 100-project page of a
// listing is about 250 KB.
inline constexpr std::size_t kDefaultMaxAnswerBytes = std::size_t{8} << 20;
// The largest status line and headers of an answer read: the forges' are under 8 KB.
inline constexpr std::size_t kDefaultMaxAnswerHeadBytes = std::size_t{64} << 10;

struct ClientLimits {
    // The body of an answer may not be longer: a longer one is refused (invalid_input,
    // "answer_too_large") as soon as its Content-Length or a chunk's size says so, or once that
    // much has been read; reading stops there and the connection is closed.
    std::size_t max_answer_bytes = kDefaultMaxAnswerBytes;
    // The status line and headers together, counted as they arrive: the same refusal past it.
    std::size_t max_head_bytes = kDefaultMaxAnswerHeadBytes;
    // A PEM file of CAs trusted for https:// in addition to the system's (tests; an operator sets
    // SSL_CERT_FILE or SSL_CERT_DIR, which OpenSSL reads instead of the system's).
    std::string ca_file;
    // When set, the host of every request is resolved and each of its addresses checked against
    // this policy before connecting (a direct request then connects to the checked addresses;
    // a proxied one is resolved again by the proxy), and every
    // failure without an answer (refused, unresolvable, unreachable, TLS) is one transient error,
    // "forge_unreachable", naming `config_key`: no port-scan oracle for whoever typed the URL.
    std::shared_ptr<const common::HostPolicy> hosts;
    std::string config_key;  // "providers.<name>.allowed_hosts"
    // Receives the real reason behind a forge_unreachable error, for the operator's log.
    std::function<void(const std::string&)> note_unreachable;
};

std::unique_ptr<HttpClient> makeHttpClient(ProxySettings proxy = ProxySettings::fromEnvironment(),
                                           ClientLimits limits = {});

}  // namespace forgelink::net
