// The GitLab provider over real HTTP against forge-sim, loaded through the plugin registry and the
// host's transport, as forgelink serve runs it.
#include <gtest/gtest.h>

#include <ctime>
#include <map>
#include <set>
#include <thread>

#include "api_client.hpp"
#include "gitlab_test_support.hpp"

namespace forgelink::gitlab::testing {
namespace {

using nlohmann::json;

const std::string kBotToken = "glpat-bot-api-000000000000";
const std::string kWidget = "acme/tools/widget";
const std::string kMainSha = "6b9fec60e107f1f323dfa6674b317facd996cb0a";
const std::string kFeatureSha = "af5b13261899fb2c0db30abdd0af8b07cb44fdc5";
const std::string kMarker = "<!-- forgelink:build -->";

class GitLabProviderSim : public ::testing::Test {
protected:
    explicit GitLabProviderSim(const std::string& scenario_name = "gitlab-provider.yaml",
                               sim::SimOptionsForTest options = {})
        : sim_(scenario(scenario_name), options) {}

    Provider& gl() { return host_.provider(); }
    Credentials creds(const std::string& token) const { return {sim_.gitlabUrl(), token}; }
    std::string instanceKey() const { return "127.0.0.1:" + std::to_string(sim_.port()); }

    // Requests the sim saw whose "METHOD /path" contains `needle`.
    std::vector<json> requestsMatching(const std::string& needle) const {
        std::vector<json> out;
        for (const auto& r : sim_.requests()) {
            if ((r["method"].get<std::string>() + " " + r["path"].get<std::string>()).find(needle) != std::string::npos) {
                out.push_back(r);
            }
        }
        return out;
    }

    std::vector<json> mrNotes(long long project, long long iid) const {
        std::vector<json> out;
        const json state = sim_.state();  // keep it alive: the loop reads into it
        for (const auto& n : state["gitlab"]["notes"]) {
            if (n.value("project_id", 0LL) == project && n.value("mr_iid", 0LL) == iid) out.push_back(n);
        }
        return out;
    }

    static void expectNoSecret(const Error& e, const std::string& token) {
        EXPECT_EQ(e.message.find(token), std::string::npos) << "the token leaked into: " << e.message;
    }

    sim::SimProcess sim_;
    LoadedGitLab host_;
};

// ---- token validation ----

TEST_F(GitLabProviderSim, PersonalTokenOfABotFlaggedServiceUser) {
    auto info = gl().validateToken(creds(kBotToken));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->kind, TokenKind::personal);  // bot flag, but not a project_/group_ bot name
    EXPECT_EQ(info->identity.username, "forgelink-bot");
    EXPECT_EQ(info->identity.id, "3");
    EXPECT_TRUE(info->identity.bot);
    EXPECT_EQ(info->instance, instanceKey());
    EXPECT_EQ(info->scopes, (std::vector<std::string>{"api", "read_user"}));
    EXPECT_EQ(info->expires_at, isoDateFromToday(300));
    EXPECT_EQ(info->days_until_expiry, 300);
    EXPECT_FALSE(info->bound_to.has_value());
    EXPECT_TRUE(info->warnings.empty()) << info->warnings.front().message;

    // Probe with Bearer (tells OAuth apart), then PRIVATE-TOKEN once the token is known to be a PAT.
    auto self = requestsMatching("GET /api/v4/personal_access_tokens/self");
    ASSERT_EQ(self.size(), 1u);
    EXPECT_EQ(self[0]["headers"].value("Authorization", self[0]["headers"].value("authorization", "")), "Bearer ***");
    auto user = requestsMatching("GET /api/v4/user");
    ASSERT_FALSE(user.empty());
    const auto& h = user.back()["headers"];
    EXPECT_TRUE(h.contains("PRIVATE-TOKEN") || h.contains("private-token")) << h.dump();
}

TEST_F(GitLabProviderSim, ProjectTokenIsBoundToItsProjectWithItsRole) {
    auto info = gl().validateToken(creds("glpat-project-token-000000"));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->kind, TokenKind::project);
    EXPECT_TRUE(info->identity.bot);
    EXPECT_EQ(info->identity.username.rfind("project_100_bot", 0), 0u) << info->identity.username;
    ASSERT_TRUE(info->bound_to.has_value());
    EXPECT_EQ(info->bound_to->kind, "project");
    EXPECT_EQ(info->bound_to->id, "100");
    EXPECT_EQ(info->bound_to->full_path, kWidget);
    EXPECT_EQ(info->role, Role::maintain);
    EXPECT_EQ(info->role_label, "Maintainer (40)");

