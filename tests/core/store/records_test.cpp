#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class RecordsTest : public StoreContract {
protected:
    User alice() { return must(store_->upsertUser({"example", "forge.test", "101", "alice", "Alice A."})); }
    User bob() { return must(store_->upsertUser({"example", "forge.test", "102", "bob", "Bob B."})); }

    ProviderSettingsInput settings(std::int64_t team_id, std::string token = "glpat-abcdefghijklmnop1234") {
        ProviderSettingsInput in;
        in.team_id = team_id;
        in.provider = "example";
        in.base_url = "https://forge.test";
        in.instance = "forge.test";
        in.token = std::move(token);
        in.kind = TokenKind::project;
        in.identity = Identity{"77", "project_5_bot", "Bot", "https://forge.test/bot", true};
        in.scopes = {"api", "read_repository"};
        in.expires_at = "2030-01-01";
        in.warnings = {TokenWarning{"expires_soon", "expires in 5 days"}};
        return in;
    }
};

TEST_P(RecordsTest, UpsertUserCreatesOnceThenRefreshesProfile) {
    User first = alice();
    EXPECT_GT(first.id, 0);
    EXPECT_EQ(first.created_at, now());
    advance(1s);
    User again = must(store_->upsertUser({"example", "forge.test", "101", "alice2", "Alice Renamed"}));
    EXPECT_EQ(again.id, first.id);
    EXPECT_EQ(again.username, "alice2");
    EXPECT_EQ(again.created_at, first.created_at);
    // Same forge user id on another instance is another person.
    User other = must(store_->upsertUser({"example", "other.test", "101", "alice", ""}));
    EXPECT_NE(other.id, first.id);
    EXPECT_EQ(must(store_->findUser("example", "forge.test", "101")).id, first.id);
    EXPECT_EQ(must(store_->user(first.id)).name, "Alice Renamed");
    EXPECT_EQ(store_->user(9999).error().kind, ErrorKind::not_found);
    EXPECT_EQ(store_->upsertUser({"example", "forge.test", "", "x", ""}).error().kind, ErrorKind::invalid_input);
}

TEST_P(RecordsTest, SessionsStoreOnlyADigestAndExpire) {
    User u = alice();
    const std::string token = "session-token-abc123";
    Session s = must(store_->createSession(token, u.id, now() + 1h));
    EXPECT_EQ(s.id_hash.size(), 64u);
    EXPECT_NE(s.id_hash, token);
    EXPECT_EQ(must(store_->findSession(token, now())).user_id, u.id);
    EXPECT_EQ(store_->findSession("other-token", now()).error().kind, ErrorKind::not_found);
    EXPECT_EQ(store_->findSession(token, now() + 2h).error().kind, ErrorKind::not_found);
    EXPECT_EQ(must(store_->deleteExpiredSessions(now() + 2h)), 1);
    must(store_->createSession(token, u.id, now() + 1h));
    must(store_->deleteSession(token));
    EXPECT_EQ(store_->deleteSession(token).error().kind, ErrorKind::not_found);
    EXPECT_EQ(store_->createSession("t", 4242, now() + 1h).error().kind, ErrorKind::invalid_input);
}

