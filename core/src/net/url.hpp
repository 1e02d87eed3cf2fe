// Just enough URL parsing for the wire: origins (client cache, throttling), proxy rules, and a
// query-free form for error messages and logs (queries may carry secrets).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace forgelink::net {

struct Url {
    std::string scheme;    // lower case: "http", "https"
    std::string userinfo;  // "user:password" or ""; a secret, never print it
    std::string host;      // lower case; IPv6 without brackets
    std::uint16_t port = 0;  // explicit or the scheme's default (80, 443)
    bool explicit_port = false;
    std::string path;      // still percent-encoded; "/" when empty
    std::string query;     // without '?'; may hold secrets
    std::string fragment;

    // "scheme://host:port", the port always present: the unit of connection reuse and rate limits.
    std::string origin() const;
    // "scheme://host[:port]/path": no userinfo, query or fragment. Safe for messages.
    std::string withoutQuery() const;
    // "/path?query": the request target.
    std::string target() const;
};

// Parses an absolute http(s)-style URL; std::nullopt when there is no scheme or host, or the
// port is not a number in 1..65535.
std::optional<Url> parseUrl(std::string_view text);

// The URL as safe text for an error message: without userinfo, query and fragment. Falls back
// to cutting at the first '?' or '#' when `text` does not parse.
std::string describeUrl(std::string_view text);

}  // namespace forgelink::net
