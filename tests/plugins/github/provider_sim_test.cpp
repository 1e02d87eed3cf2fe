// The GitHub plugin, loaded through the plugin registry and driven through the host transport over
// real HTTP, against forge-sim's GitHub dialect (GHES style, /api/v3).
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "github_test_support.hpp"
#include "sim_process.hpp"

namespace forgelink::github {
namespace {

using testing::LoadedGitHub;
using nlohmann::json;

const std::string kSha = "2a6c97f6f5dc9166cc2e5d0d95415a386805ca07";
const std::string kOtherSha = "6b9fec60e107f1f323dfa6674b317facd996cb0a";
const std::string kMarker = "<!-- forgelink:build -->";

std::string scenario() {
    std::string soon = testing::isoDateFromToday(10);
    return R"(
github:
  users:
    - {id: 1001, login: alice, name: Alice}
    - {id: 1002, login: bob, name: Bob}
    - {id: 1003, login: carol}
    - {id: 1004, login: boss, site_admin: true}
  orgs:
    - {id: 9919, login: acme, members: {alice: admin, bob: member}, default_repository_permission: pull}
    - {id: 9920, login: other, members: {carol: admin}}
  repos:
    - id: 500
      owner: acme
      name: widget
      private: true
      default_branch: main
      permissions: {bob: push, carol: pull}
      commits:
        - {sha: )" + kSha + R"(, branches: [fix]}
        - {sha: )" + kOtherSha + R"(, branches: [main]}
      pulls:
        - {number: 1, title: Fix it, head_ref: fix, head_sha: )" + kSha + R"(, user: bob}
        - {number: 2, title: Old, head_ref: old, head_sha: )" + kSha + R"(, state: closed, user: bob}
      comments:
        - {id: 7001, issue: 1, user: carol, body: "<!-- forgelink:build --> carol copied our marker", created_at: 2024-01-03T00:00:00Z}
    - {id: 501, owner: acme, name: attic, private: true, archived: true}
    - {id: 502, owner: alice, name: personal, private: false}
    - {id: 503, owner: other, name: secret, private: true}
  tokens:
    - {value: ghp_aliceRepo0000000000000000000000000000, kind: classic, user: alice, scopes: [repo]}
    - {value: ghp_aliceAdmin000000000000000000000000000, kind: classic, user: alice, scopes: [repo, admin:org, delete_repo], expires_at: )" + soon + R"(}
    - {value: ghp_aliceGist0000000000000000000000000000, kind: classic, user: alice, scopes: [gist]}
    - {value: ghp_alicePublic00000000000000000000000000, kind: classic, user: alice, scopes: ["repo:status", public_repo]}
    - {value: ghp_aliceExpired000000000000000000000000, kind: classic, user: alice, scopes: [repo], expires_at: 2020-01-01}
    - {value: gho_aliceOauth00000000000000000000000000, kind: oauth, user: alice, scopes: [repo, user]}
    - {value: github_pat_aliceFine, kind: fine_grained, user: alice, repositories: [acme/widget], permissions: {statuses: write, issues: write, pull_requests: write, metadata: read}}
    - {value: github_pat_aliceNoStatus, kind: fine_grained, user: alice, repositories: [acme/widget], permissions: {issues: write, metadata: read}}
    - {value: github_pat_aliceNoPulls, kind: fine_grained, user: alice, repositories: [acme/widget], permissions: {statuses: write, metadata: read}}
    - {value: github_pat_alicePullsRead, kind: fine_grained, user: alice, repositories: [acme/widget], permissions: {statuses: write, pull_requests: read, metadata: read}}
    - {value: ghp_bobRepo000000000000000000000000000000, kind: classic, user: bob, scopes: [repo]}
    - {value: ghp_carolRepo00000000000000000000000000000, kind: classic, user: carol, scopes: [repo]}
    - {value: ghp_bossRepo0000000000000000000000000000, kind: classic, user: boss, scopes: [repo]}
  generate:
    - {repos: 250, owner: acme, name_prefix: repo-, private: true, collaborator: bob, permission: push}
  oauth_apps:
    - {client_id: Iv1.forgelink, secret: gh-secret, redirect_uri: "http://127.0.0.1:8976/callback", user: alice, scopes: [repo]}
    - {client_id: Iv1.expiring, secret: gh-secret-2, redirect_uri: "http://127.0.0.1:8976/callback", user: bob, expiring: true}
)";
}

class GitHubSim : public ::testing::Test {
protected:
    // A simulator per test: every test starts from the same world, and tests run in parallel.
    void SetUp() override {
        sim_ = std::make_unique<sim::SimProcess>(scenario());
        github_ = std::make_unique<LoadedGitHub>();
    }
    Provider& p() { return github_->provider(); }
    Credentials as(const std::string& token) const { return {sim_->baseUrl(), token}; }
    // What GitHub shows, read through its own API (as carol, who can read the repository).
    json apiGet(const std::string& path) const {
        auto r = sim::httpRequest("GET", sim_->githubUrl() + path,
                                  {{"Authorization", "Bearer ghp_carolRepo00000000000000000000000000000"}});
        EXPECT_EQ(r.status, 200) << path << ": " << r.body;
        return r.status == 200 ? r.json() : json::array();
    }
    std::vector<json> simComments() const {
        std::vector<json> out;
        for (const auto& c : apiGet("/repos/acme/widget/issues/1/comments?per_page=100")) out.push_back(c);
        return out;
    }
    std::unique_ptr<sim::SimProcess> sim_;
    std::unique_ptr<LoadedGitHub> github_;
};

const std::string kAlice = "ghp_aliceRepo0000000000000000000000000000";
const std::string kBob = "ghp_bobRepo000000000000000000000000000000";

TEST_F(GitHubSim, LoadsThroughTheRegistryWithEveryCapability) {
    EXPECT_EQ(github_->info().name, "github");
    EXPECT_EQ(github_->info().capabilities, 0x7Fu);
    EXPECT_EQ(github_->info().display_name, "GitHub");
}

// ---- validateToken ----

TEST_F(GitHubSim, ClassicTokenWithRepoIsAccepted) {
    auto info = p().validateToken(as(kAlice));
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->identity.username, "alice");
    EXPECT_EQ(info->identity.id, "1001");
    EXPECT_EQ(info->kind, TokenKind::personal);
    EXPECT_EQ(info->scopes, std::vector<std::string>{"repo"});
    EXPECT_EQ(info->instance, "127.0.0.1:" + std::to_string(sim_->port()));
    EXPECT_FALSE(info->expires_at.has_value());
    EXPECT_TRUE(info->warnings.empty());
}

