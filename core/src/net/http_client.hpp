// Forgelink's own HTTP client interface: one attempt, no policy. The Transport policy
// (transport_policy.hpp) adds deadlines, retries, rate-limit handling and metrics on top.
// The only implementation is the cpprestsdk adapter (cpprest_client.cpp).
#pragma once

#include <chrono>
#include <memory>
#include <string>

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

std::unique_ptr<HttpClient> makeHttpClient(ProxySettings proxy = ProxySettings::fromEnvironment());

}  // namespace forgelink::net
