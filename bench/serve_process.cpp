#include "serve_process.hpp"

#include <fstream>
#include <random>
#include <thread>

#include "secrets/key_file.hpp"

namespace forgelink::bench {

namespace {
std::string randomHex(std::size_t n) {
    std::random_device device;
    std::string out;
    const char* digits = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i) out += digits[device() % 16];
    return out;
}
}  // namespace

std::optional<std::chrono::duration<double, std::milli>> waitFor200(const std::string& url,
                                                                   std::chrono::steady_clock::time_point since,
                                                                   std::chrono::milliseconds timeout,
                                                                   ChildProcess& process, std::string* body) {
    const auto until = since + timeout;
    while (std::chrono::steady_clock::now() < until) {
        auto reply = sim::httpRequest("GET", url, {}, "", 1000);
        if (reply.status == 200) {
            if (body != nullptr) *body = reply.body;
            return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since);
        }
        if (!process.running()) return std::nullopt;
        // Refused connections come back at once; a short pause keeps the poll from eating a core.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return std::nullopt;
}

ServeProcess::ServeProcess(const BenchContext& context, const std::filesystem::path& dir, ServeOptions options)
    : context_(context), options_(options), dir_(dir), admin_token_("bench-admin-" + randomHex(32)) {
    std::filesystem::create_directories(dir_);
    {
        // The key file as `forgelink keygen` writes it: one base64 key, readable by the owner only.
        const auto key_path = keyPath();
        if (options.share_with != nullptr) {
            std::filesystem::copy_file(options.share_with->keyPath(), key_path);
            admin_token_ = options.share_with->adminToken();
        } else {
            std::ofstream(key_path) << secrets::generateKey() << "\n";
        }
        std::filesystem::permissions(key_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::replace);
    }
    std::ofstream(dir_ / "admin-tokens") << admin_token_ << "\n";
    port_ = freeLoopbackPort();
    config_ = dir_ / "forgelink.yaml";
    std::ofstream yaml(config_);
    yaml << "server:\n  listen: 127.0.0.1:" << port_ << "\n  instance_id: bench\n"
         << (options.postgres_url.empty()
                 ? std::string("store:\n  driver: sqlite\n  path: forgelink.db\n")
                 : "store:\n  driver: postgres\n  url: \"" + options.postgres_url +
                       "\"\n  password_env: BENCH_PG_PASSWORD\n")
         << "secrets:\n  key_file: secret.key\n"
         << "plugins:\n  paths: [\"" << context_.pluginDir().string() << "\"]\n  required: [gitlab, github]\n"
         << "admin:\n  tokens_file: admin-tokens\n";
    if (!options.gitlab_base_url.empty())
        // forge-sim is on loopback, which serve refuses to reach unless allowed_hosts lists it.
        yaml << "providers:\n  gitlab:\n    base_url: " << options.gitlab_base_url
             << "\n    allowed_hosts: [127.0.0.1]\n";
    yaml << "feedback:\n  status_context: forgelink\n  comment: true\n"
         << "logging:\n  level: " << options.log_level << "\n";
}

ServeProcess::~ServeProcess() {
    if (child_) child_->stop();
}

std::optional<std::chrono::duration<double, std::milli>> ServeProcess::start(std::chrono::milliseconds timeout) {
    if (child_) child_->stop();
    const auto since = std::chrono::steady_clock::now();
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{context_.forgelink().string(), "serve", "--config", config_.string()},
        dir_ / ("serve-" + std::to_string(++starts_)),
        options_.postgres_url.empty() ? std::vector<std::string>{}
                                      : std::vector<std::string>{"BENCH_PG_PASSWORD=" + options_.postgres_password});
    auto took = waitFor200(baseUrl() + "/healthz", since, timeout, *child_, &health_body_);
    if (!took) {
        error_ = child_->running() ? "GET /healthz did not answer 200 in time"
                                   : "forgelink serve exited: " + child_->stderrText().substr(0, 600);
    }
    return took;
}

int ServeProcess::stop() {
    if (!child_) return 0;
    return child_->stop(std::chrono::milliseconds(15000));
}

sim::HttpResult ServeProcess::call(const std::string& method, const std::string& path, const nlohmann::json& body,
                                   int timeout_ms) const {
    sim::HttpConnection once(baseUrl(), false);
    return call(once, method, path, body, timeout_ms);
}

sim::HttpResult ServeProcess::call(sim::HttpConnection& connection, const std::string& method, const std::string& path,
                                   const nlohmann::json& body, int timeout_ms) const {
    sim::Headers headers = {{"Authorization", "Bearer " + admin_token_}};
    std::string text;
    if (!body.is_null()) {
        text = body.dump();
        headers.emplace_back("Content-Type", "application/json");
    }
    return connection.request(method, path, headers, text, timeout_ms);
}

}  // namespace forgelink::bench
