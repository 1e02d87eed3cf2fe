// The forge simulator's logic: one World, the admin API, fault injection, the request log and the
// virtual clock. Transport-free: the Beast server (sim_server.hpp) feeds it SimRequests.
// Thread-safe: handle() may be called from any io thread; the world is guarded by one mutex
// (handlers are cheap, so one lock is not the bottleneck).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "sim_http.hpp"
#include "sim_model.hpp"

namespace forgelink::sim {

struct FaultRule {
    std::int64_t id = 0;
    std::string route;  // "" = all
    std::optional<std::regex> pattern;
    int latency_ms = 0;
    double error_rate = 0;
    int status = 500;
    std::optional<std::int64_t> fail_next;  // remaining forced failures; nullopt = unlimited
    std::int64_t burst_429 = 0;
    int retry_after = 1;
    int burst_status = 429;  // GitHub's secondary limit answers 403 or 429 (API-FACTS B10)
    bool reset_connection = false;
    int stall_ms = 0;
    // Fires after the request was handled (the world changed, as when the forge acted and its
    // answer was lost on the way): only reset_connection or a status then, never latency/429.
    bool after_handling = false;
    std::mt19937_64 rng;
};

struct SimOptions {
    std::string external_url;  // GitLab external URL; port 0 / empty = the real listening port
    std::optional<std::uint64_t> seed;
};

// Per-request context handed to the dialect handlers (world lock held).
struct Ctx {
    World& world;
    std::int64_t now;
    std::string origin;          // http://127.0.0.1:PORT
    std::string gitlab_root;     // external URL without trailing slash (Link/web_url base)
    std::string github_api;      // http://127.0.0.1:PORT/api/v3 or /github, as the request came in
    std::map<std::string, std::shared_ptr<std::vector<std::size_t>>>& listing_cache;
    std::mt19937_64& rng;
};

SimResponse handleGitLab(Ctx& ctx, const SimRequest& req, const std::vector<std::string>& segs, const std::string& api_path);
SimResponse handleGitLabOAuth(Ctx& ctx, const SimRequest& req, const std::vector<std::string>& segs);
SimResponse handleGitHub(Ctx& ctx, const SimRequest& req, const std::vector<std::string>& segs, const std::string& api_path);
SimResponse handleGitHubOAuth(Ctx& ctx, const SimRequest& req, const std::vector<std::string>& segs);
// /_sim/github/...: world changes a GitHub user would make on the web (rename a repo, delete a comment).
SimResponse handleGitHubAdmin(World& world, const SimRequest& req, const std::vector<std::string>& segs);
// The dialect's own 429 (used by burst_429 faults).
SimResponse gitlabTooManyRequests(std::int64_t now, int retry_after);
SimResponse githubSecondaryLimit(int status, int retry_after);

class ForgeSim {
public:
    ForgeSim(std::unique_ptr<World> world, SimOptions options);
    void setPort(int port);  // call once the listener is bound (before serving)
    SimResponse handle(const SimRequest& req);

    static nlohmann::json maskedRequest(const SimRequest& req);  // for the request log

private:
    SimResponse handleAdmin(const SimRequest& req, const std::vector<std::string>& segs);
    SimResponse dispatch(const SimRequest& req);
    std::optional<SimResponse> applyFaults(const SimRequest& req, bool gitlab, int& latency, bool after_handling = false);
    void startWorld();
    std::int64_t now() const;

    std::mutex mutex_;
    std::unique_ptr<World> world_;
    SimOptions options_;
    int port_ = 0;
    std::string origin_, gitlab_root_, gitlab_prefix_;  // prefix: path of the external URL ("" or "/gitlab")
    std::int64_t clock_offset_ = 0;
    std::vector<FaultRule> faults_;
    std::int64_t next_fault_id_ = 1;
    std::deque<nlohmann::json> log_;
    std::int64_t log_seq_ = 0;
    std::map<std::string, std::shared_ptr<std::vector<std::size_t>>> listing_cache_;
    std::mt19937_64 rng_;
};

}  // namespace forgelink::sim
