#include "service/console_assets.hpp"

#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include <forgelink/support/http_text.hpp>

#include "common/strings.hpp"
#include "service/etag.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace fs = std::filesystem;

namespace {

constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kRevalidate = "no-cache";

bool startsWithSegment(std::string_view path, std::string_view prefix) {
    return path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

// The request path as a relative path of safe segments, or nothing when any segment is unsafe.
// Empty segments ("a//b", a trailing "/") are skipped.
std::optional<fs::path> safeRelative(std::string_view path) {
    fs::path relative;
    for (const auto& segment : common::split(path, '/')) {
        if (segment.empty()) continue;
        if (segment.front() == '.') return std::nullopt;  // ".", "..", and dotfiles (.env, .git)
        for (unsigned char c : segment)
            if (c < 0x20 || c == 0x7f || c == '\\' || c == ':') return std::nullopt;
        relative /= segment;
    }
    return relative;
}

bool within(const fs::path& root, const fs::path& path) {
    auto r = root.begin(), p = path.begin();
    for (; r != root.end(); ++r, ++p)
        if (p == path.end() || *p != *r) return false;
    return p != path.end();
}

std::string readWhole(const fs::path& path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    ok = in.good() || in.eof();
    return std::move(out).str();
}

bool wantsHtml(const net::ServerRequest& request) {
    const std::string* accept = request.header("Accept");
    return accept != nullptr && accept->find("text/html") != std::string::npos;
}

}  // namespace

std::string defaultConsoleDir() {
    std::error_code ec;
    const fs::path executable = fs::read_symlink("/proc/self/exe", ec);  // Linux, like the rest of the host
    if (ec || executable.empty()) return {};
    return (executable.parent_path().parent_path() / "share" / "forgelink" / "console")
        .lexically_normal()
        .string();
}

bool isConsolePath(std::string_view path) noexcept {
    for (std::string_view owned : {"/api", "/auth", "/healthz", "/metrics"})
        if (startsWithSegment(path, owned)) return false;
    return true;
}

std::string_view contentTypeFor(std::string_view file_name) noexcept {
    static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".txt", "text/plain; charset=utf-8"},
        {".xml", "application/xml"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".avif", "image/avif"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".ttf", "font/ttf"},
        {".otf", "font/otf"},
        {".wasm", "application/wasm"},
        {".gz", "application/gzip"},
    };
    const auto dot = file_name.rfind('.');
    if (dot != std::string_view::npos) {
        const auto extension = file_name.substr(dot);
        for (const auto& [ext, type] : kTypes)
            if (common::iequals(ext, extension)) return type;
    }
    return "application/octet-stream";
}

bool acceptsGzip(std::string_view accept_encoding) {
    std::optional<bool> gzip, any;
    for (const auto& item : common::split(accept_encoding, ',')) {
        const auto parts = common::split(item, ';');
        const std::string coding = support::asciiLower(support::trimSpace(parts.front()));
        double q = 1.0;
        for (std::size_t i = 1; i < parts.size(); ++i) {
            const auto param = support::trimSpace(parts[i]);
            if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                try {
                    q = std::stod(std::string(param.substr(2)));
                } catch (const std::exception&) {
                    q = 0;  // unreadable: as if refused
                }
            }
        }
        if (coding == "gzip" || coding == "x-gzip") gzip = q > 0;
        else if (coding == "*") any = q > 0;
    }
    if (gzip) return *gzip;
    return any.value_or(false);
}

void addConsoleSecurityHeaders(net::ServerResponse& response) {
    response.headers.emplace_back("Content-Security-Policy", kConsoleCsp);
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "same-origin");
}

ConsoleAssets::ConsoleAssets(std::string dir, std::size_t cache_bytes)
    : dir_(std::move(dir)), cache_bytes_(cache_bytes) {}

bool ConsoleAssets::available() const {
    if (dir_.empty()) return false;
    std::error_code ec;
    return fs::is_regular_file(fs::path(dir_) / "index.html", ec);
}

std::size_t ConsoleAssets::cachedBytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

std::optional<fs::path> ConsoleAssets::locate(const fs::path& relative) const {
    if (dir_.empty()) return std::nullopt;
    std::error_code ec;
    const fs::path root = fs::canonical(dir_, ec);
    if (ec) return std::nullopt;
    // canonical() follows every symbolic link, so a link that leads out of the directory (or a
    // ".." smuggled in some other way) ends up outside root and is refused.
    const fs::path path = fs::canonical(root / relative, ec);
    if (ec || !within(root, path)) return std::nullopt;
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    return path;
}

