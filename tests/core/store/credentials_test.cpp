// Several named credentials per team and provider (issue 17): each keyed by its name, sealed
// under its own label, re-checked on its own, and a repository link naming the one that serves it.
#include "secrets/secret_box.hpp"
#include "store_contract.hpp"
#include "store_inputs.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class CredentialsTest : public CredentialsFixture<StoreContract> {};

TEST_P(CredentialsTest, ATeamHoldsSeveralNamedCredentialsForOneProvider) {
    must(store_->saveProviderSettings(credential("default", "personal-token-0000000001")));
    auto group = credential("group-a", "group-token-00000000000002", TokenKind::group);
    group.bound_to = ResourceRef{"group", "31", "acme/a"};
    EXPECT_EQ(must(store_->saveProviderSettings(group)).name, "group-a");
    must(store_->saveProviderSettings(credential("bot", "bot-token-0000000000000003")));

    // 'default' first, then by name.
    const auto listed = must(store_->listProviderSettings(team_.id));
    ASSERT_EQ(listed.size(), 3u);
    EXPECT_EQ(listed[0].name, "default");
    EXPECT_EQ(listed[1].name, "bot");
    EXPECT_EQ(listed[2].name, "group-a");
    ASSERT_TRUE(listed[2].bound_to.has_value());
    EXPECT_EQ(listed[2].bound_to->full_path, "acme/a");

    // Each opens to its own token; without a name, the routes and callers of old get 'default'.
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example")).token, "personal-token-0000000001");
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example", "group-a")).token, "group-token-00000000000002");
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example", "bot")).token, "bot-token-0000000000000003");
    EXPECT_EQ(must(store_->providerSettings(team_.id, "example", "group-a")).kind, TokenKind::group);

    // Saving a name again replaces that one only.
    must(store_->saveProviderSettings(credential("bot", "bot-token-0000000000000004")));
    EXPECT_EQ(must(store_->listProviderSettings(team_.id)).size(), 3u);
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example", "bot")).token, "bot-token-0000000000000004");
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example")).token, "personal-token-0000000001");

    // Invalidation, notices and removal touch the named one only.
    must(store_->markProviderInvalid(team_.id, "example", "revoked", "bot"));
    must(store_->markProviderInvalidNotified(team_.id, "example", now(), "bot"));
    EXPECT_EQ(must(store_->providerSettings(team_.id, "example", "bot")).status, ProviderStatus::invalid);
    EXPECT_TRUE(must(store_->providerSettings(team_.id, "example", "bot")).invalid_notified_at.has_value());
    EXPECT_EQ(must(store_->providerSettings(team_.id, "example")).status, ProviderStatus::active);
    must(store_->deleteProviderSettings(team_.id, "example", "bot"));
    EXPECT_EQ(must(store_->listProviderSettings(team_.id)).size(), 2u);

    auto missing = store_->providerSettings(team_.id, "example", "bot");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
    EXPECT_NE(missing.error().message.find("credential named 'bot'"), std::string::npos) << missing.error().message;
    EXPECT_EQ(store_->deleteProviderSettings(team_.id, "example", "bot").error().kind, ErrorKind::not_found);
    EXPECT_EQ(store_->markProviderInvalid(team_.id, "example", "x", "bot").error().kind, ErrorKind::not_found);
    EXPECT_EQ(store_->saveProviderSettings(credential("", "empty-name-token-000000")).error().kind,
              ErrorKind::invalid_input);
}

TEST_P(CredentialsTest, RekeyResealsEveryNamedCredential) {
    must(store_->saveProviderSettings(credential("default", "personal-token-0000000001")));
    must(store_->saveProviderSettings(credential("bot", "bot-token-0000000000000003")));
    auto fresh = std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate());
    EXPECT_EQ(must(store_->rekey(*box_, *fresh)), 2);
    store_.reset();
    store_ = openStore(fresh);
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example")).token, "personal-token-0000000001");
    EXPECT_EQ(must(store_->providerCredentials(team_.id, "example", "bot")).token, "bot-token-0000000000000003");
}

