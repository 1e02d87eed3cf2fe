// URLs, read in one place for the host and the plugins alike (issue 21: "one URL parser"):
//  - splitUrl: a URL cut into its parts as written, nothing judged or changed. Every reader below
//    starts from it, and so do the host's configuration checks and its login routes, each with
//    its own rules and words on top;
//  - parseUrl: the wire's form (lower-case scheme and host, the port explicit or the scheme's,
//    origin, request target, a form safe for messages) that the host's transport sends to;
//  - splitBaseUrl / parseBaseUrl: the base URL an admin typed for a forge, what a plugin's
//    instance parser starts with.
//
// Part of Forgelink::plugin_support (link it next to Forgelink::sdk). Plain functions of their
// arguments: no state, safe from any thread. Nothing here sends a request or resolves a name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <forgelink/result.hpp>

namespace forgelink::support {

// ---- the parts as written ----

// How the host part of the authority reads.
enum class HostSyntax {
    ok,
    unclosed_bracket,    // "[" with no "]" (an IPv6 address not closed): host and port empty
    text_after_bracket,  // "]" followed by something else than ":port"
};

// A URL cut into its parts, as written: views into the text given to splitUrl (which must outlive
// them). Nothing is checked beyond where each part ends: the scheme may be no scheme, the host
// empty, the port no number. When the text has no "://", `absolute` is false and every part empty.
struct UrlParts {
    bool absolute = false;                     // the text has "://"
    std::string_view scheme;                   // before the first "://"
    std::string_view authority;                // after it, up to the first '/', '?' or '#'
    std::optional<std::string_view> userinfo;  // the authority before its last '@'; a secret
    std::string_view host;                     // the authority without userinfo, port and IPv6 brackets
    std::optional<std::string_view> port;      // after the host's ':' ("" for "host:"); none without one
    HostSyntax host_syntax = HostSyntax::ok;
    std::string_view path;                     // from the '/' after the authority; "" when there is none
    std::optional<std::string_view> query;     // after the first '?' before any '#', without the '?'
    std::optional<std::string_view> fragment;  // after the first '#', without it
};
UrlParts splitUrl(std::string_view text) noexcept;

// RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). "" is none.
bool isUrlScheme(std::string_view text) noexcept;
// A port as written in a URL: decimal digits only (leading zeros allowed) with a value from 1 to
// 65535; nullopt otherwise ("", "0", "+80", "http", "65536").
std::optional<std::uint16_t> parsePort(std::string_view text) noexcept;

// ---- the wire's form ----

struct Url {
    std::string scheme;      // lower case: "http", "https"
    std::string userinfo;    // "user:password" or ""; a secret, never print it
    std::string host;        // lower case; IPv6 without brackets
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

// Parses an absolute http(s)-style URL; std::nullopt when there is no scheme (an RFC 3986 one) or
// host, an IPv6 address is malformed, or the port is not a number in 1..65535 (an empty port, as
// in "host:", is the scheme's default). A scheme other than http and https needs an explicit port.
std::optional<Url> parseUrl(std::string_view text);

// The URL as safe text for an error message: without userinfo, query and fragment. Falls back
// to cutting at the first '?' or '#' when `text` does not parse.
std::string describeUrl(std::string_view text);

// ---- the base URL an admin typed ----

// A base URL split into its parts, or the reason it is not one.
struct BaseUrl {
    std::string scheme;     // "http" or "https", lower case
    std::string authority;  // "host[:port]", lower case
    std::string path;       // "" or "/sub/path": without trailing "/"
};
struct BaseUrlCheck {
    std::optional<BaseUrl> url;
    // When `url` is empty: why, worded to follow `"<the URL>" `, e.g. "has no host".
    std::string problem;
};
// Accepts "http(s)://authority[/path]" with surrounding white space and trailing "/"; refuses a
// missing or other scheme, a query or fragment, an empty authority and credentials in the
// authority (a token pasted into the URL would end up in logs).
BaseUrlCheck splitBaseUrl(std::string_view text);

// The invalid_input Error (code "bad_base_url") for a base URL a plugin cannot use, worded
// `<forge> base URL "<text>" <problem>; expected <expected>`.
Error badBaseUrl(std::string_view forge, std::string_view text, std::string_view problem, std::string_view expected);
// splitBaseUrl with its refusal as badBaseUrl: what a plugin's instance parser starts with.
Result<BaseUrl> parseBaseUrl(std::string_view forge, std::string_view text, std::string_view expected);

}  // namespace forgelink::support