    // Its listing is its one project (membership=true).
    auto page = gl().listRepositories(creds("glpat-project-token-000000"), {}, "");
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->items.size(), 1u);
    EXPECT_EQ(page->items[0].id, "100");
    EXPECT_EQ(page->items[0].instance, instanceKey());
    EXPECT_EQ(page->next_cursor, "");
}

TEST_F(GitLabProviderSim, GroupTokenSeesSubgroupProjects) {
    const Credentials group = creds("glpat-group-token-00000000");
    auto info = gl().validateToken(group);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->kind, TokenKind::group);
    ASSERT_TRUE(info->bound_to.has_value());
    EXPECT_EQ(info->bound_to->kind, "group");
    EXPECT_EQ(info->bound_to->id, "10");
    EXPECT_EQ(info->bound_to->full_path, "acme");
    EXPECT_EQ(info->role, Role::write);
    EXPECT_EQ(info->role_label, "Developer (30)");

    auto page = gl().listRepositories(group, {}, "");
    ASSERT_TRUE(page) << page.error().message;
    std::set<std::string> paths;
    for (const auto& r : page->items) paths.insert(r.full_path);
    EXPECT_TRUE(paths.count(kWidget));
    EXPECT_TRUE(paths.count("acme/libs/lib-core"));
    EXPECT_FALSE(paths.count("acme/legacy"));  // archived, not asked for
    EXPECT_FALSE(paths.count("bob/elsewhere"));
}

TEST_F(GitLabProviderSim, ExpiredRevokedAndUnknownTokensAreRefusedEachWithItsCause) {
    struct Case {
        std::string token;
        const char* code;
        const char* says;
    };
    for (const Case& c : {Case{"glpat-expired-000000000000", "token_expired", "expired"},
                          Case{"glpat-revoked-000000000000", "token_revoked", "revoked"},
                          Case{"glpat-no-such-token-000000", "token_unknown", "does not know this token"}}) {
        auto info = gl().validateToken(creds(c.token));
        ASSERT_FALSE(info) << c.token;
        EXPECT_EQ(info.error().kind, ErrorKind::unauthorized) << c.token;
        EXPECT_EQ(info.error().code, c.code) << info.error().message;
        EXPECT_NE(info.error().message.find(c.says), std::string::npos) << info.error().message;
        EXPECT_NE(info.error().message.find("/-/user_settings/personal_access_tokens"), std::string::npos)
            << info.error().message;
        expectNoSecret(info.error(), c.token);
    }
}

TEST_F(GitLabProviderSim, ReadUserOnlyTokenNamesTheMissingScopeAndWhereToFixIt) {
    auto info = gl().validateToken(creds("glpat-read-user-0000000000"));
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().kind, ErrorKind::missing_scope);
    EXPECT_EQ(info.error().code, "missing_scope");
    EXPECT_EQ(info.error().missing_scopes, std::vector<std::string>{"api"});
    EXPECT_NE(info.error().message.find(sim_.gitlabUrl() +
                                        "/-/user_settings/personal_access_tokens?name=forgelink&scopes=api,read_user"),
              std::string::npos)
        << info.error().message;
    EXPECT_NE(info.error().message.find("[read_user]"), std::string::npos) << info.error().message;
}

TEST_F(GitLabProviderSim, ReporterProjectTokenIsRefusedNamingBothRoles) {
    auto info = gl().validateToken(creds("glpat-project-reporter-000"));
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().kind, ErrorKind::forbidden);
    EXPECT_EQ(info.error().code, "role_too_low");
    EXPECT_NE(info.error().message.find("Reporter (20)"), std::string::npos) << info.error().message;
    EXPECT_NE(info.error().message.find("Developer (30)"), std::string::npos) << info.error().message;
    EXPECT_NE(info.error().message.find(kWidget), std::string::npos) << info.error().message;
}

