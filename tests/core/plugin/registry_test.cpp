#include "plugin/registry.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <forgelink/plugin.hpp>
#include <sstream>

#include "common/log.hpp"
#include "test_dir.hpp"

namespace forgelink::plugin {
namespace {

namespace fs = std::filesystem;
using testing::TestDir;

const fs::path kExample = FORGELINK_EXAMPLE_PLUGIN;
const fs::path kBrokenDir = FORGELINK_BROKEN_PLUGIN_DIR;
const fs::path kRevision1 = FORGELINK_REVISION1_PLUGIN;

fs::path broken(const std::string& name) { return kBrokenDir / ("libforgelink_broken_" + name + ".so"); }

class RecordingServices : public HostServicesFactory {
public:
    HostServices& servicesFor(const std::string& provider_name) override {
        requested.push_back(provider_name);
        return services_[provider_name];
    }
    std::vector<std::string> requested;

private:
    std::map<std::string, HostServices> services_;
};

class RegistryTest : public ::testing::Test {
protected:
    RecordingServices services;
};

TEST_F(RegistryTest, LoadsTheExamplePluginAndReportsWhatItDeclares) {
    Registry registry(services);
    registry.load(kExample.string());
    ASSERT_TRUE(registry.refusals().empty()) << registry.refusals().front().message;

    const auto plugins = registry.plugins();
    ASSERT_EQ(plugins.size(), 1u);
    EXPECT_EQ(plugins[0].name, "example");
    EXPECT_EQ(plugins[0].version, "1.0.0");
    EXPECT_EQ(plugins[0].abi_version, FORGELINK_ABI_VERSION);
    EXPECT_EQ(plugins[0].capabilities, FORGELINK_CAP_TOKEN_VALIDATION);
    EXPECT_EQ(capabilityNames(plugins[0].capabilities), std::vector<std::string>{"token_validation"});
    EXPECT_EQ(plugins[0].path, fs::canonical(kExample).string());
    EXPECT_EQ(plugins[0].display_name, "example");
    ASSERT_NE(registry.info("example"), nullptr);
    EXPECT_EQ(registry.info("example")->path, plugins[0].path);
    EXPECT_EQ(services.requested, std::vector<std::string>{"example"});
}

TEST_F(RegistryTest, LoadsAPluginBuiltAgainstTheFirstDescriptorRevision) {
    Registry registry(services);
    registry.load(kRevision1.string());
    // Reading past its 56-byte descriptor would find a prefix list the loader refuses.
    ASSERT_TRUE(registry.refusals().empty()) << registry.refusals().front().message;
    ASSERT_EQ(registry.plugins().size(), 1u);
    EXPECT_EQ(registry.plugins()[0].name, "revision-one");
    EXPECT_EQ(registry.plugins()[0].abi_version, FORGELINK_ABI_VERSION);
    EXPECT_TRUE(registry.plugins()[0].secret_token_prefixes.empty());
    EXPECT_EQ(registry.plugins()[0].display_name, "revision-one");  // none declared: the provider name
    ASSERT_NE(registry.provider("revision-one"), nullptr);
    EXPECT_TRUE(registry.provider("revision-one")->validateToken({"https://forge.example", "revision-one-token"}).ok());
    EXPECT_FALSE(registry.provider("revision-one")->validateToken({"https://forge.example", "other"}).ok());
}

TEST_F(RegistryTest, TheLoadedProviderAnswersThroughTheInterface) {
    Registry registry(services);
    registry.load(kExample.string());
    Provider* provider = registry.provider("example");
    ASSERT_NE(provider, nullptr);

    auto accepted = provider->validateToken({"https://forge.example", "good-token"});
    ASSERT_TRUE(accepted.ok()) << accepted.error().message;
    EXPECT_EQ(accepted->identity.username, "example-user");
    EXPECT_EQ(accepted->instance, "https://forge.example");

    auto refused = provider->validateToken({"https://forge.example", "secret-but-wrong"});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::unauthorized);
    EXPECT_EQ(refused.error().message.find("secret-but-wrong"), std::string::npos);