TEST_P(CredentialsTest, ALinkNamesTheCredentialThatServesItsRepository) {
    must(store_->saveProviderSettings(credential("default", "personal-token-0000000001")));
    must(store_->saveProviderSettings(credential("group-a", "group-token-00000000000002", TokenKind::group)));
    const Project api = must(store_->createProject(team_.id, "api", "API"));
    const Project web = must(store_->createProject(team_.id, "web", "Web"));

    // A link made without naming one is served by 'default', as every link made before names.
    EXPECT_EQ(must(store_->linkRepository(exampleLink(web.id, "12", "acme/web"))).credential, "default");
    auto served = exampleLink(api.id, "11", "acme/a/api");
    served.credential = "group-a";
    EXPECT_EQ(must(store_->linkRepository(served)).credential, "group-a");
    EXPECT_EQ(must(store_->repositoryLink(api.id)).credential, "group-a");

    auto serving = must(store_->servingCredentials(team_.id, "example", "forge.test", "11"));
    EXPECT_EQ(serving.name, "group-a");
    EXPECT_EQ(serving.credentials.token, "group-token-00000000000002");
    EXPECT_EQ(must(store_->servingCredentials(team_.id, "example", "forge.test", "12")).name, "default");

    auto listing = must(store_->listProjectsWithLinks(team_.id));
    ASSERT_EQ(listing.size(), 2u);
    EXPECT_EQ(listing[0].link->credential, "group-a");

    auto by_group = must(store_->linksServedBy(team_.id, "example", "group-a"));
    ASSERT_EQ(by_group.size(), 1u);
    EXPECT_EQ(by_group[0].project.slug, "api");
    EXPECT_EQ(by_group[0].link->full_path, "acme/a/api");
    EXPECT_EQ(must(store_->linksServedBy(team_.id, "example", "default")).size(), 1u);
    EXPECT_TRUE(must(store_->linksServedBy(team_.id, "other", "default")).empty());

    // Moving the link to another credential; a missing link says so.
    EXPECT_EQ(must(store_->setLinkCredential(api.id, "default")).credential, "default");
    EXPECT_EQ(must(store_->servingCredentials(team_.id, "example", "forge.test", "11")).name, "default");
    EXPECT_EQ(store_->setLinkCredential(9999, "default").error().kind, ErrorKind::not_found);
    must(store_->setLinkCredential(api.id, "group-a"));

    // The serving credential removed: not_found naming it and the repository.
    must(store_->deleteProviderSettings(team_.id, "example", "group-a"));
    auto gone = store_->servingCredentials(team_.id, "example", "forge.test", "11");
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().kind, ErrorKind::not_found);
    EXPECT_EQ(gone.error().code, "credential_removed");
    EXPECT_NE(gone.error().message.find("'group-a'"), std::string::npos) << gone.error().message;
    EXPECT_NE(gone.error().message.find("acme/a/api"), std::string::npos) << gone.error().message;
    // A repository no project of the team links.
    EXPECT_EQ(store_->servingCredentials(team_.id, "example", "forge.test", "99").error().code, "not_linked");
    Team other = must(store_->createTeam("other", "Other"));
    EXPECT_EQ(store_->servingCredentials(other.id, "example", "forge.test", "12").error().kind, ErrorKind::not_found);
}

TEST_P(CredentialsTest, EachCredentialIsReCheckedOnItsOwn) {
    auto a = credential("default", "personal-token-0000000001");
    a.next_check_at = now();
    auto b = credential("bot", "bot-token-0000000000000003");
    b.next_check_at = now();
    must(store_->saveProviderSettings(a));
    must(store_->saveProviderSettings(b));
    auto claimed = must(store_->claimProviderChecks("host-1", now(), 1min, 10));
    ASSERT_EQ(claimed.size(), 2u);
    const auto& bot = claimed[0].name == "bot" ? claimed[0] : claimed[1];
    const auto& def = claimed[0].name == "bot" ? claimed[1] : claimed[0];
    EXPECT_EQ(bot.credentials.token, "bot-token-0000000000000003");
    EXPECT_EQ(def.credentials.token, "personal-token-0000000001");

    ProviderCheckOutcome refused;
    refused.team_id = team_.id;
    refused.provider = "example";
    refused.name = "bot";
    refused.valid = false;
    refused.invalid_reason = "revoked";
    refused.next_check_at = now() + 1h;
    auto change = must(store_->completeProviderCheck(refused, "host-1"));
    EXPECT_EQ(change.after.name, "bot");
    EXPECT_EQ(change.after.status, ProviderStatus::invalid);
    EXPECT_EQ(must(store_->providerSettings(team_.id, "example")).status, ProviderStatus::active);
    // The bot's claim ended with its verdict; the default one's is still held, by name.
    EXPECT_EQ(store_->completeProviderCheck(refused, "host-1").error().kind, ErrorKind::conflict);
    must(store_->releaseProviderCheck(team_.id, "example", "host-1", now() + 1h, "default"));
    EXPECT_EQ(store_->releaseProviderCheck(team_.id, "example", "host-1", now() + 1h, "default").error().kind,
              ErrorKind::conflict);

    // Expiry reminders name the credential.
    auto soon = credential("bot", "bot-token-0000000000000005");
    soon.expires_at = "2000-01-01";
    must(store_->saveProviderSettings(soon));
    auto reminders = must(store_->claimExpiryReminders("2023-11-14", "2023-12-14"));
    ASSERT_EQ(reminders.size(), 1u);
    EXPECT_EQ(reminders[0].name, "bot");
}

