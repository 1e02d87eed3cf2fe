#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "common/warn_once.hpp"

namespace forgelink::common {
namespace {

int lines(const std::ostringstream& out) {
    const std::string text = out.str();
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(WarnOnce, AFailureIsLoggedWhenItStartsAndWhenItChanges) {
    std::ostringstream out;
    JsonLogger log("host", &out, LogLevel::info);
    WarnOnce warnings(log);
    warnings.warn("forge", "forge down", "refused", {{"reason", "refused"}});
    warnings.warn("forge", "forge down", "refused", {{"reason", "refused"}});
    EXPECT_EQ(lines(out), 1) << out.str();
    warnings.warn("forge", "forge down", "timed out", {{"reason", "timed out"}});
    EXPECT_EQ(lines(out), 2) << out.str();
    warnings.warn("store", "store down", "timed out", {});  // another key: its own
    EXPECT_EQ(lines(out), 3) << out.str();
    warnings.forget("forge");
    warnings.warn("forge", "forge down", "timed out", {{"reason", "timed out"}});
    EXPECT_EQ(lines(out), 4) << out.str();
    EXPECT_NE(out.str().find("\"reason\":\"timed out\""), std::string::npos) << out.str();
}

}  // namespace
}  // namespace forgelink::common
