#include "service/api_tokens.hpp"

#include <sodium.h>

#include "secrets/digest.hpp"
#include "secrets/sodium_runtime.hpp"

namespace forgelink::service {

namespace {
constexpr std::size_t kRandomBytes = 40;      // 80 hex digits
constexpr std::size_t kLookupDigits = 16;

bool isLowerHex(std::string_view text) {
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}
}  // namespace

NewApiToken generateApiToken() {
    secrets::ensureSodium();
    unsigned char bytes[kRandomBytes];
    randombytes_buf(bytes, sizeof bytes);
    char hex[kRandomBytes * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    sodium_memzero(bytes, sizeof bytes);
    NewApiToken out;
    out.token = std::string(kApiTokenPrefix) + hex;
    sodium_memzero(hex, sizeof hex);
    out.lookup_key = out.token.substr(kApiTokenPrefix.size(), kLookupDigits);
    out.digest = secrets::sha256Hex(out.token);
    return out;
}

bool looksLikeApiToken(std::string_view text) { return text.substr(0, kApiTokenPrefix.size()) == kApiTokenPrefix; }

std::optional<std::string> apiTokenLookupKey(std::string_view token) {
    if (!looksLikeApiToken(token)) return std::nullopt;
    const auto body = token.substr(kApiTokenPrefix.size());
    if (body.size() != kRandomBytes * 2 || !isLowerHex(body)) return std::nullopt;
    return std::string(body.substr(0, kLookupDigits));
}

bool apiTokenMatches(std::string_view token, std::string_view digest) {
    const std::string presented = secrets::sha256Hex(token);
    return presented.size() == digest.size() && sodium_memcmp(presented.data(), digest.data(), digest.size()) == 0;
}

std::string apiTokenHint(std::string_view lookup_key) {
    return std::string(kApiTokenPrefix) + std::string(lookup_key.substr(0, 8)) + "…";
}

}  // namespace forgelink::service