TEST_P(CredentialsTest, AnOAuthCredentialsRefreshTokenIsClaimedOnceStoredWithItsPairAndDroppedWhenStale) {
    must(store_->saveProviderSettings(credential("bot", "oauth-access-000000000001", TokenKind::oauth)));
    TeamTokenRefresh saved;
    saved.team_id = team_.id;
    saved.provider = "example";
    saved.name = "bot";
    saved.access_token = "oauth-access-000000000001";
    saved.refresh_token = "oauth-refresh-00000000001";
    must(store_->saveTeamRefreshToken(saved));
    EXPECT_FALSE(must(store_->teamRefreshExpiry(team_.id, "example", "bot")).has_value());  // due at once

    // Two hosts: one claim wins; the loser can neither store nor drop.
    auto second_host = openStore();
    auto won = must(store_->claimTeamTokensToRefresh("example", "host-a", now() + 10min, now(), 2min, 10));
    ASSERT_EQ(won.size(), 1u);
    EXPECT_EQ(won[0].team_slug, "core");
    EXPECT_EQ(won[0].name, "bot");
    EXPECT_EQ(won[0].refresh_token, "oauth-refresh-00000000001");
    EXPECT_TRUE(must(second_host->claimTeamTokensToRefresh("example", "host-b", now() + 10min, now(), 2min, 10)).empty());
    TeamTokenRefresh next = won[0];
    next.access_token = "oauth-access-000000000002";
    next.refresh_token = "oauth-refresh-00000000002";
    next.expires_at = now() + 2h;
    EXPECT_EQ(second_host->completeTeamTokenRefresh(next, "host-b").error().kind, ErrorKind::conflict);
    EXPECT_EQ(second_host->dropClaimedTeamRefreshToken(team_.id, "example", "bot", "host-b").error().kind,
              ErrorKind::conflict);
    must(store_->completeTeamTokenRefresh(next, "host-a"));
    EXPECT_EQ(must(second_host->providerCredentials(team_.id, "example", "bot")).token, "oauth-access-000000000002");
    EXPECT_EQ(must(second_host->providerSettings(team_.id, "example", "bot")).token_last4, "0002");
    EXPECT_TRUE(must(store_->teamRefreshExpiry(team_.id, "example", "bot")).has_value());
    // Not due for two hours.
    EXPECT_TRUE(must(store_->claimTeamTokensToRefresh("example", "host-a", now() + 10min, now(), 2min, 10)).empty());
    auto due = must(second_host->claimTeamTokensToRefresh("example", "host-b", now() + 3h, now(), 2min, 10));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].refresh_token, "oauth-refresh-00000000002");
    must(second_host->releaseTeamTokenRefresh(team_.id, "example", "bot", "host-b"));

    // A token saved over the credential makes its refresh token stale: dropped, never spent.
    must(store_->saveProviderSettings(credential("bot", "personal-token-0000000009")));
    EXPECT_TRUE(must(store_->claimTeamTokensToRefresh("example", "host-a", now() + 3h, now(), 2min, 10)).empty());
    EXPECT_EQ(store_->teamRefreshExpiry(team_.id, "example", "bot").error().kind, ErrorKind::not_found);
}

TEST_P(CredentialsTest, ARefreshTokenIsSealedAndResealedByRekey) {
    must(store_->saveProviderSettings(credential("default", "oauth-access-000000000001", TokenKind::oauth)));
    TeamTokenRefresh saved;
    saved.team_id = team_.id;
    saved.provider = "example";
    saved.access_token = "oauth-access-000000000001";
    saved.refresh_token = "RefreshTokenOfATeamShouldNotLeak";
    must(store_->saveTeamRefreshToken(saved));
    auto fresh = std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate());
    EXPECT_EQ(must(store_->rekey(*box_, *fresh)), 2);  // the access token and its refresh token
    store_.reset();
    store_ = openStore(fresh);
    auto claimed = must(store_->claimTeamTokensToRefresh("example", "host-a", now() + 10min, now(), 2min, 10));
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].refresh_token, "RefreshTokenOfATeamShouldNotLeak");
}

INSTANTIATE_STORE_CONTRACT(CredentialsTest);

}  // namespace
}  // namespace forgelink::store::testing
