#include "plugin/plugin_paths.hpp"

#include <gtest/gtest.h>

#include "plugin/registry.hpp"
#include "test_dir.hpp"

namespace forgelink::plugin {
namespace {

namespace fs = std::filesystem;
using testing::TestDir;

const fs::path kInstallDir = "lib/forgelink/plugins";

TEST(PluginPaths, BuildTreeExecutableUsesTheBuildPluginDir) {
    TestDir dir;
    const fs::path build = dir.path() / "build";
    fs::create_directories(build / "plugins");
    fs::create_directories(build / "core" / "src" / "cli");
    EXPECT_EQ(pluginDirsForExecutable(build / "core/src/cli/forgelink", build, build / "plugins", kInstallDir),
              std::vector<std::string>{(build / "plugins").string()});
    EXPECT_EQ(pluginDirsForExecutable(build / "tests/x/test", build, build / "plugins", kInstallDir),
              std::vector<std::string>{(build / "plugins").string()});
}

TEST(PluginPaths, BuildTreeWithoutPluginsYieldsNothing) {
    TestDir dir;
    const fs::path build = dir.path() / "build";
    fs::create_directories(build / "bin");
    // Even in a bin/ folder, a build-tree executable never falls back to an install location.
    fs::create_directories(build / kInstallDir);
    EXPECT_TRUE(pluginDirsForExecutable(build / "bin/forgelink", build, build / "plugins", kInstallDir).empty());
}

TEST(PluginPaths, InstalledExecutableUsesPrefixLibForgelinkPlugins) {
    TestDir dir;
    const fs::path prefix = dir.path() / "prefix";
    fs::create_directories(prefix / "bin");
    fs::create_directories(prefix / kInstallDir);
    EXPECT_EQ(pluginDirsForExecutable(prefix / "bin/forgelink", "/nonexistent/build", "/nonexistent/build/plugins",
                                      kInstallDir),
              std::vector<std::string>{(prefix / kInstallDir).string()});
}

TEST(PluginPaths, InstalledWithoutPluginDirOrOutsideBinYieldsNothing) {
    TestDir dir;
    const fs::path prefix = dir.path() / "prefix";
    fs::create_directories(prefix / "bin");
    EXPECT_TRUE(pluginDirsForExecutable(prefix / "bin/forgelink", "/nonexistent", "/nonexistent/p", kInstallDir).empty());
    fs::create_directories(prefix / kInstallDir);
    fs::create_directories(prefix / "sbin");
    EXPECT_TRUE(pluginDirsForExecutable(prefix / "sbin/forgelink", "/nonexistent", "/nonexistent/p", kInstallDir).empty());
}

TEST(PluginPaths, ABuildRootPrefixIsNotABuildTree) {
    // /x/build2/bin is not inside /x/build, however alike the strings.
    TestDir dir;
    fs::create_directories(dir.path() / "build" / "plugins");
    fs::create_directories(dir.path() / "build2" / "bin");
    EXPECT_TRUE(pluginDirsForExecutable(dir.path() / "build2/bin/forgelink", dir.path() / "build",
                                        dir.path() / "build/plugins", kInstallDir)
                    .empty());
}

TEST(PluginPaths, DefaultPathsOfThisTestExecutableAreTheBuildTreeOnes) {
    // This test runs from the build tree, so only the build's plugins/ may come back, if it exists.
    for (const auto& path : defaultPluginPaths()) {
        EXPECT_EQ(fs::path(path).filename(), "plugins") << path;
        EXPECT_TRUE(fs::is_directory(path)) << path;
        EXPECT_EQ(path.find("lib/forgelink"), std::string::npos) << path;
    }
}

}  // namespace
}  // namespace forgelink::plugin
