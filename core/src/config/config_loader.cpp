#include "config/config_loader.hpp"

#include "common/strings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <type_traits>

#include <forgelink/support/http_text.hpp>
#include <forgelink/support/url.hpp>

#include "common/host_policy.hpp"
#include "config/closest_match.hpp"
#include "config/postgres_url.hpp"
#include "config/yaml_structure.hpp"

namespace forgelink::config {

std::string Diagnostic::toString() const {
    if (line <= 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

Environment processEnvironment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

namespace {

namespace fs = std::filesystem;

// Every node is read through const references: non-const operator[] inserts keys and
// Node assignment rewrites the tree (yaml-cpp #980, #928).
using Node = YAML::Node;

bool isEnvName(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool isProviderName(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

std::string describe(const Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map: return "a mapping";
        case YAML::NodeType::Sequence: return "a sequence";
        case YAML::NodeType::Scalar: return "a scalar value";
        case YAML::NodeType::Null: return "nothing (null)";
        case YAML::NodeType::Undefined: break;
    }
    return "nothing";
}

std::string upperSnake(std::string_view text) {
    std::string out;
    for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
    return out;
}

// Returns what is wrong with `url`, or "" when it is an acceptable http(s) URL. The URL is read
// by the one parser (forgelink/support/url.hpp); the rules and their words are the configuration's.
std::string urlProblem(const std::string& url, bool allow_query) {
    const support::UrlParts parts = support::splitUrl(url);
    if (!parts.absolute) return "expected an absolute URL like https://host[:port][/path]";
    const std::string scheme = support::asciiLower(parts.scheme);
    if (scheme != "http" && scheme != "https") return "the scheme must be http or https, got '" + scheme + "'";
    if (std::any_of(url.begin(), url.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
        return "a URL must not contain spaces";
    if (parts.userinfo)
        return "credentials in a URL are refused: they would be logged; configure secrets through ${ENV} or files";
    if (parts.host_syntax == support::HostSyntax::unclosed_bracket) return "unterminated IPv6 address in the host";
    if (parts.host_syntax == support::HostSyntax::text_after_bracket) return "unexpected text after the IPv6 address";
    if (parts.host.empty()) return "the URL has no host";
    // A ':' after the host asks for a port ("host:" too); an IPv6 address's own colons do not.
    if (parts.port && (parts.port->size() > 5 || !support::parsePort(*parts.port)))
        return "the port must be a number from 1 to 65535";
    if (!allow_query && (parts.query || parts.fragment)) return "a base URL must not have a query or fragment";
    return "";
}

class Validator {
public:
    Validator(std::string file, fs::path base_dir, const Environment& env)
        : file_(std::move(file)), base_dir_(std::move(base_dir)), env_(env) {}

    std::vector<Diagnostic> takeErrors() {
        std::stable_sort(errors_.begin(), errors_.end(), [](const Diagnostic& a, const Diagnostic& b) {
            return std::tie(a.line, a.column) < std::tie(b.line, b.column);
        });
        return std::move(errors_);
    }

    void error(const YAML::Mark& mark, std::string message) {
        // Null marks (-1) come from empty documents: point at the start of the file.
        int line = mark.line < 0 ? 1 : mark.line + 1;
        int column = mark.column < 0 ? 1 : mark.column + 1;
        errors_.push_back({file_, line, column, std::move(message)});
    }

    // yaml-cpp keeps every duplicate silently; report all but the first, anywhere in the tree.
    void findDuplicates(const Node& node, const std::string& path) {
        if (node.IsMap()) {
            std::map<std::string, YAML::Mark> seen;
            for (auto it = node.begin(); it != node.end(); ++it) {
                // A copy, never `const Node&`: yaml-cpp's iterator-> returns a temporary proxy, so a
                // reference to it->first dangles at the end of the statement (ASan:
                // stack-use-after-scope). Nodes are handles: copying one copies no tree.
                const Node key = it->first;
                std::string name = key.IsScalar() ? key.Scalar() : std::string();
                std::string child = path.empty() ? name : path + "." + name;
                if (key.IsScalar()) {
                    auto [pos, inserted] = seen.emplace(name, key.Mark());
                    if (!inserted) {
                        error(key.Mark(), "duplicate key '" + child + "' (first defined at line " +
                                              std::to_string(pos->second.line + 1) + ", column " +
                                              std::to_string(pos->second.column + 1) +
                                              "); YAML would silently keep only one of them");
                    }
                }
                findDuplicates(it->second, child);
            }
        } else if (node.IsSequence()) {
            std::size_t i = 0;
            for (auto it = node.begin(); it != node.end(); ++it, ++i)
                findDuplicates(*it, path + "[" + std::to_string(i) + "]");
        }
    }

    // A key/value pair of a mapping, with the key's mark (null values have no useful mark).
    struct Entry {
        Node key;
        Node value;
        const YAML::Mark& where() const {
            return value.IsNull() || !value.IsDefined() ? keyMark() : valueMark();
        }
        const YAML::Mark& keyMark() const { return key_mark; }
        const YAML::Mark& valueMark() const { return value_mark; }
        YAML::Mark key_mark;
        YAML::Mark value_mark;
    };

    // Checks that `node` is a mapping whose keys are all known, and returns its entries by key.
    // `refused` maps keys that must never appear to the reason why.
    std::map<std::string, Entry> mapping(const Node& node, const YAML::Mark& where, const std::string& path,
                                         const std::vector<std::string>& allowed,
                                         const std::map<std::string, std::string>& refused = {}) {
        std::map<std::string, Entry> entries;
        if (!node.IsMap()) {
            error(where, (path.empty() ? std::string("the configuration") : "'" + path + "'") +
                             ": expected a mapping, got " + describe(node));
            return entries;
        }
        for (auto it = node.begin(); it != node.end(); ++it) {
            const Node key = it->first;  // a copy: see findDuplicates
            if (!key.IsScalar()) {
                error(key.Mark(), "keys must be plain names, got " + describe(key));
                continue;
            }
            const std::string& name = key.Scalar();
            std::string full = path.empty() ? name : path + "." + name;
            if (auto r = refused.find(name); r != refused.end()) {
                error(key.Mark(), "'" + full + "': " + r->second);
                continue;
            }
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
                std::string message = "unknown key '" + full + "'";
                if (auto near = closestMatch(name, allowed)) message += "; did you mean '" + *near + "'?";
                else message += "; expected one of: " + join(allowed);
                error(key.Mark(), message);
                continue;
            }
            entries.emplace(name, Entry{key, it->second, key.Mark(), it->second.Mark()});
        }
        return entries;
    }

    void missing(const YAML::Mark& parent_mark, const std::string& path, const std::string& key,
                 const std::string& hint) {
        std::string full = path.empty() ? key : path + "." + key;
        error(parent_mark, "missing required key '" + full + "'" + (hint.empty() ? "" : ": " + hint));
    }

    // A string value with ${ENV} substitution. std::nullopt after reporting a problem.
    std::optional<std::string> string(const Entry& entry, const std::string& path, bool allow_empty = false) {
        if (!entry.value.IsScalar()) {
            error(entry.where(), "'" + path + "': expected a string, got " + describe(entry.value));
            return std::nullopt;
        }
        auto value = substitute(entry.value.Scalar(), entry.valueMark(), path);
        if (value && value->empty() && !allow_empty) {
            error(entry.valueMark(), "'" + path + "' must not be empty");
            return std::nullopt;
        }
        return value;
    }

    // A secret must come from the environment: the whole value is one ${VAR} reference.
    std::optional<std::string> secret(const Entry& entry, const std::string& path, const std::string& suggested_var) {
        if (!entry.value.IsScalar()) {
            error(entry.where(), "'" + path + "': expected a string, got " + describe(entry.value));
            return std::nullopt;
        }
        const std::string& raw = entry.value.Scalar();
        bool is_reference = raw.size() > 3 && raw.compare(0, 2, "${") == 0 && raw.back() == '}' &&
                            isEnvName(std::string_view(raw).substr(2, raw.size() - 3));
        if (!is_reference) {
            // Never echo the value: it may be the secret itself.
            error(entry.valueMark(), "'" + path +
                                         "': a literal secret in the configuration file is refused; write '${" +
                                         suggested_var + "}' instead and set that environment variable");
            return std::nullopt;
        }
        return string(entry, path);
    }

    std::optional<bool> boolean(const Entry& entry, const std::string& path) {
        bool value = false;
        if (!entry.value.IsScalar() || entry.value.Tag() == "!" || !YAML::convert<bool>::decode(entry.value, value)) {
            std::string got = entry.value.IsScalar() ? "'" + entry.value.Scalar() + "'" : describe(entry.value);
            error(entry.where(), "'" + path + "': expected a bool (true or false), got " + got);
            return std::nullopt;
        }
        return value;
    }

    // A whole number written in decimal digits (after ${VAR} substitution), from `min` to `max`.
    std::optional<long long> integer(const Entry& entry, const std::string& path, long long min, long long max) {
        const std::string expected = "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
        if (!entry.value.IsScalar() || entry.value.Tag() == "!") {
            std::string got = entry.value.IsScalar() ? "'" + entry.value.Scalar() + "'" : describe(entry.value);
            error(entry.where(), "'" + path + "': " + expected + ", got " + got);
            return std::nullopt;
        }
        auto text = substitute(entry.value.Scalar(), entry.valueMark(), path);
        if (!text) return std::nullopt;
        const auto value = common::parseDigits(*text);
        if (!value || *value < min || *value > max) {
            error(entry.valueMark(), "'" + path + "': " + expected + ", got '" + *text + "'");
            return std::nullopt;
        }
        return *value;
    }

    std::vector<std::string> stringList(const Entry& entry, const std::string& path) {
        std::vector<std::string> out;
        if (!entry.value.IsSequence()) {
            error(entry.where(), "'" + path + "': expected a sequence of strings, got " + describe(entry.value));
            return out;
        }
        std::size_t i = 0;
        for (auto it = entry.value.begin(); it != entry.value.end(); ++it, ++i) {
            const Node& item = *it;
            std::string item_path = path + "[" + std::to_string(i) + "]";
            if (auto v = string(Entry{Node(), item, item.Mark(), item.Mark()}, item_path)) out.push_back(*v);
        }
        return out;
    }

    std::string resolvePath(const std::string& p) const {
        fs::path path(p);
        if (path.is_relative()) path = base_dir_ / path;
        return path.lexically_normal().string();
    }

    std::optional<std::string> envName(const Entry& entry, const std::string& path) {
        auto name = string(entry, path);
        if (name && !isEnvName(*name)) {
            error(entry.valueMark(), "'" + path + "': expected the name of an environment variable ([A-Za-z_][A-Za-z0-9_]*), got '" +
                                         *name + "'");
            return std::nullopt;
        }
        return name;
    }

    static std::string join(const std::vector<std::string>& words) {
        std::string out;
        for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
        return out;
    }

private:
    // Replaces each ${NAME} with the variable's value. A '$' not followed by '{' stays as is.
    std::optional<std::string> substitute(const std::string& raw, const YAML::Mark& mark, const std::string& path) {
        std::string out;
        bool ok = true;
        std::size_t i = 0;
        while (i < raw.size()) {
            if (raw.compare(i, 2, "${") != 0) {
                out += raw[i++];
                continue;
            }
            auto close = raw.find('}', i + 2);
            if (close == std::string::npos) {
                error(mark, "'" + path + "': unterminated '${' (write ${NAME} to use an environment variable)");
                return std::nullopt;
            }
            std::string name = raw.substr(i + 2, close - i - 2);
            if (!isEnvName(name)) {
                error(mark, "'" + path + "': '${" + name +
                                "}' is not a valid environment variable reference (expected ${NAME} with NAME in [A-Za-z_][A-Za-z0-9_]*)");
                ok = false;
            } else if (auto value = env_(name)) {
                out += *value;
            } else {
                error(mark, "'" + path + "': environment variable " + name +
                                " is not set (referenced as ${" + name + "}); set it or change the value");
                ok = false;
            }
            i = close + 1;
        }
        if (!ok) return std::nullopt;
        return out;
    }

    std::string file_;
    fs::path base_dir_;
    const Environment& env_;
    std::vector<Diagnostic> errors_;
};

using Entries = std::map<std::string, Validator::Entry>;

const Validator::Entry* find(const Entries& entries, const std::string& key) {
    auto it = entries.find(key);
    return it == entries.end() ? nullptr : &it->second;
}

void readListen(Validator& v, const Validator::Entry& entry, ListenAddress& out) {
    auto text = v.string(entry, "server.listen");
    if (!text) return;
    const std::string expected = "expected host:port, like 127.0.0.1:8080 or [::1]:8080";
    std::string host, port;
    if (!text->empty() && (*text)[0] == '[') {
        auto close = text->find(']');
        if (close == std::string::npos || close + 1 >= text->size() || (*text)[close + 1] != ':') {
            v.error(entry.valueMark(), "'server.listen': " + expected + ", got '" + *text + "'");
            return;
        }
        host = text->substr(1, close - 1);
        port = text->substr(close + 2);
    } else {
        auto colon = text->rfind(':');
        if (colon == std::string::npos || text->find(':') != colon) {
            v.error(entry.valueMark(), "'server.listen': " + expected + ", got '" + *text + "'");
            return;
        }
        host = text->substr(0, colon);
        port = text->substr(colon + 1);
    }
    bool host_ok = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':';
    });
    if (!host_ok) {
        v.error(entry.valueMark(), "'server.listen': the host part is missing or malformed; " + expected + ", got '" +
                                       *text + "'");
        return;
    }
    bool digits = !port.empty() && port.size() <= 5 &&
                  std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    int number = digits ? std::stoi(port) : 0;
    if (number < 1 || number > 65535) {
        v.error(entry.valueMark(), "'server.listen': the port must be a number from 1 to 65535, got '" + port + "'");
        return;
    }
    out.host = host;
    out.port = static_cast<std::uint16_t>(number);
}

void readLimits(Validator& v, const Validator::Entry& section, ServerLimits& out) {
    auto e = v.mapping(section.value, section.where(), "server.limits",
                       {"max_connections", "max_header_bytes", "max_header_line_bytes", "max_body_bytes",
                        "header_timeout_seconds", "body_timeout_seconds", "idle_timeout_seconds", "max_json_depth",
                        "api_requests_per_minute", "login_requests_per_minute"});
    const auto read = [&](const char* key, long long min, long long max, auto& field) {
        if (auto* entry = find(e, key))
            if (auto value = v.integer(*entry, std::string("server.limits.") + key, min, max))
                field = static_cast<std::remove_reference_t<decltype(field)>>(*value);
    };
    read("max_connections", 1, 65536, out.max_connections);
    read("max_header_bytes", 1024, 1 << 20, out.max_header_bytes);
    read("max_header_line_bytes", 256, 1 << 20, out.max_header_line_bytes);
    read("max_body_bytes", 1024, 1LL << 30, out.max_body_bytes);
    read("header_timeout_seconds", 1, 3600, out.header_timeout_seconds);
    read("body_timeout_seconds", 1, 3600, out.body_timeout_seconds);
    read("idle_timeout_seconds", 1, 3600, out.idle_timeout_seconds);
    read("max_json_depth", 2, 1000, out.max_json_depth);
    read("api_requests_per_minute", 0, 1000000, out.api_requests_per_minute);
    read("login_requests_per_minute", 0, 1000000, out.login_requests_per_minute);
    auto* line = find(e, "max_header_line_bytes");
    if (!line) out.max_header_line_bytes = std::min(out.max_header_line_bytes, out.max_header_bytes);
    if (out.max_header_line_bytes > out.max_header_bytes) {
        v.error(line->valueMark(),
                "'server.limits.max_header_line_bytes' (" + std::to_string(out.max_header_line_bytes) +
                    ") is larger than 'server.limits.max_header_bytes' (" + std::to_string(out.max_header_bytes) +
                    "), which bounds all header lines together; lower it or raise max_header_bytes");
    }
}

void readServer(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "server",
                       {"listen", "instance_id", "listing_cache_mb", "console_dir", "limits", "allow_user_team_creation",
                        "trusted_proxies"});
    if (section.value.IsMap() && !find(e, "listen"))
        v.missing(section.keyMark(), "server", "listen", "the address to serve on, like 127.0.0.1:8080");
    if (auto* listen = find(e, "listen")) readListen(v, *listen, config.server.listen);
    if (auto* id = find(e, "instance_id")) {
        if (auto value = v.string(*id, "server.instance_id")) {
            if (!isProviderName(*value))
                v.error(id->valueMark(), "'server.instance_id': use lower-case letters, digits, '-' and '_' only, got '" +
                                             *value + "'");
            else
                config.server.instance_id = *value;
        }
    }
    if (auto* cache = find(e, "listing_cache_mb"))
        if (auto value = v.integer(*cache, "server.listing_cache_mb", 0, 65536))
            config.server.listing_cache_mb = static_cast<std::size_t>(*value);
    if (auto* console = find(e, "console_dir")) {
        if (auto value = v.string(*console, "server.console_dir")) {
            std::error_code ec;
            const std::string resolved = v.resolvePath(*value);
            if (fs::exists(resolved, ec) && !fs::is_directory(resolved, ec))
                v.error(console->valueMark(), "'server.console_dir': " + resolved +
                                                  " is not a directory; expected the directory of the built web console");
            else
                config.server.console_dir = resolved;
        }
    }
    if (auto* limits = find(e, "limits")) readLimits(v, *limits, config.server.limits);
    if (auto* teams = find(e, "allow_user_team_creation"))
        if (auto value = v.boolean(*teams, "server.allow_user_team_creation"))
            config.server.allow_user_team_creation = *value;
    if (auto* proxies = find(e, "trusted_proxies"); proxies && !proxies->value.IsNull()) {
        const auto entries = v.stringList(*proxies, "server.trusted_proxies");
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const std::string& entry = entries[i];
            const auto slash = entry.find('/');
            if (!common::IpAddress::parse(entry.substr(0, slash)) || !common::HostPolicy::entryProblem(entry).empty())
                v.error(proxies->valueMark(), "'server.trusted_proxies[" + std::to_string(i) + "]': expected an IP "
                                              "address or CIDR range (like 10.0.0.5 or 10.0.0.0/8), got '" + entry + "'");
            else
                config.server.trusted_proxies.push_back(entry);
        }
    }
}

void readForge(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "forge", {"max_answer_mb", "max_listing_pages", "max_listing_items"});
    if (auto* answer = find(e, "max_answer_mb"))
        if (auto value = v.integer(*answer, "forge.max_answer_mb", 1, 1024))
            config.forge.max_answer_mb = static_cast<std::size_t>(*value);
    if (auto* pages = find(e, "max_listing_pages"))
        if (auto value = v.integer(*pages, "forge.max_listing_pages", 1, 1000000))
            config.forge.max_listing_pages = static_cast<std::size_t>(*value);
    if (auto* items = find(e, "max_listing_items"))
        if (auto value = v.integer(*items, "forge.max_listing_items", 1, 10000000))
            config.forge.max_listing_items = static_cast<std::size_t>(*value);
}

void readTokens(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "tokens", {"check_every_hours", "check_concurrency"});
    if (auto* every = find(e, "check_every_hours"))
        if (auto value = v.integer(*every, "tokens.check_every_hours", 1, 720))
            config.tokens.check_every_hours = static_cast<unsigned>(*value);
    if (auto* concurrency = find(e, "check_concurrency"))
        if (auto value = v.integer(*concurrency, "tokens.check_concurrency", 1, 64))
            config.tokens.check_concurrency = static_cast<unsigned>(*value);
}

