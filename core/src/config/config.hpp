// The host configuration as typed values, after validation and ${ENV} substitution.
// Relative paths are already resolved against the directory of the configuration file.
// Every struct compares with == (serve's reload tells what changed).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace forgelink::config {

struct ListenAddress {
    std::string host;        // "127.0.0.1", "0.0.0.0", "::1" (without brackets), "localhost"
    std::uint16_t port = 0;  // 1..65535
    bool operator==(const ListenAddress&) const = default;
};

// What one client may send and hold, enforced by the HTTP server as the bytes arrive and before
// anything is authenticated (net::ServerOptions; README, Security).
struct ServerLimits {
    std::size_t max_connections = 512;          // open at once; one more gets 503
    std::size_t max_header_bytes = 32 << 10;    // request line and all headers together; 431
    std::size_t max_header_line_bytes = 8 << 10;  // one header line (431) or the request line (414)
    std::size_t max_body_bytes = 1 << 20;       // 413, at once for a declared length, as chunks arrive otherwise
    unsigned header_timeout_seconds = 10;       // from a request's first byte to the end of its headers
    unsigned body_timeout_seconds = 30;         // for a request body to arrive and an answer to be taken
    unsigned idle_timeout_seconds = 30;         // a kept-alive connection waiting for its next request
    std::size_t max_json_depth = 32;            // arrays and objects nested in a request body; 400 json_too_deep
    // Per client address, a minute's worth at once and then this rate; 429 with Retry-After; 0 = off.
    unsigned api_requests_per_minute = 1200;    // /api/..., except requests with an admin token
    unsigned login_requests_per_minute = 60;    // /auth/... (starting and finishing a forge login)
    bool operator==(const ServerLimits&) const = default;
};

struct ServerConfig {
    ListenAddress listen;
    // Distinguishes this Forgelink instance in the hidden comment marker; empty = not set.
    std::string instance_id;
    // Memory for rendered team project listings (GET /teams/{team}/projects), in MiB; 0 = no cache.
    std::size_t listing_cache_mb = 32;
    // The built web console (absolute); empty = the default beside the binary
    // (<bin>/../share/forgelink/console). A missing directory is not an error: the API serves alone.
    std::string console_dir;
    ServerLimits limits;
    // Whether people signed in through a forge may create teams (admins always may).
    bool allow_user_team_creation = false;
    // Reverse proxies (IP addresses or CIDR ranges) whose X-Forwarded-For names the client. Empty:
    // the header is ignored and the client is the connection's peer (the audit log's "from").
    std::vector<std::string> trusted_proxies;
    bool operator==(const ServerConfig&) const = default;
};

// driver "sqlite" uses path; driver "postgres" uses the other keys (README, "PostgreSQL").
struct StoreConfig {
    std::string driver = "sqlite";  // sqlite | postgres
    std::string path;        // sqlite: the database file, absolute
    // postgres: a libpq connection string or URI ("host=127.0.0.1 port=5432 user=forgelink
    // dbname=forgelink", "postgresql://forgelink@db.example/forgelink"); never holds a password.
    std::string url;
    // postgres: where the password comes from, at most one of the two (neither: libpq's own
    // means, such as ~/.pgpass, a client certificate or peer authentication).
    std::string password_env;   // name of the environment variable that holds it
    std::string password_file;  // absolute path of a file holding it (one line)
    unsigned pool_size = 8;                   // connections one host opens at most
    unsigned statement_timeout_seconds = 30;  // per session; a longer statement is cancelled
    bool operator==(const StoreConfig&) const = default;
};

// Exactly one of the two is set.
struct SecretsConfig {
    std::string key_env;     // name of the environment variable that holds the key
    std::string key_file;    // absolute path of the key file
    bool operator==(const SecretsConfig&) const = default;
};

struct PluginsConfig {
    std::vector<std::string> paths;     // absolute; empty = plugin::defaultPluginPaths()
    std::vector<std::string> required;  // provider names that must load or the host refuses to start
    bool operator==(const PluginsConfig&) const = default;
};

struct OAuthConfig {
    std::string client_id;
    std::string client_secret;  // a secret: never log it
    std::string redirect_uri;
    bool operator==(const OAuthConfig&) const = default;
};

struct ProviderConfig {
    std::string base_url;
    // Hosts the host may reach for this provider (names, *.wildcards, IPs, CIDR ranges; see
    // common/host_policy.hpp). Empty: any host whose addresses are all public.
    std::vector<std::string> allowed_hosts;
    std::optional<OAuthConfig> oauth;
    std::map<std::string, std::string> options;
    bool operator==(const ProviderConfig&) const = default;
};

// How the host reads forge answers.
struct ForgeConfig {
    std::size_t max_answer_mb = 8;  // the largest answer read; reading stops past it
    // One listing (namespaces, repositories) as the host pages through it: common/listing_bounds.hpp.
    std::size_t max_listing_pages = 2000;
    std::size_t max_listing_items = 100000;
    bool operator==(const ForgeConfig&) const = default;
};

struct FeedbackConfig {
    std::string status_context = "forgelink";
    bool comment = true;
    // A build still queued or in progress this long after it was created is ended as errored
    // ("timed out: no result within 6 h") by the maintenance loop of one host.
    std::int64_t build_timeout_seconds = 6 * 3600;
    // Deliveries one host runs at once. 0: the host takes API requests but starts no dispatcher
    // (with PostgreSQL, the other hosts on the database deliver what it accepts).
    unsigned delivery_workers = 8;
    // How often the dispatcher looks in the outbox when nothing woke it: it finds retries coming
    // due and, on SQLite, new tasks. On PostgreSQL a new task wakes every host at once (NOTIFY).
    unsigned poll_interval_ms = 500;
    bool operator==(const FeedbackConfig&) const = default;
};

// At most one of the two is set; neither = no admin API tokens.
struct AdminConfig {
    std::string tokens_env;
    std::string tokens_file;  // absolute
    bool operator==(const AdminConfig&) const = default;
};

// The maintenance loop's care of stored forge tokens.
struct TokensConfig {
    unsigned check_every_hours = 24;  // re-check each stored token this often (±10% jitter)
    unsigned check_concurrency = 4;   // tokens checked at once by one host
    bool operator==(const TokensConfig&) const = default;
};

// The record of every change of a team's settings (GET /api/v1/teams/{team}/audit).
struct AuditConfig {
    unsigned retention_days = 365;  // events older than this are purged by the maintenance loop
    bool operator==(const AuditConfig&) const = default;
};

// Notices to teams' admins (token invalid, expiring, rotated) and the webhooks they go to.
struct NotificationsConfig {
    // Hosts a team's notification webhook may reach (names, *.wildcards, IPs, CIDR ranges; see
    // common/host_policy.hpp). Empty: any host whose addresses are all public.
    std::vector<std::string> allowed_hosts;
    bool operator==(const NotificationsConfig&) const = default;
};

struct LoggingConfig {
    std::string level = "info";  // debug | info | warn | error
    bool operator==(const LoggingConfig&) const = default;
};

struct Config {
    std::string source_file;  // absolute path of the file this came from
    ServerConfig server;
    StoreConfig store;
    SecretsConfig secrets;
    PluginsConfig plugins;
    std::map<std::string, ProviderConfig> providers;
    ForgeConfig forge;
    FeedbackConfig feedback;
    AdminConfig admin;
    TokensConfig tokens;
    AuditConfig audit;
    NotificationsConfig notifications;
    LoggingConfig logging;
    bool operator==(const Config&) const = default;
};

}  // namespace forgelink::config
