#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include "common/lease_owner.hpp"

namespace forgelink::common {
namespace {

TEST(LeaseOwner, RoleHostPidAndARandomSuffix) {
    const std::string pid = std::to_string(getpid());
    const std::string plain = leaseOwner();
    EXPECT_EQ(plain.rfind(hostName() + ":" + pid + ":", 0), 0u) << plain;
    EXPECT_EQ(plain.size(), hostName().size() + 1 + pid.size() + 1 + 16) << plain;
    const std::string named = leaseOwner("maintenance");
    EXPECT_EQ(named.rfind("maintenance:" + hostName() + ":" + pid + ":", 0), 0u) << named;
    EXPECT_NE(leaseOwner("notices"), leaseOwner("notices")) << "two workers never share a name";
    EXPECT_FALSE(hostName().empty());
}

TEST(LeaseOwner, OnlyARolelessOwnerOfAProcessGoneFromThisMachineIsGone) {
    const std::string self = leaseOwner();
    const std::string pid = std::to_string(getpid());
    EXPECT_FALSE(leaseOwnerIsGone(self, self));
    // Our pid under another name: an earlier process that had it.
    EXPECT_TRUE(leaseOwnerIsGone(hostName() + ":" + pid + ":00000000deadbeef", self));
    // A pid above any pid_max: no such process.
    EXPECT_TRUE(leaseOwnerIsGone(hostName() + ":999999999:00000000deadbeef", self));
    // What cannot be judged keeps its lease: another machine, a role, not a pid, no pid at all.
    EXPECT_FALSE(leaseOwnerIsGone("elsewhere-" + hostName() + ":999999999:00000000deadbeef", self));
    EXPECT_FALSE(leaseOwnerIsGone(leaseOwner("maintenance"), self));
    EXPECT_FALSE(leaseOwnerIsGone(hostName() + ":12x:00000000deadbeef", self));
    EXPECT_FALSE(leaseOwnerIsGone(hostName() + ":1234567890:00000000deadbeef", self));
    EXPECT_FALSE(leaseOwnerIsGone("worker-7", self));
}

}  // namespace
}  // namespace forgelink::common
