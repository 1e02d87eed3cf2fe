// Reads and validates the YAML configuration before anything starts. Every problem is
// collected (not just the first) and reported as "file:line:column: message" (1-based).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace forgelink::config {

struct Diagnostic {
    std::string file;
    int line = 0;    // 1-based; 0 when the problem has no position (file unreadable)
    int column = 0;  // 1-based
    std::string message;
    // "file:line:column: message", or "file: message" without a position.
    std::string toString() const;
};

// Looks an environment variable up; std::nullopt when unset. Tests pass their own.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
Environment processEnvironment();

struct LoadResult {
    std::optional<Config> config;      // set only when there are no diagnostics
    std::vector<Diagnostic> errors;    // sorted by position
    bool ok() const noexcept { return config.has_value(); }
};

// Loads `path`. Relative paths inside are resolved against the file's own directory.
LoadResult loadConfig(const std::string& path, const Environment& env = processEnvironment());

// Validates YAML text; `file_name` names it in diagnostics, `base_dir` anchors relative paths.
LoadResult parseConfig(const std::string& text, const std::string& file_name, const std::string& base_dir,
                       const Environment& env = processEnvironment());

}  // namespace forgelink::config