void readAudit(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "audit", {"retention_days"});
    if (auto* days = find(e, "retention_days"))
        if (auto value = v.integer(*days, "audit.retention_days", 1, 36500))
            config.audit.retention_days = static_cast<unsigned>(*value);
}

void readNotifications(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "notifications", {"allowed_hosts"});
    if (auto* hosts = find(e, "allowed_hosts"); hosts && !hosts->value.IsNull()) {
        const auto entries = v.stringList(*hosts, "notifications.allowed_hosts");
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (auto problem = common::HostPolicy::entryProblem(entries[i]); !problem.empty()) {
                v.error(hosts->valueMark(),
                        "'notifications.allowed_hosts[" + std::to_string(i) + "]': " + problem +
                            "; expected a host name, *.domain, an IP address or a CIDR range");
            } else {
                config.notifications.allowed_hosts.push_back(entries[i]);
            }
        }
    }
}

void readStore(Validator& v, const Validator::Entry& section, Config& config) {
    static const std::vector<std::string> sqlite_keys = {"path"};
    static const std::vector<std::string> postgres_keys = {"url", "password_env", "password_file", "pool_size",
                                                           "statement_timeout_seconds"};
    std::vector<std::string> allowed = {"driver"};
    allowed.insert(allowed.end(), sqlite_keys.begin(), sqlite_keys.end());
    allowed.insert(allowed.end(), postgres_keys.begin(), postgres_keys.end());
    auto e = v.mapping(section.value, section.where(), "store", allowed,
                       {{"password", "an inline password is refused: put it in a file (password_file) or an "
                                     "environment variable (password_env)"}});
    if (!section.value.IsMap()) return;
    std::string driver = config.store.driver;
    if (auto* entry = find(e, "driver")) {
        auto value = v.string(*entry, "store.driver");
        if (!value) return;
        if (*value != "sqlite" && *value != "postgres") {
            v.error(entry->valueMark(), "'store.driver': unsupported driver '" + *value + "'; expected: sqlite, postgres");
            return;
        }
        driver = config.store.driver = *value;
    }
    // A key of the other driver is a mistake worth saying, not something to ignore.
    for (const auto& key : driver == "sqlite" ? postgres_keys : sqlite_keys)
        if (auto* entry = find(e, key))
            v.error(entry->keyMark(), "'store." + key + "' applies to driver " +
                                          (driver == "sqlite" ? "postgres" : "sqlite") + " only; this store's driver is " +
                                          driver);
    if (driver == "sqlite") {
        if (auto* path = find(e, "path")) {
            if (auto value = v.string(*path, "store.path")) config.store.path = v.resolvePath(*value);
        } else {
            v.missing(section.keyMark(), "store", "path", "the database file, like ../var/forgelink.db");
        }
        return;
    }
    if (auto* url = find(e, "url")) {
        if (auto value = v.string(*url, "store.url")) {
            if (auto problem = postgresUrlProblem(*value); !problem.empty())
                v.error(url->valueMark(), "'store.url': " + problem);
            else
                config.store.url = *value;
        }
    } else {
        v.missing(section.keyMark(), "store", "url",
                  "the libpq connection string or URI, like \"host=127.0.0.1 port=5432 user=forgelink dbname=forgelink\"");
    }
    auto* env = find(e, "password_env");
    auto* file = find(e, "password_file");
    if (env && file) {
        v.error(file->keyMark(), "'store': set at most one of password_env and password_file, not both");
    } else if (env) {
        if (auto name = v.envName(*env, "store.password_env")) config.store.password_env = *name;
    } else if (file) {
        if (auto path = v.string(*file, "store.password_file")) config.store.password_file = v.resolvePath(*path);
    }
    if (auto* size = find(e, "pool_size"))
        if (auto value = v.integer(*size, "store.pool_size", 1, 1000)) config.store.pool_size = static_cast<unsigned>(*value);
    if (auto* timeout = find(e, "statement_timeout_seconds"))
        if (auto value = v.integer(*timeout, "store.statement_timeout_seconds", 1, 3600))
            config.store.statement_timeout_seconds = static_cast<unsigned>(*value);
}

