// `forgelink serve` for a benchmark: a fresh configuration, key and store in a directory of the
// run, both plugins required, an admin token, listening on a free loopback port.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "bench_context.hpp"
#include "child_process.hpp"
#include "sim_process.hpp"

namespace forgelink::bench {

struct ServeOptions {
    std::string gitlab_base_url;  // providers.gitlab.base_url; empty = none configured
    std::string log_level = "warn";
    // store.driver postgres on this libpq connection string (no password), the password given in
    // BENCH_PG_PASSWORD (store.password_env); empty = SQLite in the directory.
    std::string postgres_url;
    std::string postgres_password;
    // Another host of the same installation: its key and admin token (its own directory and port).
    // Must outlive this one.
    const class ServeProcess* share_with = nullptr;
};

class ServeProcess {
public:
    // Prepares `dir` (config, key file, admin token file) without starting anything.
    ServeProcess(const BenchContext& context, const std::filesystem::path& dir, ServeOptions options = {});
    ~ServeProcess();

    // Starts the host and waits for GET /healthz to answer 200; returns the time that took, or
    // nullopt (see error()) when it exited or did not answer within `timeout`.
    std::optional<std::chrono::duration<double, std::milli>> start(std::chrono::milliseconds timeout);
    int stop();  // SIGTERM; the exit code

    std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
    const std::string& adminToken() const { return admin_token_; }
    const std::string& error() const { return error_; }
    const std::string& healthBody() const { return health_body_; }
    std::filesystem::path keyPath() const { return dir_ / "secret.key"; }
    ChildProcess* process() { return child_.get(); }

    // An API call with the admin token (fresh connection).
    sim::HttpResult call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                         int timeout_ms = 30000) const;
    // The same on `connection` (to baseUrl(), kept alive between calls, one per client thread).
    sim::HttpResult call(sim::HttpConnection& connection, const std::string& method, const std::string& path,
                         const nlohmann::json& body = nullptr, int timeout_ms = 30000) const;

private:
    const BenchContext& context_;
    ServeOptions options_;
    std::filesystem::path dir_;
    std::filesystem::path config_;
    std::string admin_token_;
    int port_ = 0;
    std::unique_ptr<ChildProcess> child_;
    std::string error_;
    std::string health_body_;
    int starts_ = 0;
};

// Polls GET `url` with fresh connections until it answers 200; the elapsed time since `since`.
std::optional<std::chrono::duration<double, std::milli>> waitFor200(const std::string& url,
                                                                   std::chrono::steady_clock::time_point since,
                                                                   std::chrono::milliseconds timeout,
                                                                   ChildProcess& process, std::string* body);

}  // namespace forgelink::bench
