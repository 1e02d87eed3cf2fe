// The sealed-secret opener (secrets/secret_box.hpp): any stored text opens to its plaintext only
// when it was sealed with this key for this record; everything else is a not_sealed / wrong_key /
// tampered refusal that never repeats the value. Sealing the input must always open again.
#include <string>

#include "fuzz_target.hpp"
#include "secrets/secret_box.hpp"

FORGELINK_FUZZ_TARGET(sealed_secret) {
    using namespace forgelink;
    static const secrets::SecretBox box = [] {
        auto made = secrets::SecretBox::fromRawKey(std::string(secrets::kKeyBytes, 'k'));
        if (!made.ok()) std::abort();
        return std::move(made).value();
    }();
    const auto text = fuzz::asText(data, size);
    const auto opened = box.open(text, "team:1:provider:gitlab:token");
    if (!opened.ok()) {
        const auto& code = opened.error().code;
        FUZZ_CHECK(code == "not_sealed" || code == "wrong_key" || code == "tampered", code);
        const auto refusal = [](std::string_view candidate) {
            const auto result = box.open(candidate, "team:1:provider:gitlab:token");
            return result.ok() ? std::string() : result.error().message;
        };
        FUZZ_CHECK(!fuzz::messageEchoes(refusal, text), "the refusal repeats the sealed value");
    }
    const auto id = secrets::sealedKeyId(text);
    if (opened.ok()) FUZZ_CHECK(id.ok() && id.value() == box.keyId(), "an opened value names another key");

    const auto sealed = box.seal(text, "fuzz:record");
    const auto again = box.open(sealed, "fuzz:record");
    FUZZ_CHECK(again.ok() && again.value() == text, "a sealed value does not open to itself");
    FUZZ_CHECK(!box.open(sealed, "fuzz:other").ok(), "a sealed value opened for another record");
    return 0;
}