    // What it does not declare, it does not do.
    auto listing = provider->listNamespaces({"https://forge.example", "good-token"}, {}, "");
    ASSERT_FALSE(listing.ok());
    EXPECT_EQ(listing.error().kind, ErrorKind::unsupported);
}

TEST_F(RegistryTest, UnknownNamesAreAbsent) {
    Registry registry(services);
    registry.load(kExample.string());
    EXPECT_EQ(registry.provider("gitlab"), nullptr);
    EXPECT_EQ(registry.info("gitlab"), nullptr);
}

struct RefusalCase {
    std::string library;
    std::string expected;  // the message after "<path>: "
};

class BrokenPluginTest : public RegistryTest, public ::testing::WithParamInterface<RefusalCase> {};

TEST_P(BrokenPluginTest, IsRefusedWithAMessageNamingFileAndValues) {
    const fs::path file = broken(GetParam().library);
    ASSERT_TRUE(fs::exists(file)) << file;
    Registry registry(services);
    registry.load(file.string());
    EXPECT_TRUE(registry.plugins().empty());
    ASSERT_EQ(registry.refusals().size(), 1u);
    EXPECT_EQ(registry.refusals()[0].path, file.string());
    EXPECT_EQ(registry.refusals()[0].message, file.string() + ": " + GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Refusals, BrokenPluginTest,
    ::testing::Values(
        RefusalCase{"no_symbol", "does not export forgelink_plugin_entry: not a Forgelink plugin"},
        RefusalCase{"wrong_abi", "wrong ABI version: got 7, supported 2"},
        RefusalCase{"wrong_size", "wrong descriptor size: got " +
                                      std::to_string(sizeof(forgelink_plugin_descriptor) - 4) + " bytes, expected " +
                                      std::to_string(FORGELINK_DESCRIPTOR_SIZE_REV1) + ", " +
                                      std::to_string(FORGELINK_DESCRIPTOR_SIZE_REV2) + " or " +
                                      std::to_string(FORGELINK_DESCRIPTOR_SIZE_REV3) +
                                      " (built against a different SDK?)"},
        RefusalCase{"bad_secret_prefix",
                    "secret token prefix 1 \"gl-\" is not usable: expected 4 to 40 characters of [A-Za-z0-9_-] "
                    "starting with a letter or digit (shorter or looser prefixes would mask ordinary words)"},
        RefusalCase{"wrong_fingerprint",
                    "wrong build fingerprint: got \"gcc-4.8.5;libstdc++-cxx11abi-0;boost-105300\", host \"" +
                        std::string(FORGELINK_BUILD_FINGERPRINT) +
                        "\" (plugin and host must be built with the same compiler, standard library and Boost)"},
        RefusalCase{"bad_name", "invalid provider name \"Example Forge\": expected 1 to 64 characters of [a-z0-9_-]"},
        RefusalCase{"null_create", "descriptor has no create function"},
        RefusalCase{"unknown_capability", "unknown capability bits 0x100 (this host knows 0xff)"},
        RefusalCase{"create_fails", "create failed: option 'base_url' is required"},
        RefusalCase{"create_throws",
                    "create threw (it must return NULL with a message instead): provider constructor exploded"}),
    [](const auto& info) { return info.param.library; });

TEST_F(RegistryTest, ALibraryThatCannotBeLoadedSaysWhyFromDlerror) {
    const fs::path file = broken("unresolved_symbol");
    Registry registry(services);
    registry.load(file.string());
    ASSERT_EQ(registry.refusals().size(), 1u);
    const std::string& message = registry.refusals()[0].message;
    EXPECT_EQ(message.rfind(file.string() + ": cannot load: ", 0), 0u) << message;
    EXPECT_NE(message.find("undefined symbol: forgelink_test_function_nobody_defines"), std::string::npos) << message;
}

TEST_F(RegistryTest, AFileThatIsNoLibraryIsRefused) {
    TestDir dir;
    const fs::path garbage = dir.path() / "libgarbage.so";
    std::ofstream(garbage) << std::string(256, 'x');
    Registry registry(services);
    registry.load(garbage.string());
    ASSERT_EQ(registry.refusals().size(), 1u);
    EXPECT_EQ(registry.refusals()[0].message.rfind(garbage.string() + ": cannot load: ", 0), 0u);
    EXPECT_NE(registry.refusals()[0].message.find("ELF"), std::string::npos) << registry.refusals()[0].message;
}

TEST_F(RegistryTest, RefusesADuplicateProviderNameAndKeepsTheFirst) {
    Registry registry(services);
    registry.load(kExample.string());
    const fs::path twin = broken("example_twin");
    registry.load(twin.string());
    ASSERT_EQ(registry.refusals().size(), 1u);
    EXPECT_EQ(registry.refusals()[0].message, twin.string() + ": duplicate provider name 'example': already loaded from " +
                                                  fs::canonical(kExample).string());
    ASSERT_EQ(registry.plugins().size(), 1u);
    EXPECT_EQ(registry.info("example")->version, "1.0.0");
    // The twin never got a provider made for it.
    EXPECT_EQ(services.requested, std::vector<std::string>{"example"});
}

TEST_F(RegistryTest, ScanningADirectoryRefusesEachBrokenPluginInNameOrderAndKeepsTheGoodOne) {
    Registry registry(services);
    registry.load(kExample.string());
    registry.load(kBrokenDir.string());

    std::vector<std::string> expected_paths;
    for (const auto& entry : fs::directory_iterator(kBrokenDir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("lib", 0) == 0 && entry.path().extension() == ".so") expected_paths.push_back(entry.path().string());
    }
    std::sort(expected_paths.begin(), expected_paths.end());
    ASSERT_EQ(expected_paths.size(), 12u);

    std::vector<std::string> refused_paths;
    for (const auto& refusal : registry.refusals()) {
        refused_paths.push_back(refusal.path);
        EXPECT_EQ(refusal.message.rfind(refusal.path + ": ", 0), 0u) << refusal.message;
    }
    EXPECT_EQ(refused_paths, expected_paths);

    ASSERT_EQ(registry.plugins().size(), 1u);
    ASSERT_NE(registry.provider("example"), nullptr);
    EXPECT_TRUE(registry.provider("example")->validateToken({"https://forge.example", "good-token"}).ok());
}

TEST_F(RegistryTest, ScanningIgnoresFilesThatAreNotNamedLikePlugins) {
    TestDir dir;
    std::ofstream(dir.path() / "README") << "not a plugin";
    std::ofstream(dir.path() / "libnotes.so.txt") << "not a plugin";
    std::ofstream(dir.path() / "forgelink_example.so") << "no lib prefix";
    fs::copy_file(kExample, dir.path() / "libforgelink_example.so");
    Registry registry(services);
    registry.load(dir.path().string());
    EXPECT_TRUE(registry.refusals().empty()) << registry.refusals().front().message;
    ASSERT_EQ(registry.plugins().size(), 1u);
    EXPECT_EQ(registry.plugins()[0].path, (dir.path() / "libforgelink_example.so").string());
}

TEST_F(RegistryTest, TheSameFileReachedTwiceIsOnePlugin) {
    TestDir dir;
    fs::create_symlink(kExample, dir.path() / "libforgelink_example.so");
    Registry registry(services);
    registry.load(kExample.string());
    registry.load(kExample.string());
    registry.load(dir.path().string());
    EXPECT_TRUE(registry.refusals().empty()) << registry.refusals().front().message;
    EXPECT_EQ(registry.plugins().size(), 1u);
}

TEST_F(RegistryTest, RefusesAWorldWritablePluginFile) {
    TestDir dir;
    const fs::path copy = dir.path() / "libforgelink_example.so";
    fs::copy_file(kExample, copy);
    ASSERT_EQ(::chmod(copy.c_str(), 0757), 0);
    Registry registry(services);
    registry.load(copy.string());
    EXPECT_TRUE(registry.plugins().empty());
    ASSERT_EQ(registry.refusals().size(), 1u);
    EXPECT_EQ(registry.refusals()[0].message,
              copy.string() + ": it is writable by others (mode 0757): refusing to load code anyone can replace");
}

TEST_F(RegistryTest, RefusesAPluginInAWorldWritableDirectory) {
    TestDir dir;
    const fs::path open_dir = dir.path() / "open";
    fs::create_directory(open_dir);
    const fs::path copy = open_dir / "libforgelink_example.so";
    fs::copy_file(kExample, copy);
    ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);

    Registry registry(services);
    registry.load(copy.string());
    registry.load(open_dir.string());
    EXPECT_TRUE(registry.plugins().empty());
    ASSERT_EQ(registry.refusals().size(), 2u);
    EXPECT_EQ(registry.refusals()[0].message, copy.string() + ": directory " + open_dir.string() +
                                                  " is writable by others (mode 0777): refusing to load code "
                                                  "anyone can replace");
    EXPECT_EQ(registry.refusals()[1].message,
              open_dir.string() + ": it is writable by others (mode 0777): refusing to load code anyone can replace");
}

TEST_F(RegistryTest, RefusesMissingAndEmptyPaths) {
    TestDir dir;
    Registry registry(services);
    registry.load((dir.path() / "nothing-here").string());
    registry.load("");
    ASSERT_EQ(registry.refusals().size(), 2u);
    EXPECT_EQ(registry.refusals()[0].message, (dir.path() / "nothing-here").string() + ": no such file or directory");
    EXPECT_EQ(registry.refusals()[1].message, "empty plugin path");
}

TEST_F(RegistryTest, DestroysProvidersBeforeUnloadingLibraries) {
    TestDir dir;
    const fs::path events = dir.path() / "events";
    ASSERT_EQ(::setenv("FORGELINK_EXAMPLE_EVENTS", events.c_str(), 1), 0);
    {
        Registry registry(services);
        registry.load(kExample.string());
        ASSERT_NE(registry.provider("example"), nullptr);
    }
    ::unsetenv("FORGELINK_EXAMPLE_EVENTS");
    std::ifstream in(events);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "created\ndestroyed\nunloaded\n");
}

}  // namespace
}  // namespace forgelink::plugin

