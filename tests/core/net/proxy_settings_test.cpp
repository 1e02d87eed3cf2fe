#include <gtest/gtest.h>

#include <cstdlib>

#include "net/http_client.hpp"

namespace forgelink::net {
namespace {

ProxySettings proxies(std::string no_proxy) {
    ProxySettings settings;
    settings.http_proxy = "http://proxy.local:3128";
    settings.https_proxy = "http://secure-proxy.local:3129";
    settings.no_proxy = std::move(no_proxy);
    return settings;
}

TEST(ProxyFor, PicksTheProxyByScheme) {
    const auto settings = proxies("");
    EXPECT_EQ(settings.proxyFor("http://gitlab.example.com/api"), "http://proxy.local:3128");
    EXPECT_EQ(settings.proxyFor("https://gitlab.example.com/api"), "http://secure-proxy.local:3129");
    ProxySettings http_only;
    http_only.http_proxy = "proxy.local:8080";  // no scheme: http assumed
    EXPECT_EQ(http_only.proxyFor("http://a.example/"), "http://proxy.local:8080");
    EXPECT_EQ(http_only.proxyFor("https://a.example/"), "");  // like curl: no fallback to http_proxy
    EXPECT_EQ(settings.proxyFor("not a url"), "");
}

TEST(ProxyFor, NoProxyHostAndSuffixRules) {
    const auto settings = proxies("example.com, .internal.net ,*.corp.org");
    EXPECT_EQ(settings.proxyFor("https://example.com/x"), "");
    EXPECT_EQ(settings.proxyFor("https://api.example.com/x"), "");
    EXPECT_EQ(settings.proxyFor("https://API.Example.COM./x"), "");  // case and trailing dot
    EXPECT_NE(settings.proxyFor("https://badexample.com/x"), "");    // label boundary
    EXPECT_EQ(settings.proxyFor("https://git.internal.net/x"), "");
    EXPECT_EQ(settings.proxyFor("https://internal.net/x"), "");
    EXPECT_EQ(settings.proxyFor("https://a.b.corp.org/x"), "");
    EXPECT_NE(settings.proxyFor("https://gitlab.com/x"), "");
}

TEST(ProxyFor, NoProxyStarDisablesEverything) {
    EXPECT_EQ(proxies("*").proxyFor("https://gitlab.com/"), "");
    EXPECT_EQ(proxies("foo.org, *").proxyFor("http://gitlab.com/"), "");
}

TEST(ProxyFor, NoProxyWithPortMatchesOnlyThatPort) {
    const auto settings = proxies("gitlab.local:8443,plain.local:80");
    EXPECT_EQ(settings.proxyFor("https://gitlab.local:8443/api"), "");
    EXPECT_NE(settings.proxyFor("https://gitlab.local/api"), "");  // 443
    EXPECT_EQ(settings.proxyFor("http://plain.local/"), "");       // default port 80
    EXPECT_NE(settings.proxyFor("http://plain.local:8080/"), "");
}

TEST(ProxyFor, NoProxyIpAddressesAndCidr) {
    const auto settings = proxies("127.0.0.1,10.0.0.0/8,[::1]");
    EXPECT_EQ(settings.proxyFor("http://127.0.0.1:9000/"), "");
    EXPECT_NE(settings.proxyFor("http://127.0.0.2:9000/"), "");
    EXPECT_EQ(settings.proxyFor("http://10.20.30.40/"), "");
    EXPECT_NE(settings.proxyFor("http://11.0.0.1/"), "");
    EXPECT_EQ(settings.proxyFor("http://[::1]:8080/"), "");
    EXPECT_NE(settings.proxyFor("http://10.example.com/"), "");  // a name, not an address
}

TEST(ProxyFor, EmptyEntriesAreIgnored) {
    const auto settings = proxies(" , ,");
    EXPECT_NE(settings.proxyFor("http://example.com/"), "");
}

TEST(ProxySettingsFromEnvironment, LowerCaseWins) {
    ::setenv("http_proxy", "http://lower:1", 1);
    ::setenv("HTTP_PROXY", "http://upper:2", 1);
    ::setenv("HTTPS_PROXY", "http://upper:3", 1);
    ::unsetenv("https_proxy");
    ::setenv("no_proxy", "a.example", 1);
    const auto settings = ProxySettings::fromEnvironment();
    ::unsetenv("http_proxy");
    ::unsetenv("HTTP_PROXY");
    ::unsetenv("HTTPS_PROXY");
    ::unsetenv("no_proxy");
    EXPECT_EQ(settings.http_proxy, "http://lower:1");
    EXPECT_EQ(settings.https_proxy, "http://upper:3");
    EXPECT_EQ(settings.no_proxy, "a.example");
}

}  // namespace
}  // namespace forgelink::net