std::optional<ConsoleAssets::File> ConsoleAssets::read(const fs::path& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) return std::nullopt;
    const auto mtime = fs::last_write_time(path, ec);
    if (ec) return std::nullopt;
    const std::string key = path.string();
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(key);
        if (it != entries_.end()) {
            if (it->second.size == size && it->second.mtime == mtime) {
                recency_.splice(recency_.begin(), recency_, it->second.recent);
                return it->second.file;
            }
            bytes_ -= it->second.file.content->size();
            recency_.erase(it->second.recent);
            entries_.erase(it);
        }
    }
    bool ok = false;
    auto content = std::make_shared<const std::string>(readWhole(path, ok));
    if (!ok) return std::nullopt;
    File file{content, strongEtag(*content)};
    // A file bigger than a quarter of the bound is served but not kept: it would push out
    // everything else for one request.
    if (content->size() != size || content->size() > cache_bytes_ / 4) return file;
    std::lock_guard lock(mutex_);
    if (entries_.count(key) != 0) return file;  // another request read it meanwhile
    recency_.push_front(key);
    entries_.emplace(key, Entry{file, size, mtime, recency_.begin()});
    bytes_ += content->size();
    while (bytes_ > cache_bytes_ && !recency_.empty()) {
        auto last = entries_.find(recency_.back());
        bytes_ -= last->second.file.content->size();
        entries_.erase(last);
        recency_.pop_back();
    }
    return file;
}

net::ServerResponse ConsoleAssets::fileResponse(const net::ServerRequest& request, const fs::path& relative,
                                                const fs::path& path, bool immutable) {
    std::optional<File> file;
    bool gzipped = false;
    if (const std::string* accept = request.header("Accept-Encoding"); accept != nullptr && acceptsGzip(*accept)) {
        fs::path gz = relative;
        gz += ".gz";
        if (auto gz_path = locate(gz)) {
            file = read(*gz_path);
            gzipped = file.has_value();
        }
    }
    if (!file) file = read(path);
    if (!file) {
        auto response = errorResponse(500, "internal", "the console file could not be read; see the server log");
        addConsoleSecurityHeaders(response);
        return response;
    }
    net::ServerResponse response;
    // The compressed variant is another representation: its own tag, so a cache never answers a
    // client that cannot gunzip with it.
    response.headers = {{"ETag", file->etag},
                        {"Cache-Control", immutable ? kImmutable : kRevalidate},
                        {"Vary", "Accept-Encoding"}};
    addConsoleSecurityHeaders(response);
    if (const std::string* tags = request.header("If-None-Match"); tags != nullptr && ifNoneMatchHits(*tags, file->etag)) {
        response.status = 304;
        return response;
    }
    response.status = 200;
    response.headers.emplace_back("Content-Type", std::string(contentTypeFor(path.filename().string())));
    if (gzipped) response.headers.emplace_back("Content-Encoding", "gzip");
    response.shared_body = file->content;
    return response;
}

net::ServerResponse ConsoleAssets::notBuilt(const net::ServerRequest& request) const {
    const std::string where = dir_.empty() ? std::string("(no directory configured)") : dir_;
    const std::string message =
        "the web console is not built: no index.html in " + where +
        ". Build it with `cmake --build build` (it builds web/ into build/share/forgelink/console), or point "
        "server.console_dir at a built console. The REST API under /api/v1 works without it.";
    net::ServerResponse response;
    if (wantsHtml(request)) {
        response.status = 404;
        response.headers = {{"Content-Type", "text/html; charset=utf-8"}, {"Cache-Control", "no-store"}};
        std::string escaped;
        for (char c : message) {
            if (c == '<') escaped += "&lt;";
            else if (c == '>') escaped += "&gt;";
            else if (c == '&') escaped += "&amp;";
            else escaped += c;
        }
        response.body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Forgelink: console "
                        "not built</title></head>\n<body><h1>The Forgelink console is not built</h1>\n<p>" +
                        escaped + "</p></body></html>\n";
    } else {
        response = errorResponse(404, "console_not_built", message, {{"console_dir", dir_}});
    }
    addConsoleSecurityHeaders(response);
    return response;
}

net::ServerResponse ConsoleAssets::serve(const net::ServerRequest& request) {
    auto relative = safeRelative(request.path);
    if (!relative) {
        auto response = errorResponse(404, "not_found", "no such console file");
        addConsoleSecurityHeaders(response);
        return response;
    }
    const bool under_assets = !relative->empty() && *relative->begin() == "assets";
    if (!relative->empty())
        if (auto path = locate(*relative)) return fileResponse(request, *relative, *path, under_assets);
    if (under_assets) {
        auto response = errorResponse(404, "not_found", "no console asset " + request.path);
        addConsoleSecurityHeaders(response);
        return response;
    }
    const fs::path index = "index.html";
    if (auto path = locate(index)) return fileResponse(request, index, *path, false);
    return notBuilt(request);
}

}  // namespace forgelink::service
