#include "cli/store_opening.hpp"

#include <cstdlib>

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace forgelink::cli {

std::optional<std::string> processEnvironment(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
}

Result<std::unique_ptr<store::Store>> openConfiguredStore(const config::StoreConfig& store,
                                                          std::shared_ptr<const secrets::SecretBox> box) {
    if (store.driver == "postgres") {
        auto pool = store::pg::poolOptionsFrom(store, processEnvironment);
        if (!pool) return pool.error();
        auto opened = store::PostgresStore::open(std::move(pool).value(), std::move(box));
        if (!opened) return opened.error();
        return std::unique_ptr<store::Store>(std::move(opened).value());
    }
    auto opened = store::SqliteStore::open(store.path, std::move(box));
    if (!opened) return opened.error();
    return std::unique_ptr<store::Store>(std::move(opened).value());
}

OutboxWatcher::OutboxWatcher(store::pg::PgConnectOptions options, std::function<void()> wake)
    : listener_(std::move(options), store::PostgresStore::kOutboxChannel), wake_(std::move(wake)) {
    thread_ = std::thread([this] {
        while (!stopping_.load()) {
            const auto woke = listener_.wait(std::chrono::seconds(5));
            if (stopping_.load()) break;
            if (woke == store::pg::PgListener::Wake::notified || woke == store::pg::PgListener::Wake::reconnected) wake_();
        }
    });
}

OutboxWatcher::~OutboxWatcher() {
    stopping_.store(true);
    listener_.interrupt();
    thread_.join();
}

Result<std::unique_ptr<OutboxWatcher>> watchOutbox(const config::StoreConfig& store, std::function<void()> wake) {
    if (store.driver != "postgres") return std::unique_ptr<OutboxWatcher>();
    auto pool = store::pg::poolOptionsFrom(store, processEnvironment);
    if (!pool) return pool.error();
    return std::make_unique<OutboxWatcher>(pool.value().connect, std::move(wake));
}

std::string describeStore(const config::StoreConfig& store) {
    if (store.driver == "postgres") return "PostgreSQL (" + store.url + ")";
    return "SQLite database " + store.path;
}

}  // namespace forgelink::cli
