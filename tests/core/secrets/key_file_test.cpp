#include "secrets/key_file.hpp"

#include <cstdlib>
#include <fstream>

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace forgelink::secrets {
namespace {

using forgelink::testing::TempDir;

mode_t modeOf(const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
}

TEST(KeyFileTest, KeygenWritesA0600FileThatLoads) {
    TempDir dir;
    const auto path = dir / "forgelink.key";
    auto made = keygen(path);
    ASSERT_TRUE(made.ok()) << made.error().message;
    EXPECT_EQ(modeOf(path), 0600u);
    auto box = loadKeyFile(path);
    ASSERT_TRUE(box.ok()) << box.error().message;
    EXPECT_EQ(box->keyId(), made->key_id);
}

TEST(KeyFileTest, KeygenRefusesToOverwrite) {
    TempDir dir;
    const auto path = dir / "k";
    ASSERT_TRUE(keygen(path).ok());
    auto first = loadKeyFile(path);
    ASSERT_TRUE(first.ok());
    auto again = keygen(path);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::conflict);
    auto still = loadKeyFile(path);
    ASSERT_TRUE(still.ok());
    EXPECT_EQ(still->keyId(), first->keyId());
}

TEST(KeyFileTest, RefusesGroupOrWorldReadableFileSayingChmod600) {
    TempDir dir;
    const auto path = dir / "k";
    ASSERT_TRUE(keygen(path).ok());
    for (mode_t mode : {0640, 0604, 0660, 0610}) {
        ASSERT_EQ(::chmod(path.c_str(), mode), 0);
        auto box = loadKeyFile(path);
        ASSERT_FALSE(box.ok()) << std::oct << mode;
        EXPECT_EQ(box.error().code, "key_file_permissions");
        EXPECT_NE(box.error().message.find("chmod 600 " + path.string()), std::string::npos) << box.error().message;
    }
    ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
    EXPECT_TRUE(loadKeyFile(path).ok());
}

TEST(KeyFileTest, MissingFileSaysHowToCreateOne) {
    TempDir dir;
    auto box = loadKeyFile(dir / "absent.key");
    ASSERT_FALSE(box.ok());
    EXPECT_EQ(box.error().kind, ErrorKind::not_found);
    EXPECT_NE(box.error().message.find("forgelink keygen"), std::string::npos);
}

TEST(KeyFileTest, GarbageContentIsRefusedWithoutEchoingIt) {
    TempDir dir;
    const auto path = dir / "k";
    {
        std::ofstream out(path);
        out << "hunter2-not-a-key\n";
    }
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    auto box = loadKeyFile(path);
    ASSERT_FALSE(box.ok());
    EXPECT_EQ(box.error().code, "bad_key");
    EXPECT_NE(box.error().message.find(path.string()), std::string::npos);
    EXPECT_EQ(box.error().message.find("hunter2"), std::string::npos);
}

TEST(KeyFileTest, SymlinkIsRefused) {
    TempDir dir;
    ASSERT_TRUE(keygen(dir / "real").ok());
    std::filesystem::create_symlink(dir / "real", dir / "link");
    auto box = loadKeyFile(dir / "link");
    ASSERT_FALSE(box.ok());
    EXPECT_EQ(box.error().code, "key_file_symlink");
}

TEST(KeyFileTest, EnvironmentVariableSource) {
    // A name unique to this process: tests may run in parallel processes, never sharing env.
    const std::string var = "FORGELINK_TEST_KEY_" + std::to_string(::getpid());
    const std::string key = generateKey();
    ASSERT_EQ(::setenv(var.c_str(), key.c_str(), 1), 0);
    auto box = loadKey(KeySource{{}, var});
    ASSERT_TRUE(box.ok()) << box.error().message;
    auto same = SecretBox::fromBase64(key, "t");
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(box->keyId(), same->keyId());
    ::unsetenv(var.c_str());
    auto missing = loadKey(KeySource{{}, var});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, "key_env_missing");
    EXPECT_NE(missing.error().message.find(var), std::string::npos);
}

TEST(KeyFileTest, SourceMustNameExactlyOne) {
    auto none = loadKey(KeySource{});
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, "key_source_missing");
    auto both = loadKey(KeySource{"/x", "Y"});
    ASSERT_FALSE(both.ok());
    EXPECT_EQ(both.error().code, "key_source_ambiguous");
}

}  // namespace
}  // namespace forgelink::secrets
