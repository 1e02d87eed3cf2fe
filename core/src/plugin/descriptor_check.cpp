#include "plugin/descriptor_check.hpp"

#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "plugin/registry.hpp"

namespace forgelink::plugin {

namespace {

std::string hex(std::uint64_t value) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
    return buffer;
}

// Plugin strings are shown in messages; keep a hostile or corrupt one from flooding them.
std::string quoted(std::string_view text) {
    constexpr std::size_t kMax = 120;
    std::string out = "\"";
    out += text.substr(0, kMax);
    if (text.size() > kMax) out += "...";
    out += '"';
    return out;
}

}  // namespace

std::vector<std::string> capabilityNames(std::uint64_t caps) {
    static const std::pair<std::uint64_t, const char*> kNames[] = {
        {FORGELINK_CAP_TOKEN_VALIDATION, "token_validation"}, {FORGELINK_CAP_REPOSITORIES, "repositories"},
        {FORGELINK_CAP_COMMIT_STATUS, "commit_status"},       {FORGELINK_CAP_REVIEW_COMMENT, "review_comment"},
        {FORGELINK_CAP_OAUTH_LOGIN, "oauth_login"},           {FORGELINK_CAP_WEB_LINKS, "web_links"},
        {FORGELINK_CAP_MERGE_REQUEST_HEAD, "merge_request_head"}, {FORGELINK_CAP_TOKEN_ROTATION, "token_rotation"},
    };
    std::vector<std::string> names;
    for (const auto& [bit, name] : kNames) {
        if (caps & bit) names.emplace_back(name);
    }
    return names;
}

bool isValidProviderName(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::optional<std::string> checkDescriptor(const forgelink_plugin_descriptor* descriptor,
                                           std::string_view host_fingerprint) {
    if (descriptor == nullptr) return std::string(FORGELINK_PLUGIN_SYMBOL "() returned NULL instead of a descriptor");
    if (descriptor->abi_version != FORGELINK_ABI_VERSION) {
        return "wrong ABI version: got " + std::to_string(descriptor->abi_version) + ", supported " +
               std::to_string(FORGELINK_ABI_VERSION);
    }
    if (!isKnownDescriptorSize(descriptor->struct_size)) {
        return "wrong descriptor size: got " + std::to_string(descriptor->struct_size) + " bytes, expected " +
               std::to_string(FORGELINK_DESCRIPTOR_SIZE_REV1) + ", " + std::to_string(FORGELINK_DESCRIPTOR_SIZE_REV2) +
               " or " + std::to_string(FORGELINK_DESCRIPTOR_SIZE_REV3) +
               " (built against a different SDK?)";
    }
    if (descriptor->build_fingerprint == nullptr) return std::string("missing build fingerprint");
    if (host_fingerprint != descriptor->build_fingerprint) {
        return "wrong build fingerprint: got " + quoted(descriptor->build_fingerprint) + ", host " +
               quoted(host_fingerprint) +
               " (plugin and host must be built with the same compiler, standard library and Boost)";
    }
    if (descriptor->provider_name == nullptr || descriptor->provider_name[0] == '\0') {
        return std::string("empty provider name");
    }
    if (!isValidProviderName(descriptor->provider_name)) {
        return "invalid provider name " + quoted(descriptor->provider_name) +
               ": expected 1 to 64 characters of [a-z0-9_-]";
    }
    if (descriptor->plugin_version == nullptr || descriptor->plugin_version[0] == '\0') {
        return "empty plugin version for provider '" + std::string(descriptor->provider_name) + "'";
    }
    if (descriptor->create == nullptr) return std::string("descriptor has no create function");
    if (descriptor->destroy == nullptr) return std::string("descriptor has no destroy function");
    if (const std::uint64_t unknown = descriptor->capabilities & ~kKnownCapabilities; unknown != 0) {
        return "unknown capability bits " + hex(unknown) + " (this host knows " + hex(kKnownCapabilities) + ")";
    }
    if (auto prefixes = secretTokenPrefixes(descriptor); !prefixes) return prefixes.error().message;
    if (auto display = displayName(descriptor); !display) return display.error().message;
    return std::nullopt;
}

bool isKnownDescriptorSize(std::uint32_t size) noexcept {
    return size == FORGELINK_DESCRIPTOR_SIZE_REV1 || size == FORGELINK_DESCRIPTOR_SIZE_REV2 ||
           size == FORGELINK_DESCRIPTOR_SIZE_REV3;
}

bool isValidSecretTokenPrefix(std::string_view prefix) noexcept {
    if (prefix.size() < 4 || prefix.size() > 40) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (!alnum(prefix.front())) return false;
    for (char c : prefix) {
        if (!alnum(c) && c != '_' && c != '-') return false;
    }
    return true;
}

Result<std::vector<std::string>> secretTokenPrefixes(const forgelink_plugin_descriptor* descriptor) {
    std::vector<std::string> prefixes;
    // A revision-1 plugin's descriptor ends before the field: reading it would read past the struct.
    if (descriptor->struct_size < FORGELINK_DESCRIPTOR_SIZE_REV2 || descriptor->secret_token_prefixes == nullptr)
        return prefixes;
    for (std::size_t i = 0;; ++i) {
        const char* prefix = descriptor->secret_token_prefixes[i];
        if (prefix == nullptr) break;
        // Stops a list that lacks its NULL from being read on into whatever follows it.
        if (i == FORGELINK_MAX_SECRET_TOKEN_PREFIXES) {
            return makeError(ErrorKind::invalid_input,
                             "more than " + std::to_string(FORGELINK_MAX_SECRET_TOKEN_PREFIXES) +
                                 " secret token prefixes (is the list NULL-terminated?)");
        }
        // Bounded read: a prefix longer than the limit is refused without scanning all of it.
        const std::string_view text(prefix, ::strnlen(prefix, 41));
        if (!isValidSecretTokenPrefix(text)) {
            return makeError(ErrorKind::invalid_input,
                             "secret token prefix " + std::to_string(i) + " " + quoted(text) +
                                 " is not usable: expected 4 to 40 characters of [A-Za-z0-9_-] starting with a "
                                 "letter or digit (shorter or looser prefixes would mask ordinary words)");
        }
        prefixes.emplace_back(text);
    }
    return prefixes;
}

Result<std::string> displayName(const forgelink_plugin_descriptor* descriptor) {
    if (descriptor->struct_size < FORGELINK_DESCRIPTOR_SIZE_REV3 || descriptor->display_name == nullptr)
        return std::string();
    // Bounded read: a name without its NUL (or a huge one) is refused without scanning on.
    const std::string_view text(descriptor->display_name, ::strnlen(descriptor->display_name, 65));
    bool ok = !text.empty() && text.size() <= 64;
    for (unsigned char c : text) ok = ok && c >= 0x20 && c != 0x7f;
    // Well-formed UTF-8: lead bytes announce as many continuation bytes as follow.
    for (std::size_t i = 0; ok && i < text.size();) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        const std::size_t extra = c < 0x80 ? 0 : (c >= 0xc2 && c <= 0xdf) ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c >= 0xf0 && c <= 0xf4) ? 3 : 4;
        ok = extra < 4 && i + extra < text.size();
        for (std::size_t k = 1; ok && k <= extra; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        i += extra + 1;
    }
    if (!ok)
        return makeError(ErrorKind::invalid_input, "display name " + quoted(text) +
                                                       " is not usable: expected 1 to 64 bytes of UTF-8 without "
                                                       "control characters");
    return std::string(text);
}

}  // namespace forgelink::plugin