TEST_F(GitLabProviderSim, WarningsForSoonExpiryAdminsAndSudo) {
    auto soon = gl().validateToken(creds("glpat-bot-soon-00000000000"));
    ASSERT_TRUE(soon) << soon.error().message;
    EXPECT_EQ(soon->days_until_expiry, 10);
    std::map<std::string, std::string> codes;
    for (const auto& w : soon->warnings) codes[w.code] = w.message;
    ASSERT_TRUE(codes.count("expires_soon"));
    EXPECT_NE(codes["expires_soon"].find("in 10 days"), std::string::npos) << codes["expires_soon"];
    EXPECT_TRUE(codes.count("missing_optional_scope"));  // api only, no read_user

    auto root = gl().validateToken(creds("glpat-root-sudo-0000000000"));
    ASSERT_TRUE(root) << root.error().message;
    int excess = 0;
    bool mentions_sudo = false, mentions_admin = false;
    for (const auto& w : root->warnings) {
        if (w.code != "excess_privilege") continue;
        ++excess;
        mentions_sudo |= w.message.find("sudo") != std::string::npos;
        mentions_admin |= w.message.find("administrator") != std::string::npos;
    }
    EXPECT_EQ(excess, 2);
    EXPECT_TRUE(mentions_sudo);
    EXPECT_TRUE(mentions_admin);
}

TEST_F(GitLabProviderSim, ABaseUrlThatIsNotGitLabIsRefusedNamingTheUrlTried) {
    const std::string wrong = sim_.baseUrl() + "/_sim";
    auto info = gl().validateToken({wrong, kBotToken});
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(info.error().code, "not_a_gitlab_api") << info.error().message;
    EXPECT_NE(info.error().message.find(wrong + "/api/v4/personal_access_tokens/self"), std::string::npos)
        << info.error().message;
    expectNoSecret(info.error(), kBotToken);

    // Nothing listens: a transient error naming the URL, not a crash.
    auto closed = gl().validateToken({"http://127.0.0.1:1", kBotToken});
    ASSERT_FALSE(closed);
    EXPECT_EQ(closed.error().kind, ErrorKind::transient) << closed.error().message;
}

// ---- repositories ----

TEST_F(GitLabProviderSim, GetRepositoryByIdPathAndAfterAMove) {
    const Credentials bot = creds(kBotToken);
    auto by_id = gl().getRepository(bot, "100");
    ASSERT_TRUE(by_id) << by_id.error().message;
    EXPECT_EQ(by_id->full_path, kWidget);
    EXPECT_EQ(by_id->instance, instanceKey());
    EXPECT_EQ(by_id->role, Role::write);  // Developer via group acme

    auto by_path = gl().getRepository(bot, kWidget);
    ASSERT_TRUE(by_path) << by_path.error().message;
    EXPECT_EQ(by_path->id, "100");
    EXPECT_FALSE(requestsMatching("GET /api/v4/projects/acme%2Ftools%2Fwidget").empty());

    auto moved = gl().getRepository(bot, "acme/old-widget");
    ASSERT_TRUE(moved) << moved.error().message;
    EXPECT_EQ(moved->id, "100");
    EXPECT_EQ(moved->full_path, kWidget);

    auto hidden = gl().getRepository(bot, "bob/elsewhere");
    ASSERT_FALSE(hidden);
    EXPECT_EQ(hidden.error().kind, ErrorKind::not_found);
    EXPECT_EQ(hidden.error().code, "project_not_found");
}

TEST_F(GitLabProviderSim, PermissionsExplainRolesAndArchivedProjects) {
    auto rita = gl().repositoryPermissions(creds("glpat-rita-api-00000000000"), kWidget);
    ASSERT_TRUE(rita) << rita.error().message;
    EXPECT_FALSE(rita->post_status.allowed);
    EXPECT_NE(rita->post_status.reason.find("Reporter (20)"), std::string::npos) << rita->post_status.reason;
    EXPECT_NE(rita->post_status.reason.find("Developer (30)"), std::string::npos) << rita->post_status.reason;
    EXPECT_TRUE(rita->comment.allowed) << rita->comment.reason;

    auto bot = gl().repositoryPermissions(creds(kBotToken), kWidget);
    ASSERT_TRUE(bot) << bot.error().message;
    EXPECT_TRUE(bot->post_status.allowed);
    EXPECT_TRUE(bot->comment.allowed);

    auto legacy = gl().repositoryPermissions(creds(kBotToken), "acme/legacy");
    ASSERT_TRUE(legacy) << legacy.error().message;
    EXPECT_FALSE(legacy->post_status.allowed);
    EXPECT_FALSE(legacy->comment.allowed);
    EXPECT_NE(legacy->post_status.reason.find("archived"), std::string::npos);
}

