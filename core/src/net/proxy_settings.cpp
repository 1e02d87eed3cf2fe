// ProxySettings: which proxy a URL goes through. Kept free of cpprestsdk because the Linux
// cpprestsdk client ignores the proxy environment (PITFALLS, cpprestsdk #9): these rules are
// the only ones applied, so they follow curl's, which admins already know.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <forgelink/support/http_text.hpp>
#include <forgelink/support/url.hpp>

#include "common/strings.hpp"
#include "net/http_client.hpp"

namespace forgelink::net {

namespace {

std::string env(const char* lower, const char* upper) {
    // Lower case first, as curl does (upper-case HTTP_PROXY can be set by a CGI request header).
    if (const char* value = std::getenv(lower); value && *value) return value;
    if (const char* value = std::getenv(upper); value && *value) return value;
    return {};
}

bool parseIpv4(const std::string& text, std::uint32_t& out) {
    in_addr address{};
    if (::inet_pton(AF_INET, text.c_str(), &address) != 1) return false;
    out = ntohl(address.s_addr);
    return true;
}

// "10.0.0.0/8" against an IPv4 host.
bool matchesCidr(const std::string& rule, const std::string& host) {
    const auto slash = rule.find('/');
    std::uint32_t network = 0;
    std::uint32_t address = 0;
    if (!parseIpv4(rule.substr(0, slash), network) || !parseIpv4(host, address)) return false;
    const int bits = std::atoi(rule.c_str() + slash + 1);
    if (bits < 0 || bits > 32) return false;
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (network & mask) == (address & mask);
}

bool matchesRule(std::string rule, const support::Url& url) {
    std::string host = url.host;
    if (!host.empty() && host.back() == '.') host.pop_back();

    // "[::1]:8080", "host:8080": the rule applies to that port only.
    std::optional<std::uint16_t> port;
    if (!rule.empty() && rule.front() == '[') {
        const auto close = rule.find(']');
        if (close == std::string::npos) return false;
        if (close + 1 < rule.size() && rule[close + 1] == ':') port = static_cast<std::uint16_t>(std::atoi(rule.c_str() + close + 2));
        rule = rule.substr(1, close - 1);
    } else if (std::count(rule.begin(), rule.end(), ':') == 1) {
        const auto colon = rule.find(':');
        port = static_cast<std::uint16_t>(std::atoi(rule.c_str() + colon + 1));
        rule = rule.substr(0, colon);
    }
    if (port && *port != url.port) return false;

    if (rule.find('/') != std::string::npos) return matchesCidr(rule, host);
    if (rule.starts_with("*.")) rule.erase(0, 1);
    const bool suffix_only = !rule.empty() && rule.front() == '.';
    if (suffix_only) rule.erase(0, 1);
    if (!rule.empty() && rule.back() == '.') rule.pop_back();
    if (rule.empty()) return false;
    if (host == rule) return true;
    // A name rule also covers its subdomains, on a label boundary: "example.com" matches
    // "api.example.com" but not "badexample.com".
    return host.size() > rule.size() && host.ends_with(rule) && host[host.size() - rule.size() - 1] == '.';
}

}  // namespace

ProxySettings ProxySettings::fromEnvironment() {
    ProxySettings settings;
    settings.http_proxy = env("http_proxy", "HTTP_PROXY");
    settings.https_proxy = env("https_proxy", "HTTPS_PROXY");
    settings.no_proxy = env("no_proxy", "NO_PROXY");
    return settings;
}

std::string ProxySettings::proxyFor(const std::string& url_text) const {
    const auto url = support::parseUrl(url_text);
    if (!url) return {};
    std::string proxy;
    if (url->scheme == "http") proxy = http_proxy;
    else if (url->scheme == "https") proxy = https_proxy;
    proxy = std::string(support::trimSpace(proxy));
    if (proxy.empty()) return {};

    for (const auto& entry : common::split(no_proxy, ',')) {
        const std::string rule = support::asciiLower(support::trimSpace(entry));
        if (rule.empty()) continue;
        if (rule == "*") return {};
        if (matchesRule(rule, *url)) return {};
    }
    if (proxy.find("://") == std::string::npos) proxy = "http://" + proxy;
    return proxy;
}

}  // namespace forgelink::net
