// The web console's static files (web/, built into a directory: server.console_dir), served at
// every GET/HEAD path the API does not own (see isConsolePath).
//
// What a request gets:
//  - the file at that path when it exists inside the directory: no "." or ".." segment, no
//    dotfile, no symbolic link that leads outside the directory, regular files only;
//  - a missing path under /assets/ (hashed build output) is 404: a stale page asking for an old
//    bundle must fail visibly, not receive index.html as script;
//  - any other missing path gets index.html (the app routes in the browser);
//  - no directory (or no index.html): 404 saying the console is not built and how to build it.
// Every response carries the console's Content-Security-Policy, X-Content-Type-Options and
// Referrer-Policy. Files under assets/ are cached for a year (immutable); everything else,
// index.html included, is `no-cache` (revalidated with its ETag). A pre-compressed FILE.gz
// beside FILE is sent when Accept-Encoding allows gzip.
//
// File contents are kept in memory after the first read, bounded (least recently used out), and
// re-read when a file's size or modification time changes (a rebuilt console is picked up).
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/http_server.hpp"

namespace forgelink::service {

// The console's default directory: <dir of the running binary>/../share/forgelink/console (the
// build tree's bin/ and share/, and an installed /usr/bin and /usr/share alike). Empty when the
// binary's location cannot be read.
std::string defaultConsoleDir();

// Paths the API owns: /api, /auth, /healthz, /metrics and everything under them.
bool isConsolePath(std::string_view path) noexcept;

// "text/javascript; charset=utf-8" for "app.js", application/octet-stream when unknown.
std::string_view contentTypeFor(std::string_view file_name) noexcept;

// Whether an Accept-Encoding value allows gzip (RFC 9110 §12.5.3: "gzip", "x-gzip" or "*" with
// a q-value above 0, unless gzip itself is given q=0).
bool acceptsGzip(std::string_view accept_encoding);

// The headers every console response carries.
inline constexpr const char* kConsoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
void addConsoleSecurityHeaders(net::ServerResponse& response);

class ConsoleAssets {
public:
    // `dir` may be empty or missing: then every console path answers "not built".
    // `cache_bytes` bounds the file contents kept in memory (0: read every time).
    explicit ConsoleAssets(std::string dir, std::size_t cache_bytes = std::size_t{16} << 20);

    const std::string& dir() const noexcept { return dir_; }
    // Whether the directory holds an index.html now.
    bool available() const;

    // Answers a GET or HEAD of a console path (isConsolePath). The body is set for HEAD too;
    // the caller drops it.
    net::ServerResponse serve(const net::ServerRequest& request);

    std::size_t cachedBytes() const;

private:
    struct File {
        std::shared_ptr<const std::string> content;
        std::string etag;
    };
    struct Entry {
        File file;
        std::uintmax_t size = 0;
        std::filesystem::file_time_type mtime{};
        std::list<std::string>::iterator recent;
    };

    // The canonical path of `relative` inside the directory when it is a regular file there.
    std::optional<std::filesystem::path> locate(const std::filesystem::path& relative) const;
    // The file's content and tag, from memory when unchanged on disk.
    std::optional<File> read(const std::filesystem::path& path);
    net::ServerResponse fileResponse(const net::ServerRequest& request, const std::filesystem::path& relative,
                                     const std::filesystem::path& path, bool immutable);
    net::ServerResponse notBuilt(const net::ServerRequest& request) const;

    std::string dir_;
    std::filesystem::path root_;  // canonical, empty when missing at construction
    const std::size_t cache_bytes_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> recency_;  // most recently used first
    std::size_t bytes_ = 0;
};

}  // namespace forgelink::service
