#include "net/url.hpp"

#include <cctype>
#include <charconv>

#include "common/strings.hpp"

namespace forgelink::net {

namespace {

std::uint16_t defaultPort(std::string_view scheme) {
    if (scheme == "https") return 443;
    if (scheme == "http") return 80;
    return 0;
}

std::string hostForUrl(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string Url::origin() const { return scheme + "://" + hostForUrl(host) + ":" + std::to_string(port); }

std::string Url::withoutQuery() const {
    std::string out = scheme + "://" + hostForUrl(host);
    if (explicit_port) out += ":" + std::to_string(port);
    return out + path;
}

std::string Url::target() const { return query.empty() ? path : path + "?" + query; }

std::optional<Url> parseUrl(std::string_view text) {
    Url url;
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
    // RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Anything else before "://" is not a
    // scheme, and withoutQuery() must not repeat it: "x?token=SECRET://host:1" would carry the query.
    const auto scheme = text.substr(0, scheme_end);
    if (!std::isalpha(static_cast<unsigned char>(scheme.front()))) return std::nullopt;
    for (char c : scheme) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return std::nullopt;
    }
    url.scheme = common::toLower(scheme);
    std::string_view rest = text.substr(scheme_end + 3);

    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view tail = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        url.userinfo = std::string(authority.substr(0, at));
        authority = authority.substr(at + 1);
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        url.host = common::toLower(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = common::toLower(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (url.host.empty()) return std::nullopt;
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (error != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(value);
        url.explicit_port = true;
    } else {
        url.port = defaultPort(url.scheme);
        if (url.port == 0) return std::nullopt;
    }

    if (const auto hash = tail.find('#'); hash != std::string_view::npos) {
        url.fragment = std::string(tail.substr(hash + 1));
        tail = tail.substr(0, hash);
    }
    if (const auto question = tail.find('?'); question != std::string_view::npos) {
        url.query = std::string(tail.substr(question + 1));
        tail = tail.substr(0, question);
    }
    url.path = tail.empty() ? "/" : std::string(tail);
    return url;
}

std::string describeUrl(std::string_view text) {
    if (const auto url = parseUrl(text)) return url->withoutQuery();
    const auto cut = text.find_first_of("?#");
    std::string out(text.substr(0, cut));
    // An unparsable URL may still carry user:password@.
    if (const auto scheme = out.find("://"); scheme != std::string::npos) {
        const auto at = out.find('@', scheme);
        const auto slash = out.find('/', scheme + 3);
        if (at != std::string::npos && (slash == std::string::npos || at < slash)) out.erase(scheme + 3, at - scheme - 2);
    }
    return out;
}

}  // namespace forgelink::net
