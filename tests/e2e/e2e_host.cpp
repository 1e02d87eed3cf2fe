#include "e2e_host.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace forgelink::e2e {

namespace {

std::string randomHex(std::size_t n) {
    std::random_device device;
    const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += digits[device() % 16];
    return out;
}

constexpr int kCannotListen = 4;  // `serve`'s exit code when the port is taken

}  // namespace

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "forgelink-e2e-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

int freeLoopbackPort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        close(fd);
        throw std::runtime_error("cannot bind a loopback port");
    }
    close(fd);
    return ntohs(address.sin_port);
}

test::RunResult runForgelink(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                             const std::vector<std::string>& unset) {
    return test::run(FORGELINK_BIN, args, env, unset);
}

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout, std::chrono::milliseconds every) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(every);
    }
}

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string scenarioPath(const std::string& name) { return std::string(E2E_SCENARIO_DIR) + "/" + name; }

int countRequests(const nlohmann::json& log, const std::string& method, const std::string& path_regex) {
    const std::regex pattern(path_regex);
    int n = 0;
    for (const auto& entry : log)
        if (entry.value("method", "") == method && std::regex_search(entry.value("path", ""), pattern)) ++n;
    return n;
}

Host::Host(HostOptions options) : options_(std::move(options)), admin_token_("e2e-admin-" + randomHex(32)) {
    if (options_.share_store_of != nullptr) {
        admin_token_ = options_.share_store_of->adminToken();
        options_.admin_tokens_in_env = options_.share_store_of->options_.admin_tokens_in_env;
    } else {
        // The key the way a new user makes it (scripts/run does the same on first start).
        auto keygen = runForgelink({"keygen", "--out", (dir_.path() / "secret.key").string()});
        if (keygen.exit_code != 0) throw std::runtime_error("forgelink keygen failed: " + keygen.err);
        if (!options_.admin_tokens_in_env) std::ofstream(dir_.path() / "admin-tokens") << admin_token_ << "\n";
    }
    port_ = freeLoopbackPort();
    writeConfig();
}

Host::~Host() {
    if (process_) killHard();
}

void Host::writeConfig() {
    std::ofstream yaml(dir_.path() / "forgelink.yaml");
    yaml << "server:\n  listen: 127.0.0.1:" << port_ << "\n  instance_id: " << options_.instance_id << "\n";
    if (!options_.limits_section.empty()) yaml << "  limits:\n" << options_.limits_section;
    if (!options_.postgres_url.empty())
        yaml << "store:\n  driver: postgres\n  url: \"" << options_.postgres_url << "\"\n  password_env: E2E_PG_PASSWORD\n";
    else
        yaml << "store:\n  driver: sqlite\n  path: " << databasePath().string() << "\n";
    yaml << "secrets:\n  key_file: " << keyPath().string() << "\n"
         << "plugins:\n  paths: [\"" << FORGELINK_PLUGIN_DIR << "\"]\n  required: [gitlab, github]\n";
    // forge-sim listens on 127.0.0.1, which the host refuses by default: allowed explicitly here.
    if (options_.allow_loopback_forges) {
        yaml << "providers:\n  gitlab:\n";
        if (!options_.gitlab_base_url.empty()) yaml << "    base_url: " << options_.gitlab_base_url << "\n";
        yaml << "    allowed_hosts: [127.0.0.1]\n  github:\n    allowed_hosts: [127.0.0.1]\n";
    } else if (!options_.gitlab_base_url.empty()) {
        yaml << "providers:\n  gitlab:\n    base_url: " << options_.gitlab_base_url << "\n";
    }
    if (!options_.forge_section.empty()) yaml << "forge:\n" << options_.forge_section;
    yaml << "feedback:\n  status_context: forgelink\n  comment: true\n";
    if (options_.build_timeout_seconds > 0) yaml << "  build_timeout_seconds: " << options_.build_timeout_seconds << "\n";
    yaml << options_.feedback_section;
    if (options_.allow_loopback_webhooks) yaml << "notifications:\n  allowed_hosts: [127.0.0.1]\n";
    if (options_.admin_tokens_in_env) yaml << "admin:\n  tokens_env: E2E_ADMIN_TOKENS\n";
    else yaml << "admin:\n  tokens_file: " << adminTokensPath().string() << "\n";
    yaml << "logging:\n  level: info\n";
}

void Host::start() {
    if (process_) throw std::runtime_error("serve is already running");
    std::map<std::string, std::string> env;
    if (options_.admin_tokens_in_env) env["E2E_ADMIN_TOKENS"] = admin_token_;
    if (!options_.postgres_url.empty()) env["E2E_PG_PASSWORD"] = options_.postgres_password;
    // Another test may take the port between our probe and serve's bind: then try another one.
    for (int attempt = 0; attempt < 3; ++attempt) {
        process_ = std::make_unique<test::Process>(
            FORGELINK_BIN, std::vector<std::string>{"serve", "--config", (dir_.path() / "forgelink.yaml").string()}, env,
            std::vector<std::string>{"FORGELINK_ADMIN_TOKEN"});
        std::optional<test::RunResult> exited;
        const bool up = waitUntil(
            [&] {
                if (sim::httpRequest("GET", baseUrl() + "/healthz", {}, "", 1000).status == 200) return true;
                exited = process_->finish(std::chrono::milliseconds(0));
                return exited.has_value();
            },
            std::chrono::seconds(20), std::chrono::milliseconds(20));
        if (up && !exited) return;
        if (!exited) {
            killHard();
            throw std::runtime_error("forgelink serve did not answer /healthz within 20 s:\n" + logs_);
        }
        process_.reset();
        logs_ += exited->out + exited->err;
        if (exited->exit_code != kCannotListen) {
            throw std::runtime_error("forgelink serve exited with " + std::to_string(exited->exit_code) + ":\n" +
                                     exited->out + exited->err);
        }
        port_ = freeLoopbackPort();
        writeConfig();
    }
    throw std::runtime_error("forgelink serve found no free port in 3 attempts:\n" + logs_);
}

int Host::stop() {
    if (!process_) return -1;
    process_->signal(SIGTERM);
    auto result = process_->finish(std::chrono::seconds(20));
    if (!result) {
        killHard();
        throw std::runtime_error("forgelink serve did not stop within 20 s of SIGTERM");
    }
    logs_ += result->out + result->err;  // the log on stdout, problems before the start on stderr
    process_.reset();
    return result->exit_code;
}

void Host::killHard() {
    if (!process_) return;
    process_->signal(SIGKILL);
    if (auto result = process_->finish(std::chrono::seconds(10))) logs_ += result->out + result->err;
    process_.reset();
}

ApiReply Host::call(const std::string& method, const std::string& path, const nlohmann::json& body,
                    const std::string& bearer) const {
    sim::Headers headers = {{"Authorization", "Bearer " + (bearer.empty() ? admin_token_ : bearer)}};
    std::string text;
    if (!body.is_null()) {
        text = body.dump();
        headers.emplace_back("Content-Type", "application/json");
    }
    auto reply = sim::httpRequest(method, baseUrl() + path, headers, text, 30000);
    ApiReply out;
    out.status = reply.status;
    out.text = reply.status == 0 ? reply.error : reply.body;
    if (!reply.body.empty()) out.body = nlohmann::json::parse(reply.body, nullptr, false);
    if (out.body.is_discarded()) out.body = nullptr;
    return out;
}

}  // namespace forgelink::e2e
