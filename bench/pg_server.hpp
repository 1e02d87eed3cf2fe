// The throwaway PostgreSQL the PostgreSQL benchmarks run on: scripts/pg-test-server (the one the
// tests use), started with PostgreSQL's durable defaults (PG_TEST_DURABLE=1: fsync and synchronous
// commit on, as SQLite runs at synchronous=FULL) on the first benchmark that asks for it, and
// stopped when this goes (the script's watchdog stops it too if the benchmark process dies).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace forgelink::bench {

class PgServer {
public:
    // `script`: scripts/pg-test-server; `work_dir`: where its state file and output go.
    PgServer(std::filesystem::path script, std::filesystem::path work_dir);
    ~PgServer();  // stop()
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    // Starts the server on the first call; false with error() set when it could not.
    bool ensureStarted();
    // A new, empty database on the server (dropped first if it exists); its libpq connection
    // string (no password), or empty with error() set.
    std::string createDatabase(const std::string& name);
    void stop();

    const std::string& password() const { return password_; }
    const std::string& error() const { return error_; }
    double startSeconds() const { return start_seconds_; }

private:
    std::filesystem::path script_, work_dir_, state_;
    bool started_ = false, tried_ = false;
    std::string url_, password_, error_;
    double start_seconds_ = 0;
};

}  // namespace forgelink::bench
