// A real delivery stack for the dispatcher tests: a SQLite store in a temp dir, the built GitLab
// plugin loaded through the registry over the host's transport and HTTP client, and forge-sim.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "delivery/dispatcher.hpp"
#include "net/http_client.hpp"
#include "net/metrics.hpp"
#include "plugin/registry.hpp"
#include "secrets/secret_box.hpp"
#include "sim_process.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace forgelink::delivery::testing {

inline constexpr const char* kMainSha = "6b9fec60e107f1f323dfa6674b317facd996cb0a";
inline constexpr const char* kFeatureSha = "af5b13261899fb2c0db30abdd0af8b07cb44fdc5";
inline constexpr const char* kBotToken = "glpat-delivery-bot-0000000";
inline constexpr const char* kRevokedToken = "glpat-delivery-revoked-000";
inline constexpr const char* kRepository = "100";

// The dispatcher logs from its worker threads while a test reads what was logged.
class LockedBuffer : public std::stringbuf {
public:
    std::string text() {
        std::lock_guard lock(mutex_);
        return str();
    }

protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        std::lock_guard lock(mutex_);
        return std::stringbuf::xsputn(s, n);
    }
    int_type overflow(int_type c) override {
        std::lock_guard lock(mutex_);
        return std::stringbuf::overflow(c);
    }

private:
    std::recursive_mutex mutex_;  // xsputn may call overflow
};

class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

std::string readScenario(const std::string& name);

// Polls `done` every 20 ms until it holds or `timeout` passes; returns the last answer.
bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(20));

// The GitLab plugin loaded the way the host loads it; the transport makes one attempt per call
// (max_attempts 1) so that retries are the dispatcher's, as the tests want to observe them.
class LoadedPlugins : public plugin::HostServicesFactory {
public:
    explicit LoadedPlugins(net::Metrics& metrics);
    ~LoadedPlugins() override;
    HostServices& servicesFor(const std::string& provider_name) override;
    plugin::Registry& registry() { return *registry_; }
    Provider& gitlab() { return *registry_->provider("gitlab"); }

private:
    std::unique_ptr<net::HttpClient> http_;
    std::unique_ptr<Transport> transport_;
    HostServices services_;
    std::unique_ptr<plugin::Registry> registry_;
};

class DeliveryStack {
public:
    DeliveryStack();
    ~DeliveryStack();

    // Another store on the same database file (another "process").
    std::unique_ptr<store::SqliteStore> openStore() const;
    std::unique_ptr<Dispatcher> makeDispatcher(store::Store& store, std::string owner = {});

    std::string instance() const;  // 127.0.0.1:PORT, the instance key of the links
    // A project of the team linked to the widget repository with its own status context.
    std::int64_t addProject(const std::string& slug);
    // Saves the team's GitLab token under `name` (a named credential; 'default' unless given).
    void saveToken(const std::string& token, const std::string& name = "default");

    // Records a build change with its status task, and a comment task when `mr` is set.
    // With comment_on_open_mrs and no `mr`, the comment task names no MR: the dispatcher asks the forge.
    store::Build record(std::int64_t project_id, BuildState state, const std::string& sha, const std::string& mr = "",
                        std::int64_t build_id = 0, store::BuildStats stats = {}, bool comment_on_open_mrs = false);

    std::vector<store::FeedbackTask> tasksOf(std::int64_t build_id);
    bool allDone(const std::vector<std::int64_t>& build_ids);
    store::TaskCounts counts();

    // forge-sim views.
    std::vector<nlohmann::json> statuses(const std::string& sha, const std::string& name);
    std::vector<nlohmann::json> notesWithMarker(int mr_iid, const std::string& marker);
    std::vector<nlohmann::json> requests(const std::string& method, const std::string& path_part);
    std::string logText() { return log_buffer_.text(); }
    std::size_t logLinesContaining(const std::string& text);

    TempDir dir;
    sim::SimProcess sim;
    net::Metrics metrics;
    LoadedPlugins plugins;
    std::shared_ptr<const secrets::SecretBox> box;
    std::unique_ptr<store::SqliteStore> store;
    std::int64_t team_id = 0;
    DispatcherOptions options;  // what makeDispatcher uses (fast polls and backoff)

private:
    LockedBuffer log_buffer_;
    std::ostream log_stream_{&log_buffer_};

public:
    common::JsonLogger log;
};

}  // namespace forgelink::delivery::testing
