// Where the sealing key lives: a key file (mode 0600) or an environment variable, and the
// operations the CLI exposes for it (`forgelink keygen --out PATH`; `forgelink rekey` is in
// store/key_rotation.hpp because it needs the database).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <forgelink/result.hpp>

#include "secrets/secret_box.hpp"

namespace forgelink::secrets {

// A fresh random key as the base64 text a key file or environment variable holds. A secret.
std::string generateKey();

// Exactly one of the two is set (config: `secrets.key_file` or `secrets.key_env`).
struct KeySource {
    std::filesystem::path file;  // a key file written by keygen()
    std::string env;             // the name of an environment variable holding the base64 key
};

// Reads a key file. Refuses (invalid_input, code "key_file_permissions") a file that group or
// others may read or write, saying `chmod 600 FILE`; also refuses a missing file, a non-regular
// file and content that is not one base64 key.
Result<SecretBox> loadKeyFile(const std::filesystem::path& path);

// Reads the base64 key from environment variable `name`.
Result<SecretBox> loadKeyFromEnv(std::string_view name);

// Whichever of the two `source` names; invalid_input when it names neither or both.
Result<SecretBox> loadKey(const KeySource& source);

// What keygen() wrote; the key id is safe to print, the key is not returned at all.
struct KeygenResult {
    std::filesystem::path path;
    std::string key_id;
};

// Writes a new random key to `path`, created with mode 0600. Never overwrites: an existing file
// is a conflict (rotating keys means a new file plus `rekey`). The parent directory must exist.
Result<KeygenResult> keygen(const std::filesystem::path& path);

}  // namespace forgelink::secrets
