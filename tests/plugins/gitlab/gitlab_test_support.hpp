// Loads the built GitLab plugin the way the host does (plugin registry, host transport over the
// real HTTP client) and starts forge-sim with one of this folder's scenarios.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "forgelink/provider.hpp"
#include "net/http_client.hpp"
#include "net/metrics.hpp"
#include "plugin/registry.hpp"
#include "sim_process.hpp"

namespace forgelink::gitlab::testing {

// Scenario text from tests/plugins/gitlab/scenarios, with {{SOON}} / {{FAR}} set to dates 10 and
// 300 days from today (UTC).
std::string scenario(const std::string& name);
std::string isoDateFromToday(int days);

// Each request's deadline: 20 s, 60 s under TSan. There every listed page costs forge-sim and the
// plugin about 30 times what it costs in the plain build, and a request waits behind the others in
// flight for the simulator's one lock. Measured 2026-12-07 on GitLabListingSim.PastTheOffsetLimit...
// (503 pages, 16 in flight, machine at load 10, forge-sim accepting every waiting connection at
// once), the time of each request: plain median 142-163 ms, max 514 ms (test 7.1-7.6 s); TSan
// median 4.9 s, max 10.0 s (test 189 s). The worst TSan request took half of 20 s (the plain
// build's a fortieth), and in a TSan run of the suite at -j2 beside other builds
// GitLabProviderLarge's listing (25,000 projects) ran out of 20 s on one request while that test
// ran beside it. No test of this suite waits for the deadline to pass.
#if defined(__SANITIZE_THREAD__)
inline constexpr std::chrono::milliseconds kRequestDeadline{60000};
#else
inline constexpr std::chrono::milliseconds kRequestDeadline{20000};
#endif

class LoadedGitLab : public plugin::HostServicesFactory {
public:
    // `deadline`: each request's, the transport policy's default_deadline.
    explicit LoadedGitLab(std::chrono::milliseconds deadline = kRequestDeadline);
    ~LoadedGitLab() override;
    HostServices& servicesFor(const std::string& provider_name) override;
    Provider& provider() { return *provider_; }
    net::Metrics& metrics() { return metrics_; }

private:
    net::Metrics metrics_;
    std::unique_ptr<net::HttpClient> http_;
    std::unique_ptr<Transport> transport_;
    HostServices services_;
    std::unique_ptr<plugin::Registry> registry_;
    Provider* provider_ = nullptr;
};

}  // namespace forgelink::gitlab::testing
