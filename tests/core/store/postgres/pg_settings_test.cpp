#include "store/postgres/pg_settings.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

namespace forgelink::store::pg {
namespace {

EnvironmentLookup env(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

config::StoreConfig postgres() {
    config::StoreConfig store;
    store.driver = "postgres";
    store.url = "host=db.example user=forgelink dbname=forgelink";
    store.pool_size = 12;
    store.statement_timeout_seconds = 7;
    return store;
}

TEST(PgSettings, PasswordComesFromTheEnvironmentOrAFileNeverTheUrl) {
    auto store = postgres();
    store.password_env = "PGPW";
    auto from_env = poolOptionsFrom(store, env({{"PGPW", "s3cret"}}));
    ASSERT_TRUE(from_env.ok()) << from_env.error().message;
    EXPECT_EQ(from_env->connect.password, "s3cret");
    EXPECT_EQ(from_env->connect.conninfo, store.url);
    EXPECT_EQ(from_env->size, 12u);
    EXPECT_EQ(from_env->connect.statement_timeout, std::chrono::seconds(7));

    auto unset = poolOptionsFrom(store, env({}));
    ASSERT_FALSE(unset.ok());
    EXPECT_EQ(unset.error().message, "store.password_env: the environment variable PGPW is not set; set it to the "
                                     "password of the PostgreSQL role in store.url");
    auto empty = poolOptionsFrom(store, env({{"PGPW", ""}}));
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().kind, ErrorKind::invalid_input);

    namespace fs = std::filesystem;
    const fs::path file = fs::temp_directory_path() / ("forgelink-pgpw-" + std::to_string(::getpid()));
    { std::ofstream(file) << "from-a-file\n"; }
    store.password_env.clear();
    store.password_file = file.string();
    auto from_file = poolOptionsFrom(store, env({}));
    ASSERT_TRUE(from_file.ok()) << from_file.error().message;
    EXPECT_EQ(from_file->connect.password, "from-a-file") << "the trailing newline is not part of it";
    fs::remove(file);
    auto missing = poolOptionsFrom(store, env({}));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, "store.password_file: cannot read " + file.string() + ": No such file or directory");

    store.password_file.clear();
    auto neither = poolOptionsFrom(store, env({}));
    ASSERT_TRUE(neither.ok());
    EXPECT_TRUE(neither->connect.password.empty()) << "libpq's own means (~/.pgpass, certificates) then";
}

}  // namespace
}  // namespace forgelink::store::pg
