// create reports failure the way the ABI asks: NULL and a message.
#include "valid_descriptor.hpp"

namespace {
void* createFails(void*, char* error, std::size_t error_size) noexcept {
    forgelink::detail::copyMessage(error, error_size, "option 'base_url' is required");
    return nullptr;
}
}  // namespace

BROKEN_PLUGIN_ENTRY(auto d = broken::validDescriptor("create-fails"); d.create = &createFails; return d;)
