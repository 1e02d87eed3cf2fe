// Scoped API tokens: a team's bearer tokens with a role (reporter: records and reads builds;
// admin: also changes the team's settings), optionally bound to one project.
//
// A token reads "flt_" + 80 lower-case hex digits (320 random bits). Its first 16 digits are the
// lookup key, stored in clear to find the row; the row holds the SHA-256 of the whole token, which
// is compared in constant time. The token itself is shown once, in the answer that created it.
// The prefix lets people and secret scanners recognise one ("flt_" = Forgelink token).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace forgelink::service {

inline constexpr std::string_view kApiTokenPrefix = "flt_";

struct NewApiToken {
    std::string token;       // shown once
    std::string lookup_key;  // stored
    std::string digest;      // SHA-256 of token, hex; stored
};

NewApiToken generateApiToken();
// Whether the text has the shape of a scoped token (so a Bearer value is not tried as an admin token).
bool looksLikeApiToken(std::string_view text);
// The lookup key of a well-formed token; nullopt otherwise.
std::optional<std::string> apiTokenLookupKey(std::string_view token);
// Whether `token` hashes to `digest` (hex), in constant time.
bool apiTokenMatches(std::string_view token, std::string_view digest);
// What listings show to recognise a token: the prefix and its lookup key's first 8 digits.
std::string apiTokenHint(std::string_view lookup_key);

}  // namespace forgelink::service
