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

}  // namespace
}  // namespace forgelink::common
