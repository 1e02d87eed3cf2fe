#include <gtest/gtest.h>

#include "common/strings.hpp"

namespace forgelink::common {
namespace {

TEST(Strings, UrlEncodeKeepsOnlyUnreserved) {
    EXPECT_EQ(urlEncode("group/sub proj"), "group%2Fsub%20proj");
    EXPECT_EQ(urlEncode("a-b.c_d~e"), "a-b.c_d~e");
    EXPECT_EQ(urlEncode("ä&="), "%C3%A4%26%3D");
}

TEST(Strings, EscapeControlsShowsControlCharactersInsteadOfActingOnThem) {
    EXPECT_EQ(escapeControls("acme/\x1b[2Jwidget"), "acme/\\x1b[2Jwidget");
    EXPECT_EQ(escapeControls("one\r\nfake line\ttab"), "one\\r\\nfake line\\ttab");
    EXPECT_EQ(escapeControls(std::string("nul\0del\x7f", 8)), "nul\\x00del\\x7f");
    EXPECT_EQ(escapeControls("csi\xc2\x9b" "31m"), "csi\\u009b31m");  // C1 CSI in UTF-8
    EXPECT_EQ(escapeControls("caf\xc3\xa9 \xe2\x9c\x93 back\\slash"), "caf\xc3\xa9 \xe2\x9c\x93 back\\slash");
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

// Issue 22 point 10: nineteen digits were refused, so before=1000000000000000000 (a valid id) was.
TEST(Strings, ParseDigitsTakesDecimalDigitsUpToInt64Max) {
    EXPECT_EQ(parseDigits("0"), 0);
    EXPECT_EQ(parseDigits("0042"), 42);
    EXPECT_EQ(parseDigits("999999999999999999"), 999999999999999999LL);
    EXPECT_EQ(parseDigits("1000000000000000000"), 1000000000000000000LL);
    EXPECT_EQ(parseDigits("9223372036854775807"), INT64_MAX);
    for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1.5", "0x10", "1e3", "9223372036854775808",
                            "9999999999999999999", "10000000000000000000"})
        EXPECT_EQ(parseDigits(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace forgelink::common
