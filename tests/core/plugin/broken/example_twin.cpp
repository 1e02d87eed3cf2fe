// A well-formed plugin that claims the name "example", already taken by the example test plugin.
#include "valid_descriptor.hpp"

namespace {
class TwinProvider final : public forgelink::Provider {
public:
    explicit TwinProvider(forgelink::HostServices&) {}
};
}  // namespace

FORGELINK_PLUGIN(TwinProvider, "example", "9.9.9", FORGELINK_CAP_TOKEN_VALIDATION)
