// Runs a program with arguments and extra environment, capturing stdout, stderr and the exit code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace forgelink::test {

struct RunResult {
    int exit_code = -1;   // -1 when killed by a signal
    std::string out;
    std::string err;
};

// A process left running (for serve); its output goes to files read on finish().
class Process {
public:
    Process(const std::string& program, const std::vector<std::string>& args,
            const std::map<std::string, std::string>& env = {}, const std::vector<std::string>& unset = {});
    ~Process();  // kills it if still running
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const noexcept { return pid_; }
    void signal(int number);
    // Waits up to `timeout`; std::nullopt when still running then.
    std::optional<RunResult> finish(std::chrono::milliseconds timeout);

private:
    pid_t pid_ = -1;
    std::string out_path_;
    std::string err_path_;
    bool done_ = false;
};

RunResult run(const std::string& program, const std::vector<std::string>& args,
              const std::map<std::string, std::string>& env = {}, const std::vector<std::string>& unset = {});

// A loopback TCP port free a moment ago, for a server the test starts.
std::uint16_t freePort();

}  // namespace forgelink::test