void readSecrets(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "secrets", {"key_env", "key_file"},
                       {{"key", "an inline key is refused: put it in a file (key_file) or an environment variable "
                                "(key_env)"}});
    if (!section.value.IsMap()) return;
    auto* env = find(e, "key_env");
    auto* file = find(e, "key_file");
    if (env && file) {
        v.error(file->keyMark(), "'secrets': set exactly one of key_env and key_file, not both");
        return;
    }
    if (!env && !file) {
        v.error(section.keyMark(), "missing required key: set one of 'secrets.key_env' or 'secrets.key_file' "
                                   "(where the key that seals stored secrets comes from)");
        return;
    }
    if (env) {
        if (auto name = v.envName(*env, "secrets.key_env")) config.secrets.key_env = *name;
    } else if (auto path = v.string(*file, "secrets.key_file")) {
        config.secrets.key_file = v.resolvePath(*path);
    }
}

void readPlugins(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "plugins", {"paths", "required"});
    if (auto* paths = find(e, "paths")) {
        if (!paths->value.IsNull())  // "paths:" with nothing means the defaults
            for (auto& p : v.stringList(*paths, "plugins.paths")) config.plugins.paths.push_back(v.resolvePath(p));
    }
    if (auto* required = find(e, "required")) {
        if (!required->value.IsNull()) {
            for (auto& name : v.stringList(*required, "plugins.required")) {
                if (!isProviderName(name))
                    v.error(required->valueMark(), "'plugins.required': '" + name +
                                                       "' is not a provider name (lower-case letters, digits, '-', '_')");
                else
                    config.plugins.required.push_back(name);
            }
        }
    }
}

