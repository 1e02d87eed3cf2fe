#include "secrets/key_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secrets/sodium_runtime.hpp"

namespace forgelink::secrets {

namespace {

std::string modeText(mode_t mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
    return buffer;
}

// Wipes on every path out, including early returns.
struct WipedString {
    std::string text;
    ~WipedString() {
        text.resize(text.capacity());
        sodium_memzero(text.data(), text.size());
    }
};

}  // namespace

std::string generateKey() { return SecretBox::generate().keyBase64(); }

Result<SecretBox> loadKeyFile(const std::filesystem::path& path) {
    ensureSodium();
    const std::string name = path.string();
    // Open first and check the opened file, so the checks and the read see the same file.
    int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        const int err = errno;
        if (err == ELOOP) {
            return makeError(ErrorKind::invalid_input,
                             "key file " + name + " is a symbolic link; point the config at the real file",
                             "key_file_symlink");
        }
        return makeError(err == ENOENT ? ErrorKind::not_found : ErrorKind::invalid_input,
                         "cannot open key file " + name + ": " + std::strerror(err) +
                             (err == ENOENT ? " (create one with `forgelink keygen --out " + name + "`)" : std::string()),
                         "key_file_unreadable");
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return makeError(ErrorKind::invalid_input, "cannot stat key file " + name + ": " + std::strerror(errno),
                         "key_file_unreadable");
    }
    if (!S_ISREG(st.st_mode)) {
        return makeError(ErrorKind::invalid_input, "key file " + name + " is not a regular file", "key_file_unreadable");
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        return makeError(ErrorKind::invalid_input,
                         "key file " + name + " is accessible by group or others (mode " + modeText(st.st_mode) +
                             "); run `chmod 600 " + name + "`",
                         "key_file_permissions");
    }
    constexpr std::size_t kMaxKeyFile = 4096;  // a key is 44 characters; anything bigger is not a key file
    if (st.st_size > static_cast<off_t>(kMaxKeyFile)) {
        return makeError(ErrorKind::invalid_input,
                         "key file " + name + " is " + std::to_string(st.st_size) +
                             " bytes; expected one base64 key (create one with `forgelink keygen --out PATH`)",
                         "bad_key");
    }
    WipedString content;
    content.text.resize(kMaxKeyFile);
    std::size_t used = 0;
    while (used < content.text.size()) {
        ssize_t n = ::read(fd, content.text.data() + used, content.text.size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            return makeError(ErrorKind::invalid_input, "cannot read key file " + name + ": " + std::strerror(errno),
                             "key_file_unreadable");
        }
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    return SecretBox::fromBase64(std::string_view(content.text.data(), used), "key file " + name);
}

Result<SecretBox> loadKeyFromEnv(std::string_view name) {
    const std::string var(name);
    const char* value = std::getenv(var.c_str());
    if (value == nullptr || *value == '\0') {
        return makeError(ErrorKind::invalid_input,
                         "environment variable " + var + " is not set; it should hold a base64 key "
                             "(e.g. the content of a file written by `forgelink keygen --out PATH`)",
                         "key_env_missing");
    }
    return SecretBox::fromBase64(value, "environment variable " + var);
}

Result<SecretBox> loadKey(const KeySource& source) {
    if (!source.file.empty() && !source.env.empty()) {
        return makeError(ErrorKind::invalid_input,
                         "both a key file (" + source.file.string() + ") and a key environment variable (" +
                             source.env + ") are configured; keep one",
                         "key_source_ambiguous");
    }
    if (!source.file.empty()) return loadKeyFile(source.file);
    if (!source.env.empty()) return loadKeyFromEnv(source.env);
    return makeError(ErrorKind::invalid_input,
                     "no sealing key configured: set a key file (create it with `forgelink keygen --out PATH`) or a key "
                     "environment variable",
                     "key_source_missing");
}

Result<KeygenResult> keygen(const std::filesystem::path& path) {
    ensureSodium();
    const std::string name = path.string();
    // A missing parent (var/ on a fresh clone) is created private: it will hold the key.
    if (const auto parent = path.parent_path(); !parent.empty()) {
        std::error_code ec;
        if (!std::filesystem::exists(parent, ec)) {
            std::filesystem::create_directories(parent, ec);
            if (ec)
                return makeError(ErrorKind::invalid_input,
                                 "cannot create the directory " + parent.string() + " for key file " + name + ": " +
                                     ec.message(),
                                 "key_file_unwritable");
            std::filesystem::permissions(parent, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace,
                                         ec);
        }
    }
    int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        const int err = errno;
        if (err == EEXIST) {
            return makeError(ErrorKind::conflict,
                             "key file " + name + " already exists; refusing to overwrite a key (choose a new path)",
                             "key_file_exists");
        }
        return makeError(ErrorKind::invalid_input, "cannot create key file " + name + ": " + std::strerror(err),
                         "key_file_unwritable");
    }
    struct Closer {
        int fd;
        ~Closer() {
            if (fd >= 0) ::close(fd);
        }
    } closer{fd};
    // The umask can only narrow 0600, but an inherited ACL default could widen it; be explicit.
    ::fchmod(fd, 0600);
    SecretBox box = SecretBox::generate();
    WipedString content{box.keyBase64() + "\n"};
    std::size_t written = 0;
    while (written < content.text.size()) {
        ssize_t n = ::write(fd, content.text.data() + written, content.text.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::unlink(name.c_str());
            return makeError(ErrorKind::internal, "cannot write key file " + name + ": " + std::strerror(err),
                             "key_file_unwritable");
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int err = errno;
        ::unlink(name.c_str());
        return makeError(ErrorKind::internal, "cannot sync key file " + name + ": " + std::strerror(err),
                         "key_file_unwritable");
    }
    return KeygenResult{path, box.keyId()};
}

}  // namespace forgelink::secrets