TEST_F(GitLabProviderSim, NamespacesAreListed) {
    auto page = gl().listNamespaces(creds(kBotToken), {}, "");
    ASSERT_TRUE(page) << page.error().message;
    std::set<std::string> paths;
    for (const auto& n : page->items) paths.insert(n.full_path);
    EXPECT_TRUE(paths.count("acme")) << page->items.size();
    EXPECT_TRUE(paths.count("forgelink-bot"));
}

// ---- statuses ----

TEST_F(GitLabProviderSim, StatusTransitionsIncludingARepeatAndAFinalStateAfterRunning) {
    const Credentials bot = creds(kBotToken);
    StatusRequest req;
    req.repository = kWidget;
    req.sha = kFeatureSha;
    req.ref = "feature";
    req.context = "forgelink";
    req.target_url = "http://127.0.0.1:8976/builds/1";
    req.description = "Forgelink build";

    req.state = BuildState::queued;
    auto queued = gl().publishStatus(bot, req);
    ASSERT_TRUE(queued) << queued.error().message;
    EXPECT_EQ(queued->forge_state, "pending");
    EXPECT_FALSE(queued->already_current);
    EXPECT_FALSE(queued->status_id.empty());

    req.state = BuildState::in_progress;
    auto running = gl().publishStatus(bot, req);
    ASSERT_TRUE(running) << running.error().message;
    EXPECT_EQ(running->forge_state, "running");

    // GitLab answers 400 "Cannot transition status via :run from :running": already done.
    auto again = gl().publishStatus(bot, req);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(again->already_current);
    EXPECT_EQ(again->forge_state, "running");

    req.state = BuildState::changes_detected;
    auto final_state = gl().publishStatus(bot, req);
    ASSERT_TRUE(final_state) << final_state.error().message;
    EXPECT_EQ(final_state->forge_state, "failed");
    EXPECT_FALSE(final_state->already_current);

    int ours = 0;
    const json state = sim_.state();
    for (const auto& s : state["gitlab"]["statuses"]) {
        if (s.value("name", "") != "forgelink" || s.value("sha", "") != kFeatureSha) continue;
        if (s.value("status", "") == "running" || s.value("status", "") == "pending") {
            ADD_FAILURE() << "a status was left non-final: " << s.dump();
        }
        ++ours;
    }
    EXPECT_GE(ours, 1) << state["gitlab"]["statuses"].dump();

    auto posts = requestsMatching("POST /api/v4/projects/acme%2Ftools%2Fwidget/statuses/" + kFeatureSha);
    ASSERT_FALSE(posts.empty());
    auto body = json::parse(posts.front()["body"].get<std::string>());
    EXPECT_EQ(body["state"], "pending");
    EXPECT_EQ(body["name"], "forgelink");
    EXPECT_EQ(body["ref"], "feature");
    EXPECT_EQ(body["target_url"], "http://127.0.0.1:8976/builds/1");
}

TEST_F(GitLabProviderSim, StatusMappingOfEveryBuildState) {
    const Credentials bot = creds(kBotToken);
    const std::vector<std::pair<BuildState, std::string>> expected = {
        {BuildState::no_changes, "success"}, {BuildState::accepted, "success"},   {BuildState::skipped, "success"},
        {BuildState::rejected, "failed"},    {BuildState::errored, "failed"},     {BuildState::aborted, "canceled"}};
    for (const auto& [state, forge] : expected) {
        StatusRequest req{kWidget, kMainSha, "main", state, std::string("ctx-") + std::string(toString(state)), "", ""};
        auto r = gl().publishStatus(bot, req);
        ASSERT_TRUE(r) << toString(state) << ": " << r.error().message;
        EXPECT_EQ(r->forge_state, forge) << toString(state);
    }
}

