#include <forgelink/support/url.hpp>

#include <cctype>

#include <forgelink/support/http_text.hpp>

namespace forgelink::support {

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

UrlParts splitUrl(std::string_view text) noexcept {
    UrlParts parts;
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return parts;
    parts.absolute = true;
    parts.scheme = text.substr(0, scheme_end);
    const std::string_view rest = text.substr(scheme_end + 3);

    const auto authority_end = rest.find_first_of("/?#");
    parts.authority = rest.substr(0, authority_end);
    std::string_view tail = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

    std::string_view host_port = parts.authority;
    if (const auto at = host_port.rfind('@'); at != std::string_view::npos) {
        parts.userinfo = host_port.substr(0, at);
        host_port = host_port.substr(at + 1);
    }
    if (!host_port.empty() && host_port.front() == '[') {
        const auto close = host_port.find(']');
        if (close == std::string_view::npos) {
            parts.host_syntax = HostSyntax::unclosed_bracket;
        } else {
            parts.host = host_port.substr(1, close - 1);
            const auto after = host_port.substr(close + 1);
            if (!after.empty() && after.front() != ':') parts.host_syntax = HostSyntax::text_after_bracket;
            else if (!after.empty()) parts.port = after.substr(1);
        }
    } else {
        const auto colon = host_port.rfind(':');
        parts.host = host_port.substr(0, colon);
        if (colon != std::string_view::npos) parts.port = host_port.substr(colon + 1);
    }

    if (const auto hash = tail.find('#'); hash != std::string_view::npos) {
        parts.fragment = tail.substr(hash + 1);
        tail = tail.substr(0, hash);
    }
    if (const auto question = tail.find('?'); question != std::string_view::npos) {
        parts.query = tail.substr(question + 1);
        tail = tail.substr(0, question);
    }
    parts.path = tail;
    return parts;
}

bool isUrlScheme(std::string_view text) noexcept {
    if (text.empty() || !std::isalpha(static_cast<unsigned char>(text.front()))) return false;
    for (char c : text) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
    }
    return true;
}

std::optional<std::uint16_t> parsePort(std::string_view text) noexcept {
    if (text.empty()) return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
        if (value > 65535) return std::nullopt;
    }
    if (value == 0) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

std::string Url::origin() const { return scheme + "://" + hostForUrl(host) + ":" + std::to_string(port); }

std::string Url::withoutQuery() const {
    std::string out = scheme + "://" + hostForUrl(host);
    if (explicit_port) out += ":" + std::to_string(port);
    return out + path;
}

std::string Url::target() const { return query.empty() ? path : path + "?" + query; }

std::optional<Url> parseUrl(std::string_view text) {
    const UrlParts parts = splitUrl(text);
    // Anything else before "://" is not a scheme, and withoutQuery() must not repeat it:
    // "x?token=SECRET://host:1" would carry the query.
    if (!parts.absolute || !isUrlScheme(parts.scheme) || parts.host_syntax != HostSyntax::ok) return std::nullopt;
    Url url;
    url.scheme = asciiLower(parts.scheme);
    url.userinfo = std::string(parts.userinfo.value_or(std::string_view{}));
    url.host = asciiLower(parts.host);
    if (url.host.empty()) return std::nullopt;
    if (parts.port && !parts.port->empty()) {
        const auto port = parsePort(*parts.port);
        if (!port) return std::nullopt;
        url.port = *port;
        url.explicit_port = true;
    } else {
        url.port = defaultPort(url.scheme);
        if (url.port == 0) return std::nullopt;
    }
    url.path = parts.path.empty() ? "/" : std::string(parts.path);
    url.query = std::string(parts.query.value_or(std::string_view{}));
    url.fragment = std::string(parts.fragment.value_or(std::string_view{}));
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

BaseUrlCheck splitBaseUrl(std::string_view text) {
    BaseUrlCheck check;
    const UrlParts split = splitUrl(trimSpace(text));
    BaseUrl parts;
    parts.scheme = asciiLower(split.scheme);
    if (!split.absolute || (parts.scheme != "http" && parts.scheme != "https")) {
        check.problem = "does not start with http:// or https://";
        return check;
    }
    if (split.query || split.fragment) {
        check.problem = "has a query or fragment";
        return check;
    }
    parts.authority = asciiLower(split.authority);
    parts.path = std::string(split.path);
    if (parts.authority.empty()) {
        check.problem = "has no host";
        return check;
    }
    if (split.userinfo) {
        check.problem = "carries credentials; put the token in the token field";
        return check;
    }
    while (!parts.path.empty() && parts.path.back() == '/') parts.path.pop_back();
    check.url = std::move(parts);
    return check;
}

Error badBaseUrl(std::string_view forge, std::string_view text, std::string_view problem, std::string_view expected) {
    return makeError(ErrorKind::invalid_input,
                     std::string(forge) + " base URL \"" + std::string(text) + "\" " + std::string(problem) +
                         "; expected " + std::string(expected),
                     "bad_base_url");
}

Result<BaseUrl> parseBaseUrl(std::string_view forge, std::string_view text, std::string_view expected) {
    auto split = splitBaseUrl(text);
    if (!split.url) return badBaseUrl(forge, text, split.problem, expected);
    return std::move(*split.url);
}

}  // namespace forgelink::support
