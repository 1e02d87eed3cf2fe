// Secrets and keys through the interface: a store opened with another key says so (naming both
// keys, never a secret); rekey reseals every secret, a rerun changes nothing, the old key no
// longer opens them, and the wrong old key changes nothing.
#include <memory>

#include "secret_values.hpp"
#include "store_contract.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class SecretsTest : public SecretsFixture<StoreContract> {};

TEST_P(SecretsTest, AnotherKeyCannotOpenAndSaysSo) {
    fillSecrets();
    store_.reset();
    auto wrong = std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate());
    store_ = openStore(wrong);
    auto creds = store_->providerCredentials(team_.id, "example");
    ASSERT_FALSE(creds.ok());
    EXPECT_EQ(creds.error().code, "wrong_key");
    EXPECT_NE(creds.error().message.find(box_->keyId()), std::string::npos);
    EXPECT_NE(creds.error().message.find(wrong->keyId()), std::string::npos);
}

TEST_P(SecretsTest, RekeyResealsEverythingAndTheOldKeyNoLongerOpens) {
    fillSecrets();
    auto fresh = std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate());
    EXPECT_EQ(must(store_->rekey(*box_, *fresh)), 5);  // provider token, access, refresh, verifier, webhook
    EXPECT_EQ(must(store_->rekey(*box_, *fresh)), 0);  // a rerun changes nothing
    store_.reset();

    store_ = openStore(fresh);
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example")).token, kToken);
    UserTokens tokens = must(store_->userTokens(user_.id, "example"));
    EXPECT_EQ(tokens.access_token, kAccess);
    EXPECT_EQ(tokens.refresh_token, kRefresh);
    EXPECT_EQ(must(store_->consumeOAuthState("st", now())).code_verifier, kVerifier);
    store_.reset();

    store_ = openStore(box_);
    auto old = store_->providerCredentials(team_.id, "example");
    ASSERT_FALSE(old.ok());
    EXPECT_EQ(old.error().code, "wrong_key");
    EXPECT_EQ(store_->userTokens(user_.id, "example").error().code, "wrong_key");
}

TEST_P(SecretsTest, RekeyWithTheWrongOldKeyChangesNothing) {
    fillSecrets();
    auto unrelated = secrets::SecretBox::generate();
    auto fresh = secrets::SecretBox::generate();
    auto result = store_->rekey(unrelated, fresh);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "wrong_key");
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example")).token, kToken);
    EXPECT_EQ(store_->rekey(*box_, *box_).error().code, "same_key");
}

INSTANTIATE_STORE_CONTRACT(SecretsTest);

}  // namespace
}  // namespace forgelink::store::testing
