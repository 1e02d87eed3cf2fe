#include "secrets/secret_box.hpp"

#include <set>

#include <gtest/gtest.h>

#include "secrets/digest.hpp"

namespace forgelink::secrets {
namespace {

constexpr std::string_view kRow = "team:42:provider:example:token";

TEST(SecretBoxTest, SealOpenRoundTrip) {
    SecretBox box = SecretBox::generate();
    const std::string sealed = box.seal("glpat-secret-token-value", kRow);
    EXPECT_EQ(sealed.rfind("v1:" + box.keyId() + ":", 0), 0u) << sealed;
    EXPECT_EQ(sealed.find("secret-token"), std::string::npos);
    auto opened = box.open(sealed, kRow);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(opened.value(), "glpat-secret-token-value");
}

TEST(SecretBoxTest, EmptyPlaintextRoundTrips) {
    SecretBox box = SecretBox::generate();
    auto opened = box.open(box.seal("", kRow), kRow);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened.value(), "");
}

TEST(SecretBoxTest, EachSealUsesAFreshNonce) {
    SecretBox box = SecretBox::generate();
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) seen.insert(box.seal("same", kRow));
    EXPECT_EQ(seen.size(), 50u);
}

TEST(SecretBoxTest, KeyIdIsEightHexAndStablePerKey) {
    SecretBox a = SecretBox::generate();
    auto again = SecretBox::fromBase64(a.keyBase64(), "test");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(a.keyId().size(), 8u);
    EXPECT_EQ(a.keyId().find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(again->keyId(), a.keyId());
    EXPECT_NE(SecretBox::generate().keyId(), a.keyId());
    // The same key opens what the other instance sealed.
    auto opened = again->open(a.seal("x", kRow), kRow);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened.value(), "x");
}

TEST(SecretBoxTest, TamperedCiphertextIsRejected) {
    SecretBox box = SecretBox::generate();
    std::string sealed = box.seal("a token that matters", kRow);
    // Flip one base64 character in the middle of the payload (keeps it valid base64).
    const std::size_t pos = sealed.size() - 10;
    sealed[pos] = sealed[pos] == 'A' ? 'B' : 'A';
    auto opened = box.open(sealed, kRow);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, "tampered");
    EXPECT_EQ(opened.error().message.find("a token that matters"), std::string::npos);
}

TEST(SecretBoxTest, TruncatedOrGarbageIsRejected) {
    SecretBox box = SecretBox::generate();
    std::string sealed = box.seal("value", kRow);
    auto truncated = box.open(sealed.substr(0, 20), kRow);
    ASSERT_FALSE(truncated.ok());
    EXPECT_EQ(truncated.error().code, "tampered");
    auto plain = box.open("glpat-plaintext", kRow);
    ASSERT_FALSE(plain.ok());
    EXPECT_EQ(plain.error().code, "not_sealed");
    auto bad64 = box.open("v1:" + box.keyId() + ":!!!!", kRow);
    ASSERT_FALSE(bad64.ok());
    EXPECT_EQ(bad64.error().code, "tampered");
}

TEST(SecretBoxTest, WrongAssociatedDataFails) {
    SecretBox box = SecretBox::generate();
    const std::string sealed = box.seal("token", "team:42:provider:example:token");
    auto other_row = box.open(sealed, "team:43:provider:example:token");
    ASSERT_FALSE(other_row.ok());
    EXPECT_EQ(other_row.error().code, "tampered");
    EXPECT_NE(other_row.error().message.find("team:43"), std::string::npos);
}

TEST(SecretBoxTest, WrongKeyFailsNamingBothKeyIds) {
    SecretBox a = SecretBox::generate();
    SecretBox b = SecretBox::generate();
    auto opened = b.open(a.seal("token", kRow), kRow);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, "wrong_key");
    EXPECT_NE(opened.error().message.find(a.keyId()), std::string::npos);
    EXPECT_NE(opened.error().message.find(b.keyId()), std::string::npos);
    EXPECT_NE(opened.error().message.find("rekey"), std::string::npos);
}

TEST(SecretBoxTest, RelabelledKeyIdFailsAuthentication) {
    // Same key, sealed value edited to claim another key id and then back: the id is bound.
    SecretBox a = SecretBox::generate();
    std::string sealed = a.seal("token", kRow);
    auto key_id = sealedKeyId(sealed);
    ASSERT_TRUE(key_id.ok());
    EXPECT_EQ(key_id.value(), a.keyId());
    std::string relabelled = sealed;
    relabelled.replace(3, 8, "00000000");
    auto opened = a.open(relabelled, kRow);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, "wrong_key");
}

TEST(SecretBoxTest, BadKeyMaterialIsRefusedWithoutEchoingIt) {
    auto short_key = SecretBox::fromBase64("c2hvcnQ=", "environment variable FL_KEY");
    ASSERT_FALSE(short_key.ok());
    EXPECT_EQ(short_key.error().code, "bad_key");
    EXPECT_NE(short_key.error().message.find("environment variable FL_KEY"), std::string::npos);
    EXPECT_EQ(short_key.error().message.find("c2hvcnQ="), std::string::npos);
    EXPECT_FALSE(SecretBox::fromBase64("not base64 at all!", "x").ok());
    EXPECT_FALSE(SecretBox::fromRawKey("0123456789").ok());
    EXPECT_TRUE(SecretBox::fromRawKey(std::string(32, 'k')).ok());
}

TEST(SecretBoxTest, MovedBoxKeepsWorking) {
    SecretBox a = SecretBox::generate();
    const std::string id = a.keyId();
    const std::string sealed = a.seal("v", kRow);
    SecretBox b = std::move(a);
    EXPECT_EQ(b.keyId(), id);
    auto opened = b.open(sealed, kRow);
    ASSERT_TRUE(opened.ok());
}

TEST(DigestTest, Sha256HexKnownAnswer) {
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(randomHex(16).size(), 32u);
    EXPECT_NE(randomHex(16), randomHex(16));
}

}  // namespace
}  // namespace forgelink::secrets
