#include <gtest/gtest.h>

#include "common/strings.hpp"

namespace forgelink::common {
namespace {

TEST(Strings, UrlEncodeKeepsOnlyUnreserved) {
    EXPECT_EQ(urlEncode("group/sub proj"), "group%2Fsub%20proj");
    EXPECT_EQ(urlEncode("a-b.c_d~e"), "a-b.c_d~e");
    EXPECT_EQ(urlEncode("ä&="), "%C3%A4%26%3D");
}

TEST(Strings, UrlDecodeHandlesPlusAndBrokenEscapes) {
    EXPECT_EQ(urlDecode("group%2Fproj"), "group/proj");
    EXPECT_EQ(urlDecode("a+b"), "a+b");
    EXPECT_EQ(urlDecode("a+b", true), "a b");
    EXPECT_EQ(urlDecode("100%"), "100%");
    EXPECT_EQ(urlDecode("%zz%4"), "%zz%4");
    EXPECT_EQ(urlDecode(urlEncode("x/ y?&=ü")), "x/ y?&=ü");
}

TEST(Strings, CaseTrimSplit) {
    EXPECT_EQ(toLower("PRIVATE-Token"), "private-token");
    EXPECT_TRUE(iequals("Retry-After", "retry-after"));
    EXPECT_FALSE(iequals("Retry-After", "Retry-Afte"));
    EXPECT_EQ(trim(" \t x y \r\n"), "x y");
    EXPECT_EQ(trim("   "), "");
    EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
    EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
}

}  // namespace
}  // namespace forgelink::common

namespace forgelink::common {
namespace {

TEST(Strings, ParseDigitsTakesOnlyOneToEighteenDecimalDigits) {
    EXPECT_EQ(parseDigits("0"), 0);
    EXPECT_EQ(parseDigits("0042"), 42);
    EXPECT_EQ(parseDigits("999999999999999999"), 999999999999999999LL);
    for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1.5", "0x10", "1e3", "9999999999999999999"})
        EXPECT_EQ(parseDigits(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace forgelink::common
