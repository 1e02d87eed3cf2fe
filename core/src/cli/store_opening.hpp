// The configured store, whichever its driver: SQLite (store.path) or PostgreSQL (store.url, the
// password from store.password_env or store.password_file). For the commands that open it
// (serve, rekey).
#pragma once

#include <forgelink/result.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "config/config.hpp"
#include "secrets/secret_box.hpp"
#include "store/postgres/pg_listener.hpp"
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

// While it lives, calls `wake` whenever another host (or this one) puts feedback tasks due now in
// the PostgreSQL outbox (LISTEN on PostgresStore::kOutboxChannel), and after every reconnect
// (notifications sent while the connection was down are lost): an idle host's dispatcher starts
// on a change taken by another host at once, not at its next poll.
class OutboxWatcher {
public:
    OutboxWatcher(store::pg::PgConnectOptions options, std::function<void()> wake);
    ~OutboxWatcher();
    OutboxWatcher(const OutboxWatcher&) = delete;
    OutboxWatcher& operator=(const OutboxWatcher&) = delete;

private:
    store::pg::PgListener listener_;
    std::function<void()> wake_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

// An OutboxWatcher for a PostgreSQL store; nullptr for SQLite (its dispatcher polls the file).
Result<std::unique_ptr<OutboxWatcher>> watchOutbox(const config::StoreConfig& store, std::function<void()> wake);

// For messages and the log: "SQLite database /var/lib/forgelink/forgelink.db", "PostgreSQL
// (host=db.example dbname=forgelink)" (store.url never holds a password: the loader refuses one).
std::string describeStore(const config::StoreConfig& store);

}  // namespace forgelink::cli
