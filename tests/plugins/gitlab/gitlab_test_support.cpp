#include "gitlab_test_support.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "net/transport_policy.hpp"

namespace forgelink::gitlab::testing {

std::string isoDateFromToday(int days_from_today) {
    using namespace std::chrono;
    year_month_day ymd{floor<days>(system_clock::now()) + days(days_from_today)};
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buffer;
}

std::string scenario(const std::string& name) {
    std::ifstream in(std::string(FORGELINK_GITLAB_SCENARIOS) + "/" + name);
    if (!in) throw std::runtime_error("cannot read scenario " + name);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    for (auto [key, days] : {std::pair<const char*, int>{"{{SOON}}", 10}, {"{{FAR}}", 300}}) {
        for (auto pos = s.find(key); pos != std::string::npos; pos = s.find(key)) {
            s.replace(pos, std::string(key).size(), isoDateFromToday(days));
        }
    }
    return s;
}

LoadedGitLab::LoadedGitLab(std::chrono::milliseconds deadline) {
    http_ = net::makeHttpClient(net::ProxySettings{});
    net::TransportPolicy policy;
    policy.default_deadline = deadline;
    policy.backoff_base = std::chrono::milliseconds(20);
    policy.backoff_cap = std::chrono::milliseconds(200);
    transport_ = net::makePolicyTransport(*http_, metrics_, "gitlab", policy);
    services_.transport = transport_.get();
    registry_ = std::make_unique<plugin::Registry>(*this);
    registry_->load(FORGELINK_GITLAB_PLUGIN);
    std::string why;
    for (const auto& r : registry_->refusals()) why += r.message + "; ";
    provider_ = registry_->provider("gitlab");
    if (provider_ == nullptr) throw std::runtime_error("the GitLab plugin did not load: " + why);
}

LoadedGitLab::~LoadedGitLab() = default;

HostServices& LoadedGitLab::servicesFor(const std::string&) { return services_; }

}  // namespace forgelink::gitlab::testing