TEST_F(GitHubSim, ApiRootIsAcceptedAsBaseUrlToo) {
    auto info = p().validateToken({sim_->githubUrl(), kAlice});
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->identity.username, "alice");
}

TEST_F(GitHubSim, ExpiringPowerfulTokenIsAcceptedWithWarnings) {
    auto info = p().validateToken(as("ghp_aliceAdmin000000000000000000000000000"));
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->expires_at, testing::isoDateFromToday(10));
    ASSERT_TRUE(info->days_until_expiry.has_value());
    EXPECT_TRUE(*info->days_until_expiry == 9 || *info->days_until_expiry == 10) << *info->days_until_expiry;
    auto has = [&](const std::string& code, const std::string& text) {
        return std::any_of(info->warnings.begin(), info->warnings.end(), [&](const TokenWarning& w) {
            return w.code == code && w.message.find(text) != std::string::npos;
        });
    };
    EXPECT_TRUE(has("expires_soon", testing::isoDateFromToday(10)));
    EXPECT_TRUE(has("excess_privilege", "admin:org, delete_repo"));
}

TEST_F(GitHubSim, MissingRepoScopeIsRefusedWithTheTokenPage) {
    auto info = p().validateToken(as("ghp_aliceGist0000000000000000000000000000"));
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().kind, ErrorKind::missing_scope);
    EXPECT_EQ(info.error().missing_scopes, std::vector<std::string>{"repo"});
    EXPECT_NE(info.error().message.find("scopes gist"), std::string::npos) << info.error().message;
    EXPECT_NE(info.error().message.find(sim_->baseUrl() + "/settings/tokens/new?scopes=repo&description=forgelink"),
              std::string::npos)
        << info.error().message;
}

TEST_F(GitHubSim, PublicOnlyScopesAreAcceptedWithWhatTheyLimit) {
    auto info = p().validateToken(as("ghp_alicePublic00000000000000000000000000"));
    ASSERT_TRUE(info.ok()) << info.error().message;
    ASSERT_FALSE(info->warnings.empty());
    EXPECT_EQ(info->warnings[0].code, "public_only");
    EXPECT_NE(info->warnings[0].message.find("public repositories only"), std::string::npos);
}

TEST_F(GitHubSim, UnknownAndExpiredTokensAreBadCredentials) {
    for (const char* token : {"ghp_nobodyKnowsThis000000000000000000000", "ghp_aliceExpired000000000000000000000000"}) {
        auto info = p().validateToken(as(token));
        ASSERT_FALSE(info.ok()) << token;
        EXPECT_EQ(info.error().kind, ErrorKind::unauthorized);
        EXPECT_EQ(info.error().code, "bad_credentials");
        EXPECT_EQ(info.error().http_status, 401);
        EXPECT_NE(info.error().message.find("unknown, revoked or expired"), std::string::npos);
        EXPECT_EQ(info.error().message.find(token), std::string::npos) << "the token leaked into the message";
    }
}

TEST_F(GitHubSim, FineGrainedTokenIsJudgedPerRepository) {
    auto info = p().validateToken(as("github_pat_aliceFine"));
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->kind, TokenKind::personal);
    EXPECT_TRUE(info->scopes.empty());
    ASSERT_FALSE(info->warnings.empty());
    EXPECT_EQ(info->warnings[0].code, "permissions_per_repository");
    EXPECT_NE(info->warnings[0].message.find("fine-grained"), std::string::npos);
}

TEST_F(GitHubSim, OAuthTokenKindAndSiteAdminWarning) {
    auto oauth = p().validateToken(as("gho_aliceOauth00000000000000000000000000"));
    ASSERT_TRUE(oauth.ok()) << oauth.error().message;
    EXPECT_EQ(oauth->kind, TokenKind::oauth);
    EXPECT_TRUE(std::any_of(oauth->warnings.begin(), oauth->warnings.end(),
                            [](const TokenWarning& w) { return w.message.find("user") != std::string::npos; }));
    auto boss = p().validateToken(as("ghp_bossRepo0000000000000000000000000000"));
    ASSERT_TRUE(boss.ok()) << boss.error().message;
    EXPECT_TRUE(std::any_of(boss->warnings.begin(), boss->warnings.end(), [](const TokenWarning& w) {
        return w.code == "excess_privilege" && w.message.find("site administrator") != std::string::npos;
    }));
}

