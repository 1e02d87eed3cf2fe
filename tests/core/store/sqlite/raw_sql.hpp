// Plain SQL on a database file through its own connection, as another program (or a person with
// the sqlite3 shell) would write it: for tests of what the store does about writes it did not make.
#pragma once

#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace forgelink::testing {

inline void rawExec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "") << " in: " << sql;
    sqlite3_free(error);
    sqlite3_close(db);
}

}  // namespace forgelink::testing
