// The forgelink binary as a user meets it: exit codes, help, output shapes, serve's lifecycle.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "subprocess.hpp"

namespace forgelink::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kBin = FORGELINK_BIN;
const std::string kPluginDir = FORGELINK_TEST_PLUGIN_DIR;

bool havePlugin() { return fs::exists(fs::path(kPluginDir) / "libforgelink_example.so"); }

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "forgelink-cli-XXXXXX").string();
        path_ = mkdtemp(pattern.data());
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string write(const std::string& name, const std::string& text) const {
        fs::path p = path_ / name;
        std::ofstream(p) << text;
        return p.string();
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

struct HttpAnswer {
    int status = 0;
    std::string body;
};

// A minimal HTTP/1.1 GET over a raw socket; status 0 when nothing answered.
HttpAnswer httpGet(std::uint16_t port, const std::string& path, const std::string& bearer = "") {
    HttpAnswer answer;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return answer;
    }
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!bearer.empty()) request += "Authorization: Bearer " + bearer + "\r\n";
    request += "\r\n";
    (void)!send(fd, request.data(), request.size(), 0);
    std::string raw;
    char buffer[4096];
    for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) raw.append(buffer, static_cast<std::size_t>(n));
    close(fd);
    if (raw.rfind("HTTP/1.1 ", 0) != 0) return answer;
    answer.status = std::stoi(raw.substr(9, 3));
    auto body = raw.find("\r\n\r\n");
    if (body != std::string::npos) answer.body = raw.substr(body + 4);
    return answer;
}

// serve refuses to start without the secrets key the configuration names (FORGELINK_TEST_KEY).
const std::map<std::string, std::string> kServeEnv = {
    {"FORGELINK_TEST_KEY", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}};

std::string serveConfig(std::uint16_t port, const std::string& plugin_dir, const std::string& required = "[]") {
    return "server:\n  listen: 127.0.0.1:" + std::to_string(port) +
           "\nstore:\n  path: db\nsecrets:\n  key_env: FORGELINK_TEST_KEY\nplugins:\n  paths: [" + plugin_dir +
           "]\n  required: " + required + "\n";
}

