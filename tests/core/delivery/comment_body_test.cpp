#include "delivery/comment_body.hpp"

#include <gtest/gtest.h>

#include "delivery_test_support.hpp"
#include "secrets/secret_box.hpp"
#include "store/sqlite/sqlite_store.hpp"

using namespace forgelink;
using namespace forgelink::delivery;

namespace {

store::Build build(std::int64_t id, BuildState state, store::BuildStats stats, std::string url) {
    store::Build b;
    b.id = id;
    b.state = state;
    b.stats = stats;
    b.url = std::move(url);
    return b;
}

}  // namespace

TEST(CommentBody, MarkerIsOneSafeHtmlComment) {
    EXPECT_EQ(delivery::commentMarker("prod-eu"), "<!-- forgelink:instance=prod-eu -->");
    EXPECT_EQ(delivery::commentMarker(""), "<!-- forgelink:instance=default -->");
    // Nothing can close the comment early or break the line.
    EXPECT_EQ(delivery::commentMarker("a-->b\nc"), "<!-- forgelink:instance=a--_b_c -->");
}

TEST(CommentBody, TableHasOneRowPerProjectWithWordsNotEmoji) {
    const std::string body = renderCommentBody({
        {"Web", build(4, BuildState::changes_detected, {3, 2, 1, 0}, "https://ci.example.com/b/4")},
        {"Docs", build(9, BuildState::in_progress, {}, "")},
        {"Api", build(5, BuildState::errored, {0, 0, 0, 2}, "https://ci.example.com/b/5")},
    });
    EXPECT_NE(body.find("| Project | State | Changes | Build |"), std::string::npos) << body;
    EXPECT_NE(body.find("| Web | changes detected | 3 changed, 2 added, 1 removed | [build 4](https://ci.example.com/b/4) |"),
              std::string::npos)
        << body;
    EXPECT_NE(body.find("| Docs | in progress | none | - |"), std::string::npos) << body;
    EXPECT_NE(body.find("| Api | errored | 2 failures |"), std::string::npos) << body;
    for (unsigned char c : body) EXPECT_LT(c, 0x80) << "no emoji or other non-ASCII in the body";
}

TEST(CommentBody, ABuildTheHostEndedSaysItTimedOut) {
    store::Build ended = build(6, BuildState::errored, {}, "");
    ended.timed_out_at = store::fromUnixMillis(1'700'000'000'000);
    ended.timed_out_after_seconds = 6 * 3600;
    const std::string body = renderCommentBody({{"Web", ended}, {"Api", build(7, BuildState::errored, {}, "")}});
    EXPECT_NE(body.find("| Web | timed out: no result within 6 h | none | - |"), std::string::npos) << body;
    EXPECT_NE(body.find("| Api | errored | none | - |"), std::string::npos) << body;
    EXPECT_EQ(timedOutText(90 * 60), "timed out: no result within 90 min");
    EXPECT_EQ(timedOutText(45), "timed out: no result within 45 s");
    EXPECT_EQ(timedOutText(86400), "timed out: no result within 24 h");
}

TEST(CommentBody, CellsCannotBreakTheTableOrMentionPeople) {
    const std::string body = renderCommentBody(
        {{"a|b @all [x](javascript:y)\nz", build(1, BuildState::accepted, {}, "javascript:alert(1)")},
         {"ok", build(2, BuildState::accepted, {}, "https://ci/x (y)|z")}});
    EXPECT_NE(body.find("a\\|b &#64;all \\[x\\](javascript:y) z"), std::string::npos) << body;
    EXPECT_EQ(body.find("@all"), std::string::npos);
    EXPECT_EQ(body.find("javascript:alert"), std::string::npos) << "only http(s) links";
    EXPECT_NE(body.find("(https://ci/x%20%28y%29%7Cz)"), std::string::npos) << body;
}

TEST(CommentBody, CollectsTheLatestBuildInScopeOfEveryProjectOfTheTeam) {
    forgelink::delivery::testing::TempDir dir;
    auto box = std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate());
    auto opened = store::SqliteStore::open((dir.path() / "c.db").string(), box);
    ASSERT_TRUE(opened) << opened.error().message;
    auto& s = *opened.value();
    const auto team = s.createTeam("t", "T")->id;
    const auto other_team = s.createTeam("o", "O")->id;
    auto link = [&](std::int64_t team_id, const std::string& slug, const std::string& name) {
        const auto id = s.createProject(team_id, slug, name)->id;
        store::RepositoryLink l;
        l.project_id = id;
        l.provider = "gitlab";
        l.instance = "git.example.com";
        l.repository_id = "100";
        l.status_context = "forgelink/" + slug;
        EXPECT_TRUE(s.linkRepository(l));
        return id;
    };
    const auto web = link(team, "web", "Web");
    const auto api = link(team, "api", "Api");
    const auto docs = link(team, "docs", "Docs");
    const auto foreign = link(other_team, "secret", "Secret");
    auto record = [&](std::int64_t project, const std::string& mr, BuildState state, const std::string& sha) {
        store::BuildChange c;
        c.build.project_id = project;
        c.build.commit_sha = sha;
        c.build.mr_number = mr;
        c.build.state = state;
        auto r = s.recordBuildChange(c);
        EXPECT_TRUE(r);
        return r->build.id;
    };
    record(web, "7", BuildState::rejected, "aaa");
    const auto web_latest = record(web, "7", BuildState::accepted, "bbb");
    record(web, "8", BuildState::errored, "ccc");  // newer, but another MR
    const auto api_only = record(api, "7", BuildState::in_progress, "bbb");
    record(docs, "", BuildState::accepted, "bbb");  // not built for the MR
    record(foreign, "7", BuildState::accepted, "bbb");

    CommentScope scope{team, "gitlab", "git.example.com", "100", "7", ""};
    auto rows = collectCommentRows(s, scope);
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ(rows->at(0).project, "Api");
    EXPECT_EQ(rows->at(0).build.id, api_only);
    EXPECT_EQ(rows->at(1).project, "Web");
    EXPECT_EQ(rows->at(1).build.id, web_latest);

    // Without a merge request: the builds of the commit.
    CommentScope by_commit{team, "gitlab", "git.example.com", "100", "", "bbb"};
    auto commit_rows = collectCommentRows(s, by_commit);
    ASSERT_TRUE(commit_rows);
    ASSERT_EQ(commit_rows->size(), 3u);
    EXPECT_EQ(commit_rows->at(1).project, "Docs");
}
