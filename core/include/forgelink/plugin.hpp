// What a plugin author includes: the descriptor, the build fingerprint and one macro to export it.
//
//   #include <forgelink/plugin.hpp>
//   class MyProvider : public forgelink::Provider { ... explicit MyProvider(forgelink::HostServices&); };
//   FORGELINK_PLUGIN(MyProvider, "myforge", "1.0.0", FORGELINK_CAP_TOKEN_VALIDATION | ...)
//
// With the prefixes of the forge's secrets, which the host then masks in its logs (abi.h,
// secret_token_prefixes):
//   const char* const kMySecretPrefixes[] = {"myf_pat_", "myf_oauth_", nullptr};
//   FORGELINK_PLUGIN(MyProvider, "myforge", "1.0.0", FORGELINK_CAP_TOKEN_VALIDATION, kMySecretPrefixes)
// and with the forge's name as people write it (abi.h, display_name; prefixes may be nullptr):
//   FORGELINK_PLUGIN(MyProvider, "myforge", "1.0.0", FORGELINK_CAP_TOKEN_VALIDATION, kMySecretPrefixes, "My Forge")
#pragma once

#include <boost/version.hpp>
#include <cstdio>
#include <exception>

#include "forgelink/abi.h"
#include "forgelink/provider.hpp"

#define FORGELINK_STRINGIFY_(x) #x
#define FORGELINK_STRINGIFY(x) FORGELINK_STRINGIFY_(x)

#if defined(__clang__)
#define FORGELINK_COMPILER_ID \
    "clang-" FORGELINK_STRINGIFY(__clang_major__) "." FORGELINK_STRINGIFY(__clang_minor__) "." FORGELINK_STRINGIFY(__clang_patchlevel__)
#elif defined(__GNUC__)
#define FORGELINK_COMPILER_ID \
    "gcc-" FORGELINK_STRINGIFY(__GNUC__) "." FORGELINK_STRINGIFY(__GNUC_MINOR__) "." FORGELINK_STRINGIFY(__GNUC_PATCHLEVEL__)
#else
#define FORGELINK_COMPILER_ID "unknown-compiler"
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define FORGELINK_STDLIB_ID "libstdc++-cxx11abi-" FORGELINK_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define FORGELINK_STDLIB_ID "libc++-" FORGELINK_STRINGIFY(_LIBCPP_VERSION)
#else
#define FORGELINK_STDLIB_ID "unknown-stdlib"
#endif

// Host and plugin must agree on all of it: there is no C++ ABI promise across compilers,
// standard libraries or Boost versions. The host refuses a plugin whose fingerprint differs.
#define FORGELINK_BUILD_FINGERPRINT \
    FORGELINK_COMPILER_ID ";" FORGELINK_STDLIB_ID ";boost-" FORGELINK_STRINGIFY(BOOST_VERSION)

#if defined(__GNUC__)
#define FORGELINK_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define FORGELINK_EXPORT extern "C"
#endif

namespace forgelink::detail {
inline void copyMessage(char* out, std::size_t size, const char* message) noexcept {
    if (out != nullptr && size > 0) std::snprintf(out, size, "%s", message);
}
// FORGELINK_PLUGIN's optional last argument: none, or a NULL-terminated array of prefixes.
constexpr const char* const* secretTokenPrefixes() noexcept { return nullptr; }
constexpr const char* const* secretTokenPrefixes(const char* const* prefixes) noexcept { return prefixes; }
constexpr const char* const* secretTokenPrefixes(const char* const* prefixes, const char*) noexcept { return prefixes; }
// Its optional sixth argument: the display name.
constexpr const char* displayName() noexcept { return nullptr; }
constexpr const char* displayName(const char* const*) noexcept { return nullptr; }
constexpr const char* displayName(const char* const*, const char* name) noexcept { return name; }
}  // namespace forgelink::detail

// Exports the descriptor for ProviderClass, which must be constructible from HostServices&. The
// optional fifth argument names a NULL-terminated array of the forge's secret token prefixes (or
// nullptr), the optional sixth the forge's display name.
#define FORGELINK_PLUGIN(ProviderClass, NAME, VERSION, CAPABILITIES, ...)                                 \
    namespace {                                                                                           \
    void* forgelink_create_(void* host, char* error, std::size_t error_size) noexcept {                  \
        try {                                                                                             \
            return static_cast<forgelink::Provider*>(                                                     \
                new ProviderClass(*static_cast<forgelink::HostServices*>(host)));                        \
        } catch (const std::exception& e) {                                                               \
            forgelink::detail::copyMessage(error, error_size, e.what());                                  \
        } catch (...) {                                                                                   \
            forgelink::detail::copyMessage(error, error_size, "unknown exception");                       \
        }                                                                                                 \
        return nullptr;                                                                                   \
    }                                                                                                     \
    void forgelink_destroy_(void* provider) noexcept { delete static_cast<forgelink::Provider*>(provider); } \
    const forgelink_plugin_descriptor forgelink_descriptor_ = {                                           \
        FORGELINK_ABI_VERSION, static_cast<uint32_t>(sizeof(forgelink_plugin_descriptor)), NAME, VERSION, \
        FORGELINK_BUILD_FINGERPRINT, (CAPABILITIES), &forgelink_create_, &forgelink_destroy_,            \
        forgelink::detail::secretTokenPrefixes(__VA_ARGS__), forgelink::detail::displayName(__VA_ARGS__)}; \
    }                                                                                                     \
    FORGELINK_EXPORT const forgelink_plugin_descriptor* forgelink_plugin_entry(void) { return &forgelink_descriptor_; }
