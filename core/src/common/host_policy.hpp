// Which forge addresses the host may connect to (server-side request forgery): a team owner types
// a base URL, and without a policy the host would reach loopback services, the cloud metadata
// address or the private network for them. The policy is checked against every address a name
// resolves to, not only against the name.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forgelink::common {

struct IpAddress {
    bool v6 = false;
    std::array<unsigned char, 16> bytes{};  // IPv4 in the first 4
    static std::optional<IpAddress> parse(std::string_view text);  // "10.0.0.1", "::1" (no brackets)
    std::string toString() const;
};

// Loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata address,
// fe80::/10), shared (100.64/10), unspecified, multicast, reserved and documentation ranges;
// IPv4-mapped IPv6 addresses are judged by their IPv4 address.
bool isPublicAddress(const IpAddress& address);

// providers.<name>.allowed_hosts: host names ("forge.example.com"), wildcards
// ("*.example.com": any name below it), IP addresses and CIDR ranges ("10.1.0.0/16", "::1").
class HostPolicy {
public:
    // What is wrong with one entry, or "" when it is acceptable.
    static std::string entryProblem(std::string_view entry);
    // Entries must be acceptable (entryProblem() == ""); others are ignored.
    explicit HostPolicy(const std::vector<std::string>& allowed_hosts = {});

    bool restricted() const noexcept { return !names_.empty() || !suffixes_.empty() || !ranges_.empty(); }

    // Whether `host` (a URL's host, lower or upper case, IPv6 without brackets) may be reached at
    // `addresses` (all it resolved to). Without entries: only public addresses. With entries: the
    // name is listed, or every address lies in a listed address or range.
    bool allows(std::string_view host, const std::vector<IpAddress>& addresses) const;

private:
    struct Range {
        IpAddress base;
        int prefix = 0;
    };
    std::vector<std::string> names_;
    std::vector<std::string> suffixes_;  // ".example.com"
    std::vector<Range> ranges_;
};

}  // namespace forgelink::common