void readOAuth(Validator& v, const Validator::Entry& section, const std::string& provider, ProviderConfig& out) {
    const std::string path = "providers." + provider + ".oauth";
    auto e = v.mapping(section.value, section.where(), path, {"client_id", "client_secret", "redirect_uri"});
    if (!section.value.IsMap()) return;
    OAuthConfig oauth;
    bool ok = true;
    const std::string prefix = "FORGELINK_" + upperSnake(provider);
    for (const char* key : {"client_id", "client_secret", "redirect_uri"}) {
        if (!find(e, key)) {
            v.missing(section.keyMark(), path, key, "");
            ok = false;
        }
    }
    if (auto* id = find(e, "client_id")) {
        if (auto value = v.string(*id, path + ".client_id")) oauth.client_id = *value;
        else ok = false;
    }
    if (auto* secret = find(e, "client_secret")) {
        if (auto value = v.secret(*secret, path + ".client_secret", prefix + "_CLIENT_SECRET"))
            oauth.client_secret = *value;
        else
            ok = false;
    }
    if (auto* redirect = find(e, "redirect_uri")) {
        if (auto value = v.string(*redirect, path + ".redirect_uri")) {
            if (auto problem = urlProblem(*value, true); !problem.empty()) {
                v.error(redirect->valueMark(), "'" + path + ".redirect_uri': " + problem);
                ok = false;
            } else {
                oauth.redirect_uri = *value;
            }
        } else {
            ok = false;
        }
    }
    if (ok) out.oauth = std::move(oauth);
}

