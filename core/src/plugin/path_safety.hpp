// Where the host agrees to load code from. A plugin runs with the host's rights, so a file that
// someone else can replace, or that sits in a directory someone else can rewrite, is refused
// (osquery refuses extensions in such places for the same reason).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace forgelink::plugin {

enum class PathKind { regular_file, directory };

// Why `path` (absolute) is not a safe place to load a plugin from, or nullopt. Checked, for the path
// as given and for its canonical form (so a symlink cannot route around the check):
//  - it exists and is of `kind` (a plugin must be a regular file, not a device or FIFO);
//  - neither it nor any directory above it is writable by others; a world-writable directory with
//    the sticky bit (like /tmp) is accepted, since others cannot rename or delete what they do not own;
//  - it and every directory above it belong to root or to the host's effective user, which closes the
//    sticky-bit gap: a directory someone else made in /tmp is theirs to rewrite.
// Group-writable paths are accepted: Debian's user-private groups make them common and the group is
// the user's own. The text names the path at fault and its mode or owner.
std::optional<std::string> unsafeLocation(const std::filesystem::path& path, PathKind kind);

}  // namespace forgelink::plugin
