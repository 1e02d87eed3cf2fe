// The SQLite backend of the Store: opening (and migrating) the database file, the clock, the
// schema version. Each domain of the Store is in a file of its own beside this one.
#include "store/sqlite/sqlite_store.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

// ---- lifecycle -------------------------------------------------------------------------------

SqliteStore::SqliteStore(std::string path, std::shared_ptr<const secrets::SecretBox> box, Options options)
    : path_(std::move(path)),
      box_(std::move(box)),
      options_(std::move(options)),
      pool_(path_, options_.busy_timeout, options_.max_connections),
      writes_(pool_) {}

Timestamp SqliteStore::now() const { return options_.clock ? options_.clock() : nowTimestamp(); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       std::shared_ptr<const secrets::SecretBox> box) {
    return open(path, std::move(box), Options{});
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       std::shared_ptr<const secrets::SecretBox> box, Options options) {
    if (!box) return makeError(ErrorKind::invalid_input, "opening database " + path + ": no sealing key given", "no_key");
    if (path.empty() || path == ":memory:") {
        // Every connection of the pool must see the same data, and the data must outlive the process.
        return makeError(ErrorKind::invalid_input, "the database must be a file path, got " + inQuotes(path), "bad_path");
    }
    // Created private: the file holds sealed secrets and session digests. SQLite gives the -wal and
    // -shm files the same mode as the database.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return makeError(ErrorKind::invalid_input,
                         "cannot open or create database " + path + ": " + std::strerror(errno), "bad_path");
    }
    ::close(fd);
    std::unique_ptr<SqliteStore> store(new SqliteStore(path, std::move(box), std::move(options)));
    try {
        auto connection = store->pool_.acquire();
        sqlite::migrate(*connection, store->now());
    } catch (const SqliteError& e) {
        return mapSqliteError("opening database " + path, e);
    } catch (const std::exception& e) {
        return makeError(ErrorKind::invalid_input, "opening database " + path + ": " + e.what(), "schema_too_new");
    }
    return store;
}

Result<int> SqliteStore::schemaVersion() {
    return guarded("reading the schema version", [&]() -> Result<int> {
        auto c = pool_.acquire();
        return sqlite::currentSchemaVersion(*c);
    });
}

int SqliteStore::latestSchemaVersion() { return store::latestSchemaVersion(); }

}  // namespace forgelink::store