TEST_F(GitLabProviderSim, StatusConflictIsRetriedThenReported) {
    const Credentials bot = creds(kBotToken);
    StatusRequest req{kWidget, kMainSha, "main", BuildState::accepted, "retry-ctx", "", ""};
    sim_.faults({{"route", "POST /api/v4/projects/.*/statuses/.*"}, {"status", 409}, {"fail_next", 2}});
    auto ok = gl().publishStatus(bot, req);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->forge_state, "success");
    EXPECT_EQ(requestsMatching("/statuses/" + kMainSha).size(), 3u);

    sim_.clearFaults();
    sim_.clearRequests();
    sim_.faults({{"route", "POST /api/v4/projects/.*/statuses/.*"}, {"status", 409}, {"fail_next", 50}});
    auto locked = gl().publishStatus(bot, req);
    ASSERT_FALSE(locked);
    EXPECT_EQ(locked.error().kind, ErrorKind::conflict);
    EXPECT_FALSE(locked.error().permanent());
    EXPECT_TRUE(locked.error().retry_after.has_value());
}

TEST_F(GitLabProviderSim, StatusErrorsTellTheAdminWhatToFix) {
    StatusRequest req{kWidget, kMainSha, "main", BuildState::accepted, "forgelink", "", ""};
    auto reporter = gl().publishStatus(creds("glpat-rita-api-00000000000"), req);
    ASSERT_FALSE(reporter);
    EXPECT_EQ(reporter.error().kind, ErrorKind::forbidden);
    EXPECT_TRUE(reporter.error().permanent());
    EXPECT_NE(reporter.error().message.find("Developer (30)"), std::string::npos) << reporter.error().message;

    StatusRequest unknown = req;
    unknown.sha = "1234567890123456789012345678901234567890";
    auto missing = gl().publishStatus(creds(kBotToken), unknown);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
    EXPECT_EQ(missing.error().code, "commit_not_found") << missing.error().message;
    EXPECT_NE(missing.error().message.find(unknown.sha), std::string::npos);

    auto revoked = gl().publishStatus(creds("glpat-revoked-000000000000"), req);
    ASSERT_FALSE(revoked);
    EXPECT_EQ(revoked.error().code, "token_revoked");
    expectNoSecret(revoked.error(), "glpat-revoked-000000000000");
}

// ---- merge requests and the one comment ----

TEST_F(GitLabProviderSim, FindsTheOpenMergeRequestsOfACommit) {
    auto mrs = gl().findMergeRequests(creds(kBotToken), kWidget, kFeatureSha);
    ASSERT_TRUE(mrs) << mrs.error().message;
    ASSERT_EQ(mrs->size(), 1u);  // iid 2 is closed
    EXPECT_EQ(mrs->front().number, "1");
    EXPECT_EQ(mrs->front().target_repository, "100");
    EXPECT_EQ(mrs->front().state, "opened");
}

TEST_F(GitLabProviderSim, ReadsAMergeRequestWithItsHeadCommit) {
    auto mr = gl().getMergeRequest(creds(kBotToken), kWidget, "2");
    ASSERT_TRUE(mr) << mr.error().message;
    EXPECT_EQ(mr->number, "2");
    EXPECT_EQ(mr->state, "closed") << "open or not";
    EXPECT_EQ(mr->head_sha, kFeatureSha) << "GitLab's `sha`";
    EXPECT_EQ(mr->source_branch, "feature");
    auto by_id = gl().getMergeRequest(creds(kBotToken), "100", "1");
    ASSERT_TRUE(by_id) << by_id.error().message;
    EXPECT_EQ(by_id->head_sha, kFeatureSha);
    auto missing = gl().getMergeRequest(creds(kBotToken), kWidget, "77");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
    EXPECT_NE(missing.error().message.find("merge request !77"), std::string::npos) << missing.error().message;
    auto bad = gl().getMergeRequest(creds(kBotToken), kWidget, "1; DROP");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "bad_merge_request");
}

