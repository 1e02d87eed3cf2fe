// forgelink/support/provider_helpers.hpp: the rules both shipped plugins (and any third-party one)
// apply alike, tested once here.
#include <gtest/gtest.h>

#include <stdexcept>

#include <forgelink/support/http_text.hpp>
#include <forgelink/support/provider_helpers.hpp>
#include <forgelink/types.hpp>

namespace forgelink::support {
namespace {

TEST(PluginSupportHelpers, Sha256HexIsLowerCaseHex) {
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(PluginSupportHelpers, NumericIdsAreOneToEighteenDigits) {
    EXPECT_TRUE(isNumericId("0"));
    EXPECT_TRUE(isNumericId("123456789012345678"));
    EXPECT_FALSE(isNumericId("1234567890123456789"));
    EXPECT_FALSE(isNumericId(""));
    EXPECT_FALSE(isNumericId("-1"));
    EXPECT_FALSE(isNumericId("12a"));
    EXPECT_FALSE(isNumericId("group/project"));
}

TEST(PluginSupportHelpers, CommitShaLengths) {
    const std::string sha1(40, 'a');
    const std::string sha256(64, 'F');
    EXPECT_TRUE(isCommitSha(sha1, ShaLength::full));
    EXPECT_TRUE(isCommitSha(sha256, ShaLength::full));
    EXPECT_FALSE(isCommitSha("abc1234", ShaLength::full));
    EXPECT_FALSE(isCommitSha(std::string(41, 'a'), ShaLength::full));
    EXPECT_TRUE(isCommitSha("abc1234", ShaLength::abbreviated));
    EXPECT_TRUE(isCommitSha(sha256, ShaLength::abbreviated));
    EXPECT_TRUE(isCommitSha(std::string(41, 'a'), ShaLength::abbreviated));
    EXPECT_FALSE(isCommitSha("abc123", ShaLength::abbreviated));
    EXPECT_FALSE(isCommitSha(std::string(65, 'a'), ShaLength::abbreviated));
    EXPECT_FALSE(isCommitSha(std::string(39, 'a') + "g", ShaLength::full));
    EXPECT_FALSE(isCommitSha("abc123z", ShaLength::abbreviated));
}

TEST(PluginSupportHelpers, CommentMarkerIsOneHtmlCommentOnOneLine) {
    EXPECT_TRUE(checkCommentMarker("<!-- forgelink:build -->"));
    EXPECT_TRUE(checkCommentMarker(commentMarker("host-1")));
    for (const char* bad : {"", "forgelink", "<!---->", "<!-- a --> b -->", "<!-- a\nb -->", "<!-- a -- >",
                            "x<!-- a -->"}) {
        auto checked = checkCommentMarker(bad);
        ASSERT_FALSE(checked) << bad;
        EXPECT_EQ(checked.error().kind, ErrorKind::invalid_input);
        EXPECT_EQ(checked.error().code, "bad_marker");
    }
    EXPECT_EQ(checkCommentMarker("forgelink").error().message,
              "the comment marker must be one HTML comment on one line, like <!-- forgelink:build -->, so that it "
              "stays invisible; got \"forgelink\"");
}

TEST(PluginSupportHelpers, GuardedCallTurnsExceptionsIntoInternalErrors) {
    auto ok = guardedCall("Forge", "counting", []() -> Result<int> { return 3; });
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok.value(), 3);
    auto passed = guardedCall("Forge", "counting",
                              []() -> Result<int> { return makeError(ErrorKind::not_found, "gone", "gone"); });
    ASSERT_FALSE(passed);
    EXPECT_EQ(passed.error().code, "gone");
    auto thrown = guardedCall("Forge", "counting", []() -> Result<int> { throw std::runtime_error("boom"); });
    ASSERT_FALSE(thrown);
    EXPECT_EQ(thrown.error().kind, ErrorKind::internal);
    EXPECT_EQ(thrown.error().code, "internal");
    EXPECT_EQ(thrown.error().message, "Forge provider failed while counting: boom");
    auto odd = guardedCall("Forge", "counting", []() -> Result<int> { throw 7; });
    ASSERT_FALSE(odd);
    EXPECT_EQ(odd.error().message, "Forge provider failed while counting");
}

TEST(PluginSupportHelpers, TextOrEmptySwallowsExceptions) {
    EXPECT_EQ(textOrEmpty([] { return std::string("x"); }), "x");
    EXPECT_EQ(textOrEmpty([]() -> std::string { throw std::runtime_error("no"); }), "");
}

TEST(PluginSupportHelpers, CommentLinkEncodesAndNeedsAllParts) {
    EXPECT_EQ(commentLink("https://forge.example/acme/widget/", "/pull/", "7", "issuecomment-", "99"),
              "https://forge.example/acme/widget/pull/7#issuecomment-99");
    EXPECT_EQ(commentLink("https://f.example/g/p", "/-/merge_requests/", "1 2", "note_", "a/b"),
              "https://f.example/g/p/-/merge_requests/1%202#note_a%2Fb");
    EXPECT_EQ(commentLink("", "/pull/", "7", "c", "1"), "");
    EXPECT_EQ(commentLink("///", "/pull/", "7", "c", "1"), "");
    EXPECT_EQ(commentLink("https://f.example/r", "/pull/", "", "c", "1"), "");
    EXPECT_EQ(commentLink("https://f.example/r", "/pull/", "7", "c", ""), "");
}

TEST(PluginSupportHelpers, EncodeListJoinsEncodedItems) {
    EXPECT_EQ(encodeList({"api", "read user", "a,b"}), "api,read%20user,a%2Cb");
    EXPECT_EQ(encodeList({}), "");
}

TEST(PluginSupportHelpers, ParseBaseUrlWordsItsRefusal) {
    auto ok = parseBaseUrl("Forge", " HTTPS://Forge.Example/sub/ ", "the root");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->scheme, "https");
    EXPECT_EQ(ok->authority, "forge.example");
    EXPECT_EQ(ok->path, "/sub");
    auto bad = parseBaseUrl("Forge", "ftp://x", "the root such as https://forge.example");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(bad.error().code, "bad_base_url");
    EXPECT_EQ(bad.error().message, "Forge base URL \"ftp://x\" does not start with http:// or https://; expected the "
                                   "root such as https://forge.example");
    EXPECT_EQ(badBaseUrl("Forge", "https://a b", "has an invalid host", "a root").message,
              "Forge base URL \"https://a b\" has an invalid host; expected a root");
}

}  // namespace
}  // namespace forgelink::support
