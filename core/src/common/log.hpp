// Structured logs: one JSON object per line on stderr (or a given stream), with secrets redacted.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
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

class JsonLogger : public Logger {
public:
    // `component` is added to every line ("host", "provider.<name>", "forge-sim").
    explicit JsonLogger(std::string component, std::ostream* out = nullptr, LogLevel min_level = LogLevel::info);
    void log(LogLevel level, std::string_view message) override;
    // With extra fields (values are redacted too).
    void log(LogLevel level, std::string_view message, const std::map<std::string, std::string>& fields);

private:
    std::string component_;
    std::ostream* out_;
    LogLevel min_level_;
    static std::mutex mutex_;
};

}  // namespace forgelink::common
