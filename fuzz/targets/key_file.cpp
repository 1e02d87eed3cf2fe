// The key file reader (secrets/key_file.hpp, loadKeyFile) over a private file holding the input,
// and SecretBox::fromBase64 on the same text: a key or a refusal that never repeats the content.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "fuzz_target.hpp"
#include "secrets/key_file.hpp"

FORGELINK_FUZZ_TARGET(key_file) {
    using namespace forgelink;
    static const std::string path = [] {
        char pattern[] = "/tmp/forgelink-fuzz-key-XXXXXX";
        const char* dir = ::mkdtemp(pattern);
        if (dir == nullptr) std::abort();
        return std::string(dir) + "/secret.key";
    }();
    const auto text = fuzz::asText(data, size);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) std::abort();
    std::size_t written = 0;
    while (written < size) {
        const ssize_t n = ::write(fd, data + written, size - written);
        if (n <= 0) std::abort();
        written += static_cast<std::size_t>(n);
    }
    ::close(fd);

    const auto loaded = secrets::loadKeyFile(path);
    const auto direct = secrets::SecretBox::fromBase64(text, "fuzz input");
    if (size <= 4096) FUZZ_CHECK(loaded.ok() == direct.ok(), "the key file and its text disagree");
    for (const auto* result : {&loaded, &direct}) {
        if (result->ok()) {
            FUZZ_CHECK(result->value().keyId().size() == 8, result->value().keyId());
            const auto sealed = result->value().seal("plain", "fuzz:1");
            const auto opened = result->value().open(sealed, "fuzz:1");
            FUZZ_CHECK(opened.ok() && opened.value() == "plain", "a loaded key does not round-trip");
        }
    }
    // The refusal names the source and the problem, never the key material.
    const auto refusal = [](std::string_view candidate) {
        const auto box = secrets::SecretBox::fromBase64(candidate, "fuzz input");
        return box.ok() ? std::string() : box.error().message;
    };
    FUZZ_CHECK(!fuzz::messageEchoes(refusal, text), "the refusal repeats the key file's content");
    return 0;
}
