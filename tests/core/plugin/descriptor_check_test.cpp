#include "plugin/descriptor_check.hpp"

#include <gtest/gtest.h>

#include <forgelink/plugin.hpp>

#include "plugin/registry.hpp"

namespace forgelink::plugin {
namespace {

void* createNothing(void*, char*, std::size_t) noexcept { return nullptr; }
void destroyNothing(void*) noexcept {}

constexpr const char* kHost = FORGELINK_BUILD_FINGERPRINT;

forgelink_plugin_descriptor valid() {
    return {FORGELINK_ABI_VERSION, sizeof(forgelink_plugin_descriptor), "example", "1.0.0", kHost,
            FORGELINK_CAP_TOKEN_VALIDATION, &createNothing, &destroyNothing, nullptr};
}

std::string problem(const forgelink_plugin_descriptor& d) {
    auto found = checkDescriptor(&d, kHost);
    return found ? *found : "";
}

TEST(DescriptorCheck, AcceptsAValidDescriptor) {
    auto d = valid();
    EXPECT_EQ(checkDescriptor(&d, kHost), std::nullopt);
    d.capabilities = kKnownCapabilities;
    EXPECT_EQ(checkDescriptor(&d, kHost), std::nullopt);
}

TEST(DescriptorCheck, RefusesNullDescriptor) {
    EXPECT_EQ(checkDescriptor(nullptr, kHost), "forgelink_plugin_entry() returned NULL instead of a descriptor");
}

TEST(DescriptorCheck, NamesBothAbiVersions) {
    auto d = valid();
    d.abi_version = 7;
    EXPECT_EQ(problem(d), "wrong ABI version: got 7, supported 2");
}

TEST(DescriptorCheck, AbiVersionIsCheckedBeforeAnythingElse) {
    // A descriptor of another ABI may be laid out differently: nothing past the version is trusted.
    auto d = valid();
    d.abi_version = 1;  // the previous ABI
    d.struct_size = 3;
    d.provider_name = nullptr;
    EXPECT_EQ(problem(d).rfind("wrong ABI version", 0), 0u) << problem(d);
}

TEST(DescriptorCheck, NamesBothStructSizes) {
    auto d = valid();
    d.struct_size = 40;
    EXPECT_EQ(problem(d), "wrong descriptor size: got 40 bytes, expected " +
                              std::to_string(FORGELINK_DESCRIPTOR_SIZE_REV1) + ", " +
                              std::to_string(FORGELINK_DESCRIPTOR_SIZE_REV2) + " or " +
                              std::to_string(sizeof(forgelink_plugin_descriptor)) +
                              " (built against a different SDK?)");
    d.struct_size = sizeof(forgelink_plugin_descriptor) + 8;  // a newer SDK's: its fields are unknown here
    EXPECT_EQ(problem(d).rfind("wrong descriptor size: got " + std::to_string(d.struct_size), 0), 0u) << problem(d);
}

TEST(DescriptorCheck, ARevisionOneDescriptorIsReadOnlyUpToItsSize) {
    static const char* const kRefusable[] = {"x", nullptr};
    auto d = valid();
    d.struct_size = FORGELINK_DESCRIPTOR_SIZE_REV1;
    d.secret_token_prefixes = kRefusable;  // past its end: whatever lies there is not the plugin's
    EXPECT_EQ(checkDescriptor(&d, kHost), std::nullopt);
    auto prefixes = secretTokenPrefixes(&d);
    ASSERT_TRUE(prefixes.ok());
    EXPECT_TRUE(prefixes->empty());
    d.struct_size = FORGELINK_DESCRIPTOR_SIZE_REV2;
    EXPECT_NE(checkDescriptor(&d, kHost), std::nullopt);
}

TEST(DescriptorCheck, ARevisionTwoDescriptorHasNoDisplayName) {
    auto d = valid();
    d.display_name = "\x01 not a name";  // past a revision-2 descriptor's end: not the plugin's
    d.struct_size = FORGELINK_DESCRIPTOR_SIZE_REV2;
    EXPECT_EQ(checkDescriptor(&d, kHost), std::nullopt);
    EXPECT_EQ(displayName(&d).value(), "");
    d.struct_size = FORGELINK_DESCRIPTOR_SIZE_REV3;
    EXPECT_NE(checkDescriptor(&d, kHost), std::nullopt);
}

TEST(DescriptorCheck, ReadsAndChecksTheDisplayName) {
    auto d = valid();
    EXPECT_EQ(displayName(&d).value(), "") << "NULL: the provider name is shown";
    for (const char* good : {"GitLab", "Forgejo (Codeberg)", "Gitea \xc3\xa9t\xc3\xa9", "\xe2\x9c\x93 Forge"}) {
        d.display_name = good;
        EXPECT_EQ(checkDescriptor(&d, kHost), std::nullopt) << good;
        EXPECT_EQ(displayName(&d).value(), good);
    }
    const std::string long_name(65, 'a');
    for (const char* bad : {"", "Git\nLab", "Tab\there", "bad \xc3", "\xff\xfe", "over\x7f", long_name.c_str()}) {
        d.display_name = bad;
        const std::string found = problem(d);
        EXPECT_NE(found.find("display name"), std::string::npos) << "'" << bad << "' -> " << found;
        EXPECT_NE(found.find("expected 1 to 64 bytes of UTF-8 without control characters"), std::string::npos) << found;
    }
}

TEST(DescriptorCheck, ReadsTheSecretTokenPrefixes) {
    static const char* const kPrefixes[] = {"glpat-", "github_pat_", "ATBB", nullptr};
    auto d = valid();
    EXPECT_TRUE(secretTokenPrefixes(&d)->empty()) << "NULL declares none";
    d.secret_token_prefixes = kPrefixes;
    EXPECT_EQ(checkDescriptor(&d, kHost), std::nullopt);
    EXPECT_EQ(secretTokenPrefixes(&d).value(), (std::vector<std::string>{"glpat-", "github_pat_", "ATBB"}));
}

TEST(DescriptorCheck, RefusesPrefixesThatWouldMaskOrdinaryText) {
    const std::string rule =
        " is not usable: expected 4 to 40 characters of [A-Za-z0-9_-] starting with a letter or digit (shorter or "
        "looser prefixes would mask ordinary words)";
    const std::string long_prefix(41, 'a');
    struct Case {
        const char* prefix;
        std::string shown;
    };
    for (const Case& c : {Case{"gl-", "\"gl-\""}, Case{"", "\"\""}, Case{"-glpat", "\"-glpat\""},
                          Case{"gl pat-", "\"gl pat-\""}, Case{"glpat.", "\"glpat.\""},
                          Case{long_prefix.c_str(), "\"" + long_prefix + "\""}}) {
        const char* const prefixes[] = {"ghp_", c.prefix, nullptr};
        auto d = valid();
        d.secret_token_prefixes = prefixes;
        EXPECT_EQ(problem(d), "secret token prefix 1 " + c.shown + rule) << c.prefix;
    }
    EXPECT_TRUE(isValidSecretTokenPrefix(std::string(40, 'a')));
}

TEST(DescriptorCheck, RefusesAPrefixListWithoutItsTerminator) {
    std::vector<const char*> prefixes(FORGELINK_MAX_SECRET_TOKEN_PREFIXES, "glpat-");
    prefixes.push_back("ghp_");  // one too many; the list still ends, so the test reads nothing wild
    prefixes.push_back(nullptr);
    auto d = valid();
    d.secret_token_prefixes = prefixes.data();
    EXPECT_EQ(problem(d), "more than 64 secret token prefixes (is the list NULL-terminated?)");
    prefixes[FORGELINK_MAX_SECRET_TOKEN_PREFIXES] = nullptr;
    EXPECT_EQ(checkDescriptor(&d, kHost), std::nullopt) << "exactly the limit is fine";
}

TEST(DescriptorCheck, NamesBothFingerprints) {
    auto d = valid();
    d.build_fingerprint = "clang-9.0.0;libc++-1000;boost-107000";
    const std::string text = problem(d);
    EXPECT_NE(text.find("wrong build fingerprint: got \"clang-9.0.0;libc++-1000;boost-107000\", host \"" +
                        std::string(kHost) + "\""),
              std::string::npos)
        << text;
    d.build_fingerprint = nullptr;
    EXPECT_EQ(problem(d), "missing build fingerprint");
}

TEST(DescriptorCheck, ProviderNameMustBeNonEmptyLowercaseTokens) {
    auto d = valid();
    d.provider_name = "";
    EXPECT_EQ(problem(d), "empty provider name");
    d.provider_name = nullptr;
    EXPECT_EQ(problem(d), "empty provider name");
    d.provider_name = "Git Lab";
    EXPECT_EQ(problem(d), "invalid provider name \"Git Lab\": expected 1 to 64 characters of [a-z0-9_-]");
    for (const char* bad : {"gitlab.com", "a/b", "UPPER", "caf\xc3\xa9", "../x"}) {
        d.provider_name = bad;
        EXPECT_NE(problem(d), "") << bad;
    }
    for (const char* good : {"example", "my-forge_2", "0"}) {
        d.provider_name = good;
        EXPECT_EQ(problem(d), "") << good;
    }
    const std::string too_long(65, 'a');
    d.provider_name = too_long.c_str();
    EXPECT_NE(problem(d), "");
}

TEST(DescriptorCheck, PluginVersionMustBeNonEmpty) {
    auto d = valid();
    d.plugin_version = "";
    EXPECT_EQ(problem(d), "empty plugin version for provider 'example'");
    d.plugin_version = nullptr;
    EXPECT_EQ(problem(d), "empty plugin version for provider 'example'");
}

TEST(DescriptorCheck, CreateAndDestroyMustExist) {
    auto d = valid();
    d.create = nullptr;
    EXPECT_EQ(problem(d), "descriptor has no create function");
    d = valid();
    d.destroy = nullptr;
    EXPECT_EQ(problem(d), "descriptor has no destroy function");
}

TEST(DescriptorCheck, RefusesUnknownCapabilityBits) {
    auto d = valid();
    d.capabilities = FORGELINK_CAP_TOKEN_VALIDATION | 0x400u;
    EXPECT_EQ(problem(d), "unknown capability bits 0x400 (this host knows 0xff)");
}

TEST(CapabilityNames, MapsEveryBitInOrder) {
    EXPECT_TRUE(capabilityNames(0).empty());
    EXPECT_EQ(capabilityNames(FORGELINK_CAP_TOKEN_VALIDATION), std::vector<std::string>{"token_validation"});
    EXPECT_EQ(capabilityNames(kKnownCapabilities),
              (std::vector<std::string>{"token_validation", "repositories", "commit_status", "review_comment",
                                        "oauth_login", "web_links", "merge_request_head", "token_rotation"}));
    EXPECT_EQ(capabilityNames(FORGELINK_CAP_OAUTH_LOGIN | FORGELINK_CAP_COMMIT_STATUS),
              (std::vector<std::string>{"commit_status", "oauth_login"}));
}

}  // namespace
}  // namespace forgelink::plugin