TEST_P(RecordsTest, LinkedIdentitiesSignInAsOneUser) {
    const User ada = must(store_->upsertUser({"example", "one.example", "1", "ada", "Ada"}));
    const UserIdentity linked = must(store_->linkIdentity(ada.id, {"other", "two.example", "99", "ada-two", "Ada Two"}));
    EXPECT_EQ(linked.user_id, ada.id);
    // Either identity signs in as Ada; a new name from the forge is kept on the identity.
    EXPECT_EQ(must(store_->upsertUser({"other", "two.example", "99", "ada-renamed", "Ada Two"})).id, ada.id);
    EXPECT_EQ(must(store_->findUser("other", "two.example", "99")).id, ada.id);
    auto identities = must(store_->userIdentities(ada.id));
    ASSERT_EQ(identities.size(), 2u);
    EXPECT_EQ(identities[0].provider, "example");
    EXPECT_EQ(identities[1].username, "ada-renamed");
    EXPECT_EQ(must(store_->user(ada.id)).username, "ada");  // shown by her first identity
    // Linking again is harmless.
    EXPECT_EQ(must(store_->linkIdentity(ada.id, {"other", "two.example", "99", "ada-renamed", "Ada Two"})).user_id, ada.id);

    const User bob = must(store_->upsertUser({"example", "one.example", "2", "bob", "Bob"}));
    auto taken = store_->linkIdentity(bob.id, {"other", "two.example", "99", "ada-renamed", "Ada Two"});
    ASSERT_FALSE(taken.ok());
    EXPECT_EQ(taken.error().kind, ErrorKind::conflict);
    EXPECT_EQ(taken.error().code, "identity_taken");
    auto second = store_->linkIdentity(ada.id, {"other", "two.example", "100", "ada-alt", ""});
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, "provider_linked");
    EXPECT_EQ(store_->linkIdentity(4242, {"x", "y", "z", "w", ""}).error().kind, ErrorKind::not_found);

    // Unlinking her first identity: she is shown by the other, and the first signs in as a new user.
    must(store_->saveUserTokens({ada.id, "example", "access-1", "", std::nullopt, now()}));
    must(store_->unlinkIdentity(ada.id, "example"));
    EXPECT_EQ(store_->userTokens(ada.id, "example").error().kind, ErrorKind::not_found);
    EXPECT_EQ(must(store_->user(ada.id)).provider, "other");
    EXPECT_EQ(must(store_->user(ada.id)).username, "ada-renamed");
    EXPECT_NE(must(store_->upsertUser({"example", "one.example", "1", "ada", "Ada"})).id, ada.id);
    auto last = store_->unlinkIdentity(ada.id, "other");
    ASSERT_FALSE(last.ok());
    EXPECT_EQ(last.error().code, "last_identity");
    EXPECT_EQ(store_->unlinkIdentity(ada.id, "nothing").error().kind, ErrorKind::not_found);
}

TEST_P(RecordsTest, OAuthStateIsConsumedExactlyOnce) {
    must(store_->saveOAuthState({"state-1", "example", "verifier-secret-xyz", "/teams", now() + 10min, "binding-1", 42}));
    EXPECT_EQ(store_->saveOAuthState({"state-1", "example", "v", "/", now() + 10min}).error().kind, ErrorKind::conflict);
    OAuthState got = must(store_->consumeOAuthState("state-1", now()));
    EXPECT_EQ(got.code_verifier, "verifier-secret-xyz");
    EXPECT_EQ(got.browser_binding, "binding-1");
    EXPECT_EQ(got.link_user_id, 42);
    EXPECT_EQ(got.provider, "example");
    EXPECT_EQ(got.redirect, "/teams");
    EXPECT_EQ(store_->consumeOAuthState("state-1", now()).error().kind, ErrorKind::not_found);
}

TEST_P(RecordsTest, OAuthStateRacingCallbacksOnlyOneWins) {
    for (int round = 0; round < 5; ++round) {
        const std::string state = "race-" + std::to_string(round);
        must(store_->saveOAuthState({state, "example", "v", "/", now() + 10min}));
        auto second = openStore();
        std::atomic<int> winners{0};
        std::vector<std::thread> threads;
        for (Store* s : {static_cast<Store*>(store_.get()), static_cast<Store*>(second.get()),
                         static_cast<Store*>(store_.get())}) {
            threads.emplace_back([&, s] {
                if (s->consumeOAuthState(state, now()).ok()) ++winners;
            });
        }
        for (auto& t : threads) t.join();
        EXPECT_EQ(winners.load(), 1);
    }
}

