#include "store/postgres/pg_settings.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace forgelink::store::pg {

namespace {

Result<std::string> readPassword(const config::StoreConfig& store, const EnvironmentLookup& env) {
    std::string password;
    if (!store.password_env.empty()) {
        auto value = env(store.password_env);
        if (!value)
            return makeError(ErrorKind::invalid_input, "store.password_env: the environment variable " +
                                                           store.password_env + " is not set; set it to the password "
                                                           "of the PostgreSQL role in store.url");
        password = std::move(*value);
    } else if (!store.password_file.empty()) {
        std::ifstream in(store.password_file, std::ios::binary);
        if (!in)
            return makeError(ErrorKind::invalid_input, "store.password_file: cannot read " + store.password_file + ": " +
                                                           std::strerror(errno));
        std::getline(in, password);
    } else {
        return std::string();
    }
    while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) password.pop_back();
    if (password.empty())
        return makeError(ErrorKind::invalid_input,
                         std::string("store.") + (store.password_env.empty() ? "password_file: " + store.password_file
                                                                             : "password_env: " + store.password_env) +
                             " is empty; expected the password of the PostgreSQL role in store.url");
    return password;
}

}  // namespace

Result<PgPoolOptions> poolOptionsFrom(const config::StoreConfig& store, const EnvironmentLookup& env) {
    auto password = readPassword(store, env);
    if (!password.ok()) return password.error();
    PgPoolOptions options;
    options.connect.conninfo = store.url;
    options.connect.password = std::move(password).value();
    options.connect.statement_timeout = std::chrono::seconds(store.statement_timeout_seconds);
    options.size = store.pool_size;
    return options;
}

}  // namespace forgelink::store::pg
