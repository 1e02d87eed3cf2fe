// libsodium must be initialised once per process before any of its functions run.
#pragma once

namespace forgelink::secrets {

// Idempotent and thread-safe; throws std::runtime_error if libsodium cannot start (no entropy
// source), because nothing secret can be handled safely after that.
void ensureSodium();

}  // namespace forgelink::secrets
