// `forgelink rekey`: move every secret in the database from one sealing key to another.
//
// The operator's sequence: `forgelink keygen NEW_FILE`, stop the hosts (or accept that they fail
// to open secrets until restarted), `forgelink rekey` with both keys, point the config at the new
// key, start the hosts. The rekey is one transaction: interrupted, nothing changed.
#pragma once

#include <cstdint>
#include <string>

#include <forgelink/result.hpp>

#include "secrets/key_file.hpp"

namespace forgelink::store {

struct RekeyOptions {
    std::string database;           // the SQLite database file
    secrets::KeySource old_key;     // the key the secrets are sealed with now
    secrets::KeySource new_key;     // the key to seal them with
};

struct RekeyReport {
    std::int64_t resealed = 0;  // values re-sealed (a rerun after success reports 0)
    std::string old_key_id;
    std::string new_key_id;
};

// Loads both keys, opens (and if needed migrates) the database, and re-seals everything.
// Errors say which key or which value failed; never a secret.
Result<RekeyReport> rekeyDatabase(const RekeyOptions& options);

}  // namespace forgelink::store
