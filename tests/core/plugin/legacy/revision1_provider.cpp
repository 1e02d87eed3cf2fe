// What a plugin built against the first descriptor revision exports: a descriptor that ends at
// `destroy`, without secret_token_prefixes. The host must load it and never read past its end.
#include <forgelink/plugin.hpp>

namespace {

class RevisionOneProvider final : public forgelink::Provider {
public:
    explicit RevisionOneProvider(forgelink::HostServices&) {}

    forgelink::Result<forgelink::TokenInfo> validateToken(const forgelink::Credentials& credentials) override {
        if (credentials.token != "revision-one-token") {
            return forgelink::makeError(forgelink::ErrorKind::unauthorized, "unknown token", "token_unknown");
        }
        forgelink::TokenInfo info;
        info.instance = credentials.base_url;
        info.identity.username = "revision-one";
        return info;
    }
};

void* createProvider(void* host, char* error, std::size_t error_size) noexcept {
    try {
        return static_cast<forgelink::Provider*>(new RevisionOneProvider(*static_cast<forgelink::HostServices*>(host)));
    } catch (const std::exception& e) {
        forgelink::detail::copyMessage(error, error_size, e.what());
    }
    return nullptr;
}

void destroyProvider(void* provider) noexcept { delete static_cast<forgelink::Provider*>(provider); }

// The revision-1 descriptor, field for field.
struct DescriptorRevision1 {
    uint32_t abi_version;
    uint32_t struct_size;
    const char* provider_name;
    const char* plugin_version;
    const char* build_fingerprint;
    uint64_t capabilities;
    void* (*create)(void* host, char* error, size_t error_size);
    void (*destroy)(void* provider);
};
static_assert(sizeof(DescriptorRevision1) == FORGELINK_DESCRIPTOR_SIZE_REV1);

// Right after the descriptor, where a revision-2 descriptor keeps its prefixes, lies a list the
// host would refuse: a host that read past the struct_size it was given would refuse the plugin.
const char* const kNotPrefixes[] = {"x", nullptr};
struct Image {
    DescriptorRevision1 descriptor;
    const char* const* beyond;
};
const Image kImage = {{FORGELINK_ABI_VERSION, static_cast<uint32_t>(sizeof(DescriptorRevision1)), "revision-one",
                       "0.9.0", FORGELINK_BUILD_FINGERPRINT, FORGELINK_CAP_TOKEN_VALIDATION, &createProvider,
                       &destroyProvider},
                      kNotPrefixes};

}  // namespace

FORGELINK_EXPORT const forgelink_plugin_descriptor* forgelink_plugin_entry(void) {
    return reinterpret_cast<const forgelink_plugin_descriptor*>(&kImage.descriptor);
}
