#include "plugin/path_safety.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <system_error>

namespace forgelink::plugin {

namespace fs = std::filesystem;

namespace {

std::string octalMode(mode_t mode) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
    return buffer;
}

const char* kindName(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISREG(mode)) return "a regular file";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    return "a special file";
}

// `ancestor` is empty for the plugin path itself, which the refusal names already.
std::optional<std::string> checkOwnerAndMode(const fs::path& ancestor, const struct stat& st) {
    const std::string what = ancestor.empty() ? std::string("it") : "directory " + ancestor.string();
    if (st.st_mode & S_IWOTH) {
        const bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
        if (!sticky_dir) {
            return what + " is writable by others (mode " + octalMode(st.st_mode) +
                   "): refusing to load code anyone can replace";
        }
    }
    const uid_t self = geteuid();
    if (st.st_uid != 0 && st.st_uid != self) {
        return what + " is owned by uid " + std::to_string(st.st_uid) + ", expected root or the host's user (uid " +
               std::to_string(self) + "): refusing to load code someone else can replace";
    }
    return std::nullopt;
}

std::optional<std::string> checkAncestors(const fs::path& path, std::set<fs::path>& seen) {
    for (fs::path dir = path.parent_path();; dir = dir.parent_path()) {
        if (seen.insert(dir).second) {
            struct stat st {};
            if (::stat(dir.c_str(), &st) != 0) {
                return "cannot inspect directory " + dir.string() + ": " + std::strerror(errno);
            }
            if (auto problem = checkOwnerAndMode(dir, st)) return problem;
        }
        if (dir == dir.root_path() || dir.empty()) break;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> unsafeLocation(const fs::path& path, PathKind kind) {
    const fs::path given = path.lexically_normal();
    std::error_code ec;
    const fs::path canonical = fs::canonical(given, ec);
    if (ec) return "cannot resolve path: " + ec.message();

    struct stat st {};
    if (::stat(canonical.c_str(), &st) != 0) return std::string("cannot inspect: ") + std::strerror(errno);
    const bool kind_ok = kind == PathKind::directory ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
    if (!kind_ok) {
        return std::string("not ") + (kind == PathKind::directory ? "a directory" : "a regular file") + " but " +
               kindName(st.st_mode);
    }
    if (auto problem = checkOwnerAndMode({}, st)) return problem;

    std::set<fs::path> seen;
    if (auto problem = checkAncestors(given, seen)) return problem;
    if (auto problem = checkAncestors(canonical, seen)) return problem;
    return std::nullopt;
}

}  // namespace forgelink::plugin
