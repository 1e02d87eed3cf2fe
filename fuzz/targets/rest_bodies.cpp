// Every REST request body reader (service/json_input.hpp and the routes that read bodies), through
// ApiService::handle as the HTTP server calls it, on a throwaway SQLite store. The first byte picks
// the route, the rest is the body. Whatever the body, the answer is the API's error shape with a
// 4xx status (or a success): a 500 means a body reached code that did not expect it.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>

#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "config/config.hpp"
#include "fuzz_target.hpp"
#include "net/metrics.hpp"
#include "plugin/registry.hpp"
#include "secrets/secret_box.hpp"
#include "service/api_service.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {
using namespace forgelink;

constexpr const char* kAdminToken = "fuzz-admin-token-0123456789";

class NoServices : public plugin::HostServicesFactory {
public:
    HostServices& servicesFor(const std::string&) override { return services_; }

private:
    HostServices services_;
};

class NullBuffer : public std::streambuf {
protected:
    int overflow(int c) override { return c; }
};

struct World {
    std::filesystem::path dir;
    NullBuffer null_buffer;
    std::ostream null_stream{&null_buffer};
    NoServices services;
    plugin::Registry registry{services};
    config::Config config;
    net::Metrics metrics;
    common::JsonLogger logger{"fuzz", &null_stream, LogLevel::error};
    std::unique_ptr<store::SqliteStore> store;
    std::unique_ptr<service::ApiService> service;

    World() {
        char pattern[] = "/tmp/forgelink-fuzz-rest-XXXXXX";
        const char* made = ::mkdtemp(pattern);
        if (made == nullptr) std::abort();
        dir = made;
        auto box = std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate());
        auto opened = store::SqliteStore::open((dir / "fuzz.db").string(), box);
        if (!opened.ok()) std::abort();
        store = std::move(opened).value();
        config.feedback.status_context = "forgelink";
        config.providers["gitlab"].base_url = "https://gitlab.example.com";
        service = std::make_unique<service::ApiService>(
            service::ServiceDeps{*store, registry, config, metrics, logger, service::AdminTokens::fromText(kAdminToken)});
        auto team = store->createTeam("fuzz", "Fuzz");
        if (!team.ok()) std::abort();
        auto project = store->createProject(team.value().id, "widget", "Widget");
        if (!project.ok()) std::abort();
        // A build to update (PATCH .../builds/1).
        const auto created = call("POST", "/api/v1/projects/1/builds",
                                  R"({"commit_sha":"af5b13261899fb2c0db30abdd0af8b07cb44fdc5","branch":"main","state":"in_progress"})");
        if (created.status != 202) std::abort();
    }
    ~World() {
        service.reset();
        store.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }

    net::ServerResponse call(const std::string& method, const std::string& path, std::string body) {
        net::ServerRequest request;
        request.method = method;
        request.path = path;
        request.raw_path = path;
        request.headers = {{"Authorization", std::string("Bearer ") + kAdminToken},
                           {"Content-Type", "application/json"},
                           {"Host", "127.0.0.1"}};
        request.body = std::move(body);
        request.remote_address = "127.0.0.1";
        return service->handle(request);
    }
};

struct Route {
    const char* method;
    const char* path;
};
constexpr Route kRoutes[] = {
    {"POST", "/api/v1/teams"},
    {"POST", "/api/v1/teams/fuzz/members"},
    {"PATCH", "/api/v1/teams/fuzz/members/1"},
    {"PUT", "/api/v1/teams/fuzz/providers/gitlab"},
    {"POST", "/api/v1/teams/fuzz/projects"},
    {"PUT", "/api/v1/projects/1/repository"},
    {"POST", "/api/v1/projects/1/builds"},
    {"PATCH", "/api/v1/projects/1/builds/1"},
};
}  // namespace

FORGELINK_FUZZ_TARGET(rest_bodies) {
    static World world;
    if (size == 0) return 0;
    const Route& route = kRoutes[data[0] % (sizeof kRoutes / sizeof kRoutes[0])];
    const auto response =
        world.call(route.method, route.path, std::string(forgelink::fuzz::asText(data + 1, size - 1)));
    const std::string context = std::string(route.method) + " " + route.path + " -> " +
                                std::to_string(response.status) + " " + response.body;
    FUZZ_CHECK(response.status != 500, context);
    FUZZ_CHECK(response.status >= 200 && response.status < 600, context);
    if (response.status >= 400) {
        const auto body = nlohmann::json::parse(response.body, nullptr, false);
        FUZZ_CHECK(body.is_object() && body.contains("error") && body["error"].contains("code") &&
                       body["error"].contains("message"),
                   context);
    }
    return 0;
}
