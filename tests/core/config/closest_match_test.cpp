#include "config/closest_match.hpp"

#include <gtest/gtest.h>

namespace forgelink::config {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
    EXPECT_EQ(editDistance("", ""), 0u);
    EXPECT_EQ(editDistance("listen", "listen"), 0u);
    EXPECT_EQ(editDistance("listn", "listen"), 1u);
    EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
    EXPECT_EQ(editDistance("abc", ""), 3u);
}

TEST(ClosestMatch, SuggestsOnlyPlausibleTypos) {
    std::vector<std::string> keys = {"server", "store", "secrets", "providers"};
    EXPECT_EQ(closestMatch("sever", keys), "server");
    EXPECT_EQ(closestMatch("provders", keys), "providers");
    EXPECT_EQ(closestMatch("database", keys), std::nullopt);
    EXPECT_EQ(closestMatch("x", keys), std::nullopt);
}

}  // namespace
}  // namespace forgelink::config
