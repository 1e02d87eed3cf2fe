// forgelink/support/url.hpp: the one URL parser of the host and the plugins.
#include <gtest/gtest.h>

#include <forgelink/support/url.hpp>

namespace forgelink::support {
namespace {

TEST(Url, ParsesParts) {
    const auto url = parseUrl("HTTPS://user:pw@GitLab.Example.com:8443/api/v4/projects/a%2Fb?private_token=x&y=1#frag");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->scheme, "https");
    EXPECT_EQ(url->userinfo, "user:pw");
    EXPECT_EQ(url->host, "gitlab.example.com");
    EXPECT_EQ(url->port, 8443);
    EXPECT_EQ(url->path, "/api/v4/projects/a%2Fb");
    EXPECT_EQ(url->query, "private_token=x&y=1");
    EXPECT_EQ(url->fragment, "frag");
    EXPECT_EQ(url->origin(), "https://gitlab.example.com:8443");
    EXPECT_EQ(url->withoutQuery(), "https://gitlab.example.com:8443/api/v4/projects/a%2Fb");
    EXPECT_EQ(url->target(), "/api/v4/projects/a%2Fb?private_token=x&y=1");
}

TEST(Url, DefaultsAndIpv6) {
    auto url = parseUrl("http://example.com");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->port, 80);
    EXPECT_EQ(url->path, "/");
    EXPECT_EQ(url->origin(), "http://example.com:80");
    url = parseUrl("https://[::1]:9000/x");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->origin(), "https://[::1]:9000");
}

TEST(Url, RejectsBrokenInput) {
    EXPECT_FALSE(parseUrl("example.com/x"));
    EXPECT_FALSE(parseUrl("http:///x"));
    EXPECT_FALSE(parseUrl("http://host:99999/"));
    EXPECT_FALSE(parseUrl("http://host:abc/"));
    EXPECT_FALSE(parseUrl("ftp://host/"));  // no default port known
}

TEST(Url, DescribeDropsSecrets) {
    EXPECT_EQ(describeUrl("https://u:secret@h.example/p?access_token=abc"), "https://h.example/p");
    EXPECT_EQ(describeUrl("weird://u:secret@h/p?access_token=abc"), "weird://h/p");
}

}  // namespace
}  // namespace forgelink::support

namespace forgelink::support {
namespace {

// Found by fuzz/targets/url.cpp: any text before "://" was taken as the scheme, and the safe forms
// repeated it, so a query written there ("x?token=SECRET://host:1/") reached error messages.
TEST(Url, SchemeMustBeAnRfc3986Scheme) {
    EXPECT_FALSE(parseUrl("x?token=SECRET://host:1/"));
    EXPECT_FALSE(parseUrl("1http://host/"));
    EXPECT_FALSE(parseUrl("ht tp://host/"));
    EXPECT_EQ(describeUrl("x?token=SECRET://host:1/").find("SECRET"), std::string::npos);
    EXPECT_EQ(describeUrl("x#token=SECRET://host:1/").find("SECRET"), std::string::npos);
    ASSERT_TRUE(parseUrl("git+https://host:8443/x"));
    EXPECT_EQ(parseUrl("HTTPS://Host/")->scheme, "https");
}

}  // namespace
}  // namespace forgelink::support

namespace forgelink::support {
namespace {

TEST(Url, SplitKeepsThePartsAsWritten) {
    const auto parts = splitUrl("HTTPS://u:p@w@Host.Example:0443/A/b?q=1?2#f?g#h");
    ASSERT_TRUE(parts.absolute);
    EXPECT_EQ(parts.scheme, "HTTPS");
    EXPECT_EQ(parts.authority, "u:p@w@Host.Example:0443");
    EXPECT_EQ(parts.userinfo, "u:p@w");  // up to the last '@'
    EXPECT_EQ(parts.host, "Host.Example");
    EXPECT_EQ(parts.port, "0443");
    EXPECT_EQ(parts.path, "/A/b");
    EXPECT_EQ(parts.query, "q=1?2");
    EXPECT_EQ(parts.fragment, "f?g#h");

    const auto bare = splitUrl("http://host:");
    EXPECT_EQ(bare.host, "host");
    EXPECT_EQ(bare.port, "");  // a ':' with nothing after it is an empty port, not none
    EXPECT_EQ(bare.path, "");
    EXPECT_FALSE(bare.query);
    EXPECT_FALSE(splitUrl("http://host").port);
    EXPECT_FALSE(splitUrl("host/path").absolute);
    EXPECT_EQ(splitUrl("host/path").path, "");
}

TEST(Url, SplitReadsIpv6Brackets) {
    const auto v6 = splitUrl("http://[::1]:8080/x");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, "8080");
    EXPECT_EQ(v6.host_syntax, HostSyntax::ok);
    EXPECT_FALSE(splitUrl("http://[::1]/").port);
    EXPECT_EQ(splitUrl("http://[::1/").host_syntax, HostSyntax::unclosed_bracket);
    EXPECT_EQ(splitUrl("http://[::1]x/").host_syntax, HostSyntax::text_after_bracket);
}

TEST(Url, SchemesAndPorts) {
    EXPECT_TRUE(isUrlScheme("git+ssh"));
    EXPECT_FALSE(isUrlScheme(""));
    EXPECT_FALSE(isUrlScheme("1http"));
    EXPECT_FALSE(isUrlScheme("x?token=s"));
    EXPECT_EQ(parsePort("8080"), 8080);
    EXPECT_EQ(parsePort("0000443"), 443);
    EXPECT_EQ(parsePort("65535"), 65535);
    for (const char* bad : {"", "0", "65536", "99999999999999999999", "+80", "8o", " 80"}) EXPECT_FALSE(parsePort(bad)) << bad;
}

}  // namespace
}  // namespace forgelink::support
