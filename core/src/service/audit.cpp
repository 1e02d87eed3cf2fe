#include "service/audit.hpp"

#include <forgelink/support/http_text.hpp>

#include "common/host_policy.hpp"
#include "common/strings.hpp"

namespace forgelink::service {

store::AuditActor systemActor() { return store::AuditActor{store::ActorKind::system, 0, 0, "forgelink"}; }

bool recordAudit(store::Store& store, common::JsonLogger& log, const store::AuditEventInput& event) {
    auto recorded = store.recordAuditEvent(event);
    if (recorded.ok()) return true;
    log.log(LogLevel::warn, "audit event not recorded",
            {{"action", event.action}, {"team_id", std::to_string(event.team_id)}, {"reason", recorded.error().message}});
    return false;
}

std::string clientAddress(const net::ServerRequest& request, const std::vector<std::string>& trusted_proxies) {
    if (trusted_proxies.empty()) return request.remote_address;
    const common::HostPolicy trusted(trusted_proxies);
    auto isTrusted = [&](std::string_view text) {
        auto address = common::IpAddress::parse(text);
        return address && trusted.allows(address->toString(), {*address});
    };
    if (!isTrusted(request.remote_address)) return request.remote_address;
    // Every X-Forwarded-For header, in order, as one list.
    std::vector<std::string> hops;
    for (const auto& [name, value] : request.headers) {
        if (!common::iequals(name, "X-Forwarded-For")) continue;
        for (const auto& part : common::split(value, ',')) hops.emplace_back(support::trimSpace(part));
    }
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        auto address = common::IpAddress::parse(*it);
        if (!address) break;  // not an address: nothing left of it can be believed either
        if (!isTrusted(*it)) return address->toString();
    }
    return request.remote_address;
}

}  // namespace forgelink::service
