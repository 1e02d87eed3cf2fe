// The host's Transport: the policy every provider's HTTP goes through.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "forgelink/transport.hpp"
#include "net/http_client.hpp"
#include "net/metrics.hpp"

namespace forgelink::net {

struct TransportPolicy {
    std::chrono::milliseconds default_deadline{30000};  // total, retries and waits included
    int max_attempts = 5;                               // first try included
    std::chrono::milliseconds backoff_base{200};        // full jitter: sleep U(0, min(cap, base*2^n))
    std::chrono::milliseconds backoff_cap{10000};
    std::chrono::seconds max_retry_after{120};          // a longer Retry-After is not waited for
    std::string user_agent = "Forgelink";
};

// A clock and sleeper that tests can replace to check waits without waiting.
struct Clock {
    std::function<std::chrono::steady_clock::time_point()> now = [] { return std::chrono::steady_clock::now(); };
    std::function<void(std::chrono::milliseconds)> sleep;  // default: std::this_thread::sleep_for
};

// Makes the Transport lent to one provider. `provider` labels its metrics. `client` and
// `metrics` must outlive it. Thread-safe.
std::unique_ptr<Transport> makePolicyTransport(HttpClient& client, Metrics& metrics, std::string provider,
                                               TransportPolicy policy = {}, Clock clock = {});

}  // namespace forgelink::net
