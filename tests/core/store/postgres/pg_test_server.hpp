// The throwaway PostgreSQL server ctest starts for these tests (fixture 'postgres',
// scripts/pg-test-server), and one fresh database per test on it.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>

#include "store/postgres/pg_connection.hpp"

namespace forgelink::store::pg::testing {

struct TestServer {
    std::string state_file;
    std::string url;  // no password, no dbname choice: the role's own database
    std::string password;
    std::string port;
};

// From FORGELINK_TEST_PG (set by ctest). Without it the test fails, saying how to run it.
inline const TestServer& testServer() {
    static const TestServer server = [] {
        TestServer s;
        const char* state = std::getenv("FORGELINK_TEST_PG");
        if (state == nullptr) return s;
        s.state_file = state;
        std::ifstream in(state);
        std::map<std::string, std::string> values;
        for (std::string line; std::getline(in, line);) {
            if (auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
        }
        s.url = values["url"];
        s.password = values["password"];
        s.port = values["port"];
        return s;
    }();
    return server;
}

inline bool haveTestServer() {
    if (!testServer().url.empty()) return true;
    ADD_FAILURE() << "no PostgreSQL test server: FORGELINK_TEST_PG does not name a state file. Run these tests "
                     "through ctest (fixture 'postgres'), or: scripts/pg-test-server start /tmp/pg/state; "
                     "FORGELINK_TEST_PG=/tmp/pg/state <test binary>; scripts/pg-test-server stop /tmp/pg/state";
    return false;
}

// scripts/pg-test-server restart: the server stops (fast: every session is cut) and starts again.
inline void restartTestServer() {
    const std::string command = std::string(FORGELINK_PG_TEST_SERVER) + " restart '" + testServer().state_file + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// A database of its own for one test, dropped (sessions and all) when it goes.
class TestDatabase {
public:
    TestDatabase() {
        static std::atomic<int> counter{0};
        name_ = "forgelink_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
        auto admin = PgConnection::open(connectOptions(testServer().url));
        if (!admin.ok()) {
            ADD_FAILURE() << admin.error().message;
            return;
        }
        (void)admin.value()->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        auto created = admin.value()->exec("CREATE DATABASE " + name_);
        if (!created.ok()) ADD_FAILURE() << created.error().message;
    }
    ~TestDatabase() {
        auto admin = PgConnection::open(connectOptions(testServer().url));
        if (admin.ok()) (void)admin.value()->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }
    TestDatabase(const TestDatabase&) = delete;

    const std::string& name() const { return name_; }
    // Options reaching this database as the test role, with its password.
    PgConnectOptions options() const { return connectOptions(testServer().url + " dbname=" + name_); }
    std::unique_ptr<PgConnection> connect() const {
        auto conn = PgConnection::open(options());
        EXPECT_TRUE(conn.ok()) << conn.error().message;
        return conn.ok() ? std::move(conn).value() : nullptr;
    }

private:
    static PgConnectOptions connectOptions(const std::string& conninfo) {
        PgConnectOptions o;
        o.conninfo = conninfo;
        o.password = testServer().password;
        o.application_name = "forgelink-tests";
        return o;
    }
    std::string name_;
};

}  // namespace forgelink::store::pg::testing
