// The checks a plugin descriptor must pass before the host calls any of the plugin's C++.
// Pure functions on the plain-C struct, so every refusal is testable without loading a library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgelink/abi.h"
#include "forgelink/result.hpp"

namespace forgelink::plugin {

// Every FORGELINK_CAP_* bit this host knows.
inline constexpr std::uint64_t kKnownCapabilities = FORGELINK_CAP_TOKEN_VALIDATION | FORGELINK_CAP_REPOSITORIES |
                                                    FORGELINK_CAP_COMMIT_STATUS | FORGELINK_CAP_REVIEW_COMMENT |
                                                    FORGELINK_CAP_OAUTH_LOGIN | FORGELINK_CAP_WEB_LINKS |
                                                    FORGELINK_CAP_MERGE_REQUEST_HEAD | FORGELINK_CAP_TOKEN_ROTATION;

// True for a usable provider name: 1 to 64 characters of [a-z0-9_-]. The name becomes a config
// key, a metrics label and part of URLs, so nothing that needs escaping is allowed.
bool isValidProviderName(std::string_view name) noexcept;

// Why `descriptor` cannot be trusted ("wrong ABI version: got 7, supported 1"), or nullopt when it
// passes. `host_fingerprint` is the host's FORGELINK_BUILD_FINGERPRINT. Fields are read in an order
// that never reads past what an older or smaller descriptor holds: the version first, then the size.
// Every revision of the version-1 descriptor loads: an older plugin's smaller descriptor is read
// only up to its own size.
std::optional<std::string> checkDescriptor(const forgelink_plugin_descriptor* descriptor,
                                           std::string_view host_fingerprint);

// True for a struct_size of a descriptor revision this host reads (FORGELINK_DESCRIPTOR_SIZE_*).
bool isKnownDescriptorSize(std::uint32_t size) noexcept;

// 4 to 40 characters of [A-Za-z0-9_-], starting with a letter or digit: a prefix short or loose
// enough to match ordinary words would mask them in every log line.
bool isValidSecretTokenPrefix(std::string_view prefix) noexcept;

// The descriptor's secret_token_prefixes (none for a revision-1 descriptor or a NULL list), or
// invalid_input naming the first unusable one. `descriptor` must have passed the size check.
Result<std::vector<std::string>> secretTokenPrefixes(const forgelink_plugin_descriptor* descriptor);

// The descriptor's display_name: empty for a revision-1 or -2 descriptor or NULL (people then see
// the provider name), or invalid_input when it is not 1 to 64 bytes of UTF-8 without control
// characters. `descriptor` must have passed the size check.
Result<std::string> displayName(const forgelink_plugin_descriptor* descriptor);

}  // namespace forgelink::plugin
