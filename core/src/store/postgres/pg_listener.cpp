#include "store/postgres/pg_listener.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace forgelink::store::pg {

namespace {

bool isChannelName(const std::string& name) {
    if (name.empty() || name.size() > 63 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

using Clock = std::chrono::steady_clock;

int millisecondsUntil(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

}  // namespace

PgListener::PgListener(PgConnectOptions options, std::string channel)
    : options_(std::move(options)), channel_(std::move(channel)), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!isChannelName(channel_))
        throw std::invalid_argument("PgListener: '" + channel_ + "' is not a channel name ([a-z][a-z0-9_]*)");
    if (wake_fd_ < 0) throw std::runtime_error("PgListener: eventfd failed");
}

PgListener::~PgListener() {
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

Result<void> PgListener::connect() {
    conn_.reset();
    auto conn = PgConnection::open(options_);
    if (!conn.ok()) return conn.error();
    // The channel was checked to be a plain identifier: LISTEN takes no parameter.
    auto listened = conn.value()->exec("LISTEN " + channel_);
    if (!listened.ok()) return listened.error();
    conn_ = std::move(conn).value();
    if (connected_once_) ++reconnects_;
    connected_once_ = true;
    return {};
}

bool PgListener::listening() { return conn_ && !conn_->broken(); }

PgListener::Wake PgListener::wait(std::chrono::milliseconds timeout, std::chrono::milliseconds retry) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (!listening()) {
            const bool was_connected = connected_once_;
            if (connect().ok()) {
                if (was_connected) return Wake::reconnected;  // what was sent meanwhile is lost
            } else {
                // The server is away: sleep until the next try (or an interrupt, or the end).
                pollfd wake{wake_fd_, POLLIN, 0};
                const int slept = ::poll(&wake, 1, std::min<int>(millisecondsUntil(deadline), retry.count()));
                if (slept > 0) {
                    eventfd_t drained = 0;
                    (void)::eventfd_read(wake_fd_, &drained);
                    return Wake::interrupted;
                }
                if (Clock::now() >= deadline) return Wake::timeout;
                continue;
            }
        }
        PGconn* raw = conn_->raw();
        // Notifications already read (with an earlier answer, or by the last PQconsumeInput).
        if (PGnotify* n = PQnotifies(raw)) {
            while (n != nullptr) {
                PQfreemem(n);
                n = PQnotifies(raw);
            }
            return Wake::notified;
        }
        pollfd fds[2] = {{PQsocket(raw), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        const int ready = ::poll(fds, 2, millisecondsUntil(deadline));
        if (ready > 0 && (fds[1].revents & POLLIN) != 0) {
            eventfd_t drained = 0;
            (void)::eventfd_read(wake_fd_, &drained);
            return Wake::interrupted;
        }
        if (ready > 0) {
            // Lost (end of stream, an error): the next turn reconnects.
            if (PQconsumeInput(raw) == 0 || PQstatus(raw) != CONNECTION_OK) (void)conn_->checkAlive();
            continue;
        }
        if (ready < 0 && errno == EINTR) continue;
        return Wake::timeout;
    }
}

void PgListener::interrupt() { (void)::eventfd_write(wake_fd_, 1); }

Result<void> notify(PgConnection& conn, const std::string& channel, const std::string& payload) {
    auto sent = conn.exec("SELECT pg_notify($1, $2)", {channel, payload});
    if (!sent.ok()) return sent.error();
    return {};
}

}  // namespace forgelink::store::pg
