// From the configuration (store.driver: postgres) to the pool's options, the password included.
#pragma once

#include <forgelink/result.hpp>

#include <functional>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "store/postgres/pg_pool.hpp"

namespace forgelink::store::pg {

using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// store.url, the password from store.password_env or store.password_file (one line; its trailing
// newline dropped), store.pool_size and store.statement_timeout_seconds. invalid_input when the
// password cannot be read or is empty; the message names the variable or file, never the value.
Result<PgPoolOptions> poolOptionsFrom(const config::StoreConfig& store, const EnvironmentLookup& env);

}  // namespace forgelink::store::pg