TEST_F(GitHubSim, BaseUrlThatIsNoGitHubApiIsNamed) {
    // The sim's GitLab root answers /api/v3/... ? No: its /admin path is not GitHub at all.
    auto info = p().validateToken({sim_->baseUrl() + "/nothing-here/api/v3", kAlice});
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().code, "not_a_github_api") << info.error().message;
    EXPECT_NE(info.error().message.find("/nothing-here/api/v3/user"), std::string::npos) << info.error().message;
}

// ---- namespaces and repositories ----

TEST_F(GitHubSim, NamespacesAreTheUserAndTheirOrganizations) {
    auto page = p().listNamespaces(as(kAlice), {}, "");
    ASSERT_TRUE(page.ok()) << page.error().message;
    ASSERT_EQ(page->items.size(), 2u);
    EXPECT_EQ(page->items[0].kind, "user");
    EXPECT_EQ(page->items[0].path, "alice");
    EXPECT_EQ(page->items[1].kind, "organization");
    EXPECT_EQ(page->items[1].path, "acme");
    EXPECT_TRUE(page->next_cursor.empty());
    auto search = p().listNamespaces(as(kAlice), {"ACM"}, "");
    ASSERT_EQ(search->items.size(), 1u);
    EXPECT_EQ(search->items[0].path, "acme");
}

std::vector<Repository> listAll(Provider& p, const Credentials& c, RepositoryQuery q, int* calls = nullptr) {
    std::vector<Repository> all;
    std::string cursor;
    int n = 0;
    do {
        auto page = p.listRepositories(c, q, cursor);
        EXPECT_TRUE(page.ok()) << page.error().message;
        if (!page.ok()) break;
        for (auto& r : page->items) all.push_back(r);
        cursor = page->next_cursor;
        ++n;
    } while (!cursor.empty() && n < 100);
    if (calls) *calls = n;
    return all;
}

TEST_F(GitHubSim, ListingFollowsEveryPageOnceWithOrWithoutConcurrency) {
    RepositoryQuery q;
    q.min_role = Role::write;
    for (std::size_t concurrency : {std::size_t{1}, std::size_t{8}}) {
        q.concurrency = concurrency;
        int calls = 0;
        auto repos = listAll(p(), as(kBob), q, &calls);
        // bob: push on widget and on 250 generated repos; pull elsewhere (filtered out).
        EXPECT_EQ(repos.size(), 251u) << "concurrency " << concurrency;
        std::vector<std::string> ids;
        for (auto& r : repos) ids.push_back(r.id);
        std::sort(ids.begin(), ids.end());
        EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end()) << "an item appeared twice";
        EXPECT_TRUE(std::all_of(repos.begin(), repos.end(), [](const Repository& r) { return r.role >= Role::write; }));
        if (concurrency == 1) {
            EXPECT_GE(calls, 3);  // 100 per page, one page per call
        } else {
            EXPECT_EQ(calls, 1);  // page 1, then pages 2..3 together
        }
    }
    auto requests = sim_->requests();
    EXPECT_TRUE(std::any_of(requests.begin(), requests.end(), [](const json& r) {
        return r["path"].get<std::string>().find("/user/repos") != std::string::npos &&
               r["query"].get<std::string>().find("affiliation=owner%2Ccollaborator%2Corganization_member") != std::string::npos;
    })) << requests.dump().substr(0, 400);
}

TEST_F(GitHubSim, ListingFiltersRoleArchivedAndSearch) {
    RepositoryQuery q;
    q.min_role = Role::read;
    q.namespace_path = "acme";
    q.search = "WIDG";
    auto page = p().listRepositories(as(kAlice), q, "");
    ASSERT_TRUE(page.ok()) << page.error().message;
    ASSERT_EQ(page->items.size(), 1u);
    const Repository& w = page->items[0];
    EXPECT_EQ(w.full_path, "acme/widget");
    EXPECT_EQ(w.id, "500");
    EXPECT_EQ(w.role, Role::admin);  // org admin
    EXPECT_EQ(w.visibility, "private");
    EXPECT_EQ(w.instance, "127.0.0.1:" + std::to_string(sim_->port()));

    q.search = "attic";
    EXPECT_TRUE(listAll(p(), as(kAlice), q).empty());
    q.include_archived = true;
    auto archived = listAll(p(), as(kAlice), q);
    ASSERT_EQ(archived.size(), 1u);
    EXPECT_TRUE(archived[0].archived);

    RepositoryQuery own;
    own.namespace_path = "alice";
    own.min_role = Role::admin;
    auto mine = listAll(p(), as(kAlice), own);
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_EQ(mine[0].full_path, "alice/personal");

    RepositoryQuery hidden;
    hidden.namespace_path = "other";
    auto none = p().listRepositories(as(kAlice), hidden, "");
    ASSERT_TRUE(none.ok()) << none.error().message;  // GitHub lists an org's repos the caller can see: none
    EXPECT_TRUE(none->items.empty());
}

TEST_F(GitHubSim, BadCursorIsRefused) {
    auto page = p().listRepositories(as(kAlice), {}, "gh1.0.https://elsewhere.example/user/repos");
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().code, "bad_cursor");
}

