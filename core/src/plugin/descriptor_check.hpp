// The checks a plugin descriptor must pass before the host calls any of the plugin's C++.
// Pure functions on the plain-C struct, so every refusal is testable without loading a library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "forgelink/abi.h"

namespace forgelink::plugin {

// Every FORGELINK_CAP_* bit this host knows.
inline constexpr std::uint64_t kKnownCapabilities = FORGELINK_CAP_TOKEN_VALIDATION | FORGELINK_CAP_REPOSITORIES |
                                                    FORGELINK_CAP_COMMIT_STATUS | FORGELINK_CAP_REVIEW_COMMENT |
                                                    FORGELINK_CAP_OAUTH_LOGIN;

// True for a usable provider name: 1 to 64 characters of [a-z0-9_-]. The name becomes a config
// key, a metrics label and part of URLs, so nothing that needs escaping is allowed.
bool isValidProviderName(std::string_view name) noexcept;

// Why `descriptor` cannot be trusted ("wrong ABI version: got 7, supported 1"), or nullopt when it
// passes. `host_fingerprint` is the host's FORGELINK_BUILD_FINGERPRINT. Fields are read in an order
// that never reads past what an older or smaller descriptor holds: the version first, then the size.
std::optional<std::string> checkDescriptor(const forgelink_plugin_descriptor* descriptor,
                                           std::string_view host_fingerprint);

}  // namespace forgelink::plugin
