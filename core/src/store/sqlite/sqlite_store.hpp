// The SQLite backend of the Store: one database file in WAL mode shared by any number of host
// processes, each with a small pool of connections.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "secrets/secret_box.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/group_commit.hpp"
#include "store/store.hpp"

namespace forgelink::store {

class SqliteStore final : public Store {
public:
    struct Options {
        std::size_t max_connections = 4;
        // How long a writer waits for another process's write lock before failing (transient).
        std::chrono::milliseconds busy_timeout{5000};
        // The clock for created_at/updated_at and for when new tasks are due; tests inject one.
        std::function<Timestamp()> clock;
    };

    // Opens (creating with mode 0600 if missing) and migrates the database at `path`.
    // Refuses, with a message naming both versions, a database whose schema is newer than this
    // build. `box` seals and opens every secret column; it must outlive nothing (shared).
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                     std::shared_ptr<const secrets::SecretBox> box);
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                     std::shared_ptr<const secrets::SecretBox> box,
                                                     Options options);

    // The schema version the database is at (after open: the newest this build knows).
    Result<int> schemaVersion();
    static int latestSchemaVersion();

    // Every method of the Store (store.hpp), declared once for both backends.
#include "store/store_overrides.inc"

private:
    SqliteStore(std::string path, std::shared_ptr<const secrets::SecretBox> box, Options options);
    Timestamp now() const;

    std::string path_;
    std::shared_ptr<const secrets::SecretBox> box_;
    Options options_;
    sqlite::ConnectionPool pool_;
    // The outbox's writes (build changes, claims, completions) share transactions; see the header.
    sqlite::GroupCommit writes_;
};

}  // namespace forgelink::store
