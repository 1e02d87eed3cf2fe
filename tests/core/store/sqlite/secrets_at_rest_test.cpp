#include <fstream>
#include <iterator>

#include "secrets/key_file.hpp"
#include "store/key_rotation.hpp"
#include "raw_sql.hpp"
#include "secret_values.hpp"
#include "sqlite_fixture.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;
using forgelink::testing::rawExec;

std::string fileBytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class SecretsAtRestTest : public SecretsFixture<StoreTest> {};

TEST_F(SecretsAtRestTest, NoSecretInTheDatabaseFilesInClear) {
    fillSecrets();
    // Read the files while the store is still open: the WAL then still holds the recent pages.
    const std::string db = fileBytes(dbPath());
    const std::string wal = fileBytes(dbPath() + "-wal");
    ASSERT_FALSE(db.empty());
    ASSERT_FALSE(wal.empty()) << "expected recent writes in the WAL";
    for (const char* secret : {kToken, kAccess, kRefresh, kVerifier, "SuperSecretTokenValue", "WebhookSecretShouldNotLeak"}) {
        EXPECT_EQ(db.find(secret), std::string::npos) << secret << " found in the database file";
        EXPECT_EQ(wal.find(secret), std::string::npos) << secret << " found in the WAL file";
    }
    // Positive control: non-secret values written the same way are there, so the scan means something.
    EXPECT_TRUE(db.find("forge.test") != std::string::npos || wal.find("forge.test") != std::string::npos);
    // And after a checkpoint into the main file.
    store_.reset();
    const std::string after = fileBytes(dbPath());
    EXPECT_EQ(after.find(kToken), std::string::npos);
    EXPECT_EQ(after.find(kAccess), std::string::npos);
}

TEST_F(SecretsAtRestTest, ASealedValueCopiedToAnotherRowDoesNotOpen) {
    fillSecrets();
    Team other = must(store_->createTeam("other", "Other"));
    ProviderSettingsInput in;
    in.team_id = other.id;
    in.provider = "example";
    in.base_url = "https://forge.test";
    in.instance = "forge.test";
    in.token = "other-team-token-0000000000";
    must(store_->saveProviderSettings(in));
    rawExec(dbPath(), "UPDATE provider_settings SET token_sealed = (SELECT token_sealed FROM provider_settings WHERE team_id = " +
                          std::to_string(team_.id) + ") WHERE team_id = " + std::to_string(other.id));
    auto stolen = store_->providerCredentials(other.id, "example");
    ASSERT_FALSE(stolen.ok());
    EXPECT_EQ(stolen.error().code, "tampered");
    EXPECT_EQ(stolen.error().message.find(kToken), std::string::npos);
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example")).token, kToken);
}

TEST_F(SecretsAtRestTest, RekeyDatabaseFromKeyFiles) {
    const auto old_file = dir_ / "old.key";
    const auto new_file = dir_ / "new.key";
    auto old_made = secrets::keygen(old_file);
    ASSERT_TRUE(old_made.ok());
    auto new_made = secrets::keygen(new_file);
    ASSERT_TRUE(new_made.ok());
    store_.reset();
    box_ = std::make_shared<const secrets::SecretBox>(must(secrets::loadKeyFile(old_file)));
    store_ = openStore();
    fillSecrets();
    store_.reset();

    auto report = rekeyDatabase({dbPath(), {old_file, {}}, {new_file, {}}});
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->resealed, 5);
    EXPECT_EQ(report->old_key_id, old_made->key_id);
    EXPECT_EQ(report->new_key_id, new_made->key_id);

    store_ = openStore(std::make_shared<const secrets::SecretBox>(must(secrets::loadKeyFile(new_file))));
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example")).token, kToken);

    auto missing = rekeyDatabase({dbPath(), {dir_ / "absent.key", {}}, {new_file, {}}});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message.rfind("old key: ", 0), 0u) << missing.error().message;
}

}  // namespace
}  // namespace forgelink::store::testing
