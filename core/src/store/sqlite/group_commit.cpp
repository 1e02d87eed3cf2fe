#include "store/sqlite/group_commit.hpp"

#include <sqlite3.h>

namespace forgelink::store::sqlite {

GroupCommit::GroupCommit(ConnectionPool& pool, std::size_t max_batch)
    : pool_(pool), max_batch_(max_batch == 0 ? 1 : max_batch) {}

void GroupCommit::run(const Work& work) {
    Entry entry;
    entry.work = &work;
    std::unique_lock lock(mutex_);
    queue_.push_back(&entry);
    while (!entry.done) {
        if (leading_) {
            done_.wait(lock);
            continue;
        }
        // Nobody is writing for this process: lead one transaction for everything queued now
        // (this entry included, unless more than max_batch_ are ahead of it: then lead again).
        leading_ = true;
        std::vector<Entry*> batch;
        while (!queue_.empty() && batch.size() < max_batch_) {
            batch.push_back(queue_.front());
            queue_.pop_front();
        }
        lock.unlock();
        execute(batch);
        lock.lock();
        ++transactions_;
        items_ += batch.size();
        for (Entry* e : batch) e->done = true;
        leading_ = false;
        // Wakes the callers of this batch, and one of the others becomes the next leader.
        done_.notify_all();
    }
    lock.unlock();
    if (entry.error) std::rethrow_exception(entry.error);
}

void GroupCommit::execute(const std::vector<Entry*>& batch) {
    try {
        auto connection = pool_.acquire();
        Connection& c = *connection;
        Transaction tx(c);
        for (Entry* e : batch) {
            c.prepare("SAVEPOINT forgelink_work").run();
            try {
                (*e->work)(c);
                c.prepare("RELEASE forgelink_work").run();
            } catch (...) {
                e->error = std::current_exception();
                // Some errors (disk full, I/O) make SQLite roll back the whole transaction: then
                // nothing of this batch can commit, and the rest must not run outside a transaction.
                if (sqlite3_get_autocommit(c.handle()) != 0)
                    throw SqliteError(SQLITE_ABORT, "the shared write transaction was rolled back after a failed write");
                c.prepare("ROLLBACK TO forgelink_work").run();
                c.prepare("RELEASE forgelink_work").run();
            }
        }
        tx.commit();
    } catch (...) {
        // BEGIN or COMMIT failed, or the transaction was lost: nothing of the batch was kept.
        const auto failure = std::current_exception();
        for (Entry* e : batch)
            if (!e->error) e->error = failure;
    }
}

std::size_t GroupCommit::transactions() const {
    std::lock_guard lock(mutex_);
    return transactions_;
}

std::size_t GroupCommit::items() const {
    std::lock_guard lock(mutex_);
    return items_;
}

}  // namespace forgelink::store::sqlite
