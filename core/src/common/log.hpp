// Structured logs: one JSON object per line on stderr (or a given stream), with secrets redacted.
#pragma once

#include <iosfwd>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "forgelink/transport.hpp"  // Logger, LogLevel

namespace forgelink::common {

// Masks what looks like a secret in free text: values of Authorization / PRIVATE-TOKEN / Cookie /
// Set-Cookie headers, private_token= / access_token= / client_secret= / refresh_token= / code=
// query parameters, and token shapes (glpat-..., ghp_..., gho_..., github_pat_..., Bearer ...).
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
