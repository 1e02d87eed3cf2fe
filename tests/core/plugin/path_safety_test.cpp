#include "plugin/path_safety.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "test_dir.hpp"

namespace forgelink::plugin {
namespace {

namespace fs = std::filesystem;
using testing::TestDir;

fs::path makeFile(const fs::path& path, mode_t mode = 0644) {
    std::ofstream(path) << "not really a library";
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
}

std::string problem(const fs::path& path, PathKind kind = PathKind::regular_file) {
    auto found = unsafeLocation(path, kind);
    return found ? *found : "";
}

TEST(PathSafety, AcceptsAPrivateFile) {
    TestDir dir;
    EXPECT_EQ(problem(makeFile(dir.path() / "libok.so")), "");
    EXPECT_EQ(problem(dir.path(), PathKind::directory), "");
}

TEST(PathSafety, RefusesAWorldWritableFileAndSaysItsMode) {
    TestDir dir;
    const auto file = makeFile(dir.path() / "libopen.so", 0646);
    EXPECT_EQ(problem(file), "it is writable by others (mode 0646): refusing to load code anyone can replace");
}

TEST(PathSafety, RefusesAWorldWritableParentDirectoryAndNamesIt) {
    TestDir dir;
    const fs::path open_dir = dir.path() / "open";
    fs::create_directory(open_dir);
    ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
    const auto file = makeFile(open_dir / "libok.so");
    EXPECT_EQ(problem(file), "directory " + open_dir.string() +
                                 " is writable by others (mode 0777): refusing to load code anyone can replace");
    // The directory itself, when given as a plugin directory.
    EXPECT_EQ(problem(open_dir, PathKind::directory),
              "it is writable by others (mode 0777): refusing to load code anyone can replace");
}

TEST(PathSafety, RefusesADeeperWorldWritableAncestor) {
    TestDir dir;
    const fs::path open_dir = dir.path() / "open";
    fs::create_directories(open_dir / "a" / "b");
    ASSERT_EQ(::chmod(open_dir.c_str(), 0757), 0);
    const auto file = makeFile(open_dir / "a" / "b" / "libok.so");
    EXPECT_NE(problem(file).find("directory " + open_dir.string() + " is writable by others (mode 0757)"),
              std::string::npos)
        << problem(file);
}

TEST(PathSafety, AcceptsAStickyWorldWritableAncestorLikeTmp) {
    // Others cannot rename or delete entries they do not own in a sticky directory.
    TestDir dir;
    const fs::path sticky = dir.path() / "sticky";
    fs::create_directory(sticky);
    ASSERT_EQ(::chmod(sticky.c_str(), 01777), 0);
    fs::create_directory(sticky / "mine");
    EXPECT_EQ(problem(makeFile(sticky / "mine" / "libok.so")), "");
}

TEST(PathSafety, ASymlinkCannotRouteAroundTheCheck) {
    TestDir dir;
    const auto real = makeFile(dir.path() / "libreal.so");
    const fs::path open_dir = dir.path() / "open";
    fs::create_directory(open_dir);
    ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
    fs::create_symlink(real, open_dir / "liblink.so");
    EXPECT_NE(problem(open_dir / "liblink.so").find("directory " + open_dir.string() + " is writable by others"),
              std::string::npos);

    // And the other way round: a safe link to a file in an unsafe place.
    const auto exposed = makeFile(open_dir / "libexposed.so");
    fs::create_symlink(exposed, dir.path() / "libsafe-looking.so");
    EXPECT_NE(problem(dir.path() / "libsafe-looking.so").find("is writable by others"), std::string::npos);
}

TEST(PathSafety, RefusesNonRegularFiles) {
    TestDir dir;
    const fs::path fifo = dir.path() / "libfifo.so";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(problem(fifo), "not a regular file but a FIFO");
    fs::create_directory(dir.path() / "libdir.so");
    EXPECT_EQ(problem(dir.path() / "libdir.so"), "not a regular file but a directory");
    EXPECT_EQ(problem(makeFile(dir.path() / "file"), PathKind::directory), "not a directory but a regular file");
}

TEST(PathSafety, RefusesAMissingFile) {
    TestDir dir;
    EXPECT_EQ(problem(dir.path() / "libmissing.so"), "cannot resolve path: No such file or directory");
}

TEST(PathSafety, RefusesAFileOwnedBySomeoneElse) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
    TestDir dir;
    const auto file = makeFile(dir.path() / "libtheirs.so");
    ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);
    EXPECT_EQ(problem(file), "it is owned by uid 65534, expected root or the host's user (uid 0): refusing to load "
                             "code someone else can replace");
}

}  // namespace
}  // namespace forgelink::plugin