TEST_P(RecordsTest, FirstLoginsOfOneAccountFromSeveralHostsMakeOneUser) {
    // The same new forge account signs in on two hosts at once (two tabs, a retried callback):
    // every login succeeds and all get the one user (on PostgreSQL, without the identity's lock
    // the second insert fails on the unique key).
    auto second = openStore();
    for (int round = 0; round < 5; ++round) {
        const UserProfile profile{"example", "forge.test", "race-" + std::to_string(round), "racer", ""};
        std::vector<Result<User>> results(4, makeError(ErrorKind::internal, "not run"));
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < results.size(); ++i) {
            Store* s = i % 2 == 0 ? static_cast<Store*>(store_.get()) : static_cast<Store*>(second.get());
            threads.emplace_back([&, s, i] { results[i] = s->upsertUser(profile); });
        }
        for (auto& t : threads) t.join();
        const std::int64_t id = must(store_->findUser(profile.provider, profile.instance, profile.forge_user_id)).id;
        for (const auto& result : results) {
            ASSERT_TRUE(result.ok()) << result.error().message;
            EXPECT_EQ(result.value().id, id);
        }
        EXPECT_EQ(must(store_->userIdentities(id)).size(), 1u);
    }
}

TEST_P(RecordsTest, ExpiredOAuthStateIsNotHandedOutAndIsGone) {
    must(store_->saveOAuthState({"old", "example", "v", "/", now() + 1min}));
    auto late = store_->consumeOAuthState("old", now() + 2min);
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().code, "expired");
    EXPECT_EQ(store_->consumeOAuthState("old", now()).error().kind, ErrorKind::not_found);
    must(store_->saveOAuthState({"old2", "example", "v", "/", now() + 1min}));
    EXPECT_EQ(must(store_->deleteExpiredOAuthStates(now() + 2min)), 1);
}

TEST_P(RecordsTest, UserTokensReplaceAsAPair) {
    User u = alice();
    must(store_->saveUserTokens({u.id, "example", "access-1", "refresh-1", now() + 1h, {}}));
    UserTokens t = must(store_->userTokens(u.id, "example"));
    EXPECT_EQ(t.access_token, "access-1");
    EXPECT_EQ(t.refresh_token, "refresh-1");
    ASSERT_TRUE(t.expires_at.has_value());
    EXPECT_EQ(*t.expires_at, now() + 1h);
    must(store_->saveUserTokens({u.id, "example", "access-2", "", std::nullopt, {}}));
    t = must(store_->userTokens(u.id, "example"));
    EXPECT_EQ(t.access_token, "access-2");
    EXPECT_EQ(t.refresh_token, "");
    EXPECT_FALSE(t.expires_at.has_value());
    must(store_->deleteUserTokens(u.id, "example"));
    EXPECT_EQ(store_->userTokens(u.id, "example").error().kind, ErrorKind::not_found);
}

TEST_P(RecordsTest, TeamsAndUniqueSlugs) {
    Team t = must(store_->createTeam("core", "Core Team"));
    auto dup = store_->createTeam("core", "Another");
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().kind, ErrorKind::conflict);
    EXPECT_NE(dup.error().message.find("core"), std::string::npos);
    must(store_->createTeam("apps", "Apps"));
    auto teams = must(store_->listTeams());
    ASSERT_EQ(teams.size(), 2u);
    EXPECT_EQ(teams[0].slug, "apps");
    EXPECT_EQ(must(store_->renameTeam(t.id, "Core!")).name, "Core!");
    EXPECT_EQ(must(store_->team(t.id)).name, "Core!");
    EXPECT_EQ(store_->createTeam("", "x").error().kind, ErrorKind::invalid_input);
    must(store_->deleteTeam(t.id));
    EXPECT_EQ(store_->team(t.id).error().kind, ErrorKind::not_found);
    EXPECT_EQ(store_->deleteTeam(t.id).error().kind, ErrorKind::not_found);
}

