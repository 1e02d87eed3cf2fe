// Sealing secrets at rest: tokens and PKCE verifiers are stored only as sealed text.
//
// Format: "v1:<keyid>:<base64(nonce || ciphertext || tag)>", XChaCha20-Poly1305 (IETF) with a
// fresh random 24-byte nonce per seal. <keyid> is the first 8 hex digits of BLAKE2b(key): it lets
// `rekey` and error messages tell keys apart without revealing anything usable about the key.
//
// Associated data binds a sealed value to the row it belongs to ("team:42:provider:x:token"):
// the same value copied into another row, or into another column, fails to open. The key id and
// the format version are bound too, so neither can be swapped on a stored value.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <forgelink/result.hpp>

namespace forgelink::secrets {

inline constexpr std::size_t kKeyBytes = 32;

class SecretBox {
public:
    // A fresh random key.
    static SecretBox generate();
    // `raw_key` must be exactly kKeyBytes bytes. The caller should wipe its own copy.
    static Result<SecretBox> fromRawKey(std::string_view raw_key);
    // `encoded` is standard base64 of kKeyBytes bytes (surrounding whitespace ignored).
    // `origin` names where it came from ("key file /etc/forgelink/key") for error messages;
    // the key itself never appears in any message.
    static Result<SecretBox> fromBase64(std::string_view encoded, std::string_view origin);

    SecretBox(SecretBox&& other) noexcept;
    SecretBox& operator=(SecretBox&& other) noexcept;
    SecretBox(const SecretBox&) = delete;
    SecretBox& operator=(const SecretBox&) = delete;
    // Wipes the key.
    ~SecretBox();

    // 8 lower-case hex digits; safe to log.
    const std::string& keyId() const noexcept { return key_id_; }

    // Seals `plaintext` for the record named by `associated_data`. Thread-safe (const).
    std::string seal(std::string_view plaintext, std::string_view associated_data) const;

    // Opens a value sealed by seal() with the same key and associated data. Errors (never
    // containing the plaintext or the key): invalid_input with code "not_sealed" (not this format),
    // "wrong_key" (sealed with another key; the message names both key ids), "tampered" (the
    // ciphertext was altered or belongs to another record).
    Result<std::string> open(std::string_view sealed, std::string_view associated_data) const;

    // The key as base64, for writing a key file. Handle the result as a secret.
    std::string keyBase64() const;

private:
    struct KeyDeleter {
        void operator()(unsigned char* key) const noexcept;
    };
    SecretBox(std::unique_ptr<unsigned char, KeyDeleter> key);

    std::unique_ptr<unsigned char, KeyDeleter> key_;  // kKeyBytes, in sodium_malloc'ed memory
    std::string key_id_;
};

// The key id a sealed value names, without opening it; invalid_input if `sealed` is not sealed text.
Result<std::string> sealedKeyId(std::string_view sealed);

}  // namespace forgelink::secrets
