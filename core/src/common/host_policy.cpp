#include "common/host_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include <forgelink/support/http_text.hpp>

#include "common/strings.hpp"

namespace forgelink::common {

namespace {

bool inRange(const IpAddress& address, const IpAddress& base, int prefix) {
    if (address.v6 != base.v6) return false;
    for (int bit = 0; bit < prefix; ++bit) {
        const int byte = bit / 8, shift = 7 - bit % 8;
        if (((address.bytes[byte] >> shift) & 1) != ((base.bytes[byte] >> shift) & 1)) return false;
    }
    return true;
}

bool inRange(const IpAddress& address, std::string_view base, int prefix) {
    return inRange(address, *IpAddress::parse(base), prefix);
}

// Splits "10.0.0.0/8" into the address and the prefix length; nullopt when malformed.
std::optional<std::pair<IpAddress, int>> parseRange(std::string_view text) {
    const auto slash = text.find('/');
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    const int max = address->v6 ? 128 : 32;
    if (slash == std::string_view::npos) return std::make_pair(*address, max);
    const auto digits = parseDigits(text.substr(slash + 1));
    if (!digits || *digits > max) return std::nullopt;
    return std::make_pair(*address, static_cast<int>(*digits));
}

bool isHostName(std::string_view name) {
    if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.' || name.front() == '-')
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    });
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    const std::string copy(text);
    IpAddress out;
    if (inet_pton(AF_INET, copy.c_str(), out.bytes.data()) == 1) return out;
    if (inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) == 1) {
        out.v6 = true;
        return out;
    }
    return std::nullopt;
}

std::string IpAddress::toString() const {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
    return text;
}

bool isPublicAddress(const IpAddress& address) {
    if (!address.v6) {
        static const std::pair<const char*, int> kNotPublic[] = {
            {"0.0.0.0", 8},      {"10.0.0.0", 8},     {"100.64.0.0", 10},  {"127.0.0.0", 8},
            {"169.254.0.0", 16}, {"172.16.0.0", 12},  {"192.0.0.0", 24},   {"192.0.2.0", 24},
            {"192.168.0.0", 16}, {"198.18.0.0", 15},  {"198.51.100.0", 24}, {"203.0.113.0", 24},
            {"224.0.0.0", 4},    {"240.0.0.0", 4}};
        for (const auto& [base, prefix] : kNotPublic)
            if (inRange(address, base, prefix)) return false;
        return true;
    }
    // ::ffff:a.b.c.d and the NAT64 prefix carry an IPv4 address: judge that one.
    if (inRange(address, "::ffff:0:0", 96) || inRange(address, "64:ff9b::", 96)) {
        IpAddress v4;
        std::copy(address.bytes.begin() + 12, address.bytes.end(), v4.bytes.begin());
        return isPublicAddress(v4);
    }
    static const std::pair<const char*, int> kNotPublic6[] = {
        {"::", 128}, {"::1", 128}, {"::", 96}, {"100::", 64}, {"2001:db8::", 32}, {"fc00::", 7}, {"fe80::", 10},
        {"fec0::", 10}, {"ff00::", 8}};
    for (const auto& [base, prefix] : kNotPublic6)
        if (inRange(address, base, prefix)) return false;
    return true;
}

std::string HostPolicy::entryProblem(std::string_view entry) {
    if (entry.empty()) return "an empty entry";
    if (parseRange(entry)) return "";
    if (entry.find_first_of(":/") != std::string_view::npos)
        return "expected an IP address or a CIDR range like 10.0.0.0/8 or fd00::/8";
    std::string_view name = entry;
    if (name.substr(0, 2) == "*.") name.remove_prefix(2);
    if (!isHostName(name))
        return "expected a host name (forge.example.com), a wildcard (*.example.com), an IP address or a CIDR range";
    return "";
}

HostPolicy::HostPolicy(const std::vector<std::string>& allowed_hosts) {
    for (const auto& entry : allowed_hosts) {
        if (!entryProblem(entry).empty()) continue;
        if (auto range = parseRange(entry)) {
            ranges_.push_back({range->first, range->second});
        } else if (entry.substr(0, 2) == "*.") {
            suffixes_.push_back(support::asciiLower(entry.substr(1)));
        } else {
            names_.push_back(support::asciiLower(entry));
        }
    }
}

bool HostPolicy::allows(std::string_view host, const std::vector<IpAddress>& addresses) const {
    if (addresses.empty()) return false;
    if (!restricted()) {
        return std::all_of(addresses.begin(), addresses.end(), [](const IpAddress& a) { return isPublicAddress(a); });
    }
    const std::string name = support::asciiLower(host);
    if (std::find(names_.begin(), names_.end(), name) != names_.end()) return true;
    for (const auto& suffix : suffixes_)
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            return true;
    return std::all_of(addresses.begin(), addresses.end(), [&](const IpAddress& a) {
        return std::any_of(ranges_.begin(), ranges_.end(), [&](const Range& r) { return inRange(a, r.base, r.prefix); });
    });
}

}  // namespace forgelink::common