void readProviders(Validator& v, const Validator::Entry& section, Config& config) {
    if (section.value.IsNull()) return;  // "providers:" with nothing: none configured
    if (!section.value.IsMap()) {
        v.error(section.where(), "'providers': expected a mapping of provider name to settings, got " +
                                     describe(section.value));
        return;
    }
    for (auto it = section.value.begin(); it != section.value.end(); ++it) {
        const Node key = it->first;  // copies: see findDuplicates
        if (!key.IsScalar() || !isProviderName(key.Scalar())) {
            v.error(key.Mark(), "'providers': a provider name uses lower-case letters, digits, '-' and '_' only");
            continue;
        }
        const std::string name = key.Scalar();
        const std::string path = "providers." + name;
        const Node body = it->second;
        auto e = v.mapping(body, body.IsNull() ? key.Mark() : body.Mark(), path,
                           {"base_url", "allowed_hosts", "oauth", "options"});
        if (!body.IsMap()) continue;
        ProviderConfig provider;
        if (auto* url = find(e, "base_url")) {
            if (auto value = v.string(*url, path + ".base_url")) {
                if (auto problem = urlProblem(*value, false); !problem.empty())
                    v.error(url->valueMark(), "'" + path + ".base_url': " + problem);
                else
                    provider.base_url = *value;
            }
        } else if (!find(e, "allowed_hosts")) {
            // Without a default base URL each team gives its own; allowed_hosts alone then says where.
            v.missing(key.Mark(), path, "base_url",
                      "the forge instance's root URL, like https://forge.example.com (or only allowed_hosts, "
                      "when each team gives its own base URL)");
        }
        if (auto* hosts = find(e, "allowed_hosts"); hosts && !hosts->value.IsNull()) {
            const auto entries = v.stringList(*hosts, path + ".allowed_hosts");
            for (std::size_t i = 0; i < entries.size(); ++i) {
                if (auto problem = common::HostPolicy::entryProblem(entries[i]); !problem.empty()) {
                    v.error(hosts->valueMark(), "'" + path + ".allowed_hosts[" + std::to_string(i) + "]': " + problem +
                                                    ", got '" + entries[i] + "'");
                } else {
                    provider.allowed_hosts.push_back(entries[i]);
                }
            }
        }
        if (auto* oauth = find(e, "oauth")) {
            if (!oauth->value.IsNull()) readOAuth(v, *oauth, name, provider);
        }
        if (auto* options = find(e, "options"); options && !options->value.IsNull()) {
            if (!options->value.IsMap()) {
                v.error(options->where(), "'" + path + ".options': expected a mapping of string to string, got " +
                                              describe(options->value));
            } else {
                for (auto o = options->value.begin(); o != options->value.end(); ++o) {
                    if (!o->first.IsScalar()) {
                        v.error(o->first.Mark(), "'" + path + ".options': keys must be plain names");
                        continue;
                    }
                    std::string option_path = path + ".options." + o->first.Scalar();
                    Validator::Entry entry{o->first, o->second, o->first.Mark(), o->second.Mark()};
                    if (auto value = v.string(entry, option_path, true))
                        provider.options[o->first.Scalar()] = *value;
                }
            }
        }
        config.providers[name] = std::move(provider);
    }
}