TEST_P(RecordsTest, MembersWithRoles) {
    Team t = must(store_->createTeam("core", "Core"));
    User a = alice();
    User b = bob();
    TeamMember m = must(store_->addTeamMember(t.id, a.id, TeamRole::owner));
    EXPECT_EQ(m.role, TeamRole::owner);
    EXPECT_EQ(m.username, "alice");
    EXPECT_EQ(store_->addTeamMember(t.id, a.id, TeamRole::member).error().kind, ErrorKind::conflict);
    EXPECT_EQ(store_->addTeamMember(t.id, 9999, TeamRole::member).error().kind, ErrorKind::invalid_input);
    must(store_->addTeamMember(t.id, b.id, TeamRole::member));
    auto members = must(store_->listTeamMembers(t.id));
    ASSERT_EQ(members.size(), 2u);
    EXPECT_EQ(members[1].username, "bob");
    EXPECT_EQ(must(store_->setTeamMemberRole(t.id, b.id, TeamRole::owner)).role, TeamRole::owner);
    EXPECT_EQ(must(store_->teamMember(t.id, b.id)).role, TeamRole::owner);
    EXPECT_EQ(must(store_->listTeamsOfUser(b.id)).size(), 1u);
    must(store_->removeTeamMember(t.id, b.id));
    EXPECT_EQ(store_->teamMember(t.id, b.id).error().kind, ErrorKind::not_found);
    EXPECT_EQ(store_->setTeamMemberRole(t.id, b.id, TeamRole::member).error().kind, ErrorKind::not_found);
    EXPECT_TRUE(must(store_->listTeamsOfUser(b.id)).empty());
}

TEST_P(RecordsTest, ProviderSettingsNeverListTheToken) {
    Team t = must(store_->createTeam("core", "Core"));
    ProviderSettings s = must(store_->saveProviderSettings(settings(t.id)));
    EXPECT_EQ(s.token_last4, "1234");
    EXPECT_EQ(s.kind, TokenKind::project);
    EXPECT_EQ(s.identity.username, "project_5_bot");
    EXPECT_TRUE(s.identity.bot);
    EXPECT_EQ(s.scopes, (std::vector<std::string>{"api", "read_repository"}));
    ASSERT_EQ(s.warnings.size(), 1u);
    EXPECT_EQ(s.warnings[0].code, "expires_soon");
    EXPECT_EQ(s.expires_at, std::optional<std::string>("2030-01-01"));
    EXPECT_EQ(s.status, ProviderStatus::active);
    Credentials creds = must(store_->providerCredentials(t.id, "example"));
    EXPECT_EQ(creds.token, "glpat-abcdefghijklmnop1234");
    EXPECT_EQ(creds.base_url, "https://forge.test");
    EXPECT_EQ(must(store_->listProviderSettings(t.id)).size(), 1u);
    EXPECT_EQ(store_->providerSettings(t.id, "other").error().kind, ErrorKind::not_found);
    // Short tokens do not reveal a quarter of themselves.
    EXPECT_EQ(must(store_->saveProviderSettings(settings(t.id, "short-tok"))).token_last4, "");
}

TEST_P(RecordsTest, ProviderInvalidationAndNotification) {
    Team t = must(store_->createTeam("core", "Core"));
    must(store_->saveProviderSettings(settings(t.id)));
    must(store_->markProviderInvalid(t.id, "example", "token_revoked"));
    ProviderSettings s = must(store_->providerSettings(t.id, "example"));
    EXPECT_EQ(s.status, ProviderStatus::invalid);
    EXPECT_EQ(s.invalid_reason, "token_revoked");
    EXPECT_FALSE(s.invalid_notified_at.has_value());
    must(store_->markProviderInvalidNotified(t.id, "example", now()));
    // The same reason again keeps the notice; a new reason clears it so people hear of it.
    must(store_->markProviderInvalid(t.id, "example", "token_revoked"));
    EXPECT_TRUE(must(store_->providerSettings(t.id, "example")).invalid_notified_at.has_value());
    must(store_->markProviderInvalid(t.id, "example", "token_expired"));
    EXPECT_FALSE(must(store_->providerSettings(t.id, "example")).invalid_notified_at.has_value());
    // A new token makes it active again.
    s = must(store_->saveProviderSettings(settings(t.id)));
    EXPECT_EQ(s.status, ProviderStatus::active);
    EXPECT_EQ(s.invalid_reason, "");
    must(store_->deleteProviderSettings(t.id, "example"));
    EXPECT_EQ(store_->markProviderInvalid(t.id, "example", "x").error().kind, ErrorKind::not_found);
    EXPECT_EQ(store_->saveProviderSettings(settings(424242)).error().kind, ErrorKind::invalid_input);
}

