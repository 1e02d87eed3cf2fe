#include <gtest/gtest.h>

#include <forgelink/support/http_text.hpp>

#include "common/strings.hpp"

namespace forgelink::common {
namespace {

// URL encoding, decoding, lower case and trimming are the SDK's (forgelink/support/http_text.hpp),
// shared with the plugins; the host's uses are tested here as before.
using support::urlEncode;

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
    using support::urlDecode;  // the host decodes paths with plus_as_space false, queries with true
    EXPECT_EQ(urlDecode("group%2Fproj", false), "group/proj");
    EXPECT_EQ(urlDecode("a+b", false), "a+b");
    EXPECT_EQ(urlDecode("a+b", true), "a b");
    EXPECT_EQ(urlDecode("100%", false), "100%");
    EXPECT_EQ(urlDecode("%zz%4", false), "%zz%4");
    EXPECT_EQ(urlDecode(urlEncode("x/ y?&=ü"), false), "x/ y?&=ü");
}

TEST(Strings, CaseTrimSplit) {
    EXPECT_EQ(support::asciiLower("PRIVATE-Token"), "private-token");
    EXPECT_TRUE(iequals("Retry-After", "retry-after"));
    EXPECT_FALSE(iequals("Retry-After", "Retry-Afte"));
    EXPECT_EQ(support::trimSpace(" \t x y \r\n"), "x y");
    EXPECT_EQ(support::trimSpace("   "), "");
    EXPECT_EQ(support::trimSpace("\v x \f"), "\v x \f");  // only HTTP's white space
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
