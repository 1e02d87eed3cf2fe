#include "config/config_loader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

namespace forgelink::config {
namespace {

const std::string kValid =
    "server:\n"                                  // 1
    "  listen: 127.0.0.1:8080\n"                 // 2
    "store:\n"                                   // 3
    "  path: ../var/forgelink.db\n"              // 4
    "secrets:\n"                                 // 5
    "  key_file: ../var/secret.key\n";           // 6

Environment fakeEnv(std::map<std::string, std::string> vars = {}) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

LoadResult parse(const std::string& text, std::map<std::string, std::string> vars = {}) {
    return parseConfig(text, "f.yaml", "/etc/forgelink/conf", fakeEnv(std::move(vars)));
}

std::vector<std::string> messages(const LoadResult& r) {
    std::vector<std::string> out;
    for (const auto& e : r.errors) out.push_back(e.toString());
    return out;
}

::testing::AssertionResult hasError(const LoadResult& r, const std::string& expected) {
    for (const auto& e : r.errors)
        if (e.toString() == expected) return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure() << "no error '" << expected << "' among:";
    for (const auto& m : messages(r)) failure << "\n  " << m;
    return failure;
}

TEST(ConfigLoader, ValidMinimalConfigHasDefaultsAndResolvedPaths) {
    auto r = parse(kValid);
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    const Config& c = *r.config;
    EXPECT_EQ(c.server.listen.host, "127.0.0.1");
    EXPECT_EQ(c.server.listen.port, 8080);
    EXPECT_EQ(c.store.driver, "sqlite");
    EXPECT_EQ(c.store.path, "/etc/forgelink/var/forgelink.db");
    EXPECT_EQ(c.secrets.key_file, "/etc/forgelink/var/secret.key");
    EXPECT_TRUE(c.secrets.key_env.empty());
    EXPECT_EQ(c.feedback.status_context, "forgelink");
    EXPECT_TRUE(c.feedback.comment);
    EXPECT_EQ(c.feedback.build_timeout_seconds, 6 * 3600);
    EXPECT_EQ(c.logging.level, "info");
    EXPECT_TRUE(c.providers.empty());
    EXPECT_TRUE(c.plugins.paths.empty());
}

TEST(ConfigLoader, FullConfigIsTyped) {
    auto r = parse(kValid +
                   "plugins:\n"
                   "  paths: [plugins, /opt/p]\n"
                   "  required: [example]\n"
                   "providers:\n"
                   "  example:\n"
                   "    base_url: https://forge.example.com/sub\n"
                   "    oauth:\n"
                   "      client_id: ${CID}\n"
                   "      client_secret: ${CSECRET}\n"
                   "      redirect_uri: http://127.0.0.1:8080/cb?x=1\n"
                   "    options:\n"
                   "      page_size: 50\n"
                   "      flavour: ${FLAVOUR}-x\n"
                   "feedback:\n"
                   "  status_context: ci/forgelink\n"
                   "  comment: false\n"
                   "admin:\n"
                   "  tokens_env: ADMIN_TOKENS\n"
                   "logging:\n"
                   "  level: debug\n",
                   {{"CID", "client-1"}, {"CSECRET", "s3cr3t"}, {"FLAVOUR", "vanilla"}});
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    const Config& c = *r.config;
    EXPECT_EQ(c.plugins.paths, (std::vector<std::string>{"/etc/forgelink/conf/plugins", "/opt/p"}));
    EXPECT_EQ(c.plugins.required, std::vector<std::string>{"example"});
    const auto& p = c.providers.at("example");
    EXPECT_EQ(p.base_url, "https://forge.example.com/sub");
    ASSERT_TRUE(p.oauth.has_value());
    EXPECT_EQ(p.oauth->client_id, "client-1");
    EXPECT_EQ(p.oauth->client_secret, "s3cr3t");
    EXPECT_EQ(p.options.at("page_size"), "50");
    EXPECT_EQ(p.options.at("flavour"), "vanilla-x");
    EXPECT_EQ(c.feedback.status_context, "ci/forgelink");
    EXPECT_FALSE(c.feedback.comment);
    EXPECT_EQ(c.admin.tokens_env, "ADMIN_TOKENS");
    EXPECT_EQ(c.logging.level, "debug");
}

TEST(ConfigLoader, UnknownKeySuggestsTheNearestOne) {
    auto r = parse("sever:\n  listen: 127.0.0.1:1\n" + kValid.substr(kValid.find("store:")));
    EXPECT_TRUE(hasError(r, "f.yaml:1:1: unknown key 'sever'; did you mean 'server'?"));
    EXPECT_TRUE(hasError(r, "f.yaml:1:1: missing required key 'server': the listen address"));
    auto nested = parse(kValid + "feedback:\n  status_contxt: x\n");
    EXPECT_TRUE(hasError(nested, "f.yaml:8:3: unknown key 'feedback.status_contxt'; did you mean 'status_context'?"));
    auto far = parse(kValid + "database: x\n");
    EXPECT_TRUE(hasError(far, "f.yaml:7:1: unknown key 'database'; expected one of: server, store, secrets, "
                              "plugins, providers, forge, feedback, admin, tokens, audit, notifications, logging"));
}

TEST(ConfigLoader, WrongTypesNameWhatWasExpected) {
    auto r = parse("server: [1, 2]\n"
                   "store:\n  path: x\n"
                   "secrets:\n  key_file:\n    nested: map\n"
                   "feedback:\n  comment: maybe\n"
                   "plugins:\n  paths: just-a-string\n");
    EXPECT_TRUE(hasError(r, "f.yaml:1:9: 'server': expected a mapping, got a sequence"));
    EXPECT_TRUE(hasError(r, "f.yaml:6:5: 'secrets.key_file': expected a string, got a mapping"));
    EXPECT_TRUE(hasError(r, "f.yaml:8:12: 'feedback.comment': expected a bool (true or false), got 'maybe'"));
    EXPECT_TRUE(hasError(r, "f.yaml:10:10: 'plugins.paths': expected a sequence of strings, got a scalar value"));
    EXPECT_EQ(r.errors.size(), 4u) << ::testing::PrintToString(messages(r));
}

TEST(ConfigLoader, BuildTimeoutIsSecondsFromOneToThirtyDays) {
    auto r = parse(kValid + "feedback:\n  build_timeout_seconds: 5400\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.config->feedback.build_timeout_seconds, 5400);
    EXPECT_TRUE(hasError(parse(kValid + "feedback:\n  build_timeout_seconds: 0\n"),
                         "f.yaml:8:26: 'feedback.build_timeout_seconds': expected an integer from 1 to 2592000, got '0'"));
    EXPECT_TRUE(hasError(parse(kValid + "feedback:\n  build_timeout_seconds: 6h\n"),
                         "f.yaml:8:26: 'feedback.build_timeout_seconds': expected an integer from 1 to 2592000, got '6h'"));
    EXPECT_TRUE(hasError(parse(kValid + "feedback:\n  build_timeout: 60\n"),
                         "f.yaml:8:3: unknown key 'feedback.build_timeout'; expected one of: status_context, comment, "
                         "build_timeout_seconds, delivery_workers, poll_interval_ms"));
}

TEST(ConfigLoader, DeliveryWorkersAndPollIntervalHaveBounds) {
    auto defaults = parse(kValid);
    ASSERT_TRUE(defaults.ok()) << ::testing::PrintToString(messages(defaults));
    EXPECT_EQ(defaults.config->feedback.delivery_workers, 8u);
    EXPECT_EQ(defaults.config->feedback.poll_interval_ms, 500u);
    auto r = parse(kValid + "feedback:\n  delivery_workers: 0\n  poll_interval_ms: 60000\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.config->feedback.delivery_workers, 0u);
    EXPECT_EQ(r.config->feedback.poll_interval_ms, 60000u);
    EXPECT_TRUE(hasError(parse(kValid + "feedback:\n  delivery_workers: -1\n"),
                         "f.yaml:8:21: 'feedback.delivery_workers': expected an integer from 0 to 256, got '-1'"));
    EXPECT_TRUE(hasError(parse(kValid + "feedback:\n  poll_interval_ms: 5\n"),
                         "f.yaml:8:21: 'feedback.poll_interval_ms': expected an integer from 10 to 600000, got '5'"));
}

TEST(ConfigLoader, QuotedTrueIsAStringNotABool) {
    auto r = parse(kValid + "feedback:\n  comment: \"true\"\n");
    EXPECT_TRUE(hasError(r, "f.yaml:8:12: 'feedback.comment': expected a bool (true or false), got 'true'"));
}

TEST(ConfigLoader, ListingCacheSizeIsReadInMebibytesAndChecked) {
    EXPECT_EQ(parse(kValid).config->server.listing_cache_mb, 32u);
    auto set = parse("server:\n  listen: 127.0.0.1:8080\n  listing_cache_mb: ${CACHE}\n" + kValid.substr(kValid.find("store:")),
                     {{"CACHE", "0"}});
    ASSERT_TRUE(set.ok()) << ::testing::PrintToString(messages(set));
    EXPECT_EQ(set.config->server.listing_cache_mb, 0u);
    for (const char* bad : {"-1", "65537", "32MB", "1.5", "\"\""}) {
        auto r = parse("server:\n  listen: 127.0.0.1:8080\n  listing_cache_mb: " + std::string(bad) + "\n" +
                       kValid.substr(kValid.find("store:")));
        std::string shown = std::string(bad) == "\"\"" ? "" : bad;
        EXPECT_TRUE(hasError(r, "f.yaml:3:21: 'server.listing_cache_mb': expected an integer from 0 to 65536, got '" +
                                    shown + "'"));
    }
    auto list = parse("server:\n  listen: 127.0.0.1:8080\n  listing_cache_mb: [1]\n" + kValid.substr(kValid.find("store:")));
    EXPECT_FALSE(list.ok());
}

TEST(ConfigLoader, ConsoleDirIsAPathRelativeToTheFile) {
    EXPECT_TRUE(parse(kValid).config->server.console_dir.empty());  // the default beside the binary
    auto set = parse("server:\n  listen: 127.0.0.1:8080\n  console_dir: ../share/console\n" +
                     kValid.substr(kValid.find("store:")));
    ASSERT_TRUE(set.ok()) << ::testing::PrintToString(messages(set));
    EXPECT_EQ(set.config->server.console_dir, "/etc/forgelink/share/console");
    auto absolute = parse("server:\n  listen: 127.0.0.1:8080\n  console_dir: /srv/console\n" +
                          kValid.substr(kValid.find("store:")));
    EXPECT_EQ(absolute.config->server.console_dir, "/srv/console");
    auto empty = parse("server:\n  listen: 127.0.0.1:8080\n  console_dir: \"\"\n" + kValid.substr(kValid.find("store:")));
    EXPECT_TRUE(hasError(empty, "f.yaml:3:16: 'server.console_dir' must not be empty"));
    auto file = parse("server:\n  listen: 127.0.0.1:8080\n  console_dir: /etc/hostname\n" + kValid.substr(kValid.find("store:")));
    EXPECT_TRUE(hasError(file, "f.yaml:3:16: 'server.console_dir': /etc/hostname is not a directory; expected the "
                               "directory of the built web console"));
    auto typo = parse("server:\n  listen: 127.0.0.1:8080\n  console_dri: /srv\n" + kValid.substr(kValid.find("store:")));
    EXPECT_FALSE(typo.ok());
}

TEST(ConfigLoader, ServerLimitsHaveSafeDefaultsAndAreChecked) {
    const auto defaults = parse(kValid).config->server.limits;
    EXPECT_EQ(defaults.max_connections, 512u);
    EXPECT_EQ(defaults.max_header_bytes, 32768u);
    EXPECT_EQ(defaults.max_header_line_bytes, 8192u);
    EXPECT_EQ(defaults.max_body_bytes, 1048576u);
    EXPECT_EQ(defaults.header_timeout_seconds, 10u);
    EXPECT_EQ(defaults.body_timeout_seconds, 30u);
    EXPECT_EQ(defaults.idle_timeout_seconds, 30u);
    EXPECT_EQ(defaults.max_json_depth, 32u);
    EXPECT_EQ(defaults.api_requests_per_minute, 1200u);
    EXPECT_EQ(defaults.login_requests_per_minute, 60u);
    const std::string rest = kValid.substr(kValid.find("store:"));
    auto set = parse("server:\n  listen: 127.0.0.1:8080\n  limits:\n    max_connections: 64\n    max_header_bytes: 4096\n"
                     "    max_body_bytes: ${BODY}\n    header_timeout_seconds: 5\n    body_timeout_seconds: 7\n"
                     "    idle_timeout_seconds: 9\n    max_json_depth: 8\n    api_requests_per_minute: 0\n"
                     "    login_requests_per_minute: 5\n" + rest,
                     {{"BODY", "2048"}});
    ASSERT_TRUE(set.ok()) << ::testing::PrintToString(messages(set));
    const auto& limits = set.config->server.limits;
    EXPECT_EQ(limits.max_connections, 64u);
    EXPECT_EQ(limits.max_header_bytes, 4096u);
    EXPECT_EQ(limits.max_header_line_bytes, 4096u) << "an unset line limit follows a lower total";
    EXPECT_EQ(limits.max_body_bytes, 2048u);
    EXPECT_EQ(limits.header_timeout_seconds, 5u);
    EXPECT_EQ(limits.body_timeout_seconds, 7u);
    EXPECT_EQ(limits.idle_timeout_seconds, 9u);
    EXPECT_EQ(limits.max_json_depth, 8u);
    EXPECT_EQ(limits.api_requests_per_minute, 0u) << "0 turns the limit off";
    EXPECT_EQ(limits.login_requests_per_minute, 5u);

    auto bad = parse("server:\n  listen: 127.0.0.1:8080\n  limits:\n    max_connections: 0\n    max_header_bytes: 10\n"
                     "    max_body_bytes: 1MB\n    idle_timeout_seconds: -1\n    max_header_lines: 3\n" + rest);
    EXPECT_TRUE(hasError(bad, "f.yaml:4:22: 'server.limits.max_connections': expected an integer from 1 to 65536, got '0'"))
        << ::testing::PrintToString(messages(bad));
    EXPECT_TRUE(hasError(bad, "f.yaml:5:23: 'server.limits.max_header_bytes': expected an integer from 1024 to 1048576, "
                              "got '10'"));
    EXPECT_TRUE(hasError(bad, "f.yaml:6:21: 'server.limits.max_body_bytes': expected an integer from 1024 to 1073741824, "
                              "got '1MB'"));
    EXPECT_TRUE(hasError(bad, "f.yaml:7:27: 'server.limits.idle_timeout_seconds': expected an integer from 1 to 3600, "
                              "got '-1'"));
    bool named_unknown = false;
    for (const auto& message : messages(bad))
        named_unknown |= message.rfind("f.yaml:8:5: ", 0) == 0 && message.find("max_header_lines") != std::string::npos;
    EXPECT_TRUE(named_unknown) << ::testing::PrintToString(messages(bad));

    auto bad_rates = parse("server:\n  listen: 127.0.0.1:8080\n  limits:\n    max_json_depth: 1\n"
                           "    api_requests_per_minute: -5\n    login_requests_per_minute: 2000000\n" + rest);
    EXPECT_TRUE(hasError(bad_rates, "f.yaml:4:21: 'server.limits.max_json_depth': expected an integer from 2 to 1000, "
                                    "got '1'"))
        << ::testing::PrintToString(messages(bad_rates));
    EXPECT_TRUE(hasError(bad_rates, "f.yaml:5:30: 'server.limits.api_requests_per_minute': expected an integer from 0 "
                                    "to 1000000, got '-5'"));
    EXPECT_TRUE(hasError(bad_rates, "f.yaml:6:32: 'server.limits.login_requests_per_minute': expected an integer from "
                                    "0 to 1000000, got '2000000'"));

    auto line_over_total = parse("server:\n  listen: 127.0.0.1:8080\n  limits:\n    max_header_bytes: 4096\n"
                                 "    max_header_line_bytes: 8192\n" + rest);
    EXPECT_TRUE(hasError(line_over_total, "f.yaml:5:28: 'server.limits.max_header_line_bytes' (8192) is larger than "
                                          "'server.limits.max_header_bytes' (4096), which bounds all header lines "
                                          "together; lower it or raise max_header_bytes"))
        << ::testing::PrintToString(messages(line_over_total));
}

TEST(ConfigLoader, MissingRequiredKeysPointAtTheParent) {
    auto r = parse("server:\n  instance_id: a\nstore:\n  driver: sqlite\nsecrets: {}\n");
    EXPECT_TRUE(hasError(r, "f.yaml:1:1: missing required key 'server.listen': the address to serve on, like "
                            "127.0.0.1:8080"));
    EXPECT_TRUE(hasError(r, "f.yaml:3:1: missing required key 'store.path': the database file, like "
                            "../var/forgelink.db"));
    EXPECT_TRUE(hasError(r, "f.yaml:5:1: missing required key: set one of 'secrets.key_env' or "
                            "'secrets.key_file' (where the key that seals stored secrets comes from)"));
    auto provider = parse(kValid + "providers:\n  example:\n    options: {}\n");
    EXPECT_TRUE(hasError(provider, "f.yaml:8:3: missing required key 'providers.example.base_url': the forge "
                                   "instance's root URL, like https://forge.example.com (or only allowed_hosts, "
                                   "when each team gives its own base URL)"));
}

TEST(ConfigLoader, AllowedHostsTeamCreationAndAnswerSize) {
    auto r = parse("server:\n  listen: 127.0.0.1:8080\n  allow_user_team_creation: true\n"
                   "store:\n  path: x.db\nsecrets:\n  key_env: K\n"
                            "providers:\n  example:\n    allowed_hosts: [127.0.0.1, '*.corp.example', 10.0.0.0/8]\n"
                            "forge:\n  max_answer_mb: 2\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_TRUE(r.config->server.allow_user_team_creation);
    EXPECT_EQ(r.config->providers.at("example").allowed_hosts,
              (std::vector<std::string>{"127.0.0.1", "*.corp.example", "10.0.0.0/8"}));
    EXPECT_TRUE(r.config->providers.at("example").base_url.empty());
    EXPECT_EQ(r.config->forge.max_answer_mb, 2u);

    auto defaults = parse(kValid);
    ASSERT_TRUE(defaults.ok());
    EXPECT_FALSE(defaults.config->server.allow_user_team_creation);
    EXPECT_EQ(defaults.config->forge.max_answer_mb, 8u);

    auto bad = parse(kValid + "providers:\n  example:\n    allowed_hosts: [http://x.example, 10.0.0.0/40]\n"
                              "forge:\n  max_answer_mb: 0\n");
    EXPECT_TRUE(hasError(bad, "f.yaml:9:20: 'providers.example.allowed_hosts[0]': expected an IP address or a CIDR "
                              "range like 10.0.0.0/8 or fd00::/8, got 'http://x.example'"));
    EXPECT_TRUE(hasError(bad, "f.yaml:11:18: 'forge.max_answer_mb': expected an integer from 1 to 1024, got '0'"));
}

TEST(ConfigLoader, TokenChecksHaveDefaultsAndBounds) {
    auto defaults = parse(kValid);
    ASSERT_TRUE(defaults.ok());
    EXPECT_EQ(defaults.config->tokens.check_every_hours, 24u);
    EXPECT_EQ(defaults.config->tokens.check_concurrency, 4u);
    auto set = parse(kValid + "tokens:\n  check_every_hours: 6\n  check_concurrency: 2\n");
    ASSERT_TRUE(set.ok()) << ::testing::PrintToString(messages(set));
    EXPECT_EQ(set.config->tokens.check_every_hours, 6u);
    EXPECT_EQ(set.config->tokens.check_concurrency, 2u);
    auto bad = parse(kValid + "tokens:\n  check_every_hours: 0\n  check_concurrency: 65\n  check_every: 1\n");
    EXPECT_TRUE(hasError(bad, "f.yaml:8:22: 'tokens.check_every_hours': expected an integer from 1 to 720, got '0'"));
    EXPECT_TRUE(hasError(bad, "f.yaml:9:22: 'tokens.check_concurrency': expected an integer from 1 to 64, got '65'"));
    bool unknown = false;
    for (const auto& m : messages(bad)) unknown = unknown || (m.rfind("f.yaml:10:3: ", 0) == 0 && m.find("check_every") != std::string::npos);
    EXPECT_TRUE(unknown) << ::testing::PrintToString(messages(bad));
}

TEST(ConfigLoader, AuditRetentionAndTrustedProxies) {
    auto defaults = parse(kValid);
    ASSERT_TRUE(defaults.ok());
    EXPECT_EQ(defaults.config->audit.retention_days, 365u);
    EXPECT_TRUE(defaults.config->server.trusted_proxies.empty());
    auto set = parse(kValid + "audit:\n  retention_days: 30\n");
    ASSERT_TRUE(set.ok()) << ::testing::PrintToString(messages(set));
    EXPECT_EQ(set.config->audit.retention_days, 30u);
    auto bad = parse(kValid + "audit:\n  retention_days: 0\n");
    EXPECT_TRUE(hasError(bad, "f.yaml:8:19: 'audit.retention_days': expected an integer from 1 to 36500, got '0'"));

    auto proxies = parse("server:\n  listen: 127.0.0.1:8080\n  trusted_proxies: [10.0.0.0/8, '::1']\n"
                         "store:\n  path: db\nsecrets:\n  key_env: K\n");
    ASSERT_TRUE(proxies.ok()) << ::testing::PrintToString(messages(proxies));
    EXPECT_EQ(proxies.config->server.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
    auto names = parse("server:\n  listen: 127.0.0.1:8080\n  trusted_proxies: [proxy.example]\n"
                       "store:\n  path: db\nsecrets:\n  key_env: K\n");
    EXPECT_TRUE(hasError(names, "f.yaml:3:20: 'server.trusted_proxies[0]': expected an IP address or CIDR range (like "
                                "10.0.0.5 or 10.0.0.0/8), got 'proxy.example'"));
}

TEST(ConfigLoader, NotificationWebhookHostsAreCheckedLikeForgeHosts) {
    auto defaults = parse(kValid);
    ASSERT_TRUE(defaults.ok());
    EXPECT_TRUE(defaults.config->notifications.allowed_hosts.empty());
    auto set = parse(kValid + "notifications:\n  allowed_hosts: [hooks.slack.com, '*.chat.example', 10.2.0.0/16]\n");
    ASSERT_TRUE(set.ok()) << ::testing::PrintToString(messages(set));
    EXPECT_EQ(set.config->notifications.allowed_hosts,
              (std::vector<std::string>{"hooks.slack.com", "*.chat.example", "10.2.0.0/16"}));
    auto bad = parse(kValid + "notifications:\n  allowed_hosts: [http://x.example]\n  webhook: x\n");
    EXPECT_FALSE(bad.ok());
    bool named = false, unknown = false;
    for (const auto& m : messages(bad)) {
        named = named || m.find("'notifications.allowed_hosts[0]'") != std::string::npos;
        unknown = unknown || (m.rfind("f.yaml:9:3: ", 0) == 0 && m.find("webhook") != std::string::npos);
    }
    EXPECT_TRUE(named) << ::testing::PrintToString(messages(bad));
    EXPECT_TRUE(unknown) << ::testing::PrintToString(messages(bad));
}

TEST(ConfigLoader, ReportsAllErrorsAtOnceSortedByPosition) {
    auto r = parse("server:\n  listen: nope\n"
                   "store:\n  driver: mysql\n  path: x\n"
                   "secrets:\n  key_env: A\n  key_file: b\n"
                   "logging:\n  level: inof\n");
    auto m = messages(r);
    ASSERT_EQ(m.size(), 4u) << ::testing::PrintToString(m);
    EXPECT_EQ(m[0], "f.yaml:2:11: 'server.listen': expected host:port, like 127.0.0.1:8080 or [::1]:8080, got 'nope'");
    EXPECT_EQ(m[1], "f.yaml:4:11: 'store.driver': unsupported driver 'mysql'; expected: sqlite, postgres");
    EXPECT_EQ(m[2], "f.yaml:8:3: 'secrets': set exactly one of key_env and key_file, not both");
    EXPECT_EQ(m[3], "f.yaml:10:10: 'logging.level': unknown level 'inof'; did you mean 'info'?");
    EXPECT_FALSE(r.ok());
}

// The store section with driver postgres, the rest of kValid around it.
LoadResult parseStore(const std::string& store, std::map<std::string, std::string> vars = {}) {
    return parse("server:\n  listen: 127.0.0.1:8080\n"  // 1-2
                 "store:\n" + store +                     // 3-
                 "secrets:\n  key_env: K\n", std::move(vars));
}

TEST(ConfigLoader, PostgresStoreIsTypedWithSafeDefaults) {
    auto r = parseStore("  driver: postgres\n"
                        "  url: host=127.0.0.1 port=5432 user=forgelink dbname=forgelink\n"
                        "  password_env: FORGELINK_PG_PASSWORD\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    const StoreConfig& s = r.config->store;
    EXPECT_EQ(s.driver, "postgres");
    EXPECT_EQ(s.url, "host=127.0.0.1 port=5432 user=forgelink dbname=forgelink");
    EXPECT_EQ(s.password_env, "FORGELINK_PG_PASSWORD");
    EXPECT_TRUE(s.password_file.empty());
    EXPECT_TRUE(s.path.empty());
    EXPECT_EQ(s.pool_size, 8u);
    EXPECT_EQ(s.statement_timeout_seconds, 30u);

    auto uri = parseStore("  driver: postgres\n"
                          "  url: postgresql://forgelink@db.example:5433/forgelink?sslmode=verify-full\n"
                          "  password_file: ../var/pg-password\n"
                          "  pool_size: 32\n"
                          "  statement_timeout_seconds: 5\n");
    ASSERT_TRUE(uri.ok()) << ::testing::PrintToString(messages(uri));
    EXPECT_EQ(uri.config->store.password_file, "/etc/forgelink/var/pg-password");
    EXPECT_EQ(uri.config->store.pool_size, 32u);
    EXPECT_EQ(uri.config->store.statement_timeout_seconds, 5u);
    EXPECT_FALSE(uri.config->store == r.config->store) << "serve's reload must see a changed store";

    // Neither password key: libpq's own means (~/.pgpass, certificates, peer) are fine.
    EXPECT_TRUE(parseStore("  driver: postgres\n  url: postgresql:///forgelink\n").ok());
}

TEST(ConfigLoader, PostgresPasswordsAreNeverInline) {
    const std::string refused = "a password in the connection string is refused: it would be logged and shown; "
                                "remove it and set store.password_env or store.password_file";
    auto keyword = parseStore("  driver: postgres\n  url: host=db password=hunter2 dbname=f\n");
    EXPECT_TRUE(hasError(keyword, "f.yaml:5:8: 'store.url': " + refused)) << ::testing::PrintToString(messages(keyword));
    auto in_uri = parseStore("  driver: postgres\n  url: postgresql://forgelink:hunter2@db/forgelink\n");
    EXPECT_TRUE(hasError(in_uri, "f.yaml:5:8: 'store.url': " + refused)) << ::testing::PrintToString(messages(in_uri));
    auto in_query = parseStore("  driver: postgres\n  url: postgresql://db/forgelink?password=hunter2\n");
    EXPECT_TRUE(hasError(in_query, "f.yaml:5:8: 'store.url': " + refused));
    // Through ${VAR} too: the value is checked after substitution.
    auto from_env = parseStore("  driver: postgres\n  url: ${PGURL}\n", {{"PGURL", "host=db password=hunter2"}});
    EXPECT_TRUE(hasError(from_env, "f.yaml:5:8: 'store.url': " + refused));
    auto inline_key = parseStore("  driver: postgres\n  url: host=db\n  password: hunter2\n");
    EXPECT_TRUE(hasError(inline_key, "f.yaml:6:3: 'store.password': an inline password is refused: put it in a file "
                                     "(password_file) or an environment variable (password_env)"));
    auto both = parseStore("  driver: postgres\n  url: host=db\n  password_env: P\n  password_file: p\n");
    EXPECT_TRUE(hasError(both, "f.yaml:7:3: 'store': set at most one of password_env and password_file, not both"));
    for (const auto* r : {&keyword, &in_uri, &in_query, &from_env, &inline_key})
        for (const auto& m : messages(*r)) EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
}

TEST(ConfigLoader, PostgresUrlIsCheckedByLibpqWithoutEchoingValues) {
    // A password written without "password=": libpq quotes the word it stumbled on; we do not.
    auto bare = parseStore("  driver: postgres\n  url: host=db hunter2\n");
    ASSERT_EQ(bare.errors.size(), 1u) << ::testing::PrintToString(messages(bare));
    EXPECT_EQ(bare.errors[0].toString(),
              "f.yaml:5:8: 'store.url': not a libpq connection string or URI (missing \"=\" after \"...\" in "
              "connection info string); expected key=value pairs like \"host=127.0.0.1 port=5432 user=forgelink "
              "dbname=forgelink\" or a URI like postgresql://forgelink@127.0.0.1:5432/forgelink");
    auto unknown = parseStore("  driver: postgres\n  url: host=db sslmod=require\n");
    ASSERT_EQ(unknown.errors.size(), 1u);
    EXPECT_NE(unknown.errors[0].message.find("invalid connection option"), std::string::npos)
        << unknown.errors[0].toString();
    auto keyword_kept = parseStore("  driver: postgres\n  url: host=db port\n");
    ASSERT_EQ(keyword_kept.errors.size(), 1u);
    EXPECT_NE(keyword_kept.errors[0].message.find("after \"port\""), std::string::npos)
        << keyword_kept.errors[0].toString();
}

TEST(ConfigLoader, StoreKeysBelongToTheirDriver) {
    auto no_url = parseStore("  driver: postgres\n  path: x.db\n");
    EXPECT_TRUE(hasError(no_url, "f.yaml:5:3: 'store.path' applies to driver sqlite only; this store's driver is postgres"));
    EXPECT_TRUE(hasError(no_url, "f.yaml:3:1: missing required key 'store.url': the libpq connection string or URI, "
                                 "like \"host=127.0.0.1 port=5432 user=forgelink dbname=forgelink\""));
    auto sqlite = parseStore("  path: x.db\n  url: host=db\n  pool_size: 4\n");
    EXPECT_TRUE(hasError(sqlite, "f.yaml:5:3: 'store.url' applies to driver postgres only; this store's driver is sqlite"));
    EXPECT_TRUE(hasError(sqlite, "f.yaml:6:3: 'store.pool_size' applies to driver postgres only; this store's driver "
                                 "is sqlite"));
    auto ranges = parseStore("  driver: postgres\n  url: host=db\n  pool_size: 0\n  statement_timeout_seconds: 0\n"
                             "  password_env: 1X\n");
    EXPECT_TRUE(hasError(ranges, "f.yaml:6:14: 'store.pool_size': expected an integer from 1 to 1000, got '0'"));
    EXPECT_TRUE(hasError(ranges, "f.yaml:7:30: 'store.statement_timeout_seconds': expected an integer from 1 to "
                                 "3600, got '0'"));
    EXPECT_TRUE(hasError(ranges, "f.yaml:8:17: 'store.password_env': expected the name of an environment variable "
                                 "([A-Za-z_][A-Za-z0-9_]*), got '1X'"));
    auto typo = parseStore("  driver: postgres\n  url: host=db\n  pool_sise: 4\n");
    EXPECT_TRUE(hasError(typo, "f.yaml:6:3: unknown key 'store.pool_sise'; did you mean 'pool_size'?"));
}

TEST(ConfigLoader, DuplicateKeysAreErrorsAtEveryDepth) {
    auto r = parse(kValid + "server:\n  listen: 127.0.0.1:9\n"
                            "providers:\n  example:\n    base_url: https://a.example\n    base_url: https://b.example\n");
    EXPECT_TRUE(hasError(r, "f.yaml:7:1: duplicate key 'server' (first defined at line 1, column 1); YAML would "
                            "silently keep only one of them"));
    EXPECT_TRUE(hasError(r, "f.yaml:12:5: duplicate key 'providers.example.base_url' (first defined at line 11, "
                            "column 5); YAML would silently keep only one of them"));
}

TEST(ConfigLoader, ListenAddressIsChecked) {
    auto port = [](const std::string& listen) {
        return parse("server:\n  listen: \"" + listen + "\"\n" + kValid.substr(kValid.find("store:")));
    };
    EXPECT_TRUE(hasError(port("127.0.0.1:0"), "f.yaml:2:11: 'server.listen': the port must be a number from 1 to 65535, got '0'"));
    EXPECT_TRUE(hasError(port("127.0.0.1:70000"), "f.yaml:2:11: 'server.listen': the port must be a number from 1 to 65535, got '70000'"));
    EXPECT_TRUE(hasError(port("127.0.0.1:http"), "f.yaml:2:11: 'server.listen': the port must be a number from 1 to 65535, got 'http'"));
    EXPECT_TRUE(hasError(port(":8080"), "f.yaml:2:11: 'server.listen': the host part is missing or malformed; expected host:port, like 127.0.0.1:8080 or [::1]:8080, got ':8080'"));
    auto v6 = port("[::1]:9090");
    ASSERT_TRUE(v6.ok()) << ::testing::PrintToString(messages(v6));
    EXPECT_EQ(v6.config->server.listen.host, "::1");
    EXPECT_EQ(v6.config->server.listen.port, 9090);
}

TEST(ConfigLoader, BaseUrlsAreChecked) {
    auto url = [](const std::string& u) { return parse(kValid + "providers:\n  example:\n    base_url: \"" + u + "\"\n"); };
    const std::string at = "f.yaml:9:15: 'providers.example.base_url': ";
    EXPECT_TRUE(hasError(url("ftp://forge.example"), at + "the scheme must be http or https, got 'ftp'"));
    EXPECT_TRUE(hasError(url("forge.example"), at + "expected an absolute URL like https://host[:port][/path]"));
    EXPECT_TRUE(hasError(url("https:///path"), at + "the URL has no host"));
    EXPECT_TRUE(hasError(url("https://forge.example:99999"), at + "the port must be a number from 1 to 65535"));
    EXPECT_TRUE(hasError(url("https://forge.example/?a=b"), at + "a base URL must not have a query or fragment"));
    auto creds = url("https://user:pw@forge.example");
    ASSERT_EQ(creds.errors.size(), 1u);
    EXPECT_EQ(creds.errors[0].message.find("pw"), std::string::npos) << "must not echo credentials";
    EXPECT_TRUE(hasError(url("https://forge.example:/x"), at + "the port must be a number from 1 to 65535"));
    EXPECT_TRUE(hasError(url("https://[::1]:0/"), at + "the port must be a number from 1 to 65535"));
    EXPECT_TRUE(hasError(url("https://[::1/"), at + "unterminated IPv6 address in the host"));
    EXPECT_TRUE(url("http://127.0.0.1:8929/gitlab").ok());
    EXPECT_TRUE(url("HTTPS://forge.example").ok());
    // An IPv6 address's own colons are not a port.
    EXPECT_TRUE(url("https://[::1]/").ok());
    EXPECT_TRUE(url("http://[2001:db8::7]:8929/gitlab").ok());
}

TEST(ConfigLoader, EnvironmentSubstitution) {
    const std::string text = kValid + "providers:\n  example:\n    base_url: ${FORGE_URL}/api\n";
    auto set = parse(text, {{"FORGE_URL", "https://forge.example"}});
    ASSERT_TRUE(set.ok()) << ::testing::PrintToString(messages(set));
    EXPECT_EQ(set.config->providers.at("example").base_url, "https://forge.example/api");

    auto unset = parse(text);
    EXPECT_TRUE(hasError(unset, "f.yaml:9:15: 'providers.example.base_url': environment variable FORGE_URL is not "
                                "set (referenced as ${FORGE_URL}); set it or change the value"));

    auto malformed = parse(kValid + "feedback:\n  status_context: ${not valid}\n");
    EXPECT_TRUE(hasError(malformed, "f.yaml:8:19: 'feedback.status_context': '${not valid}' is not a valid environment "
                                    "variable reference (expected ${NAME} with NAME in [A-Za-z_][A-Za-z0-9_]*)"));
    auto open = parse(kValid + "feedback:\n  status_context: \"a${B\"\n");
    EXPECT_TRUE(hasError(open, "f.yaml:8:19: 'feedback.status_context': unterminated '${' (write ${NAME} to use an "
                               "environment variable)"));
    auto dollar = parse(kValid + "feedback:\n  status_context: a$b\n");
    ASSERT_TRUE(dollar.ok());
    EXPECT_EQ(dollar.config->feedback.status_context, "a$b");
}

TEST(ConfigLoader, LiteralSecretsAreRefusedWithoutEchoingThem) {
    auto r = parse(kValid + "providers:\n  my-forge:\n    base_url: https://forge.example\n    oauth:\n"
                            "      client_id: id\n      client_secret: hunter2\n      redirect_uri: https://h/cb\n");
    EXPECT_TRUE(hasError(r, "f.yaml:12:22: 'providers.my-forge.oauth.client_secret': a literal secret in the "
                            "configuration file is refused; write '${FORGELINK_MY_FORGE_CLIENT_SECRET}' instead and "
                            "set that environment variable"));
    for (const auto& m : messages(r)) EXPECT_EQ(m.find("hunter2"), std::string::npos);

    auto inline_key = parse("server:\n  listen: 127.0.0.1:1\nstore:\n  path: x\nsecrets:\n  key: abc\n");
    EXPECT_TRUE(hasError(inline_key, "f.yaml:6:3: 'secrets.key': an inline key is refused: put it in a file (key_file) "
                                     "or an environment variable (key_env)"));
    auto inline_tokens = parse(kValid + "admin:\n  tokens: [abc]\n");
    EXPECT_TRUE(hasError(inline_tokens, "f.yaml:8:3: 'admin.tokens': inline admin tokens are refused: put them in a "
                                        "file (tokens_file) or an environment variable (tokens_env)"));
}

TEST(ConfigLoader, UnsetSecretVariableIsNamedButNoValueLeaks) {
    auto r = parse(kValid + "providers:\n  example:\n    base_url: https://forge.example\n    oauth:\n"
                            "      client_id: ${CID}\n      client_secret: ${CSECRET}\n      redirect_uri: https://h/cb\n",
                   {{"CID", "id"}});
    EXPECT_TRUE(hasError(r, "f.yaml:12:22: 'providers.example.oauth.client_secret': environment variable CSECRET is "
                            "not set (referenced as ${CSECRET}); set it or change the value"));
    auto missing = parse(kValid + "providers:\n  example:\n    base_url: https://forge.example\n    oauth:\n"
                                  "      client_id: x\n");
    EXPECT_TRUE(hasError(missing, "f.yaml:10:5: missing required key 'providers.example.oauth.client_secret'"));
    EXPECT_TRUE(hasError(missing, "f.yaml:10:5: missing required key 'providers.example.oauth.redirect_uri'"));
}

TEST(ConfigLoader, SyntaxErrorsCarryAPosition) {
    auto r = parse("server:\n  listen: [1,\nstore: x\n");
    ASSERT_EQ(r.errors.size(), 1u);
    // yaml-cpp notices the unclosed flow sequence at the end of the input (line 4).
    EXPECT_EQ(r.errors[0].toString(), "f.yaml:4:1: YAML syntax error: end of sequence flow not found");
    auto tab = parse("server:\n\tlisten: x\n");
    ASSERT_EQ(tab.errors.size(), 1u);
    EXPECT_EQ(tab.errors[0].line, 2) << tab.errors[0].toString();
}

TEST(ConfigLoader, EmptyAndNonMappingDocuments) {
    auto empty = parse("");
    ASSERT_EQ(empty.errors.size(), 1u);
    EXPECT_EQ(empty.errors[0].toString().rfind("f.yaml:1:1: the configuration is empty", 0), 0u);
    EXPECT_TRUE(hasError(parse("- a\n- b\n"), "f.yaml:1:1: the configuration: expected a mapping, got a sequence"));
}

// yaml-cpp 0.7 builds a cyclic node graph for an alias inside its own anchor; walking it
// overflowed the stack (SIGSEGV in `config check` and `serve`).
TEST(ConfigLoader, RecursiveAliasIsRefusedWithItsPosition) {
    auto r = parse("a: &a\n  b: *a\n");
    ASSERT_EQ(r.errors.size(), 1u) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.errors[0].toString(),
              "f.yaml:2:6: the alias '*a' refers to a node that contains it (a recursive alias); an alias must refer "
              "to a node that is complete before it");
    auto in_sequence = parse(kValid + "x: &s [1, [2, *s]]\n");
    ASSERT_EQ(in_sequence.errors.size(), 1u) << ::testing::PrintToString(messages(in_sequence));
    EXPECT_EQ(in_sequence.errors[0].line, 7);
    EXPECT_NE(in_sequence.errors[0].message.find("'*s'"), std::string::npos);
}

// Nine levels of nine aliases each: 9^9 nodes once expanded; walking them took minutes.
TEST(ConfigLoader, AliasExpansionIsBounded) {
    std::string laughs = kValid + "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int level = 1; level <= 9; ++level) {
        const std::string previous = "*l" + std::to_string(level - 1);
        laughs += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
        for (int i = 0; i < 9; ++i) laughs += (i ? ", " : "") + previous;
        laughs += "]\n";
    }
    const auto started = std::chrono::steady_clock::now();
    auto r = parse(laughs);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
    ASSERT_EQ(r.errors.size(), 1u) << ::testing::PrintToString(messages(r));
    // l4 stands for 66,430 nodes: the second *l4 of l5 (line 12) crosses 100,000.
    EXPECT_EQ(r.errors[0].line, 12) << r.errors[0].toString();
    EXPECT_NE(r.errors[0].message.find("expands to more than 100000 nodes once the alias '*l4' is expanded"),
              std::string::npos)
        << r.errors[0].toString();

    // Ordinary use of anchors is still fine.
    auto reuse = parse(kValid + "providers:\n  a: &p {base_url: 'https://a.example'}\n  b: *p\n");
    EXPECT_TRUE(reuse.ok()) << ::testing::PrintToString(messages(reuse));
}

TEST(ConfigLoader, ASecondDocumentIsAnError) {
    auto r = parse(kValid + "---\nserver:\n  listen: 0.0.0.0:1\n");
    ASSERT_EQ(r.errors.size(), 1u) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.errors[0].line, 7) << r.errors[0].toString();  // the "---"
    EXPECT_NE(r.errors[0].message.find("a second YAML document starts here"), std::string::npos);
    EXPECT_TRUE(parse(kValid + "...\n").ok()) << "an explicit end of the one document is fine";
}

TEST(ConfigLoader, ADirectoryIsCalledADirectory) {
    namespace fs = std::filesystem;
    auto r = loadConfig(fs::temp_directory_path().string(), fakeEnv());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].message.find("it is a directory"), std::string::npos) << r.errors[0].toString();
}

TEST(ConfigLoader, ExampleConfigShipsValid) {
    auto r = loadConfig(FORGELINK_EXAMPLE_CONFIG, fakeEnv());
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    namespace fs = std::filesystem;
    fs::path repo = fs::path(FORGELINK_EXAMPLE_CONFIG).parent_path().parent_path().lexically_normal();
    EXPECT_EQ(r.config->store.path, (repo / "var/forgelink.db").string());
    EXPECT_EQ(r.config->secrets.key_file, (repo / "var/secret.key").string());
    EXPECT_EQ(r.config->server.listen.port, 8080);
    EXPECT_EQ(r.config->server.listen.host, "127.0.0.1");
    EXPECT_EQ(r.config->providers.count("gitlab"), 1u);
    EXPECT_FALSE(r.config->providers.at("gitlab").oauth.has_value());
    EXPECT_EQ(r.config->admin.tokens_file, (repo / "var/admin-tokens").string());  // scripts/run creates it
}

TEST(ConfigLoader, UnreadableFileSaysSo) {
    auto r = loadConfig("/nonexistent/forgelink.yaml", fakeEnv());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].toString(), "/nonexistent/forgelink.yaml: cannot open the configuration file: no such file");
}

TEST(ConfigLoader, RelativePathsFollowTheConfigFileNotTheWorkingDirectory) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("forgelink-config-" + std::to_string(::getpid()));
    fs::create_directories(dir / "conf");
    {
        std::ofstream out(dir / "conf" / "f.yaml");
        out << kValid;
    }
    auto r = loadConfig((dir / "conf" / "f.yaml").string(), fakeEnv());
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.config->store.path, (dir / "var" / "forgelink.db").lexically_normal().string());
    EXPECT_EQ(r.config->source_file, (dir / "conf" / "f.yaml").string());
    fs::remove_all(dir);
}

}  // namespace
}  // namespace forgelink::config
