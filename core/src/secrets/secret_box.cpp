#include "secrets/secret_box.hpp"

#include <cctype>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <sodium.h>

#include "secrets/sodium_runtime.hpp"

namespace forgelink::secrets {

namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kKeyIdHexDigits = 8;
constexpr int kBase64Variant = sodium_base64_VARIANT_ORIGINAL;

static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

std::string computeKeyId(const unsigned char* key) {
    unsigned char digest[crypto_generichash_BYTES];
    crypto_generichash(digest, sizeof digest, key, kKeyBytes, nullptr, 0);
    char hex[kKeyIdHexDigits + 1];
    sodium_bin2hex(hex, sizeof hex, digest, kKeyIdHexDigits / 2);
    return std::string(hex, kKeyIdHexDigits);
}

// The version and key id are part of the associated data so a stored value cannot be relabelled.
std::string fullAssociatedData(std::string_view key_id, std::string_view associated_data) {
    std::string ad = "forgelink:";
    ad += kVersion;
    ad += ':';
    ad += key_id;
    ad += ':';
    ad += associated_data;
    return ad;
}

std::string base64Encode(const unsigned char* data, std::size_t size) {
    std::string out(sodium_base64_encoded_len(size, kBase64Variant), '\0');
    sodium_bin2base64(out.data(), out.size(), data, size, kBase64Variant);
    out.pop_back();  // the terminating NUL
    return out;
}

// Decodes into `out`; false if `text` is not base64 of any length.
bool base64Decode(std::string_view text, std::vector<unsigned char>& out) {
    out.resize(text.size() / 4 * 3 + 3);
    std::size_t length = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, &end,
                          kBase64Variant) != 0 ||
        end != text.data() + text.size()) {
        return false;
    }
    out.resize(length);
    return true;
}

struct SealedParts {
    std::string_view key_id;
    std::string_view payload;
};

Result<SealedParts> splitSealed(std::string_view sealed) {
    auto notSealed = [] {
        return makeError(ErrorKind::invalid_input,
                         "value is not sealed text (expected \"v1:<8 hex key id>:<base64>\")", "not_sealed");
    };
    if (sealed.size() < kVersion.size() + 1 + kKeyIdHexDigits + 1 || sealed.substr(0, kVersion.size()) != kVersion ||
        sealed[kVersion.size()] != ':') {
        return notSealed();
    }
    std::string_view rest = sealed.substr(kVersion.size() + 1);
    if (rest.size() <= kKeyIdHexDigits || rest[kKeyIdHexDigits] != ':') return notSealed();
    std::string_view key_id = rest.substr(0, kKeyIdHexDigits);
    for (char c : key_id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return notSealed();
    }
    return SealedParts{key_id, rest.substr(kKeyIdHexDigits + 1)};
}

}  // namespace

void SecretBox::KeyDeleter::operator()(unsigned char* key) const noexcept {
    sodium_memzero(key, kKeyBytes);
    sodium_free(key);
}

SecretBox::SecretBox(std::unique_ptr<unsigned char, KeyDeleter> key)
    : key_(std::move(key)), key_id_(computeKeyId(key_.get())) {}

SecretBox::SecretBox(SecretBox&& other) noexcept = default;
SecretBox& SecretBox::operator=(SecretBox&& other) noexcept = default;
SecretBox::~SecretBox() = default;

SecretBox SecretBox::generate() {
    ensureSodium();
    auto* raw = static_cast<unsigned char*>(sodium_malloc(kKeyBytes));
    if (raw == nullptr) throw std::bad_alloc();
    std::unique_ptr<unsigned char, KeyDeleter> key(raw);
    crypto_aead_xchacha20poly1305_ietf_keygen(key.get());
    return SecretBox(std::move(key));
}

Result<SecretBox> SecretBox::fromRawKey(std::string_view raw_key) {
    ensureSodium();
    if (raw_key.size() != kKeyBytes) {
        return makeError(ErrorKind::invalid_input,
                         "a Forgelink key is " + std::to_string(kKeyBytes) + " bytes, got " +
                             std::to_string(raw_key.size()),
                         "bad_key");
    }
    auto* raw = static_cast<unsigned char*>(sodium_malloc(kKeyBytes));
    if (raw == nullptr) throw std::bad_alloc();
    std::unique_ptr<unsigned char, KeyDeleter> key(raw);
    std::memcpy(key.get(), raw_key.data(), kKeyBytes);
    return SecretBox(std::move(key));
}

Result<SecretBox> SecretBox::fromBase64(std::string_view encoded, std::string_view origin) {
    ensureSodium();
    while (!encoded.empty() && std::isspace(static_cast<unsigned char>(encoded.front()))) encoded.remove_prefix(1);
    while (!encoded.empty() && std::isspace(static_cast<unsigned char>(encoded.back()))) encoded.remove_suffix(1);
    std::vector<unsigned char> decoded;
    bool ok = base64Decode(encoded, decoded);
    // resize() down leaves key bytes behind in the buffer: wipe the whole capacity.
    auto wipe = [&] {
        decoded.resize(decoded.capacity());
        sodium_memzero(decoded.data(), decoded.size());
    };
    if (!ok || decoded.size() != kKeyBytes) {
        wipe();
        return makeError(ErrorKind::invalid_input,
                         std::string(origin) + ": expected a base64-encoded " + std::to_string(kKeyBytes) +
                             "-byte key (create one with `forgelink keygen --out PATH`)",
                         "bad_key");
    }
    auto box = fromRawKey(std::string_view(reinterpret_cast<const char*>(decoded.data()), decoded.size()));
    wipe();
    return box;
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view associated_data) const {
    const std::string ad = fullAssociatedData(key_id_, associated_data);
    std::vector<unsigned char> out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() +
                                   crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned char* nonce = out.data();
    randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long cipher_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        out.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &cipher_len,
        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
        reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce, key_.get());
    std::string sealed(kVersion);
    sealed += ':';
    sealed += key_id_;
    sealed += ':';
    sealed += base64Encode(out.data(), crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + cipher_len);
    return sealed;
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view associated_data) const {
    auto parts = splitSealed(sealed);
    if (!parts) return parts.error();
    if (parts->key_id != key_id_) {
        return makeError(ErrorKind::invalid_input,
                         "secret for " + std::string(associated_data) + " was sealed with key " +
                             std::string(parts->key_id) + " but the configured key is " + key_id_ +
                             " (configure the key it was sealed with, or run `forgelink rekey` with both keys)",
                         "wrong_key");
    }
    std::vector<unsigned char> payload;
    if (!base64Decode(parts->payload, payload) ||
        payload.size() < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
        return makeError(ErrorKind::invalid_input,
                         "secret for " + std::string(associated_data) + " is damaged (bad base64 or too short)",
                         "tampered");
    }
    const std::string ad = fullAssociatedData(key_id_, associated_data);
    const std::size_t cipher_len = payload.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    std::string plaintext(cipher_len - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long plain_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char*>(plaintext.data()), &plain_len, nullptr,
            payload.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, cipher_len,
            reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), payload.data(), key_.get()) != 0) {
        return makeError(ErrorKind::invalid_input,
                         "secret for " + std::string(associated_data) +
                             " failed authentication: it was altered, or was copied from another record",
                         "tampered");
    }
    plaintext.resize(plain_len);
    return plaintext;
}

std::string SecretBox::keyBase64() const { return base64Encode(key_.get(), kKeyBytes); }

Result<std::string> sealedKeyId(std::string_view sealed) {
    auto parts = splitSealed(sealed);
    if (!parts) return parts.error();
    return std::string(parts->key_id);
}

}  // namespace forgelink::secrets
