// forgelink_plugin_check <path>...: loads plugin files or directories the way the host does and
// prints one line per loaded provider:
// "<name> <version> abi=<n> caps=<a,b> secret_prefixes=<p,q> path=<file>" ("none" for an empty list).
// Refusals go to stderr. Exit status: 0 when something loaded and nothing was refused, 1 otherwise,
// 2 on bad usage. No provider gets to reach the network from here.
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "plugin/registry.hpp"

namespace {

class NoNetwork : public forgelink::Transport {
public:
    forgelink::Result<forgelink::HttpResponse> send(const forgelink::HttpRequest&) override { return refusal(); }
    std::vector<forgelink::Result<forgelink::HttpResponse>> sendAll(const std::vector<forgelink::HttpRequest>& requests,
                                                                    std::size_t) override {
        return std::vector<forgelink::Result<forgelink::HttpResponse>>(requests.size(), refusal());
    }

private:
    static forgelink::Error refusal() {
        return forgelink::makeError(forgelink::ErrorKind::transient, "forgelink_plugin_check makes no network calls",
                                    "no_network");
    }
};

class StderrLogger : public forgelink::Logger {
public:
    void log(forgelink::LogLevel, std::string_view message) override { std::cerr << message << '\n'; }
};

class CheckServices : public forgelink::plugin::HostServicesFactory {
public:
    forgelink::HostServices& servicesFor(const std::string& provider_name) override {
        auto& services = services_[provider_name];
        services.transport = &transport_;
        services.logger = &logger_;
        return services;
    }

private:
    NoNetwork transport_;
    StderrLogger logger_;
    std::map<std::string, forgelink::HostServices> services_;
};

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
    return out.empty() ? "none" : out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " <plugin file or directory>...\n";
        return 2;
    }
    CheckServices services;
    forgelink::plugin::Registry registry(services);
    for (int i = 1; i < argc; ++i) registry.load(argv[i]);

    for (const auto& plugin : registry.plugins()) {
        std::cout << plugin.name << ' ' << plugin.version << " abi=" << plugin.abi_version
                  << " caps=" << joined(forgelink::plugin::capabilityNames(plugin.capabilities))
                  << " secret_prefixes=" << joined(plugin.secret_token_prefixes) << " path=" << plugin.path << '\n';
    }
    for (const auto& refusal : registry.refusals()) std::cerr << "refused: " << refusal.message << '\n';
    if (registry.plugins().empty() && registry.refusals().empty()) std::cerr << "no plugin found\n";
    return registry.plugins().empty() || !registry.refusals().empty() ? 1 : 0;
}
