// Deliberately broken plugins start from a descriptor that passes every check and spoil one field,
// so each library proves exactly one refusal.
#pragma once

#include <forgelink/plugin.hpp>

namespace broken {

inline void* createNothing(void*, char* error, std::size_t error_size) noexcept {
    forgelink::detail::copyMessage(error, error_size, "this test plugin has no provider");
    return nullptr;
}

inline void destroyNothing(void*) noexcept {}

inline forgelink_plugin_descriptor validDescriptor(const char* name) {
    return forgelink_plugin_descriptor{FORGELINK_ABI_VERSION,
                                       static_cast<uint32_t>(sizeof(forgelink_plugin_descriptor)),
                                       name,
                                       "0.0.1",
                                       FORGELINK_BUILD_FINGERPRINT,
                                       FORGELINK_CAP_TOKEN_VALIDATION,
                                       &createNothing,
                                       &destroyNothing,
                                       nullptr};
}

}  // namespace broken

// Exports `descriptor` (built once, on first call) as the plugin's entry point.
#define BROKEN_PLUGIN_ENTRY(...)                                                   \
    FORGELINK_EXPORT const forgelink_plugin_descriptor* forgelink_plugin_entry(void) { \
        static const forgelink_plugin_descriptor descriptor = [] { __VA_ARGS__ }();    \
        return &descriptor;                                                            \
    }
