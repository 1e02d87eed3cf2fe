// `forgelink rekey`: move every secret in the database from one sealing key to another.
//
// The operator's sequence: `forgelink keygen NEW_FILE`, stop the hosts (or accept that they fail
// to open secrets until restarted), `forgelink rekey` with both keys, point the config at the new
// key, start the hosts. The rekey is one transaction: interrupted, nothing changed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <forgelink/result.hpp>

#include "secrets/key_file.hpp"
#include "store/store.hpp"

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

// Opens a store (of any backend) sealing with the box it is given.
using StoreOpener = std::function<Result<std::unique_ptr<Store>>(std::shared_ptr<const secrets::SecretBox>)>;

// Loads both keys, opens the store with `open` (sealing with the old key), and re-seals
// everything. Errors say which key or which value failed; never a secret.
Result<RekeyReport> rekeyStore(const StoreOpener& open, const secrets::KeySource& old_key,
                               const secrets::KeySource& new_key);

// The same on the SQLite database file `options.database` (opened, and if needed migrated).
Result<RekeyReport> rekeyDatabase(const RekeyOptions& options);

}  // namespace forgelink::store
