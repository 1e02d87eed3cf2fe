// The configured store, whichever its driver: SQLite (store.path) or PostgreSQL (store.url, the
// password from store.password_env or store.password_file). For the commands that open it
// (serve, rekey).
#pragma once

#include <forgelink/result.hpp>

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "secrets/secret_box.hpp"
#include "store/postgres/pg_settings.hpp"
#include "store/store.hpp"

namespace forgelink::cli {

// The process's environment, for the password in store.password_env.
std::optional<std::string> processEnvironment(const std::string& name);

// Opens the store of `store` sealing with `box`, migrating its schema to this build's (SQLite:
// the file, created if missing; PostgreSQL: under the advisory lock, so hosts starting at once
// apply each migration once). Refuses a schema newer than this build knows.
Result<std::unique_ptr<store::Store>> openConfiguredStore(const config::StoreConfig& store,
                                                          std::shared_ptr<const secrets::SecretBox> box);

// For messages and the log: "SQLite database /var/lib/forgelink/forgelink.db", "PostgreSQL
// (host=db.example dbname=forgelink)" (store.url never holds a password: the loader refuses one).
std::string describeStore(const config::StoreConfig& store);

}  // namespace forgelink::cli
