#include <gtest/gtest.h>

#include "common/host_policy.hpp"

namespace forgelink::common {
namespace {

std::vector<IpAddress> at(std::initializer_list<const char*> texts) {
    std::vector<IpAddress> out;
    for (const char* t : texts) out.push_back(*IpAddress::parse(t));
    return out;
}

TEST(HostPolicy, DefaultRefusesLoopbackLinkLocalPrivateAndSpecialRanges) {
    const HostPolicy policy;
    for (const char* refused : {"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
                                "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1",
                                "::", "fe80::1", "fd00::1", "fc00::2", "ff02::1", "::ffff:127.0.0.1",
                                "::ffff:169.254.169.254", "64:ff9b::a00:1"})
        EXPECT_FALSE(policy.allows("forge.example", at({refused}))) << refused;
    for (const char* allowed : {"1.1.1.1", "172.15.0.1", "172.32.0.1", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"})
        EXPECT_TRUE(policy.allows("forge.example", at({allowed}))) << allowed;
    // Every address a name resolves to must pass, or a rebinding DNS answer slips one through.
    EXPECT_FALSE(policy.allows("forge.example", at({"8.8.8.8", "127.0.0.1"})));
    EXPECT_FALSE(policy.allows("forge.example", {})) << "no address: nothing to allow";
}

TEST(HostPolicy, ListedNamesWildcardsAndRangesAreAllowedAndNothingElse) {
    const HostPolicy policy({"gitlab.internal", "*.corp.example", "127.0.0.1", "10.1.0.0/16", "::1"});
    EXPECT_TRUE(policy.restricted());
    EXPECT_TRUE(policy.allows("GitLab.Internal", at({"10.9.9.9"})));
    EXPECT_TRUE(policy.allows("git.corp.example", at({"192.168.1.1"})));
    EXPECT_FALSE(policy.allows("corp.example", at({"192.168.1.1"}))) << "a wildcard covers names below it only";
    EXPECT_TRUE(policy.allows("127.0.0.1", at({"127.0.0.1"})));
    EXPECT_TRUE(policy.allows("localhost", at({"127.0.0.1", "::1"})));
    EXPECT_FALSE(policy.allows("127.0.0.2", at({"127.0.0.2"})));
    EXPECT_TRUE(policy.allows("build.lan", at({"10.1.200.3"})));
    EXPECT_FALSE(policy.allows("build.lan", at({"10.1.200.3", "10.2.0.1"})));
    EXPECT_FALSE(policy.allows("gitlab.com", at({"172.65.251.78"}))) << "a list allows only what it lists";
}

TEST(HostPolicy, EntriesAreChecked) {
    for (const char* good : {"gitlab.example.com", "*.example.com", "10.0.0.0/8", "::1", "fd00::/8", "127.0.0.1"})
        EXPECT_EQ(HostPolicy::entryProblem(good), "") << good;
    for (const char* bad : {"", "10.0.0.0/33", "::1/129", "http://gitlab.com", "gitlab.com:443", "a b", "*.", "-x"})
        EXPECT_NE(HostPolicy::entryProblem(bad), "") << bad;
}

}  // namespace
}  // namespace forgelink::common
