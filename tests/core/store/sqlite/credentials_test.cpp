// Named credentials on the SQLite file itself: a sealed token moved to another row by plain SQL,
// and a database from before credentials had names, migrated.
#include "raw_sql.hpp"
#include "sqlite_fixture.hpp"
#include "store_inputs.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;
using forgelink::testing::rawExec;

class SqliteCredentialsTest : public CredentialsFixture<StoreTest> {};

TEST_F(SqliteCredentialsTest, EachCredentialIsSealedUnderItsOwnName) {
    must(store_->saveProviderSettings(credential("default", "personal-token-0000000001")));
    must(store_->saveProviderSettings(credential("bot", "bot-token-0000000000000003")));
    // The bot's sealed token copied into the default row does not open there (and vice versa).
    rawExec(dbPath(), "UPDATE provider_settings SET token_sealed = (SELECT token_sealed FROM provider_settings "
                      "WHERE name = 'bot') WHERE name = 'default'");
    auto stolen = store_->providerCredentials(team_.id, "example");
    ASSERT_FALSE(stolen.ok());
    EXPECT_EQ(stolen.error().code, "tampered");
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example", "bot")).token, "bot-token-0000000000000003");
}

TEST_F(SqliteCredentialsTest, ATokenAndLinkSavedBeforeNamesBecomeTheDefault) {
    must(store_->saveProviderSettings(credential("default", "personal-token-0000000001")));
    const Project api = must(store_->createProject(team_.id, "api", "API"));
    must(store_->linkRepository(exampleLink(api.id, "11", "acme/api")));
    store_.reset();
    // Back to schema 12: provider_settings keyed by (team, provider) without names, links without
    // a credential. The sealed token stays as version 10 sealed it.
    rawExec(dbPath(),
            "CREATE TABLE ps10 AS SELECT team_id, provider, base_url, instance, token_sealed, token_last4, kind, "
            "identity, scopes, expires_at, warnings, status, invalid_reason, invalid_notified_at, updated_at, access, "
            "checked_at, next_check_at, check_owner, check_lease_until, expiry_reminded_on FROM provider_settings; "
            "DROP TABLE provider_settings; ALTER TABLE ps10 RENAME TO provider_settings; "
            "ALTER TABLE repository_links DROP COLUMN credential; "
            "DROP TABLE notices; DROP TABLE team_notifications; DROP TABLE team_refresh_tokens; DROP TABLE provider_rotations; "  // and the migrations after 13
            "DELETE FROM schema_migrations WHERE version >= 13;");
    store_ = openStore();
    ASSERT_NE(store_, nullptr);
    EXPECT_EQ(must(store_->schemaVersion()), SqliteStore::latestSchemaVersion());
    const auto listed = must(store_->listProviderSettings(team_.id));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].name, "default");
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example")).token, "personal-token-0000000001");
    EXPECT_EQ(must(store_->repositoryLink(api.id)).credential, "default");
    EXPECT_EQ(must(store_->servingCredentials(team_.id, "example", "forge.test", "11")).name, "default");
    // The rebuilt table keeps its key: a second 'default' replaces the first.
    must(store_->saveProviderSettings(credential("default", "personal-token-0000000009")));
    EXPECT_EQ(must(store_->listProviderSettings(team_.id)).size(), 1u);
}

}  // namespace
}  // namespace forgelink::store::testing
