#include "cli/host_services.hpp"

#include <iostream>

#include "net/transport_policy.hpp"

namespace forgelink::cli {

struct HostServicesPool::Entry {
    std::unique_ptr<net::HttpClient> client;  // one per provider: its own limits and connection pools
    std::unique_ptr<Transport> transport;
    std::unique_ptr<common::JsonLogger> logger;
    HostServices services;
};

HostServicesPool::HostServicesPool(const config::Config* config, LogLevel log_level, Reach reach)
    : HostServicesPool(config, std::make_shared<common::LogSink>(std::cerr, common::LogFormat::json, log_level),
                       reach) {}

HostServicesPool::HostServicesPool(const config::Config* config, std::shared_ptr<common::LogSink> log_sink,
                                   Reach reach)
    : config_(config), log_sink_(std::move(log_sink)), reach_(reach) {}

HostServicesPool::~HostServicesPool() = default;

HostServices& HostServicesPool::servicesFor(const std::string& provider_name) {
    std::lock_guard lock(mutex_);
    auto& entry = entries_[provider_name];
    if (!entry) {
        entry = std::make_unique<Entry>();
        entry->logger = std::make_unique<common::JsonLogger>("provider." + provider_name, log_sink_);
        net::ClientLimits limits;
        const config::ProviderConfig* provider = nullptr;
        if (config_ != nullptr) {
            limits.max_answer_bytes = config_->forge.max_answer_mb << 20;
            if (auto it = config_->providers.find(provider_name); it != config_->providers.end()) provider = &it->second;
        }
        const bool listed = provider != nullptr && !provider->allowed_hosts.empty();
        if (reach_ == Reach::public_or_allowed || listed) {
            limits.hosts = std::make_shared<common::HostPolicy>(listed ? provider->allowed_hosts
                                                                       : std::vector<std::string>{});
            limits.config_key = "providers." + provider_name + ".allowed_hosts";
            auto* logger = entry->logger.get();
            limits.note_unreachable = [logger](const std::string& reason) {
                logger->log(LogLevel::warn, "forge unreachable or not allowed: " + reason);
            };
        }
        entry->client = net::makeHttpClient(net::ProxySettings::fromEnvironment(), std::move(limits));
        entry->transport = net::makePolicyTransport(*entry->client, metrics_, provider_name);
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
