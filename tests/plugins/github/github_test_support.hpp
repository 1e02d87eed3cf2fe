// Loads the built GitHub plugin the way the host does (plugin registry, host transport over the
// real HTTP client) for tests against forge-sim.
#pragma once

#include <memory>
#include <string>

#include "forgelink/provider.hpp"
#include "net/http_client.hpp"
#include "net/metrics.hpp"
#include "plugin/registry.hpp"

namespace forgelink::github::testing {

// "YYYY-MM-DD" (UTC), `days` from today.
std::string isoDateFromToday(int days);

class LoadedGitHub : public plugin::HostServicesFactory {
public:
    explicit LoadedGitHub(std::map<std::string, std::string> options = {});
    ~LoadedGitHub() override;
    HostServices& servicesFor(const std::string& provider_name) override;
    Provider& provider() { return *provider_; }
    const plugin::PluginInfo& info() const { return *registry_->info("github"); }

private:
    net::Metrics metrics_;
    std::unique_ptr<net::HttpClient> http_;
    std::unique_ptr<Transport> transport_;
    HostServices services_;
    std::unique_ptr<plugin::Registry> registry_;
    Provider* provider_ = nullptr;
};

}  // namespace forgelink::github::testing
