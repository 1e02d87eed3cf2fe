// URL parsing, the one parser of host and plugins (forgelink/support/url.hpp): splitUrl, parseUrl /
// describeUrl (the host's wire), splitBaseUrl (the base URL an admin typed), and the query helpers
// of http_text.hpp. No crash; and the safe forms never carry the userinfo or the query, which may
// hold secrets.
#include <string>

#include "forgelink/support/http_text.hpp"
#include "forgelink/support/url.hpp"
#include "fuzz_target.hpp"

FORGELINK_FUZZ_TARGET(url) {
    using namespace forgelink;
    const auto text = fuzz::asText(data, size);
    const auto parts = support::splitUrl(text);
    if (parts.absolute) {
        // Every part is a piece of the text, in order: scheme, authority, path, query, fragment.
        FUZZ_CHECK(parts.scheme.data() == text.data() && parts.authority.data() == text.data() + parts.scheme.size() + 3,
                   "splitUrl's scheme and authority are the text's");
        FUZZ_CHECK(parts.host.size() <= parts.authority.size(), "a host longer than its authority");
    } else {
        FUZZ_CHECK(parts.scheme.empty() && parts.authority.empty() && parts.path.empty() && !parts.query, "parts of no URL");
    }
    if (const auto url = support::parseUrl(text)) {
        FUZZ_CHECK(url->scheme.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos, url->scheme);
        FUZZ_CHECK(url->port != 0, "a parsed URL without a port");
        const auto safe = url->withoutQuery();
        // No userinfo in the authority of the safe form (the path may hold any text, '@' included).
        const auto authority_end = safe.find('/', url->scheme.size() + 3);
        FUZZ_CHECK(safe.substr(0, authority_end).find('@') == std::string::npos, safe);
        (void)url->origin();
        (void)url->target();
    }
    const auto described = support::describeUrl(text);
    FUZZ_CHECK(described.find('?') == std::string::npos && described.find('#') == std::string::npos, described);

    const auto base = support::splitBaseUrl(text);
    FUZZ_CHECK(base.url.has_value() != !base.problem.empty(), "a base URL is either split or refused with a reason");
    if (base.url) FUZZ_CHECK(base.url->scheme == "http" || base.url->scheme == "https", base.url->scheme);
    (void)support::urlDecode(text);
    const auto encoded = support::urlEncode(text);
    FUZZ_CHECK(support::urlDecode(encoded) == text, "urlDecode(urlEncode(x)) != x");
    (void)support::queryParam(text, "page");
    (void)support::queryParam(text, "");
    const auto path = support::urlPath(text);
    FUZZ_CHECK(path.find('?') == std::string::npos, path);
    (void)support::bodyExcerpt(text);
    (void)support::trimSpace(text);
    return 0;
}
