// Small string helpers that only the host uses. Those the host shares with the plugins live in
// one place, the SDK's forgelink/support/http_text.hpp: URL encoding and decoding (urlEncode,
// urlDecode), ASCII lower case (asciiLower), trimming spaces, tabs, CR and LF (trimSpace); URLs
// are read by forgelink/support/url.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forgelink::common {

// Splits on every `separator`; empty fields are kept ("a,,b" -> {"a", "", "b"}).
std::vector<std::string> split(std::string_view text, char separator);
// ASCII case-insensitive equality: HTTP methods, header names and URL schemes are ASCII.
bool iequals(std::string_view a, std::string_view b) noexcept;
// `text` safe to print on a terminal: C0 controls, DEL and the C1 controls (U+0080..U+009F,
// which some terminals obey like ESC sequences) are written as \n, \r, \t, \xHH or \u00HH, so
// text from a server or a forge can neither send escape sequences nor forge extra output lines.
// Everything else, UTF-8 included, is kept. JSON output needs none of this (its writer escapes).
std::string escapeControls(std::string_view text);
// The longest forge token accepted (the shipped forges' tokens are far shorter; OAuth access
// tokens of other forges can be JWTs of a few KB).
inline constexpr std::size_t kMaxTokenLength = 4096;
// A token the host may put in a header: 1 to kMaxTokenLength printable ASCII characters
// (0x21..0x7E), so no space, control character (CR, LF, NUL, ESC) or non-ASCII byte.
bool isValidToken(std::string_view token) noexcept;
// 1 to 19 decimal digits and nothing else (no sign, space or '+') up to INT64_MAX: their value; else nullopt.
std::optional<std::int64_t> parseDigits(std::string_view text) noexcept;

}  // namespace forgelink::common
