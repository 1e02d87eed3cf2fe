// Group commit for the SQLite store: the writes of one process share transactions.
//
// Why: every write transaction takes SQLite's database write lock and, with synchronous = FULL,
// waits for one fsync of the WAL. Threads that find the lock taken wait in a busy handler, which
// sleeps (up to a millisecond a step, db.hpp) instead of waking when the lock is free. With the API
// accepting build changes on 8 threads and the dispatcher completing deliveries on 8 more, that
// waiting (not the work) bounded the outbox's throughput.
//
// How: a caller queues its work and waits. One waiting caller at a time (the leader) takes every
// queued work item, runs them in ONE BEGIN IMMEDIATE transaction, each inside its own savepoint,
// commits once, and wakes their callers. A work item that throws has its own savepoint rolled back
// and its caller gets the exception; the others still commit. Nothing a caller sees as done is
// uncommitted: run() returns only after the COMMIT (and its fsync) succeeded.
//
// Across processes nothing changes: each shared transaction is an ordinary IMMEDIATE transaction.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

#include "store/sqlite/db.hpp"

namespace forgelink::store::sqlite {

class GroupCommit {
public:
    // Work runs on the leader's thread with the shared connection, inside a transaction: it must
    // not begin or commit one itself, nor call back into the store.
    using Work = std::function<void(Connection&)>;

    // At most `max_batch` work items per transaction, so one transaction never holds the write
    // lock for long while other processes wait for it.
    explicit GroupCommit(ConnectionPool& pool, std::size_t max_batch = 64);
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    // Runs `work` in a transaction shared with concurrent callers; returns once it is committed.
    // Rethrows what `work` threw (its changes rolled back, the others' kept), or the failure to
    // begin or commit the shared transaction (then none of its changes were kept).
    void run(const Work& work);

    // Transactions committed and work items run so far (for tests and diagnostics).
    std::size_t transactions() const;
    std::size_t items() const;

private:
    struct Entry {
        const Work* work = nullptr;
        std::exception_ptr error;
        bool done = false;
    };

    void execute(const std::vector<Entry*>& batch);

    ConnectionPool& pool_;
    std::size_t max_batch_;
    mutable std::mutex mutex_;
    std::condition_variable done_;
    std::deque<Entry*> queue_;
    bool leading_ = false;
    std::size_t transactions_ = 0;
    std::size_t items_ = 0;
};

}  // namespace forgelink::store::sqlite
