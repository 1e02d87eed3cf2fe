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

class LoadedGitLab : public plugin::HostServicesFactory {
public:
    // `deadline`: each request's, the transport policy's default_deadline.
    explicit LoadedGitLab(std::chrono::milliseconds deadline = std::chrono::milliseconds(20000));
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
