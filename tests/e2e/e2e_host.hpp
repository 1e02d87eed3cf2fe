// The real `forgelink serve` as a child process, set up the way the README tells a new user to:
// a key from `forgelink keygen`, an admin token in a file (or an environment variable), SQLite in
// a fresh directory, the plugins from the build tree, and a free loopback port.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sim_process.hpp"
#include "subprocess.hpp"

namespace forgelink::e2e {

// A directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A port on 127.0.0.1 that nothing listened on a moment ago.
int freeLoopbackPort();

// Runs `forgelink ARGS` to completion (30 s at most).
test::RunResult runForgelink(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                             const std::vector<std::string>& unset = {});

// Polls `done` until it answers true or `timeout` passes; false then.
bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds every = std::chrono::milliseconds(50));

struct HostOptions {
    std::string gitlab_base_url;             // providers.gitlab.base_url; empty = none configured
    bool admin_tokens_in_env = false;        // admin.tokens_env instead of admin.tokens_file
    std::string instance_id = "e2e";
    // providers.gitlab/github.allowed_hosts: [127.0.0.1], since forge-sim runs on loopback, which
    // the host refuses to reach by default (SSRF). False: the default policy.
    bool allow_loopback_forges = true;
    // feedback.build_timeout_seconds; 0 = not written (the default, 6 h).
    long long build_timeout_seconds = 0;
    // More lines of the feedback section ("  poll_interval_ms: 600000\n"); empty = defaults.
    std::string feedback_section;
    // A second host on the first one's store: the same database file, secret key and admin token
    // (its own directory, port and process). Must outlive this host.
    const class Host* share_store_of = nullptr;
    // Lines of the configuration's forge section ("  max_listing_pages: 40\n"); empty = defaults.
    std::string forge_section;
    // notifications.allowed_hosts: [127.0.0.1], for a webhook receiver on loopback.
    bool allow_loopback_webhooks = false;
    // Lines of server.limits ("    login_requests_per_minute: 2\n"); empty = defaults.
    std::string limits_section;
    // store.driver postgres on this libpq connection string (no password), the password given to
    // serve in E2E_PG_PASSWORD (store.password_env); empty = SQLite in the host's directory.
    std::string postgres_url;
    std::string postgres_password;
};

struct ApiReply {
    int status = 0;       // 0 = no HTTP answer (see text)
    nlohmann::json body;  // null when the body is empty or not JSON
    std::string text;
};

class Host {
public:
    explicit Host(HostOptions options = {});
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    // Starts serve and waits for /healthz; throws with serve's stderr when it does not come up.
    void start();
    // SIGTERM and wait: the exit code; the stdout (the log) and stderr of this run are appended to logs().
    int stop();
    // SIGKILL: no chance to clean up anything.
    void killHard();

    const std::string& adminToken() const { return admin_token_; }
    int port() const { return port_; }
    // The running serve's process id; -1 when it is not running.
    int pid() const { return process_ ? static_cast<int>(process_->pid()) : -1; }
    std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::filesystem::path databasePath() const {
        return options_.share_store_of ? options_.share_store_of->databasePath() : dir_.path() / "forgelink.db";
    }
    std::filesystem::path keyPath() const {
        return options_.share_store_of ? options_.share_store_of->keyPath() : dir_.path() / "secret.key";
    }
    std::filesystem::path adminTokensPath() const {
        return options_.share_store_of ? options_.share_store_of->adminTokensPath() : dir_.path() / "admin-tokens";
    }
    // Everything serve wrote to stdout and stderr in the runs that ended.
    const std::string& logs() const { return logs_; }

    // A call to PATH (e.g. /api/v1/teams) with the admin token, or `bearer` when given.
    ApiReply call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                  const std::string& bearer = "") const;

private:
    void writeConfig();

    HostOptions options_;
    TempDir dir_;
    std::string admin_token_;
    int port_ = 0;
    std::unique_ptr<test::Process> process_;
    std::string logs_;
};

// What forge-sim's request log holds for `method` on paths matching `path_regex`.
int countRequests(const nlohmann::json& log, const std::string& method, const std::string& path_regex);

std::string scenarioPath(const std::string& name);  // tests/e2e/scenarios/<name>
std::string readText(const std::string& path);

}  // namespace forgelink::e2e
