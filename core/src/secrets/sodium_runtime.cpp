#include "secrets/sodium_runtime.hpp"

#include <mutex>
#include <stdexcept>

#include <sodium.h>

namespace forgelink::secrets {

void ensureSodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise (no usable random source?)");
    });
}

}  // namespace forgelink::secrets
