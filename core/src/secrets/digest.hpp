// One-way digests for values that must be looked up but never stored (session tokens).
#pragma once

#include <string>
#include <string_view>

namespace forgelink::secrets {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string sha256Hex(std::string_view data);

// `bytes` random bytes as lower-case hex; for session tokens, OAuth state, PKCE verifiers.
std::string randomHex(std::size_t bytes);

}  // namespace forgelink::secrets