namespace forgelink::plugin {
namespace {

// The real providers need a transport to be created; nothing here reaches the network.
class NoNetworkServices : public HostServicesFactory {
public:
    HostServices& servicesFor(const std::string& provider_name) override {
        auto& services = services_[provider_name];
        services.transport = &transport_;
        return services;
    }

private:
    class NoNetwork : public Transport {
    public:
        Result<HttpResponse> send(const HttpRequest&) override {
            return makeError(ErrorKind::transient, "no network in this test", "no_network");
        }
        std::vector<Result<HttpResponse>> sendAll(const std::vector<HttpRequest>& requests, std::size_t) override {
            return std::vector<Result<HttpResponse>>(requests.size(),
                                                     makeError(ErrorKind::transient, "no network in this test"));
        }
    };
    NoNetwork transport_;
    std::map<std::string, HostServices> services_;
};

std::string logged(const std::string& message) {
    std::ostringstream out;
    common::JsonLogger logger("host", &out);
    logger.log(LogLevel::warn, message, {{"detail", message}});
    return out.str();
}

TEST(RegistryRedaction, LoadingTheForgePluginsTeachesTheLoggerTheirTokenShapes) {
    const std::string gitlab_secret = "AbCdEf0123456789xyz";
    const std::string github_secret = "16C7e42F292c6912E7710c838347Ae178B4a";
    // The core alone knows no forge (see log_test): a fresh redactor leaves the shape alone.
    EXPECT_NE(common::Redactor().redact("token glpat-" + gitlab_secret).find(gitlab_secret), std::string::npos);

    NoNetworkServices services;
    Registry registry(services);
    registry.load(FORGELINK_GITLAB_PLUGIN);
    registry.load(FORGELINK_GITHUB_PLUGIN);
    ASSERT_TRUE(registry.refusals().empty()) << registry.refusals().front().message;
    ASSERT_NE(registry.info("gitlab"), nullptr);
    EXPECT_EQ(registry.info("gitlab")->display_name, "GitLab");
    EXPECT_EQ(registry.info("github")->display_name, "GitHub");
    const auto& gitlab_prefixes = registry.info("gitlab")->secret_token_prefixes;
    EXPECT_NE(std::find(gitlab_prefixes.begin(), gitlab_prefixes.end(), "glpat-"), gitlab_prefixes.end());

    // A token that slipped into free text, in the message and in a field, is masked by every logger.
    const std::string gitlab_line = logged("the forge refused glpat-" + gitlab_secret + " for project 42");
    EXPECT_EQ(gitlab_line.find(gitlab_secret), std::string::npos) << gitlab_line;
    EXPECT_NE(gitlab_line.find("glpat-[REDACTED] for project 42"), std::string::npos) << gitlab_line;
    for (const std::string& token : {"ghp_" + github_secret, "github_pat_11ABCDEFG0_" + github_secret}) {
        const std::string line = logged("sent " + token);
        EXPECT_EQ(line.find(github_secret), std::string::npos) << line;
        EXPECT_NE(line.find("[REDACTED]"), std::string::npos) << line;
    }
    // And common::redact(), which error texts go through.
    EXPECT_EQ(common::redact("gldt-" + gitlab_secret).find(gitlab_secret), std::string::npos);
    // Ordinary words that merely resemble a prefix stay.
    EXPECT_EQ(common::redact("see the glpat- docs; ghp_ tokens are classic"),
              "see the glpat- docs; ghp_ tokens are classic");
}

}  // namespace
}  // namespace forgelink::plugin