TEST_P(RecordsTest, ProjectsSlugUniquePerTeam) {
    Team a = must(store_->createTeam("a", "A"));
    Team b = must(store_->createTeam("b", "B"));
    Project p = must(store_->createProject(a.id, "web", "Web"));
    EXPECT_EQ(store_->createProject(a.id, "web", "Web 2").error().kind, ErrorKind::conflict);
    Project other = must(store_->createProject(b.id, "web", "Web"));
    EXPECT_NE(other.id, p.id);
    EXPECT_EQ(must(store_->findProjectBySlug(a.id, "web")).id, p.id);
    EXPECT_EQ(must(store_->listProjects(a.id)).size(), 1u);
    EXPECT_EQ(must(store_->renameProject(p.id, "Website")).name, "Website");
    EXPECT_EQ(store_->createProject(9999, "x", "X").error().kind, ErrorKind::invalid_input);
    must(store_->deleteProject(p.id));
    EXPECT_EQ(store_->project(p.id).error().kind, ErrorKind::not_found);
}

TEST_P(RecordsTest, OneRepositoryPerProjectSharedByProjects) {
    Team t = must(store_->createTeam("a", "A"));
    Project p1 = must(store_->createProject(t.id, "one", "One"));
    Project p2 = must(store_->createProject(t.id, "two", "Two"));
    RepositoryLink link{p1.id, "example", "forge.test", "55", "g/r", "https://forge.test/g/r", "forgelink/one", {}, "default"};
    EXPECT_EQ(must(store_->linkRepository(link)).repository_id, "55");
    link.project_id = p2.id;
    link.status_context = "forgelink/two";
    must(store_->linkRepository(link));
    EXPECT_EQ(must(store_->findLinksToRepository("example", "forge.test", "55")).size(), 2u);
    // Re-linking replaces: still one link for the project.
    link.project_id = p1.id;
    link.repository_id = "56";
    must(store_->linkRepository(link));
    EXPECT_EQ(must(store_->repositoryLink(p1.id)).repository_id, "56");
    EXPECT_EQ(must(store_->findLinksToRepository("example", "forge.test", "55")).size(), 1u);
    must(store_->unlinkRepository(p1.id));
    EXPECT_EQ(store_->repositoryLink(p1.id).error().kind, ErrorKind::not_found);
    link.project_id = 9999;
    EXPECT_EQ(store_->linkRepository(link).error().kind, ErrorKind::invalid_input);
}

TEST_P(RecordsTest, DeletingATeamRemovesWhatBelongsToIt) {
    Team t = must(store_->createTeam("a", "A"));
    User u = alice();
    must(store_->addTeamMember(t.id, u.id, TeamRole::owner));
    must(store_->saveProviderSettings(settings(t.id)));
    Project p = must(store_->createProject(t.id, "web", "Web"));
    must(store_->deleteTeam(t.id));
    EXPECT_EQ(store_->project(p.id).error().kind, ErrorKind::not_found);
    EXPECT_EQ(store_->providerSettings(t.id, "example").error().kind, ErrorKind::not_found);
    EXPECT_TRUE(must(store_->listTeamsOfUser(u.id)).empty());
    EXPECT_EQ(must(store_->user(u.id)).id, u.id);
}

INSTANTIATE_STORE_CONTRACT(RecordsTest);

}  // namespace
}  // namespace forgelink::store::testing
