// A running API over real HTTP on 127.0.0.1: a fresh SQLite store per test, the real GitLab
// plugin against one forge simulator per suite, the example plugin, and a log captured in memory.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "config/config.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/metrics.hpp"
#include "net/transport_policy.hpp"
#include "plugin/registry.hpp"
#include "secrets/secret_box.hpp"
#include "service/api_service.hpp"
#include "sim_process.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace forgelink::service::testing {

inline constexpr const char* kAdminToken = "admin-0123456789-secret";
inline constexpr const char* kBotToken = "glpat-bot-api-0000000000";

// Providers get the host's real transport policy, with short deadlines for tests.
class TestServices : public plugin::HostServicesFactory {
public:
    explicit TestServices(net::Metrics& metrics) : metrics_(metrics), client_(net::makeHttpClient()) {}
    HostServices& servicesFor(const std::string& name) override {
        std::lock_guard lock(mutex_);
        auto& entry = entries_[name];
        if (!entry) {
            entry = std::make_unique<Entry>();
            net::TransportPolicy policy;
            policy.default_deadline = std::chrono::milliseconds(5000);
            policy.max_attempts = 2;
            entry->transport = net::makePolicyTransport(*client_, metrics_, name, policy);
            entry->logger = std::make_unique<common::JsonLogger>("provider." + name, &log_, LogLevel::warn);
            entry->services.transport = entry->transport.get();
            entry->services.logger = entry->logger.get();
        }
        return entry->services;
    }

private:
    struct Entry {
        std::unique_ptr<Transport> transport;
        std::unique_ptr<common::JsonLogger> logger;
        HostServices services;
    };
    net::Metrics& metrics_;
    std::unique_ptr<net::HttpClient> client_;
    std::ostringstream log_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Entry>> entries_;
};

struct Reply {
    int status = 0;
    nlohmann::json body;
    std::string text;
    std::map<std::string, std::string> headers;
    std::string header(const std::string& lower) const {
        auto it = headers.find(lower);
        return it == headers.end() ? std::string() : it->second;
    }
};

class ServiceTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        sim_ = new sim::SimProcess(sim::SimProcess::scenarioFile("gitlab-basic.yaml"));
        suite_metrics_ = new net::Metrics();
        services_ = new TestServices(*suite_metrics_);
        registry_ = new plugin::Registry(*services_);
        registry_->load(FORGELINK_TEST_GITLAB_PLUGIN);
        registry_->load(FORGELINK_TEST_EXAMPLE_PLUGIN);
    }
    static void TearDownTestSuite() {
        // The registry is never destroyed while the process runs (plugins are never unloaded).
        delete sim_;
        sim_ = nullptr;
    }

    void SetUp() override {
        ASSERT_NE(registry_->provider("gitlab"), nullptr) << "the GitLab plugin did not load";
        ASSERT_NE(registry_->provider("example"), nullptr) << "the example plugin did not load";
        box_ = std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate());
        auto opened = store::SqliteStore::open((dir_ / "forgelink.db").string(), box_);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store_ = std::move(opened).value();

        config_.feedback.status_context = "forgelink";
        config::ProviderConfig gitlab;
        gitlab.base_url = sim_->gitlabUrl();
        gitlab.oauth = config::OAuthConfig{"forgelink-app", "forgelink-secret", "http://127.0.0.1:8976/callback"};
        config_.providers["gitlab"] = gitlab;
        config_.providers["example"].base_url = "http://127.0.0.1:9/example";
        startServer();
    }

    void TearDown() override {
        if (server_) server_->stop();
    }

    void startServer(std::size_t max_body = 1 << 20) {
        if (server_) server_->stop();
        logger_ = std::make_unique<common::JsonLogger>("host", &log_, LogLevel::debug);
        service_ = std::make_unique<ApiService>(
            ServiceDeps{*store_, *registry_, config_, metrics_, *logger_, AdminTokens::fromText(kAdminToken)}, options_);
        net::ServerOptions options;
        options.workers = 4;
        options.max_body_bytes = max_body;
        server_ = net::makeHttpServer(options, service_->handler());
        server_->start();
    }

    Reply call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
               std::vector<std::pair<std::string, std::string>> headers = {}, bool auth = true) {
        return callAt(server_->baseUrl(), method, path, body, std::move(headers), auth);
    }
    // The same against another server (a second host in a test).
    Reply callAt(const std::string& base_url, const std::string& method, const std::string& path,
                 const nlohmann::json& body = nullptr, std::vector<std::pair<std::string, std::string>> headers = {},
                 bool auth = true) {
        if (auth) headers.emplace_back("Authorization", std::string("Bearer ") + kAdminToken);
        std::string text;
        if (!body.is_null()) {
            text = body.dump();
            headers.emplace_back("Content-Type", "application/json");
        }
        return rawAt(base_url, method, path, text, headers);
    }

    Reply raw(const std::string& method, const std::string& path, const std::string& body,
              const std::vector<std::pair<std::string, std::string>>& headers) {
        return rawAt(server_->baseUrl(), method, path, body, headers);
    }
    Reply rawAt(const std::string& base_url, const std::string& method, const std::string& path,
                const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
        auto result = sim::httpRequest(method, base_url + path, headers, body);
        Reply reply;
        reply.status = result.status;
        reply.text = result.body;
        reply.headers = result.headers;
        reply.body = nlohmann::json::parse(result.body, nullptr, false);
        all_responses_ += result.body;
        for (const auto& [k, v] : result.headers) all_responses_ += k + ": " + v + "\n";
        return reply;
    }

    // As the console does: the session cookie, and on state changes the session's CSRF token.
    Reply asUser(const std::string& session, const std::string& method, const std::string& path,
                 const nlohmann::json& body = nullptr) {
        std::vector<std::pair<std::string, std::string>> headers{
            {"Cookie", std::string(ApiService::kSessionCookie) + "=" + session}};
        if (method != "GET" && method != "HEAD") headers.emplace_back(ApiService::kCsrfHeader, ApiService::csrfTokenFor(session));
        return call(method, path, body, std::move(headers), false);
    }

    // A person who logged in once, with a live session; returns the session token.
    std::string loginUser(const std::string& username, std::int64_t* user_id = nullptr) {
        auto user = store_->upsertUser({"gitlab", "sim", "id-" + username, username, username});
        EXPECT_TRUE(user.ok());
        const std::string token = "session-" + username + "-0123456789abcdef";
        auto session = store_->createSession(token, user.value().id,
                                             store::nowTimestamp() + std::chrono::hours(1));
        EXPECT_TRUE(session.ok());
        if (user_id != nullptr) *user_id = user.value().id;
        return token;
    }

    void createTeam(const std::string& slug) {
        auto reply = call("POST", "/api/v1/teams", {{"slug", slug}, {"name", "Team " + slug}});
        ASSERT_EQ(reply.status, 201) << reply.text;
    }
    void connectGitlab(const std::string& team, const std::string& token = kBotToken) {
        auto reply = call("PUT", "/api/v1/teams/" + team + "/providers/gitlab", {{"token", token}});
        ASSERT_EQ(reply.status, 200) << reply.text;
    }
    std::int64_t createLinkedProject(const std::string& team, const std::string& slug,
                                     const std::string& path = "acme/tools/widget") {
        auto reply = call("POST", "/api/v1/teams/" + team + "/projects",
                          {{"name", "Project " + slug}, {"slug", slug},
                           {"repository", {{"provider", "gitlab"}, {"path", path}}}});
        EXPECT_EQ(reply.status, 201) << reply.text;
        return reply.body["project"].value("id", std::int64_t{0});
    }

    std::string logText() const { return log_.str(); }

    static sim::SimProcess* sim_;
    static net::Metrics* suite_metrics_;
    static TestServices* services_;
    static plugin::Registry* registry_;

    forgelink::testing::TempDir dir_;
    std::shared_ptr<const secrets::SecretBox> box_;
    std::unique_ptr<store::SqliteStore> store_;
    config::Config config_;
    ServiceOptions options_;  // set before startServer() (SetUp starts one with the defaults)
    net::Metrics metrics_;
    std::ostringstream log_;
    std::unique_ptr<common::JsonLogger> logger_;
    std::unique_ptr<ApiService> service_;
    std::unique_ptr<net::HttpServer> server_;
    std::string all_responses_;
};

inline sim::SimProcess* ServiceTest::sim_ = nullptr;
inline net::Metrics* ServiceTest::suite_metrics_ = nullptr;
inline TestServices* ServiceTest::services_ = nullptr;
inline plugin::Registry* ServiceTest::registry_ = nullptr;

}  // namespace forgelink::service::testing
