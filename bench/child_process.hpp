// A program the benchmarks start (forgelink serve, the baseline server, wrk): its output goes to
// files in the run's work directory, and it is stopped (SIGTERM, then SIGKILL) when this goes.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace forgelink::bench {

class ChildProcess {
public:
    // Starts `argv[0]` with `argv`; stdout and stderr go to `log_stem`.out / .err.
    // `extra_env` entries ("NAME=value") are added to this process's environment.
    ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_stem,
                 const std::vector<std::string>& extra_env = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    int pid() const noexcept { return pid_; }
    bool running();
    // Waits for the exit; nullopt when it did not exit within `timeout`. Exit code, or 128+signal.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // SIGTERM, up to `grace` for the exit, then SIGKILL. Returns the exit code as wait() does.
    int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
    // Resident set size from /proc/PID/status (VmRSS), in bytes; 0 when unknown.
    long long rssBytes() const;

    std::string stdoutText() const;
    std::string stderrText() const;

private:
    int pid_ = -1;
    std::optional<int> exit_code_;
    std::filesystem::path out_, err_;
};

// Reads a whole file; empty when it cannot be read.
std::string readFile(const std::filesystem::path& path);
// A port on 127.0.0.1 that was free a moment ago (bound to 0, then released).
int freeLoopbackPort();

}  // namespace forgelink::bench