TEST_F(GitHubSim, RepositoryLookupAndHiddenOnes) {
    auto repo = p().getRepository(as(kBob), "acme/widget");
    ASSERT_TRUE(repo.ok()) << repo.error().message;
    EXPECT_EQ(repo->role, Role::write);
    EXPECT_EQ(repo->role_label, "push");
    EXPECT_EQ(repo->default_branch, "main");
    auto hidden = p().getRepository(as(kAlice), "other/secret");
    ASSERT_FALSE(hidden.ok());
    EXPECT_EQ(hidden.error().kind, ErrorKind::not_found);
    EXPECT_NE(hidden.error().message.find("not visible to this token"), std::string::npos);
}

TEST_F(GitHubSim, PermissionsExplainWhyNot) {
    auto carol = p().repositoryPermissions(as("ghp_carolRepo00000000000000000000000000000"), "acme/widget");
    ASSERT_TRUE(carol.ok()) << carol.error().message;
    EXPECT_FALSE(carol->post_status.allowed);
    EXPECT_NE(carol->post_status.reason.find("needs push access"), std::string::npos) << carol->post_status.reason;
    EXPECT_TRUE(carol->comment.allowed);

    auto bob = p().repositoryPermissions(as(kBob), "acme/widget");
    ASSERT_TRUE(bob.ok()) << bob.error().message;
    EXPECT_TRUE(bob->post_status.allowed) << bob->post_status.reason;
    EXPECT_TRUE(bob->comment.allowed);

    auto fine = p().repositoryPermissions(as("github_pat_aliceFine"), "acme/widget");
    ASSERT_TRUE(fine.ok()) << fine.error().message;
    EXPECT_TRUE(fine->post_status.allowed);
    EXPECT_NE(fine->post_status.reason.find("unknown until the first write"), std::string::npos);

    auto no_status = p().repositoryPermissions(as("github_pat_aliceNoStatus"), "acme/widget");
    ASSERT_TRUE(no_status.ok()) << no_status.error().message;
    EXPECT_FALSE(no_status->post_status.allowed);
    EXPECT_NE(no_status->post_status.reason.find("Commit statuses"), std::string::npos) << no_status->post_status.reason;
}

// ---- statuses ----

TEST_F(GitHubSim, PublishesMappedStatesAndSkipsRepeats) {
    StatusRequest s;
    s.repository = "acme/widget";
    s.sha = kSha;
    s.context = "forgelink/check";
    s.target_url = "https://forgelink.example/builds/1";
    s.description = std::string(130, 'x') + "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";
    struct Case {
        BuildState state;
        const char* github;
    };
    for (Case c : {Case{BuildState::queued, "pending"}, Case{BuildState::in_progress, "pending"},
                   Case{BuildState::changes_detected, "failure"}, Case{BuildState::accepted, "success"},
                   Case{BuildState::errored, "error"}, Case{BuildState::aborted, "error"}}) {
        s.state = c.state;
        auto r = p().publishStatus(as(kBob), s);
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r->forge_state, c.github);
        if (c.state == BuildState::in_progress || c.state == BuildState::aborted) {
            // GitHub already shows that state with the same text (pending after queued, error after errored).
            EXPECT_TRUE(r->already_current);
            EXPECT_TRUE(r->status_id.empty());
        } else {
            EXPECT_FALSE(r->already_current) << toString(c.state);
            EXPECT_FALSE(r->status_id.empty());
        }
    }
    auto statuses = apiGet("/repos/acme/widget/commits/" + kSha + "/statuses?per_page=100");
    std::vector<json> ours;
    for (const auto& st : statuses) {
        if (st["context"] == "forgelink/check") ours.push_back(st);
    }
    EXPECT_EQ(ours.size(), 4u);
    for (const auto& st : ours) {
        std::string d = st["description"].get<std::string>();
        // 140 code points: 130 x + 9 é + the ellipsis.
        EXPECT_EQ(d, std::string(130, 'x') + std::string("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9") + "\xE2\x80\xA6");
    }
}

TEST_F(GitHubSim, StatusErrorsAreTyped) {
    StatusRequest s{"acme/widget", kSha, "", BuildState::accepted, "forgelink", "", ""};
    auto reader = p().publishStatus(as("ghp_carolRepo00000000000000000000000000000"), s);
    ASSERT_FALSE(reader.ok());
    EXPECT_TRUE(reader.error().kind == ErrorKind::forbidden || reader.error().kind == ErrorKind::not_found)
        << reader.error().message;

    auto fine = p().publishStatus(as("github_pat_aliceNoStatus"), s);
    ASSERT_FALSE(fine.ok());
    EXPECT_EQ(fine.error().kind, ErrorKind::missing_scope) << fine.error().message;
    EXPECT_NE(fine.error().message.find("Commit statuses"), std::string::npos);

    s.sha = "not-a-sha";
    auto bad = p().publishStatus(as(kBob), s);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, "bad_sha");
}

// ---- pull requests and comments ----

TEST_F(GitHubSim, FindsOnlyOpenPullRequestsOfTheCommit) {
    auto prs = p().findMergeRequests(as(kBob), "acme/widget", kSha);
    ASSERT_TRUE(prs.ok()) << prs.error().message;
    ASSERT_EQ(prs->size(), 1u);
    EXPECT_EQ(prs->at(0).number, "1");
    EXPECT_EQ(prs->at(0).source_branch, "fix");
    EXPECT_EQ(prs->at(0).target_branch, "main");
    EXPECT_EQ(prs->at(0).target_repository, "500");
    EXPECT_EQ(prs->at(0).head_sha, kSha);
    auto none = p().findMergeRequests(as(kBob), "acme/widget", kOtherSha);
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_TRUE(none->empty());
}

