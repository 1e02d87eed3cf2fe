#include "github_test_support.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "net/transport_policy.hpp"

namespace forgelink::github::testing {

std::string isoDateFromToday(int days_from_today) {
    using namespace std::chrono;
    year_month_day ymd{floor<days>(system_clock::now()) + days(days_from_today)};
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buffer;
}

LoadedGitHub::LoadedGitHub(std::map<std::string, std::string> options) {
    http_ = net::makeHttpClient(net::ProxySettings{});
    net::TransportPolicy policy;
    policy.default_deadline = std::chrono::milliseconds(20000);
    policy.backoff_base = std::chrono::milliseconds(20);
    policy.backoff_cap = std::chrono::milliseconds(200);
    policy.max_retry_after = std::chrono::seconds(2);  // a longer wait comes back as an answer
    transport_ = net::makePolicyTransport(*http_, metrics_, "github", policy);
    services_.transport = transport_.get();
    services_.options = std::move(options);
    registry_ = std::make_unique<plugin::Registry>(*this);
    registry_->load(FORGELINK_GITHUB_PLUGIN);
    std::string why;
    for (const auto& r : registry_->refusals()) why += r.message + "; ";
    provider_ = registry_->provider("github");
    if (provider_ == nullptr) throw std::runtime_error("the GitHub plugin did not load: " + why);
}

LoadedGitHub::~LoadedGitHub() = default;

HostServices& LoadedGitHub::servicesFor(const std::string&) { return services_; }

}  // namespace forgelink::github::testing
