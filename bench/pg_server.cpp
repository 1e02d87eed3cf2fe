#include "pg_server.hpp"

#include <chrono>
#include <fstream>
#include <map>

#include "child_process.hpp"
#include "store/postgres/pg_connection.hpp"

namespace forgelink::bench {

namespace {
store::pg::PgConnectOptions connectOptions(const std::string& conninfo, const std::string& password) {
    store::pg::PgConnectOptions o;
    o.conninfo = conninfo;
    o.password = password;
    o.application_name = "forgelink-bench";
    return o;
}
}  // namespace

PgServer::PgServer(std::filesystem::path script, std::filesystem::path work_dir)
    : script_(std::move(script)), work_dir_(std::move(work_dir)), state_(work_dir_ / "pg-state") {}

PgServer::~PgServer() { stop(); }

bool PgServer::ensureStarted() {
    if (started_) return true;
    if (tried_) return false;
    tried_ = true;
    if (!std::filesystem::exists(script_)) {
        error_ = script_.string() + " does not exist";
        return false;
    }
    const auto t0 = std::chrono::steady_clock::now();
    ChildProcess start({"/bin/bash", script_.string(), "start", state_.string()}, work_dir_ / "pg-start",
                       {"PG_TEST_DURABLE=1"});
    const auto code = start.wait(std::chrono::seconds(120));
    start_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (code != 0) {
        error_ = "scripts/pg-test-server start failed: " + start.stderrText().substr(0, 600);
        stop();
        return false;
    }
    std::ifstream in(state_);
    std::map<std::string, std::string> values;
    for (std::string line; std::getline(in, line);)
        if (auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
    url_ = values["url"];
    password_ = values["password"];
    started_ = !url_.empty();
    if (!started_) {
        error_ = "scripts/pg-test-server wrote no url to " + state_.string();
        stop();
    }
    return started_;
}

std::string PgServer::createDatabase(const std::string& name) {
    if (!ensureStarted()) return "";
    auto admin = store::pg::PgConnection::open(connectOptions(url_, password_));
    if (!admin.ok()) {
        error_ = admin.error().message;
        return "";
    }
    (void)admin.value()->exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    if (auto created = admin.value()->exec("CREATE DATABASE " + name); !created.ok()) {
        error_ = created.error().message;
        return "";
    }
    return url_ + " dbname=" + name;
}

void PgServer::stop() {
    if (!tried_ || !std::filesystem::exists(state_)) return;
    ChildProcess stopping({"/bin/bash", script_.string(), "stop", state_.string()}, work_dir_ / "pg-stop");
    stopping.wait(std::chrono::seconds(60));
    started_ = false;
}

}  // namespace forgelink::bench