void readFeedback(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "feedback",
                       {"status_context", "comment", "build_timeout_seconds", "delivery_workers", "poll_interval_ms"});
    if (auto* context = find(e, "status_context")) {
        if (auto value = v.string(*context, "feedback.status_context")) config.feedback.status_context = *value;
    }
    if (auto* comment = find(e, "comment")) {
        if (auto value = v.boolean(*comment, "feedback.comment")) config.feedback.comment = *value;
    }
    // One second (tests) to 30 days; a build may not run forever, so there is no "off".
    if (auto* timeout = find(e, "build_timeout_seconds")) {
        if (auto value = v.integer(*timeout, "feedback.build_timeout_seconds", 1, 30LL * 24 * 3600))
            config.feedback.build_timeout_seconds = *value;
    }
    if (auto* workers = find(e, "delivery_workers")) {
        if (auto value = v.integer(*workers, "feedback.delivery_workers", 0, 256))
            config.feedback.delivery_workers = static_cast<unsigned>(*value);
    }
    // 10 ms to 10 minutes: a retry comes due at most this late.
    if (auto* poll = find(e, "poll_interval_ms")) {
        if (auto value = v.integer(*poll, "feedback.poll_interval_ms", 10, 600000))
            config.feedback.poll_interval_ms = static_cast<unsigned>(*value);
    }
}

