// What the host lends each provider (transport, logger, options), made once per provider on
// first request and kept until this object goes. Declare it before the plugin::Registry that
// uses it, so providers are destroyed while their services still exist.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/log.hpp"
#include "config/config.hpp"
#include "net/http_client.hpp"
#include "net/metrics.hpp"
#include "plugin/registry.hpp"

namespace forgelink::cli {

class HostServicesPool : public plugin::HostServicesFactory {
public:
    // Whom the host's forge requests may reach.
    enum class Reach {
        // serve: base URLs come from team owners; only public addresses unless
        // providers.NAME.allowed_hosts lists more (SSRF), and one error for every unreachable URL.
        public_or_allowed,
        // the CLI's provider verbs: the operator typed the URL on their own machine; anything,
        // unless the configuration given sets providers.NAME.allowed_hosts.
        anything_unless_configured,
    };
    // `config` may be null (no configuration file): providers then get no options.
    // Provider logs go to stderr as JSON lines.
    HostServicesPool(const config::Config* config, LogLevel log_level, Reach reach = Reach::public_or_allowed);
    // Provider logs go to `log_sink` (serve: the host's own sink, whose level a reload changes).
    HostServicesPool(const config::Config* config, std::shared_ptr<common::LogSink> log_sink,
                     Reach reach = Reach::public_or_allowed);
    ~HostServicesPool() override;

    HostServices& servicesFor(const std::string& provider_name) override;
    net::Metrics& metrics() noexcept { return metrics_; }

private:
    struct Entry;
    const config::Config* config_;
    std::shared_ptr<common::LogSink> log_sink_;
    Reach reach_;
    net::Metrics metrics_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Entry>> entries_;
};

// "debug" | "info" | "warn" | "error"; anything else is info.
LogLevel parseLogLevel(const std::string& text);

}  // namespace forgelink::cli