TEST_F(GitHubSim, ReadsAPullRequestWithItsHeadCommit) {
    auto pr = p().getMergeRequest(as(kBob), "acme/widget", "1");
    ASSERT_TRUE(pr.ok()) << pr.error().message;
    EXPECT_EQ(pr->number, "1");
    EXPECT_EQ(pr->head_sha, kSha) << "GitHub's head.sha";
    EXPECT_EQ(pr->source_branch, "fix");
    EXPECT_EQ(pr->target_repository, "500");
    auto missing = p().getMergeRequest(as(kBob), "acme/widget", "404");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
    EXPECT_NE(missing.error().message.find("pull request #404"), std::string::npos) << missing.error().message;
    auto bad = p().getMergeRequest(as(kBob), "acme/widget", "0");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, "bad_merge_request");
}

TEST_F(GitHubSim, CommentIsCreatedUpdatedOnlyWhenChangedAndNeverTouchesOthers) {
    CommentRequest c{"acme/widget", "1", kMarker, "Build 1: running", ""};
    auto created = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(created->action, CommentResult::Action::created);
    ASSERT_NE(created->comment_id, "7001");  // carol's comment carries the marker but is hers

    auto same = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(same.ok()) << same.error().message;
    EXPECT_EQ(same->action, CommentResult::Action::unchanged);
    EXPECT_EQ(same->comment_id, created->comment_id);

    sim_->clearRequests();
    c.body = "Build 1: passed";
    c.known_comment_id = created->comment_id;
    auto updated = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    EXPECT_EQ(updated->action, CommentResult::Action::updated);
    EXPECT_EQ(updated->comment_id, created->comment_id);
    int patches = 0, posts = 0;
    for (const auto& r : sim_->requests()) {
        patches += r["method"] == "PATCH";
        posts += r["method"] == "POST";
    }
    EXPECT_EQ(patches, 1);
    EXPECT_EQ(posts, 0);

    auto comments = simComments();
    ASSERT_EQ(comments.size(), 2u);
    for (const auto& cm : comments) {
        if (cm["id"] == 7001) EXPECT_EQ(cm["body"], "<!-- forgelink:build --> carol copied our marker");
        else EXPECT_EQ(cm["body"], kMarker + "\nBuild 1: passed");
    }
}

TEST_F(GitHubSim, DeletedCommentIsRecreatedOnce) {
    CommentRequest c{"acme/widget", "1", kMarker, "v1", ""};
    auto created = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(created.ok()) << created.error().message;
    // Someone deletes it on GitHub.
    auto del = sim::httpRequest("DELETE", sim_->githubUrl() + "/repos/acme/widget/issues/comments/" + created->comment_id,
                                {{"Authorization", "Bearer " + kBob}, {"User-Agent", "test"}});
    ASSERT_EQ(del.status, 204) << del.body;
    c.body = "v2";
    c.known_comment_id = created->comment_id;
    auto again = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->action, CommentResult::Action::recreated);
    EXPECT_NE(again->comment_id, created->comment_id);
}

TEST_F(GitHubSim, ConcurrentUpsertsLeaveOneComment) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&, i] {
            CommentRequest c{"acme/widget", "1", kMarker, "racing " + std::to_string(i), ""};
            if (p().upsertComment(as(kBob), c).ok()) ++ok;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 4);
    // One more upsert settles any body a racer left behind.
    auto last = p().upsertComment(as(kBob), {"acme/widget", "1", kMarker, "final", ""});
    ASSERT_TRUE(last.ok()) << last.error().message;
    int ours = 0;
    for (const auto& cm : simComments()) {
        if (cm["body"].get<std::string>().rfind(kMarker + "\n", 0) == 0) ++ours;
    }
    EXPECT_EQ(ours, 1);
}

// ---- lookups by id, renamed repositories, comments deleted by others, fine-grained reports ----

int countRequests(const json& log, const std::string& method, const std::string& path_part, int status = 0) {
    int n = 0;
    for (const auto& r : log) {
        if (r["method"] == method && r["path"].get<std::string>().find(path_part) != std::string::npos &&
            (status == 0 || r["status"] == status)) {
            ++n;
        }
    }
    return n;
}

TEST_F(GitHubSim, LookupByNumericId) {
    auto repo = p().getRepository(as(kBob), "500");
    ASSERT_TRUE(repo.ok()) << repo.error().message;
    EXPECT_EQ(repo->id, "500");
    EXPECT_EQ(repo->full_path, "acme/widget");
    EXPECT_EQ(repo->role, Role::write);
    EXPECT_EQ(countRequests(sim_->requests(), "GET", "/api/v3/repositories/500", 200), 1);
    auto hidden = p().getRepository(as(kAlice), "503");  // other/secret: alice cannot see it
    ASSERT_FALSE(hidden.ok());
    EXPECT_EQ(hidden.error().kind, ErrorKind::not_found);
    auto report = p().repositoryPermissions(as(kBob), "500");
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->repository.full_path, "acme/widget");
    EXPECT_TRUE(report->post_status.allowed) << report->post_status.reason;
}

