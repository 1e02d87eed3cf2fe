#include "cli/host_services.hpp"

#include <iostream>

#include "net/transport_policy.hpp"

namespace forgelink::cli {

struct HostServicesPool::Entry {
    std::unique_ptr<Transport> transport;
    std::unique_ptr<common::JsonLogger> logger;
    HostServices services;
};

HostServicesPool::HostServicesPool(const config::Config* config, LogLevel log_level)
    : config_(config), log_level_(log_level), client_(net::makeHttpClient()) {}

HostServicesPool::~HostServicesPool() = default;

HostServices& HostServicesPool::servicesFor(const std::string& provider_name) {
    std::lock_guard lock(mutex_);
    auto& entry = entries_[provider_name];
    if (!entry) {
        entry = std::make_unique<Entry>();
        entry->transport = net::makePolicyTransport(*client_, metrics_, provider_name);
        entry->logger = std::make_unique<common::JsonLogger>("provider." + provider_name, &std::cerr, log_level_);
        entry->services.transport = entry->transport.get();
        entry->services.logger = entry->logger.get();
        if (config_ != nullptr) {
            if (auto it = config_->providers.find(provider_name); it != config_->providers.end())
                entry->services.options = it->second.options;
        }
    }
    return entry->services;
}

LogLevel parseLogLevel(const std::string& text) {
    if (text == "debug") return LogLevel::debug;
    if (text == "warn") return LogLevel::warn;
    if (text == "error") return LogLevel::error;
    return LogLevel::info;
}

}  // namespace forgelink::cli