TEST(Cli, VersionAndHelp) {
    auto version = run(kBin, {"--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.out.rfind("forgelink 0.", 0), 0u) << version.out;
    EXPECT_NE(version.out.find("plugin ABI 2"), std::string::npos);

    auto help = run(kBin, {"--help"});
    EXPECT_EQ(help.exit_code, 0);
    for (const char* command : {"serve", "plugins", "config check", "token check", "namespaces", "repos", "feedback"})
        EXPECT_NE(help.out.find(command), std::string::npos) << command;

    auto nothing = run(kBin, {});
    EXPECT_EQ(nothing.exit_code, 2);
    EXPECT_NE(nothing.err.find("Usage: forgelink COMMAND"), std::string::npos);
}

TEST(Cli, EverySubcommandHasHelpWithAnExample) {
    const std::vector<std::vector<std::string>> commands = {{"serve"},      {"plugins"}, {"config", "check"},
                                                            {"token", "check"}, {"namespaces"}, {"repos"},
                                                            {"feedback"}, {"keygen"}, {"rekey"}, {"migrate"},
                                                            {"store", "copy"}};
    for (auto words : commands) {
        std::string name = words[0] + (words.size() > 1 ? " " + words[1] : "");
        words.push_back("--help");
        auto r = run(kBin, words);
        EXPECT_EQ(r.exit_code, 0) << name;
        EXPECT_EQ(r.out.rfind("Usage: forgelink " + name, 0), 0u) << r.out;
        const auto example = r.out.find("Example:\n  forgelink ");
        EXPECT_NE(example, std::string::npos) << r.out;
        EXPECT_NE(r.out.find("  forgelink " + name + " ", example), std::string::npos) << r.out;
    }
}

TEST(Cli, UsageErrorsExitTwo) {
    auto unknown = run(kBin, {"sevre"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("unknown command 'sevre'; did you mean 'serve'?"), std::string::npos) << unknown.err;

    auto option = run(kBin, {"config", "check", "--confg", "x"});
    EXPECT_EQ(option.exit_code, 2);
    EXPECT_NE(option.err.find("forgelink config check: "), std::string::npos) << option.err;

    auto missing = run(kBin, {"config", "check"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("config"), std::string::npos);

    auto subcommand = run(kBin, {"token", "verify"});
    EXPECT_EQ(subcommand.exit_code, 2);
    EXPECT_NE(subcommand.err.find("unknown subcommand 'verify'"), std::string::npos);
}

TEST(Cli, ConfigCheckAcceptsTheExample) {
    auto r = run(kBin, {"config", "check", "--config", FORGELINK_EXAMPLE_CONFIG});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string("config OK: ") + FORGELINK_EXAMPLE_CONFIG + "\n");
}

TEST(Cli, ConfigCheckPrintsEveryProblemWithItsPosition) {
    TempDir dir;
    auto file = dir.write("bad.yaml", "server:\n  listen: 127.0.0.1:99999\nstore:\n  path: x\n  pth: y\n"
                                      "secrets:\n  key_env: K\nprovider: {}\n");
    auto r = run(kBin, {"config", "check", "--config", file});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find(file + ":2:11: 'server.listen': the port must be a number from 1 to 65535"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(file + ":5:3: unknown key 'store.pth'; did you mean 'path'?"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(file + ":8:1: unknown key 'provider'; did you mean 'providers'?"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("3 problems in " + file), std::string::npos) << r.err;

    auto absent = run(kBin, {"config", "check", "--config", (dir.path() / "none.yaml").string()});
    EXPECT_EQ(absent.exit_code, 1);
    EXPECT_NE(absent.err.find("cannot open the configuration file: no such file"), std::string::npos);
}

// Hostile YAML: a recursive alias made `config check` die with SIGSEGV, nested aliases ran for
// minutes. Both are refused at once with the alias's position.
TEST(Cli, ConfigCheckRefusesRecursiveAndExplodingAliases) {
    TempDir dir;
    auto recursive = dir.write("recursive.yaml", "a: &a\n  b: *a\n");
    auto r = run(kBin, {"config", "check", "--config", recursive});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(recursive + ":2:6: the alias '*a' refers to a node that contains it (a recursive alias)"),
              std::string::npos)
        << r.err;

    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
    for (int level = 1; level <= 8; ++level) {
        text += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
        for (int i = 0; i < 9; ++i) text += std::string(i ? ", " : "") + "*a" + std::to_string(level - 1);
        text += "]\n";
    }
    auto laughs = dir.write("laughs.yaml", text);
    const auto started = std::chrono::steady_clock::now();
    auto l = run(kBin, {"config", "check", "--config", laughs});
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    EXPECT_EQ(l.exit_code, 1) << l.err;
    EXPECT_NE(l.err.find(laughs + ":6:"), std::string::npos) << l.err;
    EXPECT_NE(l.err.find("expands to more than 100000 nodes"), std::string::npos) << l.err;

    auto directory = run(kBin, {"config", "check", "--config", dir.path().string()});
    EXPECT_EQ(directory.exit_code, 1);
    EXPECT_NE(directory.err.find("it is a directory"), std::string::npos) << directory.err;
}

TEST(Cli, TokensAreNeverAcceptedAsArguments) {
    for (auto args : std::vector<std::vector<std::string>>{
             {"token", "check", "--provider", "example", "--token", "glpat-SECRETVALUE"},
             {"repos", "--provider", "example", "--token=glpat-SECRETVALUE"}}) {
        auto r = run(kBin, args);
        EXPECT_EQ(r.exit_code, 2);
        EXPECT_NE(r.err.find("--token is refused"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("--token-env"), std::string::npos);
        EXPECT_EQ(r.err.find("SECRETVALUE"), std::string::npos) << "the refused token must not be echoed";
        EXPECT_EQ(r.out.find("SECRETVALUE"), std::string::npos);
    }
}

TEST(Cli, ServeAnswersHealthzAndStopsOnSigterm) {
    if (!havePlugin()) GTEST_SKIP() << "test plugin not built: " << kPluginDir;
    TempDir dir;
    const auto port = freePort();
    // A console directory without a built console: the API serves alone.
    std::string config = serveConfig(port, kPluginDir, "[example]");
    config.insert(config.find("\nstore:"), "\n  console_dir: no-console-here");
    auto file = dir.write("f.yaml", config);
    Process serve(kBin, {"serve", "--config", file}, kServeEnv);

    HttpAnswer health;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (health.status == 0 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        health = httpGet(port, "/healthz");
    }
    ASSERT_EQ(health.status, 200);
    auto body = json::parse(health.body);
    EXPECT_EQ(body["status"], "ok");
    EXPECT_EQ(body["plugins"], json::array({"example"}));

    auto missing = httpGet(port, "/api/v1/nope");
    EXPECT_EQ(missing.status, 404);
    auto error = json::parse(missing.body);
    EXPECT_EQ(error["error"]["code"], "not_found");
    EXPECT_NE(error["error"]["message"].get<std::string>().find("/api/v1/nope"), std::string::npos);
    // Every other path is the console's, which is not built here.
    auto console = httpGet(port, "/nope");
    EXPECT_EQ(console.status, 404);
    EXPECT_EQ(json::parse(console.body)["error"]["code"], "console_not_built");

    serve.signal(SIGTERM);
    auto result = serve.finish(std::chrono::seconds(5));
    ASSERT_TRUE(result.has_value()) << "serve did not exit within 5 s of SIGTERM";
    EXPECT_EQ(result->exit_code, 0) << result->err;
    // JSON lines on stdout (the journal's input under systemd), including the clean stop; every
    // line is one JSON object.
    EXPECT_NE(result->out.find("\"msg\":\"listening\""), std::string::npos) << result->out;
    EXPECT_NE(result->out.find("\"msg\":\"stopped\""), std::string::npos) << result->out;
    EXPECT_NE(result->out.find("the web console is not built"), std::string::npos) << result->out;
    EXPECT_EQ(result->err.find("\"msg\""), std::string::npos) << "no log line on stderr: " << result->err;
    std::istringstream lines(result->out);
    for (std::string line; std::getline(lines, line);) {
        auto parsed = json::parse(line, nullptr, false);
        ASSERT_TRUE(parsed.is_object()) << "not a JSON line: " << line;
        EXPECT_TRUE(parsed.contains("ts") && parsed.contains("level") && parsed.contains("msg")) << line;
    }
    EXPECT_EQ(httpGet(port, "/healthz").status, 0) << "still listening after exit";
}

TEST(Cli, ServeStopsOnSigintToo) {
    TempDir dir;
    const auto port = freePort();
    auto file = dir.write("f.yaml", serveConfig(port, dir.path().string()));
    Process serve(kBin, {"serve", "--config", file}, kServeEnv);
    HttpAnswer health;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (health.status == 0 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        health = httpGet(port, "/healthz");
    }
    ASSERT_EQ(health.status, 200);
    EXPECT_EQ(json::parse(health.body)["plugins"], json::array());
    serve.signal(SIGINT);
    auto result = serve.finish(std::chrono::seconds(5));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->exit_code, 0) << result->err;
}

TEST(Cli, ServeRefusesAnInvalidConfigAndMissingRequiredPlugins) {
    TempDir dir;
    auto bad = dir.write("bad.yaml", "server:\n  listen: nowhere\n");
    auto invalid = run(kBin, {"serve", "--config", bad});
    EXPECT_EQ(invalid.exit_code, 1);
    EXPECT_NE(invalid.err.find(bad + ":2:11: 'server.listen'"), std::string::npos) << invalid.err;
    EXPECT_NE(invalid.err.find(bad + ":1:1: missing required key 'store'"), std::string::npos) << invalid.err;

    auto file = dir.write("f.yaml", serveConfig(freePort(), dir.path().string(), "[nosuchforge]"));
    auto refused = run(kBin, {"serve", "--config", file});
    EXPECT_EQ(refused.exit_code, 3);
    EXPECT_NE(refused.err.find("required plugin 'nosuchforge' did not load"), std::string::npos) << refused.err;
}

TEST(Cli, ServeRefusesToStartWithoutTheSecretsKey) {
    TempDir dir;
    auto file = dir.write("f.yaml", serveConfig(freePort(), dir.path().string()));
    auto r = run(kBin, {"serve", "--config", file}, {}, {"FORGELINK_TEST_KEY"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("refusing to start without the secrets key"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("FORGELINK_TEST_KEY"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("forgelink keygen --out PATH"), std::string::npos) << r.err;

    // With a key file configured, the command to run names it, and it works as printed.
    const auto key = (dir.path() / "var" / "secret.key").string();
    auto with_file = dir.write("k.yaml", "server:\n  listen: 127.0.0.1:" + std::to_string(freePort()) +
                                             "\nstore:\n  path: db\nsecrets:\n  key_file: var/secret.key\nplugins:\n  paths: [" +
                                             dir.path().string() + "]\n");
    auto missing = run(kBin, {"serve", "--config", with_file});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("forgelink keygen --out " + key + "\n"), std::string::npos) << missing.err;
    EXPECT_EQ(missing.err.find("keygen FILE"), std::string::npos) << missing.err;
    auto made = run(kBin, {"keygen", "--out", key});
    EXPECT_EQ(made.exit_code, 0) << made.err;
}

TEST(Cli, ServeAndRekeyOnAnUnreachablePostgresSayWhichServerAndNeverThePassword) {
    TempDir dir;
    const std::string key = (dir.path() / "secret.key").string();
    ASSERT_EQ(run(kBin, {"keygen", "--out", key}).exit_code, 0);
    const std::string new_key = (dir.path() / "secret-2.key").string();
    ASSERT_EQ(run(kBin, {"keygen", "--out", new_key}).exit_code, 0);
    // Nothing listens on the port: the server is down, not misconfigured.
    const std::string url = "host=127.0.0.1 port=" + std::to_string(freePort()) + " dbname=forgelink user=forgelink";
    auto file = dir.write("pg.yaml", "server:\n  listen: 127.0.0.1:" + std::to_string(freePort()) +
                                         "\nstore:\n  driver: postgres\n  url: " + url +
                                         "\n  password_env: FORGELINK_TEST_PG_PASSWORD\nsecrets:\n  key_file: " + key + "\n");
    const std::map<std::string, std::string> env = {{"FORGELINK_TEST_PG_PASSWORD", "pw-never-printed-4711"}};
    auto served = run(kBin, {"serve", "--config", file}, env);
    EXPECT_EQ(served.exit_code, 4) << served.err;  // transient: the store is unavailable, retrying may help
    EXPECT_NE(served.err.find("forgelink serve: cannot open the store, PostgreSQL (" + url + "): "), std::string::npos)
        << served.err;
    EXPECT_NE(served.err.find("127.0.0.1"), std::string::npos) << served.err;
    auto rekeyed = run(kBin, {"rekey", "--config", file, "--new-key-file", new_key}, env);
    EXPECT_NE(rekeyed.exit_code, 0) << rekeyed.err;
    EXPECT_NE(rekeyed.err.find("forgelink rekey: "), std::string::npos) << rekeyed.err;
    for (const auto* r : {&served, &rekeyed}) {
        EXPECT_EQ(r->err.find("pw-never-printed-4711"), std::string::npos) << r->err;
        EXPECT_EQ(r->out.find("pw-never-printed-4711"), std::string::npos) << r->out;
        EXPECT_EQ(r->err.find("listening"), std::string::npos) << r->err;
    }
}

TEST(Cli, MigrateAppliesTheSchemaToASqliteFileOnceAndCheckSaysWhatIsMissing) {
    TempDir dir;
    const auto db = dir.path() / "var" / "forgelink.db";
    auto file = dir.write("m.yaml", "server:\n  listen: 127.0.0.1:1\nstore:\n  path: " + db.string() +
                                        "\nsecrets:\n  key_file: k\n");
    const std::string latest = "16";  // store/migrations.cpp's last version: a new one changes this test on purpose
    auto before = run(kBin, {"migrate", "--config", file, "--check"});
    EXPECT_EQ(before.exit_code, 1) << before.err;
    EXPECT_NE(before.out.find("SQLite at " + db.string() + ": schema version 0 of " + latest +
                              ": migrations 1 to " + latest + " are missing"),
              std::string::npos)
        << before.out;
    EXPECT_FALSE(fs::exists(db)) << "--check creates nothing";

    auto applied = run(kBin, {"migrate", "--config", file});
    EXPECT_EQ(applied.exit_code, 0) << applied.err;
    EXPECT_NE(applied.out.find("applied migrations 1 to " + latest + "; schema version " + latest), std::string::npos)
        << applied.out;
    EXPECT_TRUE(fs::is_regular_file(db));
    auto again = run(kBin, {"migrate", "--config", file});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("schema version " + latest + ", up to date; nothing applied"), std::string::npos) << again.out;
    auto after = run(kBin, {"migrate", "--config", file, "--check"});
    EXPECT_EQ(after.exit_code, 0) << after.err;
    EXPECT_NE(after.out.find("schema version " + latest + " of " + latest + ", up to date"), std::string::npos) << after.out;

    // A newer release migrated the file: refused, nothing changed.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
    for (const bool check : {false, true}) {
        std::vector<std::string> args = {"migrate", "--config", file};
        if (check) args.push_back("--check");
        auto newer = run(kBin, args);
        EXPECT_EQ(newer.exit_code, 3) << newer.out << newer.err;
        EXPECT_NE(newer.err.find("has schema version 99, newer than this forgelink knows (" + latest + ")"),
                  std::string::npos)
            << newer.err;
    }
}

TEST(Cli, MigrateSaysWhatIsWrongWithAPostgresStoreItCannotReach) {
    TempDir dir;
    auto file = dir.write("pg.yaml", "server:\n  listen: 127.0.0.1:1\nstore:\n  driver: postgres\n"
                                         "  url: host=127.0.0.1 port=" + std::to_string(freePort()) +
                                         " dbname=forgelink user=forgelink connect_timeout=5\n"
                                         "  password_env: FORGELINK_TEST_PG_PASSWORD\nsecrets:\n  key_file: k\n");
    auto unset = run(kBin, {"migrate", "--config", file}, {}, {"FORGELINK_TEST_PG_PASSWORD"});
    EXPECT_EQ(unset.exit_code, 1) << unset.err;
    EXPECT_NE(unset.err.find("FORGELINK_TEST_PG_PASSWORD"), std::string::npos) << unset.err;
    auto refused = run(kBin, {"migrate", "--config", file}, {{"FORGELINK_TEST_PG_PASSWORD", "s3cret-pw"}});
    EXPECT_EQ(refused.exit_code, 4) << refused.err;
    EXPECT_NE(refused.err.find("forgelink migrate: "), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("127.0.0.1"), std::string::npos) << refused.err;
    EXPECT_EQ(refused.err.find("s3cret-pw"), std::string::npos) << "never the password";
}

TEST(Cli, KeygenCreatesAMissingParentDirectoryPrivately) {
    TempDir dir;
    const auto parent = dir.path() / "var" / "keys";
    auto made = run(kBin, {"keygen", "--out", (parent / "secret.key").string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_TRUE(fs::is_regular_file(parent / "secret.key"));
    EXPECT_EQ(fs::status(parent).permissions() & fs::perms::all, fs::perms::owner_all);
    EXPECT_EQ(fs::status(parent / "secret.key").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
}

TEST(Cli, KeygenWritesAPrivateKeyFileOnceAndRekeyMovesTheStoreToIt) {
    TempDir dir;
    const auto key = (dir.path() / "k1").string();
    auto first = run(kBin, {"keygen", "--out", key});
    EXPECT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(first.out.rfind("wrote key ", 0), 0u) << first.out;
    EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::group_all,
              std::filesystem::perms::none);
    auto again = run(kBin, {"keygen", "--out", key});
    EXPECT_EQ(again.exit_code, 1) << again.err;

    const auto key2 = (dir.path() / "k2").string();
    ASSERT_EQ(run(kBin, {"keygen", "--out", key2}).exit_code, 0);
    auto file = dir.write("r.yaml", "server:\n  listen: 127.0.0.1:1\nstore:\n  path: db\nsecrets:\n  key_file: " + key + "\n");
    auto rekey = run(kBin, {"rekey", "--config", file, "--new-key-file", key2});
    EXPECT_EQ(rekey.exit_code, 0) << rekey.err;
    EXPECT_NE(rekey.out.find("re-sealed 0 secrets"), std::string::npos) << rekey.out;
    auto wrong = run(kBin, {"rekey", "--config", file, "--new-key-file", (dir.path() / "none").string()});
    EXPECT_NE(wrong.exit_code, 0);
}

TEST(Cli, PluginsJsonListsTheTestPlugin) {
    if (!havePlugin()) GTEST_SKIP() << "test plugin not built: " << kPluginDir;
    auto r = run(kBin, {"plugins", "--plugin-path", kPluginDir, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto out = json::parse(r.out);
    ASSERT_EQ(out["plugins"].size(), 1u);
    const auto& p = out["plugins"][0];
    EXPECT_EQ(p["name"], "example");
    EXPECT_EQ(p["version"], "1.0.0");
    EXPECT_EQ(p["abi_version"], 2);
    EXPECT_EQ(p["capabilities"], json::array({"token_validation"}));
    EXPECT_EQ(fs::path(p["path"].get<std::string>()).filename(), "libforgelink_example.so");
    EXPECT_EQ(out["refused"], json::array());
    EXPECT_EQ(out["searched"], json::array({kPluginDir}));

    auto text = run(kBin, {"plugins", "--plugin-path", kPluginDir});
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_EQ(text.out.rfind("example 1.0.0  ABI 2  capabilities: token_validation\n", 0), 0u) << text.out;
}

TEST(Cli, PluginsReportsRefusalsWithExitThree) {
    TempDir dir;
    auto junk = dir.write("libjunk.so", "not an ELF file");
    auto r = run(kBin, {"plugins", "--plugin-path", dir.path().string(), "--json"});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    auto out = json::parse(r.out);
    EXPECT_EQ(out["plugins"], json::array());
    ASSERT_EQ(out["refused"].size(), 1u);
    EXPECT_NE(out["refused"][0]["message"].get<std::string>().find("libjunk.so"), std::string::npos);

    auto text = run(kBin, {"plugins", "--plugin-path", dir.path().string()});
    EXPECT_EQ(text.exit_code, 3);
    EXPECT_NE(text.err.find("refused: "), std::string::npos) << text.err;
}

class TokenCheck : public ::testing::Test {
protected:
    void SetUp() override {
        if (!havePlugin()) GTEST_SKIP() << "test plugin not built: " << kPluginDir;
    }
    std::vector<std::string> args(std::vector<std::string> extra) {
        std::vector<std::string> a = {"token", "check", "--provider", "example", "--base-url",
                                      "https://forge.example", "--plugin-path", kPluginDir};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
};

TEST_F(TokenCheck, AcceptedTokenFromEnvironment) {
    auto r = run(kBin, args({"--token-env", "FL_TEST_TOKEN", "--json"}), {{"FL_TEST_TOKEN", "good-token"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto out = json::parse(r.out);
    EXPECT_EQ(out["ok"], true);
    EXPECT_EQ(out["provider"], "example");
    EXPECT_EQ(out["token"]["identity"]["username"], "example-user");
    EXPECT_EQ(out["token"]["kind"], "personal");
    EXPECT_EQ(out["token"]["scopes"], json::array({"api"}));
    EXPECT_TRUE(out["token"].contains("days_left")) << "the REST API's field name";
    EXPECT_FALSE(out["token"].contains("days_until_expiry"));
    EXPECT_EQ(r.out.find("good-token"), std::string::npos);

    auto text = run(kBin, args({"--token-env", "FL_TEST_TOKEN"}), {{"FL_TEST_TOKEN", "good-token"}});
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_EQ(text.out.rfind("token accepted by example at https://forge.example\n", 0), 0u) << text.out;
}

TEST_F(TokenCheck, AcceptedTokenFromFile) {
    TempDir dir;
    auto file = dir.write("token", "good-token\n");
    auto r = run(kBin, args({"--token-file", file}));
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(TokenCheck, RefusedTokenExitsThreeWithTheErrorShape) {
    auto r = run(kBin, args({"--token-env", "FL_TEST_TOKEN", "--json"}), {{"FL_TEST_TOKEN", "wrong-token"}});
    EXPECT_EQ(r.exit_code, 3);
    auto out = json::parse(r.out);
    EXPECT_EQ(out["ok"], false);
    EXPECT_EQ(out["error"]["kind"], "unauthorized");
    EXPECT_EQ(out["error"]["code"], "token_unknown");
    EXPECT_TRUE(out["error"].contains("missing_scopes"));
    EXPECT_EQ(r.out.find("wrong-token"), std::string::npos);

    auto text = run(kBin, args({"--token-env", "FL_TEST_TOKEN"}), {{"FL_TEST_TOKEN", "wrong-token"}});
    EXPECT_EQ(text.exit_code, 3);
    EXPECT_NE(text.err.find("example: unauthorized (token_unknown): "), std::string::npos) << text.err;
}

TEST_F(TokenCheck, MissingTokenSourcesAreInputOrUsageErrors) {
    auto unset = run(kBin, args({"--token-env", "FL_TEST_TOKEN_UNSET"}), {}, {"FL_TEST_TOKEN_UNSET"});
    EXPECT_EQ(unset.exit_code, 1);
    EXPECT_NE(unset.err.find("environment variable FL_TEST_TOKEN_UNSET is not set"), std::string::npos) << unset.err;

    auto neither = run(kBin, args({}));
    EXPECT_EQ(neither.exit_code, 2);
    EXPECT_NE(neither.err.find("exactly one of --token-env VAR and --token-file PATH"), std::string::npos);

    auto both = run(kBin, args({"--token-env", "A", "--token-file", "b"}));
    EXPECT_EQ(both.exit_code, 2);

    auto no_file = run(kBin, args({"--token-file", "/nonexistent/token"}));
    EXPECT_EQ(no_file.exit_code, 1);
    EXPECT_NE(no_file.err.find("/nonexistent/token: cannot read"), std::string::npos) << no_file.err;
}

// A token with LF or ESC reached the plugin (and the forge's headers); now it is refused first.
TEST_F(TokenCheck, TokensWithControlCharactersAreRefusedWithoutEchoingThem) {
    for (const std::string token : {"good-token\nX-Evil: SECRETPART", "good\x1b[2JSECRETPART", "good SECRETPART"}) {
        auto r = run(kBin, args({"--token-env", "FL_TEST_TOKEN"}), {{"FL_TEST_TOKEN", token}});
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_NE(r.err.find("environment variable FL_TEST_TOKEN: the token must be 1 to 4096 printable ASCII"),
                  std::string::npos)
            << r.err;
        EXPECT_EQ(r.err.find("SECRETPART"), std::string::npos);
        EXPECT_EQ(r.out.find("SECRETPART"), std::string::npos);
    }
    TempDir dir;
    auto file = dir.write("token", "good-token\r\nX-Evil: 1\n");
    auto r = run(kBin, args({"--token-file", file, "--json"}));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(json::parse(r.out)["error"]["code"], "token_invalid");
    // Surrounding whitespace (a final newline) is still trimmed, as from a file.
    EXPECT_EQ(run(kBin, args({"--token-env", "FL_TEST_TOKEN"}), {{"FL_TEST_TOKEN", "good-token\n"}}).exit_code, 0);
}

TEST_F(TokenCheck, UnknownProviderAndMissingBaseUrl) {
    auto r = run(kBin, {"token", "check", "--provider", "nosuchforge", "--base-url", "https://f.example",
                        "--plugin-path", kPluginDir, "--token-env", "T"},
                 {{"T", "good-token"}});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no plugin provides 'nosuchforge'; loaded: example"), std::string::npos) << r.err;

    auto no_url = run(kBin, {"token", "check", "--provider", "example", "--token-env", "T"}, {{"T", "good-token"}});
    EXPECT_EQ(no_url.exit_code, 2);
    EXPECT_NE(no_url.err.find("--base-url is required"), std::string::npos) << no_url.err;
}

TEST_F(TokenCheck, BaseUrlAndPluginPathsCanComeFromTheConfig) {
    TempDir dir;
    auto file = dir.write("f.yaml", "server:\n  listen: 127.0.0.1:1\nstore:\n  path: db\nsecrets:\n  key_env: K\n"
                                    "plugins:\n  paths: [" + kPluginDir + "]\n"
                                    "providers:\n  example:\n    base_url: https://configured.example\n");
    auto r = run(kBin, {"token", "check", "--provider", "example", "--config", file, "--token-env", "T", "--json"},
                 {{"T", "good-token"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["token"]["instance"], "https://configured.example");
}

TEST_F(TokenCheck, CapabilitiesThePluginLacksAreUnsupported) {
    auto r = run(kBin, {"namespaces", "--provider", "example", "--base-url", "https://forge.example", "--plugin-path",
                        kPluginDir, "--token-env", "T", "--json"},
                 {{"T", "good-token"}});
    EXPECT_EQ(r.exit_code, 3);
    auto out = json::parse(r.out);
    EXPECT_EQ(out["error"]["kind"], "unsupported");

    auto feedback = run(kBin, {"feedback", "--provider", "example", "--base-url", "https://forge.example",
                               "--plugin-path", kPluginDir, "--token-env", "T", "--repo", "g/p", "--sha", "abc",
                               "--state", "accepted"},
                        {{"T", "good-token"}});
    EXPECT_EQ(feedback.exit_code, 3);
    EXPECT_NE(feedback.err.find("does not declare commit statuses"), std::string::npos) << feedback.err;
}

TEST(Cli, FeedbackValidatesItsArgumentsBeforeCallingAnything) {
    auto state = run(kBin, {"feedback", "--provider", "x", "--base-url", "https://f.example", "--token-env", "T",
                            "--repo", "g/p", "--sha", "abc", "--state", "green"});
    EXPECT_EQ(state.exit_code, 2);
    EXPECT_NE(state.err.find("unknown build state 'green'; expected one of: queued"), std::string::npos) << state.err;

    auto mr = run(kBin, {"feedback", "--provider", "x", "--base-url", "https://f.example", "--token-env", "T",
                         "--repo", "g/p", "--sha", "abc", "--state", "accepted", "--mr", "4"});
    EXPECT_EQ(mr.exit_code, 2);
    EXPECT_NE(mr.err.find("--mr only says where to comment"), std::string::npos);

    auto role = run(kBin, {"repos", "--provider", "x", "--token-env", "T", "--min-role", "owner"});
    EXPECT_EQ(role.exit_code, 2);
    EXPECT_NE(role.err.find("unknown role 'owner'"), std::string::npos);
}

TEST(Cli, ServeExitsFourWhenItCannotListen) {
    TempDir dir;
    // Hold a listening socket on the port so serve's bind fails.
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(fd, 1), 0);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    auto file = dir.write("f.yaml", serveConfig(ntohs(addr.sin_port), dir.path().string()));
    auto r = run(kBin, {"serve", "--config", file}, kServeEnv);
    close(fd);
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.out.find("\"msg\":\"cannot listen\""), std::string::npos) << r.out;
}

// The service manager's side of sd_notify: a datagram socket the test listens on, named to serve
// in NOTIFY_SOCKET, as systemd does for a Type=notify unit.
class NotifySocket {
public:
    explicit NotifySocket(const fs::path& path) : path_(path) {
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind " + path.string());
    }
    ~NotifySocket() { close(fd_); }
    // The next message, or "" when none comes within `timeout`.
    std::string next(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
        char buffer[4096];
        const auto n = recv(fd_, buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
    int fd_ = -1;
};

TEST(Cli, ServeNotifiesSystemdAndReloadsOnSighup) {
#ifndef FORGELINK_HAVE_SYSTEMD
    GTEST_SKIP() << "built without libsystemd (FORGELINK_WITH_SYSTEMD / libsystemd-dev)";
#endif
    TempDir dir;
    const auto port = freePort();
    const std::string token_a = "admin-token-aaaaaaaaaaaaaaaaaaaaaaaa";
    const std::string token_b = "admin-token-bbbbbbbbbbbbbbbbbbbbbbbb";
    dir.write("admin-tokens", token_a + "\n");
    const std::string base = serveConfig(port, dir.path().string()) + "admin:\n  tokens_file: admin-tokens\n";
    auto file = dir.write("f.yaml", base + "logging:\n  level: warn\n");
    NotifySocket notify(dir.path() / "notify.sock");
    auto env = kServeEnv;
    env["NOTIFY_SOCKET"] = notify.path().string();
    Process serve(kBin, {"serve", "--config", file}, env);

    // READY=1 comes only once the server answers.
    const std::string ready = notify.next(std::chrono::seconds(15));
    ASSERT_EQ(ready.rfind("READY=1\n", 0), 0u) << ready;
    EXPECT_NE(ready.find("STATUS=serving on http://127.0.0.1:" + std::to_string(port)), std::string::npos) << ready;
    EXPECT_EQ(httpGet(port, "/healthz").status, 200);
    EXPECT_EQ(httpGet(port, "/metrics", token_a).status, 200);
    EXPECT_EQ(httpGet(port, "/metrics", token_b).status, 401);

    // The operator rotates the admin token, turns on debug logs and moves the port: the first two
    // apply at once, the third waits for a restart (and is said so).
    dir.write("admin-tokens", token_b + "\n");
    const auto other_port = freePort();
    std::string changed = base + "logging:\n  level: debug\n";
    changed.replace(changed.find(std::to_string(port)), std::to_string(port).size(), std::to_string(other_port));
    dir.write("f.yaml", changed);
    serve.signal(SIGHUP);
    EXPECT_EQ(notify.next(std::chrono::seconds(10)).rfind("RELOADING=1", 0), 0u);
    EXPECT_EQ(notify.next(std::chrono::seconds(10)).rfind("READY=1", 0), 0u);
    EXPECT_EQ(httpGet(port, "/metrics", token_b).status, 200) << "the new admin token works without a restart";
    EXPECT_EQ(httpGet(port, "/metrics", token_a).status, 401) << "the old admin token no longer works";

    // An invalid file changes nothing: the host keeps serving with what it had.
    dir.write("f.yaml", base + "logging:\n  level: loud\n  colour: yes\n");
    serve.signal(SIGHUP);
    EXPECT_EQ(notify.next(std::chrono::seconds(10)).rfind("RELOADING=1", 0), 0u);
    EXPECT_EQ(notify.next(std::chrono::seconds(10)).rfind("READY=1", 0), 0u);
    EXPECT_EQ(httpGet(port, "/metrics", token_b).status, 200);

    serve.signal(SIGTERM);
    EXPECT_EQ(notify.next(std::chrono::seconds(10)).rfind("STOPPING=1", 0), 0u);
    auto result = serve.finish(std::chrono::seconds(10));
    ASSERT_TRUE(result.has_value()) << "serve did not stop within 10 s of SIGTERM";
    EXPECT_EQ(result->exit_code, 0) << result->err;
    const std::string& log = result->out;
    // At warn, the start's info lines were not written; after the reload to debug, info lines are.
    EXPECT_EQ(log.find("\"msg\":\"listening\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"msg\":\"configuration reloaded\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"logging.level\":\"warn -> debug\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"keys\":\"server.listen\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"msg\":\"the configuration is invalid; nothing changed"), std::string::npos) << log;
    EXPECT_NE(log.find("\"msg\":\"stopped\""), std::string::npos) << log;
    EXPECT_EQ(log.find(token_a), std::string::npos);
    EXPECT_EQ(log.find(token_b), std::string::npos);
}

TEST(Cli, ServeWritesReadableLinesWithLogFormatText) {
    TempDir dir;
    const auto port = freePort();
    auto file = dir.write("f.yaml", serveConfig(port, dir.path().string()));
    Process serve(kBin, {"serve", "--config", file, "--log-format", "text"}, kServeEnv);
    HttpAnswer health;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (health.status == 0 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        health = httpGet(port, "/healthz");
    }
    ASSERT_EQ(health.status, 200);
    serve.signal(SIGTERM);
    auto result = serve.finish(std::chrono::seconds(5));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->exit_code, 0) << result->err;
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    EXPECT_NE(result->out.find(" info  host: listening url=" + url + "\n"), std::string::npos) << result->out;
    EXPECT_NE(result->out.find(" info  host: stopped\n"), std::string::npos) << result->out;
    EXPECT_EQ(result->out.find("{\""), std::string::npos) << "no JSON with --log-format text: " << result->out;

    auto bad = run(kBin, {"serve", "--config", file, "--log-format", "xml"}, kServeEnv);
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find("--log-format 'xml' is not a log format; expected json or text"), std::string::npos)
        << bad.err;
}

// The provider verbs end to end against the "paging" test double.
class ProviderVerbs : public ::testing::Test {
protected:
    std::vector<std::string> args(const std::string& command, std::vector<std::string> extra) {
        std::vector<std::string> a = {command, "--provider", "paging", "--base-url", "https://forge.example",
                                      "--plugin-path", FORGELINK_PAGING_PLUGIN_DIR, "--token-env", "FL_TOKEN"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    RunResult call(const std::string& command, std::vector<std::string> extra, const std::string& token = "good-token") {
        return run(kBin, args(command, std::move(extra)), {{"FL_TOKEN", token}});
    }
};

TEST_F(ProviderVerbs, ReposFollowsEveryPageAndReportsProgress) {
    auto r = call("repos", {"--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto out = json::parse(r.out);
    EXPECT_EQ(out["count"], 4);  // gamma/five is read-only, below the default min role (write)
    std::vector<std::string> paths;
    for (const auto& repo : out["repositories"]) paths.push_back(repo["full_path"]);
    EXPECT_EQ(paths, (std::vector<std::string>{"alpha/one", "alpha/two", "beta/three", "beta/four"}));
    EXPECT_EQ(out["repositories"][0]["role"], "maintain");
    // The REST API's field names (docs/openapi.yaml Repository), one vocabulary for both.
    EXPECT_EQ(out["repositories"][0]["namespace"], "alpha") << out.dump();
    EXPECT_FALSE(out["repositories"][0].contains("namespace_path")) << out.dump();
    EXPECT_NE(r.err.find("repos: 2 fetched of 4\nrepos: 4 fetched of 4\n"), std::string::npos) << r.err;

    auto all = call("repos", {"--min-role", "read"});
    EXPECT_EQ(all.exit_code, 0);
    EXPECT_NE(all.out.find("gamma/five  read  private"), std::string::npos) << all.out;
    EXPECT_NE(all.err.find("repos: 5 fetched of 5"), std::string::npos) << all.err;

    auto beta = call("repos", {"--namespace", "beta", "--search", "fo", "--json"});
    EXPECT_EQ(json::parse(beta.out)["repositories"][0]["full_path"], "beta/four");
    EXPECT_EQ(json::parse(beta.out)["count"], 1);
}

TEST_F(ProviderVerbs, NamespacesFollowsEveryPage) {
    auto r = call("namespaces", {"--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto out = json::parse(r.out);
    ASSERT_EQ(out["count"], 3);
    EXPECT_EQ(out["namespaces"][2]["full_path"], "gamma");
    auto text = call("namespaces", {"--search", "et"});
    EXPECT_EQ(text.out, "beta  (group)  beta\n");
}

TEST_F(ProviderVerbs, RefusedTokenStopsAListingWithExitThree) {
    auto r = call("repos", {"--json"}, "bad-token");
    EXPECT_EQ(r.exit_code, 3);
    auto out = json::parse(r.out);
    EXPECT_EQ(out["error"]["kind"], "unauthorized");
    EXPECT_EQ(out["fetched"], 0);
}

// Issue 22 point 5: a forge that keeps paging made `forgelink repos` run until killed. A listing
// is bounded in items and pages (forge.max_listing_items / max_listing_pages): past either it ends
// with listing_too_long, what came before stays printed, the page that would pass is not.
TEST_F(ProviderVerbs, ListingsStopAtTheirBoundsWithAClearError) {
    TempDir dir;
    auto config = [&](const std::string& forge) {
        return dir.write("bounds.yaml", "server:\n  listen: 127.0.0.1:1\nstore:\n  path: db\nsecrets:\n  key_env: K\n"
                                        "forge:\n" + forge);
    };
    auto items = call("repos", {"--config", config("  max_listing_items: 3\n"), "--min-role", "read"});
    EXPECT_EQ(items.exit_code, 1) << items.err;
    EXPECT_EQ(items.out, "alpha/one  maintain  private  \nalpha/two  maintain  private  \n") << items.out;
    EXPECT_NE(items.err.find("listing_too_long"), std::string::npos) << items.err;
    EXPECT_NE(items.err.find("the repository listing of provider paging has more than 3 items "
                             "(forge.max_listing_items); it stopped there, after 1 page and 2 items. "
                             "Narrow it (--namespace or --search)"),
              std::string::npos)
        << items.err;

    auto pages = call("repos", {"--config", config("  max_listing_pages: 2\n"), "--min-role", "read", "--json"});
    EXPECT_EQ(pages.exit_code, 1) << pages.err;
    auto out = json::parse(pages.out);
    EXPECT_EQ(out["ok"], false);
    EXPECT_EQ(out["error"]["code"], "listing_too_long");
    EXPECT_EQ(out["fetched"], 4);
    EXPECT_NE(out["error"]["message"].get<std::string>().find("more than 2 pages (forge.max_listing_pages)"),
              std::string::npos)
        << pages.out;

    auto namespaces = call("namespaces", {"--config", config("  max_listing_pages: 1\n"), "--json"});
    EXPECT_EQ(namespaces.exit_code, 1) << namespaces.err;
    EXPECT_EQ(json::parse(namespaces.out)["error"]["code"], "listing_too_long") << namespaces.out;
    // Within the bounds nothing changes.
    EXPECT_EQ(call("repos", {"--config", config("  max_listing_items: 5\n  max_listing_pages: 3\n"), "--min-role",
                             "read"})
                  .exit_code,
              0);
}

// Issue 22 point 5: every command but serve has an overall deadline, with its own exit code.
TEST(Cli, EveryCommandEndsWithinItsDeadline) {
    // A server that accepts connections (the kernel completes them) and never answers.
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(fd, 16), 0);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const std::string silent = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

    const auto started = std::chrono::steady_clock::now();
    auto admin = run(kBin, {"admin", "teams", "list", "--host", silent, "--deadline", "1"},
                     {{"FORGELINK_ADMIN_TOKEN", "t"}});
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(admin.exit_code, 5) << admin.err;
    EXPECT_NE(admin.err.find("forgelink admin teams list: stopped: the command's deadline of 1 s passed before it "
                             "finished (--deadline SECONDS sets it)"),
              std::string::npos)
        << admin.err;
    EXPECT_LT(took, std::chrono::seconds(10));

    auto json_out = run(kBin, {"admin", "builds", "list", "--project", "1", "--host", silent, "--deadline", "1", "--json"},
                        {{"FORGELINK_ADMIN_TOKEN", "t"}});
    EXPECT_EQ(json_out.exit_code, 5) << json_out.err << json_out.out;
    auto parsed = json::parse(json_out.out, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << json_out.out;
    EXPECT_EQ(parsed["error"]["code"], "deadline_exceeded") << json_out.out;
    close(fd);

    auto bad = run(kBin, {"admin", "teams", "list", "--deadline", "soon"});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    auto help = run(kBin, {"repos", "--help"});
    EXPECT_NE(help.out.find("--deadline SECONDS"), std::string::npos) << help.out;
    EXPECT_EQ(run(kBin, {"serve", "--help"}).out.find("--deadline"), std::string::npos);
}

TEST_F(ProviderVerbs, FeedbackPublishesTheStatusAndCommentsOnFoundMergeRequests) {
    TempDir dir;
    auto body = dir.write("body.md", "Build **accepted**\n");
    auto r = call("feedback", {"--repo", "g/p", "--sha", "abc", "--state", "accepted", "--comment-file", body, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto out = json::parse(r.out);
    EXPECT_EQ(out["ok"], true);
    EXPECT_EQ(out["status"]["forge_state"], "accepted@forgelink");
    EXPECT_EQ(out["status"]["status_id"], "s-abc");
    ASSERT_EQ(out["comments"].size(), 2u);
    EXPECT_EQ(out["comments"][0]["merge_request"], "7");
    EXPECT_EQ(out["comments"][0]["action"], "created");
    EXPECT_EQ(out["comments"][0]["comment_id"], "<!-- forgelink:instance=cli -->#7");
    EXPECT_EQ(out["comments"][1]["merge_request"], "9");
}

TEST_F(ProviderVerbs, FeedbackTakesContextAndInstanceIdFromTheConfig) {
    TempDir dir;
    auto body = dir.write("body.md", "hello");
    auto file = dir.write("f.yaml", "server:\n  listen: 127.0.0.1:1\n  instance_id: ci-main\nstore:\n  path: db\n"
                                    "secrets:\n  key_env: K\nfeedback:\n  status_context: ci/forgelink\n");
    auto r = call("feedback", {"--config", file, "--repo", "g/p", "--sha", "abc", "--state", "errored",
                               "--comment-file", body, "--mr", "5", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto out = json::parse(r.out);
    EXPECT_EQ(out["status"]["forge_state"], "errored@ci/forgelink");
    ASSERT_EQ(out["comments"].size(), 1u);
    EXPECT_EQ(out["comments"][0]["comment_id"], "<!-- forgelink:instance=ci-main -->#5");
}

TEST_F(ProviderVerbs, FeedbackExitCodeIsTheWorstOutcome) {
    TempDir dir;
    auto body = dir.write("body.md", "x");
    auto r = call("feedback", {"--repo", "g/p", "--sha", "abc", "--state", "rejected", "--comment-file", body,
                               "--mr", "5", "--mr", "13", "--json"});
    EXPECT_EQ(r.exit_code, 3) << r.out;
    auto out = json::parse(r.out);
    EXPECT_EQ(out["ok"], false);
    EXPECT_EQ(out["comments"][0]["ok"], true);
    EXPECT_EQ(out["comments"][1]["ok"], false);
    EXPECT_EQ(out["comments"][1]["error"]["kind"], "forbidden");

    auto missing = call("feedback", {"--repo", "missing/repo", "--sha", "abc", "--state", "queued"});
    EXPECT_EQ(missing.exit_code, 3);
    EXPECT_NE(missing.err.find("paging: not_found (repository_not_found): repository missing/repo not found"),
              std::string::npos)
        << missing.err;

    auto text = call("feedback", {"--repo", "g/p", "--sha", "none", "--state", "queued", "--comment-file", body});
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.out.find("no open merge request has this commit"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace forgelink::test

namespace forgelink::test {
namespace {

// `forgelink admin` without a server: the verb table, per-verb help, usage errors, --host.
RunResult admin(std::vector<std::string> words, std::map<std::string, std::string> env = {},
                std::vector<std::string> unset = {}) {
    words.insert(words.begin(), "admin");
    if (!env.count("FORGELINK_ADMIN_TOKEN")) env["FORGELINK_ADMIN_TOKEN"] = "cli-test-admin-token";
    if (!env.count("FORGELINK_HOST")) unset.push_back("FORGELINK_HOST");
    return run(kBin, words, env, unset);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(AdminCli, EveryFlowOfTheApiHasAVerbWithItsOwnHelpAndARealExample) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> verbs = {
        {"teams", {"list", "show", "create", "delete"}},
        {"members", {"list", "add", "remove", "role"}},
        {"providers", {"list", "show", "save", "remove", "check", "rotation", "rotate"}},
        {"namespaces", {"list"}},
        {"repositories", {"list"}},
        {"projects", {"list", "show", "create", "connect", "disconnect", "delete"}},
        {"builds", {"list", "show", "create", "update"}},
        {"notices", {"list"}},
        {"notifications", {"show", "set", "remove"}}};
    for (const auto& [resource, names] : verbs)
        for (const auto& verb : names) {
            auto help = admin({resource, verb, "--help"});
            const std::string name = "admin " + resource + " " + verb;
            EXPECT_EQ(help.exit_code, 0) << name << help.err;
            EXPECT_EQ(help.out.rfind("Usage: forgelink " + name, 0), 0u) << help.out;
            EXPECT_TRUE(has(help.out, "Example:\n  forgelink " + name) || has(help.out, " forgelink " + name + " "))
                << help.out;
            EXPECT_TRUE(has(help.out, "--host")) << help.out;
            EXPECT_TRUE(has(help.out, "--json")) << help.out;
        }
    auto overview = admin({"--help"});
    EXPECT_EQ(overview.exit_code, 0);
    for (const char* line : {"namespaces list", "builds update", "members role", "providers check", "repositories list"})
        EXPECT_TRUE(has(overview.out, line)) << line << "\n" << overview.out;
    // Token rotation (issue 17) has its verbs now that the API has the endpoints.
    for (const char* line : {"providers rotation", "providers rotate"})
        EXPECT_TRUE(has(overview.out, line)) << line << "\n" << overview.out;
}

TEST(AdminCli, VerbHelpShowsOnlyThatVerbsOptionsEachDescribed) {
    auto create = admin({"teams", "create", "--help"});
    ASSERT_EQ(create.exit_code, 0) << create.err;
    EXPECT_TRUE(has(create.out, "--slug SLUG")) << create.out;
    EXPECT_TRUE(has(create.out, "(required)")) << create.out;
    EXPECT_TRUE(has(create.out, "--name NAME")) << create.out;
    EXPECT_TRUE(has(create.out, "the name people see")) << create.out;
    for (const char* other : {"--provider", "--token-env", "--commit", "--project", "--team "})
        EXPECT_FALSE(has(create.out, other)) << other << "\n" << create.out;

    auto update = admin({"builds", "update", "--help"});
    ASSERT_EQ(update.exit_code, 0);
    EXPECT_TRUE(has(update.out, "--state STATE")) << update.out;
    EXPECT_TRUE(has(update.out, "changes_detected")) << update.out;
    EXPECT_FALSE(has(update.out, "--branch")) << update.out;
}

TEST(AdminCli, MembersAddTakesAUsernameOrAUserIdNotBoth) {
    auto help = admin({"members", "add", "--help"});
    ASSERT_EQ(help.exit_code, 0) << help.err;
    EXPECT_TRUE(has(help.out, "--username NAME")) << help.out;
    EXPECT_TRUE(has(help.out, "--provider PROVIDER")) << help.out;
    EXPECT_TRUE(has(help.out, "--user-id ID")) << help.out;
    auto both = admin({"members", "add", "--team", "docs", "--username", "sam", "--user-id", "2", "--role", "member",
                       "--host", "http://127.0.0.1:9"});
    EXPECT_EQ(both.exit_code, 2) << both.err;
    EXPECT_TRUE(has(both.err, "give exactly one of --username NAME and --user-id ID")) << both.err;
    auto stray = admin({"members", "add", "--team", "docs", "--user-id", "2", "--provider", "gitlab", "--role",
                        "member", "--host", "http://127.0.0.1:9"});
    EXPECT_EQ(stray.exit_code, 2) << stray.err;
    EXPECT_TRUE(has(stray.err, "--provider goes with --username")) << stray.err;
}

TEST(AdminCli, AnOptionThatDoesNotApplyToTheVerbIsAUsageError) {
    auto wrong = admin({"teams", "create", "--slug", "docs", "--provider", "gitlab"});
    EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
    EXPECT_TRUE(has(wrong.err, "--provider")) << wrong.err;
    EXPECT_TRUE(has(wrong.err, "forgelink admin teams create --help")) << wrong.err;
    auto stray = admin({"teams", "list", "docs"});
    EXPECT_EQ(stray.exit_code, 2) << stray.err;
    EXPECT_TRUE(has(stray.err, "positional")) << stray.err;
    EXPECT_EQ(run(kBin, {"config", "check", "--config", "x.yaml", "extra"}).exit_code, 2);
    auto missing = admin({"builds", "show", "--project", "1"});
    EXPECT_EQ(missing.exit_code, 2) << missing.err;
    EXPECT_TRUE(has(missing.err, "--build")) << missing.err;
    auto number = admin({"builds", "show", "--project", "one", "--build", "1"});
    EXPECT_EQ(number.exit_code, 2) << number.err;
    auto role = admin({"repositories", "list", "--team", "d", "--provider", "gitlab", "--min-role", "boss"});
    EXPECT_EQ(role.exit_code, 2) << role.err;
    EXPECT_TRUE(has(role.err, "--min-role")) << role.err;
    auto cursor = admin({"repositories", "list", "--team", "d", "--provider", "gitlab", "--all", "--cursor", "x"});
    EXPECT_EQ(cursor.exit_code, 2) << cursor.err;

    auto resource = admin({"namespace", "list"});
    EXPECT_EQ(resource.exit_code, 2);
    EXPECT_TRUE(has(resource.err, "did you mean 'namespaces'?")) << resource.err;
    auto verb = admin({"builds", "patch"});
    EXPECT_EQ(verb.exit_code, 2);
    EXPECT_TRUE(has(verb.err, "unknown verb 'patch'")) << verb.err;
    EXPECT_TRUE(has(verb.err, "update")) << verb.err;
}

TEST(AdminCli, HostDefaultsToTheEnvironmentThenTheConfigThenLoopback8080) {
    const auto port = std::to_string(freePort());  // nothing listens there
    // A host:port without a scheme is http: a network error (4) naming the URL, not a usage error.
    auto bare = admin({"teams", "list", "--host", "127.0.0.1:" + port});
    EXPECT_EQ(bare.exit_code, 4) << bare.err;
    EXPECT_TRUE(has(bare.err, "http://127.0.0.1:" + port)) << bare.err;
    auto scheme = admin({"teams", "list", "--host", "ftp://127.0.0.1:" + port});
    EXPECT_EQ(scheme.exit_code, 2) << scheme.err;
    EXPECT_TRUE(has(scheme.err, "http://")) << scheme.err;
    auto junk = admin({"teams", "list", "--host", "http://127.0.0.1:notaport"});
    EXPECT_EQ(junk.exit_code, 2) << junk.err;

    auto from_env = admin({"teams", "list"}, {{"FORGELINK_HOST", "127.0.0.1:" + port}});
    EXPECT_EQ(from_env.exit_code, 4) << from_env.err;
    EXPECT_TRUE(has(from_env.err, "http://127.0.0.1:" + port)) << from_env.err;
    auto bad_env = run(kBin, {"admin", "teams", "list"}, {{"FORGELINK_ADMIN_TOKEN", "x"}, {"FORGELINK_HOST", "gopher://x"}});
    EXPECT_EQ(bad_env.exit_code, 2) << bad_env.err;
    EXPECT_TRUE(has(bad_env.err, "FORGELINK_HOST")) << bad_env.err;

    TempDir dir;
    auto config = dir.write("c.yaml", serveConfig(static_cast<std::uint16_t>(std::stoi(port)), dir.path().string()));
    auto from_config = admin({"teams", "list", "--config", config}, kServeEnv);
    EXPECT_EQ(from_config.exit_code, 4) << from_config.err;
    EXPECT_TRUE(has(from_config.err, "http://127.0.0.1:" + port)) << from_config.err;
    // --host wins over the environment.
    auto both = admin({"teams", "list", "--host", "127.0.0.1:" + port}, {{"FORGELINK_HOST", "gopher://x"}});
    EXPECT_EQ(both.exit_code, 4) << both.err;

    auto fallback = admin({"teams", "list", "--help"});
    EXPECT_TRUE(has(fallback.out, "http://127.0.0.1:8080")) << fallback.out;
}

}  // namespace
}  // namespace forgelink::test