TEST_F(GitHubSim, RenamedRepositoryIsFollowedAndKeepsItsIdKey) {
    auto renamed = sim::httpRequest("POST", sim_->baseUrl() + "/_sim/github/repos/500/rename", {}, R"({"name":"gizmo"})");
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    sim_->clearRequests();
    auto repo = p().getRepository(as(kBob), "acme/widget");
    ASSERT_TRUE(repo.ok()) << repo.error().message;
    EXPECT_EQ(repo->id, "500");
    EXPECT_EQ(repo->full_path, "acme/gizmo");
    EXPECT_EQ(repo->instance, "127.0.0.1:" + std::to_string(sim_->port()));
    auto log = sim_->requests();
    EXPECT_EQ(countRequests(log, "GET", "/api/v3/repos/acme/widget", 301), 1) << log.dump().substr(0, 600);
    EXPECT_EQ(countRequests(log, "GET", "/api/v3/repositories/500", 200), 1) << log.dump().substr(0, 600);

    auto report = p().repositoryPermissions(as(kBob), "acme/widget");
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->repository.id, "500");
    EXPECT_TRUE(report->post_status.allowed) << report->post_status.reason;

    // Writes under the old name follow GitHub's 307 with their method and body.
    StatusRequest s{"acme/widget", kSha, "", BuildState::accepted, "forgelink/renamed", "", "ok"};
    auto status = p().publishStatus(as(kBob), s);
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(status->forge_state, "success");
    auto statuses = apiGet("/repos/acme/gizmo/commits/" + kSha + "/statuses");
    ASSERT_FALSE(statuses.empty());
    EXPECT_EQ(statuses[0]["context"], "forgelink/renamed");
    EXPECT_EQ(statuses[0]["state"], "success");
    EXPECT_GE(countRequests(sim_->requests(), "POST", "/api/v3/repos/acme/widget/statuses/", 307), 1);

    auto prs = p().findMergeRequests(as(kBob), "acme/widget", kSha);
    ASSERT_TRUE(prs.ok()) << prs.error().message;
    ASSERT_EQ(prs->size(), 1u);
    EXPECT_EQ(prs->at(0).target_repository, "500");

    CommentRequest c{"acme/widget", "1", kMarker, "Build on the renamed repository", ""};
    auto created = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(created->action, CommentResult::Action::created);
    c.known_comment_id = created->comment_id;
    auto same = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(same.ok()) << same.error().message;
    EXPECT_EQ(same->action, CommentResult::Action::unchanged);
    EXPECT_EQ(same->comment_id, created->comment_id);
}

TEST_F(GitHubSim, CommentDeletedBySomeoneIsRecreatedOnceNeverDuplicated) {
    CommentRequest c{"acme/widget", "1", kMarker, "Build 1: running", ""};
    auto created = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(created.ok()) << created.error().message;
    // A maintainer removes it on github.com.
    auto del = sim::httpRequest("DELETE", sim_->baseUrl() + "/_sim/github/comments/" + created->comment_id);
    ASSERT_EQ(del.status, 204) << del.body;
    auto gone = sim::httpRequest("GET", sim_->githubUrl() + "/repos/acme/widget/issues/comments/" + created->comment_id,
                                 {{"Authorization", "Bearer " + kBob}});
    ASSERT_EQ(gone.status, 404);

    sim_->clearRequests();
    c.body = "Build 1: passed";
    c.known_comment_id = created->comment_id;
    auto again = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->action, CommentResult::Action::recreated);
    EXPECT_NE(again->comment_id, created->comment_id);
    EXPECT_EQ(countRequests(sim_->requests(), "GET", "/issues/comments/" + created->comment_id, 404), 1);
    EXPECT_EQ(countRequests(sim_->requests(), "POST", "/issues/1/comments"), 1);

    // The next updates find the new one: no further creation, whether the hint is fresh or stale.
    c.known_comment_id = again->comment_id;
    auto same = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(same.ok()) << same.error().message;
    EXPECT_EQ(same->action, CommentResult::Action::unchanged);
    c.body = "Build 1: passed twice";
    c.known_comment_id = created->comment_id;  // a stale hint from before the deletion
    auto updated = p().upsertComment(as(kBob), c);
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    EXPECT_EQ(updated->action, CommentResult::Action::updated);
    EXPECT_EQ(updated->comment_id, again->comment_id);
    EXPECT_EQ(countRequests(sim_->requests(), "POST", "/issues/1/comments"), 1);
    int ours = 0;
    for (const auto& cm : simComments()) {
        if (cm["body"].get<std::string>().rfind(kMarker + "\n", 0) == 0) {
            ++ours;
            EXPECT_EQ(cm["body"], kMarker + "\nBuild 1: passed twice");
        }
    }
    EXPECT_EQ(ours, 1);
}

