#include "plugin/plugin_paths.hpp"

#include <algorithm>
#include <system_error>

namespace forgelink::plugin {

namespace fs = std::filesystem;

namespace {

bool isWithin(const fs::path& path, const fs::path& root) {
    if (root.empty()) return false;
    const auto mismatch = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
    // A trailing separator in `root` shows up as a last empty element.
    return mismatch.first == root.end() || (std::next(mismatch.first) == root.end() && mismatch.first->empty());
}

fs::path normalized(const fs::path& path) {
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(path, ec);
    return ec ? path.lexically_normal() : resolved;
}

bool isDirectory(const fs::path& path) {
    std::error_code ec;
    return fs::is_directory(path, ec);
}

}  // namespace

std::vector<std::string> pluginDirsForExecutable(const fs::path& executable, const fs::path& build_root,
                                                 const fs::path& build_plugin_dir,
                                                 const fs::path& install_plugin_dir) {
    std::vector<std::string> dirs;
    const fs::path exe = normalized(executable);
    if (!build_root.empty() && isWithin(exe, normalized(build_root))) {
        if (isDirectory(build_plugin_dir)) dirs.push_back(normalized(build_plugin_dir).string());
        return dirs;
    }
    const fs::path bin = exe.parent_path();
    if (bin.filename() == "bin" && !install_plugin_dir.empty()) {
        const fs::path candidate = install_plugin_dir.is_absolute() ? install_plugin_dir
                                                                     : bin.parent_path() / install_plugin_dir;
        if (isDirectory(candidate)) dirs.push_back(normalized(candidate).string());
    }
    return dirs;
}

}  // namespace forgelink::plugin
