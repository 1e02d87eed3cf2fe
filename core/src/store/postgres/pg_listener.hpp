// Waiting for PostgreSQL NOTIFY on one channel: how an idle host learns at once that another
// host queued work (the outbox), without polling the table hard.
//
// A listener owns one connection of its own (not from the pool: LISTEN belongs to a session) and
// sleeps in poll() on its socket, so a NOTIFY wakes it as soon as it arrives. When the connection
// is lost (a restart, a failover) wait() reconnects, LISTENs again and reports a wake-up:
// notifications sent meanwhile are lost, so the caller must look for work after every wake-up,
// not only after a notification.
//
// Threads: wait() from one thread at a time; interrupt() from any thread.
#pragma once

#include <forgelink/result.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "store/postgres/pg_connection.hpp"

namespace forgelink::store::pg {

class PgListener {
public:
    // `channel`: lower-case letters, digits and '_', starting with a letter (it is an identifier
    // in LISTEN, which takes no parameters). Connects on the first connect() or wait().
    PgListener(PgConnectOptions options, std::string channel);
    ~PgListener();
    PgListener(const PgListener&) = delete;
    PgListener& operator=(const PgListener&) = delete;

    // Connects and LISTENs now (wait() would do it too): errors are the connection's.
    Result<void> connect();

    enum class Wake { notified, reconnected, interrupted, timeout };
    // Blocks until a NOTIFY on the channel, a reconnect, interrupt() or `timeout`. While the
    // server is unreachable it retries every `retry` until the timeout.
    Wake wait(std::chrono::milliseconds timeout, std::chrono::milliseconds retry = std::chrono::milliseconds(100));
    // Wakes the waiter (shutdown); a call with no one waiting wakes the next wait() at once.
    void interrupt();

    std::size_t reconnects() const { return reconnects_.load(); }

private:
    bool listening();  // connected and LISTENing, reconnecting once if not

    PgConnectOptions options_;
    std::string channel_;
    std::unique_ptr<PgConnection> conn_;
    int wake_fd_ = -1;  // an eventfd interrupt() writes to
    bool connected_once_ = false;
    std::atomic<std::size_t> reconnects_{0};
};

// NOTIFY `channel` with `payload` through a connection (pg_notify, parameters), delivered when
// the connection's transaction commits.
Result<void> notify(PgConnection& conn, const std::string& channel, const std::string& payload = {});

}  // namespace forgelink::store::pg
