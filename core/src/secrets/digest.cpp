#include "secrets/digest.hpp"

#include <vector>

#include <sodium.h>

#include "secrets/sodium_runtime.hpp"

namespace forgelink::secrets {

namespace {
std::string toHex(const unsigned char* data, std::size_t size) {
    std::string hex(size * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), data, size);
    hex.pop_back();
    return hex;
}
}  // namespace

std::string sha256Hex(std::string_view data) {
    ensureSodium();
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    return toHex(digest, sizeof digest);
}

std::string randomHex(std::size_t bytes) {
    ensureSodium();
    std::vector<unsigned char> buffer(bytes);
    randombytes_buf(buffer.data(), buffer.size());
    std::string hex = toHex(buffer.data(), buffer.size());
    sodium_memzero(buffer.data(), buffer.size());
    return hex;
}

}  // namespace forgelink::secrets