TEST_F(GitHubSim, FineGrainedReportNamesTheMissingPermission) {
    auto no_status = p().repositoryPermissions(as("github_pat_aliceNoStatus"), "acme/widget");
    ASSERT_TRUE(no_status.ok()) << no_status.error().message;
    EXPECT_FALSE(no_status->post_status.allowed);
    EXPECT_NE(no_status->post_status.reason.find("Commit statuses: write"), std::string::npos) << no_status->post_status.reason;
    EXPECT_TRUE(no_status->comment.allowed) << no_status->comment.reason;

    sim_->clearRequests();
    auto no_pulls = p().repositoryPermissions(as("github_pat_aliceNoPulls"), "acme/widget");
    ASSERT_TRUE(no_pulls.ok()) << no_pulls.error().message;
    EXPECT_TRUE(no_pulls->post_status.allowed) << no_pulls->post_status.reason;
    EXPECT_FALSE(no_pulls->comment.allowed);
    EXPECT_NE(no_pulls->comment.reason.find("Pull requests: write"), std::string::npos) << no_pulls->comment.reason;
    EXPECT_NE(no_pulls->comment.reason.find("GitHub wants Issues: read"), std::string::npos) << no_pulls->comment.reason;
    auto log = sim_->requests();
    EXPECT_EQ(countRequests(log, "GET", "/repos/acme/widget/issues", 403), 1) << log.dump().substr(0, 600);
    EXPECT_EQ(countRequests(log, "GET", "/repos/acme/widget/pulls", 403), 1) << log.dump().substr(0, 600);
    EXPECT_EQ(countRequests(log, "POST", ""), 0) << "the report must change nothing";

    // Reading pull requests is allowed, so GitHub does not tell whether writing is: say so.
    auto pulls_read = p().repositoryPermissions(as("github_pat_alicePullsRead"), "acme/widget");
    ASSERT_TRUE(pulls_read.ok()) << pulls_read.error().message;
    EXPECT_TRUE(pulls_read->comment.allowed);
    EXPECT_NE(pulls_read->comment.reason.find("unknown until the first write"), std::string::npos) << pulls_read->comment.reason;

    // The writes themselves are refused with the permission they need.
    auto comment = p().upsertComment(as("github_pat_aliceNoPulls"), {"acme/widget", "1", kMarker, "x", ""});
    ASSERT_FALSE(comment.ok());
    EXPECT_EQ(comment.error().kind, ErrorKind::missing_scope) << comment.error().message;
    EXPECT_NE(comment.error().message.find("Pull requests: write"), std::string::npos) << comment.error().message;
    EXPECT_EQ(comment.error().message.find("github_pat_"), std::string::npos) << "the token leaked";
    StatusRequest s{"acme/widget", kSha, "", BuildState::accepted, "forgelink", "", ""};
    EXPECT_TRUE(p().publishStatus(as("github_pat_aliceNoPulls"), s).ok());

    // On a public repository every fine-grained token reads everything, so nothing is missing to read.
    auto personal = p().repositoryPermissions(as("github_pat_aliceNoPulls"), "alice/personal");
    ASSERT_TRUE(personal.ok()) << personal.error().message;
    EXPECT_TRUE(personal->comment.allowed);
    EXPECT_NE(personal->comment.reason.find("unknown until the first write"), std::string::npos) << personal->comment.reason;
}

// ---- rate limits and pacing ----

TEST_F(GitHubSim, PrimaryLimitIsRateLimitedUntilReset) {
    std::string world = scenario();
    world.replace(world.find("github:\n"), 8, "github:\n  rate_limit: {limit: 3, period_seconds: 3600, exceeded_status: 403}\n");
    sim_ = std::make_unique<sim::SimProcess>(world);
    Result<Repository> last = makeError(ErrorKind::internal, "");
    for (int i = 0; i < 5; ++i) last = p().getRepository(as(kBob), "acme/widget");
    ASSERT_FALSE(last.ok());
    EXPECT_EQ(last.error().kind, ErrorKind::rate_limited) << last.error().message;
    ASSERT_TRUE(last.error().retry_after.has_value());
    EXPECT_GT(last.error().retry_after->count(), 3000);
    EXPECT_LE(last.error().retry_after->count(), 3600);
}

TEST_F(GitHubSim, SecondaryLimitBurstIsRateLimitedWithRetryAfter) {
    sim_->faults({{"route", "GET /api/v3/repos/.*"}, {"burst_429", 5}, {"retry_after", 90}});
    auto r = p().getRepository(as(kBob), "acme/widget");
    sim_->clearFaults();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::rate_limited) << r.error().message;
    EXPECT_EQ(r.error().code, "secondary_rate_limit");
    EXPECT_EQ(r.error().retry_after->count(), 90);
}

TEST_F(GitHubSim, WritesArePacedPerToken) {
    // 3 writes at once, then one per second (writes_per_minute 63 = burst 3 + 60 refill).
    LoadedGitHub paced(std::map<std::string, std::string>{{"writes_per_minute", "63"}, {"write_burst", "3"}});
    StatusRequest s{"acme/widget", kSha, "", BuildState::queued, "ctx", "", "d"};
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) {
        s.context = "pace/" + std::to_string(i);
        auto r = paced.provider().publishStatus(as(kBob), s);
        ASSERT_TRUE(r.ok()) << r.error().message;
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, std::chrono::milliseconds(1800));  // writes 4 and 5 waited ~1 s each
    EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(GitHubSim, BadPacingOptionRefusesToLoad) {
    EXPECT_THROW(LoadedGitHub(std::map<std::string, std::string>{{"writes_per_minute", "500"}}), std::runtime_error);
}

// ---- OAuth ----

std::string base64url(const unsigned char* data, std::size_t n) {
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    for (std::size_t i = 0; i < n; i += 3) {
        unsigned v = data[i] << 16 | (i + 1 < n ? data[i + 1] << 8 : 0) | (i + 2 < n ? data[i + 2] : 0);
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        if (i + 1 < n) out += abc[(v >> 6) & 63];
        if (i + 2 < n) out += abc[v & 63];
    }
    return out;
}