TEST_F(GitLabProviderSim, UpsertCreatesUpdatesLeavesAloneAndRecreates) {
    const Credentials bot = creds(kBotToken);
    CommentRequest req{kWidget, "1", kMarker, "Build 1: running", ""};
    auto created = gl().upsertComment(bot, req);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(created->action, CommentResult::Action::created);
    // Bob's note carries the same marker: it is not ours and must not be taken or touched.
    EXPECT_NE(created->comment_id, "901");

    auto same = gl().upsertComment(bot, req);
    ASSERT_TRUE(same) << same.error().message;
    EXPECT_EQ(same->action, CommentResult::Action::unchanged);
    EXPECT_EQ(same->comment_id, created->comment_id);

    req.body = "Build 1: passed";
    req.known_comment_id = created->comment_id;
    auto updated = gl().upsertComment(bot, req);
    ASSERT_TRUE(updated) << updated.error().message;
    EXPECT_EQ(updated->action, CommentResult::Action::updated);
    EXPECT_EQ(updated->comment_id, created->comment_id);

    // Someone deletes our note; the next upsert brings it back once.
    auto del = sim::httpRequest("DELETE", sim_.gitlabUrl() + "/api/v4/projects/100/merge_requests/1/notes/" +
                                              created->comment_id,
                                {{"PRIVATE-TOKEN", kBotToken}});
    ASSERT_EQ(del.status, 204) << del.body;
    auto recreated = gl().upsertComment(bot, req);
    ASSERT_TRUE(recreated) << recreated.error().message;
    EXPECT_EQ(recreated->action, CommentResult::Action::recreated);
    EXPECT_NE(recreated->comment_id, created->comment_id);

    int ours = 0;
    for (const auto& n : mrNotes(100, 1)) {
        const std::string body = n.value("body", "");
        if (n.value("id", 0LL) == 901) {
            EXPECT_EQ(body, "<!-- forgelink:build -->\nquoting the bot");
        } else if (body.find(kMarker) != std::string::npos) {
            ++ours;
            EXPECT_EQ(body, kMarker + "\nBuild 1: passed");
        }
    }
    EXPECT_EQ(ours, 1);
    // Foreign note never edited.
    EXPECT_TRUE(requestsMatching("PUT /api/v4/projects/acme%2Ftools%2Fwidget/merge_requests/1/notes/901").empty());
    EXPECT_TRUE(requestsMatching("/notes/901").empty());
}

TEST_F(GitLabProviderSim, ConcurrentUpsertsLeaveExactlyOneNote) {
    const Credentials bot = creds(kBotToken);
    // Latency widens the race window between the list and the create.
    sim_.faults({{"route", "POST /api/v4/projects/.*/notes"}, {"latency_ms", 50}});
    std::vector<std::thread> threads;
    std::vector<Result<CommentResult>> results(8, makeError(ErrorKind::internal, "not run"));
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            results[i] = gl().upsertComment(bot, CommentRequest{kWidget, "1", kMarker, "Build 7: passed", ""});
        });
    }
    for (auto& t : threads) t.join();
    std::set<std::string> ids;
    int created = 0;
    for (const auto& r : results) {
        ASSERT_TRUE(r) << r.error().message;
        ids.insert(r->comment_id);
        created += r->action == CommentResult::Action::created;
    }
    EXPECT_EQ(ids.size(), 1u) << "every caller must return the surviving note";
    EXPECT_GE(created, 1);
    int ours = 0;
    for (const auto& n : mrNotes(100, 1)) {
        if (n.value("id", 0LL) != 901 && n.value("body", "").find(kMarker) != std::string::npos) ++ours;
    }
    EXPECT_EQ(ours, 1);
}

// ---- OAuth ----

