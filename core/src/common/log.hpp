// Structured logs: one JSON object per line (or one readable line, LogFormat::text) on a given
// stream, stderr by default, with secrets redacted.
#pragma once

#include <atomic>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgelink/transport.hpp"  // Logger, LogLevel

namespace forgelink::common {

// Masks what looks like a secret in free text. The core knows no forge, only forge-neutral
// shapes: values of Authorization / PRIVATE-TOKEN / Cookie / Set-Cookie (and similar) headers,
// private_token= / access_token= / client_secret= / refresh_token= / code= parameters, secret-named
// JSON fields, passwords in URLs and "Bearer ..." values. A forge's own token shapes come from its
// plugin: each declares the prefixes of its secrets (descriptor secret_token_prefixes) and the
// plugin registry adds them to the global redactor when it loads the plugin.
class Redactor {
public:
    // The process's redactor: redact() and every JsonLogger use it.
    static Redactor& global();

    std::string redact(std::string_view text) const;
    // From now on also masks "<prefix><6 or more of [A-Za-z0-9_.-]>" wherever it appears
    // (case-sensitive), keeping the prefix: "glpat-[REDACTED]". Known prefixes are ignored.
    // Thread-safe, also while other threads redact.
    void addTokenPrefixes(const std::vector<std::string>& prefixes);
    std::vector<std::string> tokenPrefixes() const;  // sorted

private:
    struct TokenRule;  // the compiled pattern; <regex> stays out of this header
    mutable std::mutex mutex_;
    std::vector<std::string> prefixes_;
    std::shared_ptr<const TokenRule> token_rule_;  // null while no prefix is known
};

// Redactor::global().redact(text).
std::string redact(std::string_view text);

// True for header names whose values are secrets (case-insensitive).
bool isSecretHeader(std::string_view name);

enum class LogFormat {
    // {"ts":"2026-12-06T21:00:00.123Z","level":"info","component":"host","msg":"listening","url":"..."}
    json,
    // 2026-12-06T21:00:00.123Z info  host: listening url=http://127.0.0.1:8080 (for a terminal)
    text,
};

// "json" | "text"; std::nullopt for anything else.
std::optional<LogFormat> parseLogFormat(std::string_view text);
// "debug" | "info" | "warn" | "error"; std::nullopt for anything else.
std::optional<LogLevel> parseLogLevelName(std::string_view text);
std::string_view logLevelName(LogLevel level);

// Where a process's loggers write, in which format, and from which level on. Loggers that share a
// sink share its level, so a reload (SIGHUP) changes the level of all of them at once.
class LogSink {
public:
    LogSink(std::ostream& out, LogFormat format, LogLevel min_level)
        : out_(&out), format_(format), min_level_(static_cast<int>(min_level)) {}
    LogFormat format() const noexcept { return format_; }
    LogLevel minLevel() const noexcept { return static_cast<LogLevel>(min_level_.load()); }
    void setMinLevel(LogLevel level) noexcept { min_level_.store(static_cast<int>(level)); }
    bool enabled(LogLevel level) const noexcept { return static_cast<int>(level) >= min_level_.load(); }
    // Writes `line` and a newline and flushes; lines of concurrent writers never interleave.
    void writeLine(std::string_view line);

private:
    std::ostream* out_;
    LogFormat format_;
    std::atomic<int> min_level_;
};

class JsonLogger : public Logger {
public:
    // `component` is added to every line ("host", "provider.<name>", "forge-sim").
    explicit JsonLogger(std::string component, std::ostream* out = nullptr, LogLevel min_level = LogLevel::info);
    // Writes to a shared sink (format and level are the sink's).
    JsonLogger(std::string component, std::shared_ptr<LogSink> sink);
    void log(LogLevel level, std::string_view message) override;
    // With extra fields (values are redacted too).
    void log(LogLevel level, std::string_view message, const std::map<std::string, std::string>& fields);
    LogSink& sink() const noexcept { return *sink_; }

private:
    std::string component_;
    std::shared_ptr<LogSink> sink_;
};

}  // namespace forgelink::common