TEST_F(GitHubSim, OAuthWebFlowWithPkce) {
    const std::string verifier = "a-very-long-verifier-string-with-enough-entropy-0123456789abcdef";
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_Digest(verifier.data(), verifier.size(), digest, &len, EVP_sha256(), nullptr);
    AuthorizeRequest a;
    a.client = {"Iv1.forgelink", "gh-secret", "http://127.0.0.1:8976/callback"};
    a.state = "st4te";
    a.code_challenge = base64url(digest, len);
    a.scopes = {"repo", "read:user"};
    auto url = p().authorizeUrl(sim_->baseUrl(), a);
    ASSERT_TRUE(url.ok()) << url.error().message;
    EXPECT_EQ(url->rfind(sim_->baseUrl() + "/login/oauth/authorize?client_id=Iv1.forgelink", 0), 0u) << url.value();
    EXPECT_NE(url->find("scope=repo%20read%3Auser"), std::string::npos);
    EXPECT_NE(url->find("code_challenge_method=S256"), std::string::npos);
    EXPECT_NE(url->find("state=st4te"), std::string::npos);

    auto approve = sim::httpRequest("GET", url.value());
    ASSERT_EQ(approve.status, 302) << approve.body;
    std::string location = approve.header("location");
    auto at = location.find("code=");
    ASSERT_NE(at, std::string::npos) << location;
    std::string code = location.substr(at + 5, location.find('&', at) - at - 5);

    auto wrong = p().exchangeCode(sim_->githubUrl(), a.client, code + "x", verifier);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().kind, ErrorKind::unauthorized);
    EXPECT_EQ(wrong.error().code, "bad_verification_code");

    auto tokens = p().exchangeCode(sim_->githubUrl(), a.client, code, verifier);
    ASSERT_TRUE(tokens.ok()) << tokens.error().message;
    EXPECT_EQ(tokens->access_token.rfind("gho_", 0), 0u);
    auto me = p().currentUser({sim_->baseUrl(), tokens->access_token});
    ASSERT_TRUE(me.ok()) << me.error().message;
    EXPECT_EQ(me->username, "alice");

    auto bad_client =
        p().exchangeCode(sim_->baseUrl(), {"Iv1.forgelink", "not-the-secret-42", a.client.redirect_uri}, code, verifier);
    ASSERT_FALSE(bad_client.ok());
    EXPECT_EQ(bad_client.error().code, "incorrect_client_credentials");
    EXPECT_EQ(bad_client.error().message.find("not-the-secret-42"), std::string::npos);
}

TEST_F(GitHubSim, ExpiringAppTokensRefreshAndRotate) {
    const std::string verifier = "another-long-verifier-string-with-enough-entropy-0123456789abcdef";
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_Digest(verifier.data(), verifier.size(), digest, &len, EVP_sha256(), nullptr);
    AuthorizeRequest a;
    a.client = {"Iv1.expiring", "gh-secret-2", "http://127.0.0.1:8976/callback"};
    a.state = "s2";
    a.code_challenge = base64url(digest, len);
    auto url = p().authorizeUrl(sim_->baseUrl(), a);
    ASSERT_TRUE(url.ok()) << url.error().message;
    EXPECT_EQ(url.value().find("scope="), std::string::npos);  // no scopes asked: the app's default
    auto approve = sim::httpRequest("GET", url.value());
    std::string location = approve.header("location");
    auto at = location.find("code=");
    ASSERT_NE(at, std::string::npos) << location;
    std::string code = location.substr(at + 5, location.find('&', at) - at - 5);
    auto tokens = p().exchangeCode(sim_->baseUrl(), a.client, code, verifier);
    ASSERT_TRUE(tokens.ok()) << tokens.error().message;
    EXPECT_EQ(tokens->access_token.rfind("ghu_", 0), 0u);
    ASSERT_FALSE(tokens->refresh_token.empty());
    ASSERT_TRUE(tokens->expires_at.has_value());

    auto info = p().validateToken({sim_->baseUrl(), tokens->access_token});
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->kind, TokenKind::app);
    EXPECT_EQ(info->identity.username, "bob");

    auto refreshed = p().refreshToken(sim_->baseUrl(), a.client, tokens->refresh_token);
    ASSERT_TRUE(refreshed.ok()) << refreshed.error().message;
    EXPECT_NE(refreshed->access_token, tokens->access_token);
    EXPECT_NE(refreshed->refresh_token, tokens->refresh_token);
    auto reused = p().refreshToken(sim_->baseUrl(), a.client, tokens->refresh_token);
    ASSERT_FALSE(reused.ok());
    EXPECT_EQ(reused.error().kind, ErrorKind::unauthorized) << reused.error().message;
    EXPECT_EQ(reused.error().message.find(tokens->refresh_token), std::string::npos);
}

TEST_F(GitHubSim, AuthorizeUrlRefusesWhatIsMissing) {
    AuthorizeRequest a;
    a.client = {"id", "", "http://127.0.0.1:1/cb"};
    a.state = "s";
    a.code_challenge = "short";
    auto r = p().authorizeUrl("https://github.com", a);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_input);
    a.code_challenge = std::string(43, 'A');
    auto ghes = p().authorizeUrl("https://ghes.example.com/api/v3", a);
    ASSERT_TRUE(ghes.ok());
    EXPECT_EQ(ghes->rfind("https://ghes.example.com/login/oauth/authorize?", 0), 0u) << ghes.value();
}

}  // namespace
}  // namespace forgelink::github