void readAdmin(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "admin", {"tokens_env", "tokens_file"},
                       {{"tokens", "inline admin tokens are refused: put them in a file (tokens_file) or an "
                                   "environment variable (tokens_env)"}});
    auto* env = find(e, "tokens_env");
    auto* file = find(e, "tokens_file");
    if (env && file) {
        v.error(file->keyMark(), "'admin': set at most one of tokens_env and tokens_file, not both");
        return;
    }
    if (env) {
        if (auto name = v.envName(*env, "admin.tokens_env")) config.admin.tokens_env = *name;
    } else if (file) {
        if (auto path = v.string(*file, "admin.tokens_file")) config.admin.tokens_file = v.resolvePath(*path);
    }
}

void readLogging(Validator& v, const Validator::Entry& section, Config& config) {
    auto e = v.mapping(section.value, section.where(), "logging", {"level"});
    if (auto* level = find(e, "level")) {
        if (auto value = v.string(*level, "logging.level")) {
            static const std::vector<std::string> levels = {"debug", "info", "warn", "error"};
            if (std::find(levels.begin(), levels.end(), *value) == levels.end()) {
                std::string message = "'logging.level': unknown level '" + *value + "'";
                if (auto near = closestMatch(*value, levels)) message += "; did you mean '" + *near + "'?";
                else message += "; expected one of: debug, info, warn, error";
                v.error(level->valueMark(), message);
            } else {
                config.logging.level = *value;
            }
        }
    }
}

}  // namespace