TEST_F(GitLabProviderSim, OAuthCodeExchangeWithPkceAndRefreshRotation) {
    // RFC 7636 pair from GitLab's docs (API-FACTS A14).
    const std::string verifier = "ks02i3jdikdo2k0dkfodf3m39rjfjsdk0wk349rj3jrhf";
    const std::string challenge = "2i0WFA-0AerkjQm4X4oDEhqA17QIAKNjXpagHBXmO_U";
    OAuthClient client{"forgelink-app", "forgelink-secret", "http://127.0.0.1:8976/callback"};
    AuthorizeRequest auth{client, "state-123", challenge, {}};
    auto url = gl().authorizeUrl(sim_.gitlabUrl(), auth);
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(url->rfind(sim_.gitlabUrl() + "/oauth/authorize?", 0), 0u) << url.value();
    EXPECT_NE(url->find("scope=read_user"), std::string::npos);
    EXPECT_NE(url->find("code_challenge_method=S256"), std::string::npos);
    EXPECT_NE(url->find("response_type=code"), std::string::npos);

    auto approved = sim::httpRequest("GET", url.value());
    ASSERT_EQ(approved.status, 302) << approved.body;
    const std::string location = approved.header("location");
    ASSERT_EQ(queryParam(location, "state"), "state-123") << location;
    auto code = queryParam(location, "code");
    ASSERT_TRUE(code.has_value()) << location;

    auto wrong_verifier = gl().exchangeCode(sim_.gitlabUrl(), client, *code, verifier + "x");
    ASSERT_FALSE(wrong_verifier);
    EXPECT_EQ(wrong_verifier.error().code, "invalid_grant");

    // A failed exchange may burn the code (doorkeeper does): authorize again.
    approved = sim::httpRequest("GET", url.value());
    code = queryParam(approved.header("location"), "code");
    ASSERT_TRUE(code.has_value());
    auto tokens = gl().exchangeCode(sim_.gitlabUrl(), client, *code, verifier);
    ASSERT_TRUE(tokens) << tokens.error().message;
    EXPECT_FALSE(tokens->access_token.empty());
    EXPECT_FALSE(tokens->refresh_token.empty());
    ASSERT_TRUE(tokens->expires_at.has_value());
    EXPECT_GT(*tokens->expires_at, static_cast<std::int64_t>(std::time(nullptr)) + 7000);

    auto who = gl().currentUser(creds(tokens->access_token));
    ASSERT_TRUE(who) << who.error().message;
    EXPECT_EQ(who->username, "alice");

    auto refreshed = gl().refreshToken(sim_.gitlabUrl(), client, tokens->refresh_token);
    ASSERT_TRUE(refreshed) << refreshed.error().message;
    EXPECT_NE(refreshed->access_token, tokens->access_token);
    EXPECT_NE(refreshed->refresh_token, tokens->refresh_token);

    // Both old tokens are gone.
    auto reuse = gl().refreshToken(sim_.gitlabUrl(), client, tokens->refresh_token);
    ASSERT_FALSE(reuse);
    EXPECT_EQ(reuse.error().kind, ErrorKind::unauthorized);
    EXPECT_EQ(reuse.error().code, "invalid_grant");
    expectNoSecret(reuse.error(), tokens->refresh_token);
    expectNoSecret(reuse.error(), "forgelink-secret");
    auto old_user = gl().currentUser(creds(tokens->access_token));
    ASSERT_FALSE(old_user);
    EXPECT_EQ(old_user.error().kind, ErrorKind::unauthorized);
    auto new_user = gl().currentUser(creds(refreshed->access_token));
    ASSERT_TRUE(new_user) << new_user.error().message;

    // An OAuth login token (read_user only by default) is told apart from a PAT and refused for work.
    auto validated = gl().validateToken(creds(refreshed->access_token));
    ASSERT_FALSE(validated);
    EXPECT_EQ(validated.error().kind, ErrorKind::missing_scope) << validated.error().message;
    EXPECT_NE(validated.error().message.find("OAuth"), std::string::npos) << validated.error().message;
}

// ---- a GitLab under a sub-path ----

class GitLabProviderSubPath : public GitLabProviderSim {
protected:
    GitLabProviderSubPath() : GitLabProviderSim("gitlab-provider.yaml", sim::SimOptionsForTest{"http://127.0.0.1:0/gitlab", -1}) {}
};

TEST_F(GitLabProviderSubPath, EverythingLivesUnderTheRelativeRoot) {
    ASSERT_NE(sim_.gitlabUrl().find("/gitlab"), std::string::npos);
    auto info = gl().validateToken(creds(kBotToken));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->instance, instanceKey() + "/gitlab");
    auto page = gl().listRepositories(creds(kBotToken), {}, "");
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_FALSE(page->items.empty());
    EXPECT_EQ(page->items.front().instance, instanceKey() + "/gitlab");
    auto status = gl().publishStatus(creds(kBotToken), {kWidget, kMainSha, "main", BuildState::accepted, "forgelink", "", ""});
    ASSERT_TRUE(status) << status.error().message;
    for (const auto& r : sim_.requests()) {
        EXPECT_EQ(r["path"].get<std::string>().rfind("/gitlab/api/v4/", 0), 0u) << r["path"];
    }
}

