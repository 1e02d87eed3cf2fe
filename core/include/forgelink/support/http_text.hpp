// Text helpers around a forge's HTTP API, for plugins and the host alike (the one home of the
// string helpers they share; the host's common/strings.hpp has only what the host alone uses):
// URL encoding and query parameters, the path of a URL for messages, short body excerpts for
// errors, lower case, trimming, case-insensitive matching of header values. Reading a URL (the
// base URL an admin typed included) is url.hpp's, included here.
//
// Part of Forgelink::plugin_support (link it next to Forgelink::sdk). Plain functions of their
// arguments: no state, safe from any thread. Nothing here sends a request: plugins talk HTTP only
// through the host's forgelink::Transport.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <forgelink/support/url.hpp>

namespace forgelink::support {

// ASCII lower case; other bytes (UTF-8 included) are kept as they are.
std::string asciiLower(std::string_view text);
// Case-insensitive (ASCII) substring test: header values and forge messages vary in case.
bool containsNoCase(std::string_view haystack, std::string_view needle);
// `text` without leading and trailing spaces, tabs, CR and LF (HTTP's white space and line ends).
std::string_view trimSpace(std::string_view text) noexcept;

// Percent-encodes all but RFC 3986 unreserved characters: safe as a path segment or query value.
std::string urlEncode(std::string_view text);
// Undoes percent-encoding and, with `plus_as_space`, turns "+" into a space (form encoding); a
// malformed "%" escape is kept as it is rather than refused, as forges echo such URLs back.
std::string urlDecode(std::string_view text, bool plus_as_space = true);
// "k=v&k2=v2" with every key and value encoded; empty values are kept.
std::string encodeQuery(const std::vector<std::pair<std::string, std::string>>& params);
// Every item percent-encoded, joined with "," ("api,read_user"): a list in one query value.
std::string encodeList(const std::vector<std::string>& items);
// The value of query parameter `name` in `url`, decoded; "" for a bare "name"; nullopt when absent.
std::optional<std::string> queryParam(std::string_view url, std::string_view name);

// The path of `url` without scheme, host and query, for messages ("/api/v4/projects/42"): a
// message must not carry a query, which may hold a state or a code. "/" when there is no path.
std::string urlPath(std::string_view url);

// At most the first 160 bytes of a body with line breaks and tabs as spaces, "..." when cut:
// enough of an unexpected answer to recognise it in a one-line message.
std::string bodyExcerpt(std::string_view body);

}  // namespace forgelink::support
