// Where plugins live by default, worked out from where the running executable is.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace forgelink::plugin {

// The existing default plugin directories for an executable at `executable`:
//  - in a build tree (the executable is anywhere below `build_root`): `build_plugin_dir`;
//  - installed (the executable is in <prefix>/bin): <prefix>/`install_plugin_dir`.
// A build-tree host never picks up an installed plugin set and vice versa: the two may come from
// different builds, whose fingerprints would only get them refused. Directories that do not exist
// are left out. `install_plugin_dir` is relative to the prefix (e.g. "lib/forgelink/plugins").
std::vector<std::string> pluginDirsForExecutable(const std::filesystem::path& executable,
                                                 const std::filesystem::path& build_root,
                                                 const std::filesystem::path& build_plugin_dir,
                                                 const std::filesystem::path& install_plugin_dir);

}  // namespace forgelink::plugin