LoadResult parseConfig(const std::string& text, const std::string& file_name, const std::string& base_dir,
                       const Environment& env) {
    LoadResult result;
    YAML::Node parsed;
    try {
        // Before any node is built: a recursive alias would build a cyclic graph and nested
        // aliases an exponential walk (yaml_structure.hpp).
        if (auto problem = checkYamlStructure(text)) {
            result.errors.push_back({file_name, problem->line, problem->column, problem->message});
            return result;
        }
        parsed = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        result.errors.push_back({file_name, e.mark.line + 1, e.mark.column + 1, "YAML syntax error: " + e.msg});
        return result;
    } catch (const YAML::Exception& e) {
        result.errors.push_back({file_name, 1, 1, std::string("cannot parse YAML: ") + e.what()});
        return result;
    }
    const YAML::Node& root = parsed;

    Validator v(file_name, base_dir, env);
    Config config;
    try {
        v.findDuplicates(root, "");
        YAML::Mark top = root.Mark();
        if (root.IsNull() || !root.IsDefined()) {
            v.error(top, "the configuration is empty; expected a mapping with at least 'server', 'store' and "
                         "'secrets' (see config/forgelink.yaml)");
            result.errors = v.takeErrors();
            return result;
        }
        auto e = v.mapping(root, top, "",
                           {"server", "store", "secrets", "plugins", "providers", "forge", "feedback", "admin",
                            "tokens", "audit", "notifications", "logging"});
        if (root.IsMap()) {
            if (auto* s = find(e, "server")) readServer(v, *s, config);
            else v.missing(top, "", "server", "the listen address");
            if (auto* s = find(e, "store")) readStore(v, *s, config);
            else v.missing(top, "", "store", "where the database lives");
            if (auto* s = find(e, "secrets")) readSecrets(v, *s, config);
            else v.missing(top, "", "secrets", "key_env or key_file for the key that seals stored secrets");
            if (auto* s = find(e, "plugins"); s && !s->value.IsNull()) readPlugins(v, *s, config);
            if (auto* s = find(e, "providers")) readProviders(v, *s, config);
            if (auto* s = find(e, "forge"); s && !s->value.IsNull()) readForge(v, *s, config);
            if (auto* s = find(e, "feedback"); s && !s->value.IsNull()) readFeedback(v, *s, config);
            if (auto* s = find(e, "admin"); s && !s->value.IsNull()) readAdmin(v, *s, config);
            if (auto* s = find(e, "tokens"); s && !s->value.IsNull()) readTokens(v, *s, config);
            if (auto* s = find(e, "audit"); s && !s->value.IsNull()) readAudit(v, *s, config);
            if (auto* s = find(e, "notifications"); s && !s->value.IsNull()) readNotifications(v, *s, config);
            if (auto* s = find(e, "logging"); s && !s->value.IsNull()) readLogging(v, *s, config);
        }
    } catch (const YAML::Exception& e) {
        // A const read should never throw; if it does, say where instead of crashing.
        v.error(e.mark, std::string("cannot read the configuration: ") + e.msg);
    }
    result.errors = v.takeErrors();
    if (result.errors.empty()) result.config = std::move(config);
    return result;
}

LoadResult loadConfig(const std::string& path, const Environment& env) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path absolute = fs::absolute(path, ec);
    if (ec) absolute = path;
    if (fs::is_directory(absolute, ec)) {
        LoadResult result;
        result.errors.push_back({path, 0, 0, "cannot open the configuration file: it is a directory; expected a "
                                             "YAML file such as config/forgelink.yaml"});
        return result;
    }
    std::ifstream in(absolute, std::ios::binary);
    if (!in) {
        LoadResult result;
        std::string reason = fs::exists(absolute, ec) ? "cannot be read (permissions?)" : "no such file";
        result.errors.push_back({path, 0, 0, "cannot open the configuration file: " + reason});
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto result = parseConfig(text.str(), path, absolute.parent_path().lexically_normal().string(), env);
    if (result.config) result.config->source_file = absolute.lexically_normal().string();
    return result;
}

}  // namespace forgelink::config