// ---- 25,000 projects ----

class GitLabProviderLarge : public GitLabProviderSim {
protected:
    GitLabProviderLarge() : GitLabProviderSim("gitlab-provider-large.yaml") {}
};

TEST_F(GitLabProviderLarge, ListsEveryProjectOnceAcrossBlindOffsetWindows) {
    const Credentials bot = creds(kBotToken);
    std::set<long long> ids;
    std::string cursor;
    std::set<std::string> cursors;
    int calls = 0;
    do {
        auto page = gl().listRepositories(bot, {}, cursor);
        ASSERT_TRUE(page) << page.error().message;
        for (const auto& r : page->items) {
            EXPECT_TRUE(ids.insert(std::stoll(r.id)).second) << "listed twice: " << r.id;
            EXPECT_EQ(r.instance, instanceKey());
        }
        cursor = page->next_cursor;
        ASSERT_TRUE(cursor.empty() || cursors.insert(cursor).second) << "cursor repeated: " << cursor;
        ASSERT_LT(++calls, 400);
    } while (!cursor.empty());
    EXPECT_EQ(ids.size(), 25000u);
    EXPECT_EQ(*ids.begin(), 100000);
    EXPECT_EQ(*ids.rbegin(), 124999);
    EXPECT_FALSE(ids.count(50));
    EXPECT_FALSE(requestsMatching("GET /api/v4/projects").empty());
    // Without totals the offset pages go on concurrently (GitLab allows them up to 50,000 rows).
    for (const auto& r : requestsMatching("GET /api/v4/projects")) {
        EXPECT_EQ(r.value("query", "").find("pagination=keyset"), std::string::npos) << r.value("query", "");
    }
}

}  // namespace
}  // namespace forgelink::gitlab::testing

namespace forgelink::gitlab::testing {
namespace {

class GitLabProviderMedium : public GitLabProviderSim {
protected:
    GitLabProviderMedium() : GitLabProviderSim("gitlab-provider-medium.yaml") {}
};

TEST_F(GitLabProviderMedium, OffsetPagesAfterTheFirstComeInOneConcurrentBatch) {
    const Credentials bot = creds(kBotToken);
    auto first = gl().listRepositories(bot, {}, "");
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->items.size(), 100u);
    EXPECT_EQ(first->total, 450u);
    ASSERT_FALSE(first->next_cursor.empty());

    sim_.clearRequests();
    auto rest = gl().listRepositories(bot, {}, first->next_cursor);
    ASSERT_TRUE(rest) << rest.error().message;
    EXPECT_EQ(rest->items.size(), 350u);
    EXPECT_EQ(rest->next_cursor, "");
    std::set<std::string> pages;
    for (const auto& r : requestsMatching("GET /api/v4/projects")) {
        auto query = r.value("query", "");
        EXPECT_EQ(query.find("pagination=keyset"), std::string::npos) << query;
        pages.insert(queryParam("?" + query, "page").value_or("?"));
    }
    EXPECT_EQ(pages, (std::set<std::string>{"2", "3", "4", "5"}));
    std::set<std::string> ids;
    for (const auto* page : {&first.value(), &rest.value()}) {
        for (const auto& r : page->items) EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    }
    EXPECT_EQ(ids.size(), 450u);

    // Browsing one page per call walks the same listing page by page.
    RepositoryQuery one_by_one;
    one_by_one.concurrency = 1;
    auto p1 = gl().listRepositories(bot, one_by_one, "");
    ASSERT_TRUE(p1);
    auto p2 = gl().listRepositories(bot, one_by_one, p1->next_cursor);
    ASSERT_TRUE(p2) << p2.error().message;
    EXPECT_EQ(p2->items.size(), 100u);
    EXPECT_EQ(p2->items.front().id, "2100");
    // A cursor of another query is refused rather than misread.
    RepositoryQuery other;
    other.search = "p-1";
    auto mixed = gl().listRepositories(bot, other, p1->next_cursor);
    ASSERT_FALSE(mixed);
    EXPECT_EQ(mixed.error().code, "bad_cursor");
}

}  // namespace
}  // namespace forgelink::gitlab::testing
