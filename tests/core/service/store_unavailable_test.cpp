// What a client gets when the database cannot answer: 503 store_unavailable with Retry-After for a
// transient failure (here SQLite's write lock held past the store's busy timeout by another
// process; on PostgreSQL a restart or failover), the store's own message only in the server log.
#include <sqlite3.h>

#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class StoreUnavailable : public ServiceTest {};

// Another process's write transaction on the database file, held until destroyed.
class HeldWriteLock {
public:
    explicit HeldWriteLock(const std::string& path) {
        EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
        EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    }
    ~HeldWriteLock() {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db_);
    }

private:
    sqlite3* db_ = nullptr;
};

TEST_F(StoreUnavailable, ALockedDatabaseIsA503WithRetryAfterAndTheReasonIsLoggedNotAnswered) {
    {
        HeldWriteLock lock((dir_ / "forgelink.db").string());
        // The store waits its busy timeout (5 s) for the lock, then gives up: a transient failure.
        auto refused = call("POST", "/api/v1/teams", {{"slug", "locked"}, {"name", "Locked"}});
        EXPECT_EQ(refused.status, 503) << refused.text;
        EXPECT_EQ(refused.body["error"]["code"], "store_unavailable");
        EXPECT_EQ(refused.header("retry-after"), "1");
        // The client reads what to do, not the store's text (tables, SQL).
        EXPECT_EQ(refused.text.find("locked by another writer"), std::string::npos) << refused.text;
        EXPECT_EQ(refused.text.find("teams"), std::string::npos) << refused.text;
        // The operator reads why.
        EXPECT_NE(logText().find("locked by another writer"), std::string::npos) << logText();
    }
    // The next request, once the lock is gone, works.
    auto created = call("POST", "/api/v1/teams", {{"slug", "locked"}, {"name", "Locked"}});
    EXPECT_EQ(created.status, 201) << created.text;
}

}  // namespace
}  // namespace forgelink::service::testing
