// Project listings without totals over real HTTP against forge-sim: blind offset windows, the
// switch to keyset at GitLab's offset limit, and errors inside a concurrent window.
#include <gtest/gtest.h>

#include <set>

#include "api_client.hpp"
#include "gitlab_test_support.hpp"

namespace forgelink::gitlab::testing {
namespace {

using nlohmann::json;

const std::string kToken = "glpat-listing-bot-0000000000";
constexpr long long kFirstId = 500000;

std::string generatedScenario(int projects) {
    json s = {{"seed", 11},
              {"gitlab",
               {{"users", {{{"id", 3}, {"username", "listing-bot"}}, {{"id", 5}, {"username", "bob"}}}},
                {"projects", {{{"id", 50}, {"path", "not-mine"}, {"namespace", "bob"}, {"visibility", "private"}}}},
                {"tokens", {{{"value", kToken}, {"user", "listing-bot"}, {"scopes", {"api"}}}}},
                {"generate",
                 {{{"projects", projects}, {"namespace", "many"}, {"path_prefix", "p-"}, {"start_id", kFirstId},
                   {"visibility", "private"}, {"member", "listing-bot"}, {"access_level", 30}}}}}}};
    return s.dump();
}

struct Walk {
    std::set<long long> ids;
    std::size_t items = 0;
    int calls = 0;
    bool saw_total = false;
    std::optional<Error> error;
};

class GitLabListingSim : public ::testing::Test {
protected:
    Credentials creds() const { return {sim_->gitlabUrl(), kToken}; }

    void start(int projects) { sim_ = std::make_unique<sim::SimProcess>(generatedScenario(projects)); }

    // Lists to the end (or the first error); `between` runs after each call that returned a cursor.
    Walk walk(std::size_t concurrency, const std::function<void(int call)>& between = {}) {
        RepositoryQuery query;
        query.concurrency = concurrency;
        Walk w;
        std::string cursor;
        std::set<std::string> cursors;
        do {
            auto page = host_.provider().listRepositories(creds(), query, cursor);
            ++w.calls;
            if (!page) {
                w.error = page.error();
                return w;
            }
            w.saw_total |= page->total.has_value();
            for (const auto& r : page->items) {
                EXPECT_TRUE(w.ids.insert(std::stoll(r.id)).second) << "listed twice: " << r.id;
                ++w.items;
            }
            cursor = page->next_cursor;
            EXPECT_TRUE(cursor.empty() || cursors.insert(cursor).second) << "cursor repeated: " << cursor;
            if (w.calls > 1000) {
                ADD_FAILURE() << "the listing did not end after 1000 calls";
                return w;
            }
            if (!cursor.empty() && between) between(w.calls);
        } while (!cursor.empty());
        return w;
    }

    // The query strings of the listing requests the sim saw.
    std::vector<std::string> listingQueries() const {
        std::vector<std::string> out;
        for (const auto& r : sim_->requests()) {
            if (r.value("method", "") == "GET" && r.value("path", "") == "/api/v4/projects") {
                out.push_back("?" + r.value("query", ""));
            }
        }
        return out;
    }

    static void expectExactly(const Walk& w, int projects) {
        ASSERT_FALSE(w.error) << w.error->message;
        EXPECT_EQ(w.items, static_cast<std::size_t>(projects));
        EXPECT_EQ(w.ids.size(), static_cast<std::size_t>(projects));
        ASSERT_FALSE(w.ids.empty());
        EXPECT_EQ(*w.ids.begin(), kFirstId);
        EXPECT_EQ(*w.ids.rbegin(), kFirstId + projects - 1);
        EXPECT_FALSE(w.ids.count(50)) << "a project the token is no member of was listed";
    }

    std::unique_ptr<sim::SimProcess> sim_;
    LoadedGitLab host_;
};

TEST_F(GitLabListingSim, WithoutTotalsOffsetPagesComeInConcurrentWindowsUntilTheShortPage) {
    const int projects = 10550;  // 106 pages, totals omitted: page 1, then windows of 8 x 8 pages
    start(projects);
    const Walk w = walk(8);
    expectExactly(w, projects);
    EXPECT_FALSE(w.saw_total) << "the sim omits totals above 10,000 like GitLab";
    EXPECT_EQ(w.calls, 1 + 2);  // pages 1 | 2-65 | 66-106
    std::multiset<long long> pages;
    for (const auto& q : listingQueries()) {
        EXPECT_EQ(q.find("pagination=keyset"), std::string::npos) << "keyset is not needed below 50,000: " << q;
        pages.insert(std::stoll(queryParam(q, "page").value_or("0")));
    }
    // Pages 1..106 once each; past the end only what was already in flight when the end was seen:
    // at most 7 (8 in flight, one of them the last page).
    ASSERT_FALSE(pages.empty());
    EXPECT_EQ(*pages.begin(), 1);
    for (long long p = 1; p <= 106; ++p) EXPECT_EQ(pages.count(p), 1u) << "page " << p;
    EXPECT_LE(*pages.rbegin(), 113) << "pages were fetched after the end was known";
    for (long long p = 107; p <= *pages.rbegin(); ++p) EXPECT_LE(pages.count(p), 1u) << "page " << p;
}

TEST_F(GitLabListingSim, PastTheOffsetLimitTheListingGoesOnWithKeysetFromTheLastIdSeen) {
    const int projects = 50250;  // 500 offset pages (GitLab's 50,000-row limit), then 3 keyset pages
    start(projects);
    const Walk w = walk(16);
    expectExactly(w, projects);
    long long highest_offset_page = 0;
    std::vector<std::string> keyset;
    for (const auto& q : listingQueries()) {
        if (q.find("pagination=keyset") != std::string::npos) {
            EXPECT_FALSE(queryParam(q, "page")) << q;
            keyset.push_back(queryParam(q, "id_after").value_or("?"));
        } else {
            highest_offset_page = std::max(highest_offset_page, std::stoll(queryParam(q, "page").value_or("0")));
        }
    }
    EXPECT_EQ(highest_offset_page, 500) << "offset pages up to the limit, none past it (GitLab answers 405)";
    const std::vector<std::string> expected = {std::to_string(kFirstId + 49999), std::to_string(kFirstId + 50099),
                                               std::to_string(kFirstId + 50199)};
    EXPECT_EQ(keyset, expected);
}

TEST_F(GitLabListingSim, AServerErrorInsideAWindowIsRetriedAndTheListingStaysExact) {
    const int projects = 10550;
    start(projects);
    // After the first call: the next two listing requests (inside one concurrent window) get a 503.
    const Walk w = walk(8, [&](int call) {
        if (call == 1) sim_->faults({{"route", "GET /api/v4/projects$"}, {"status", 503}, {"fail_next", 2}});
    });
    expectExactly(w, projects);
    EXPECT_EQ(w.calls, 1 + 2);
    // The two failed attempts were sent again: two requests more than distinct pages.
    const auto queries = listingQueries();
    const std::set<std::string> distinct(queries.begin(), queries.end());
    EXPECT_GE(distinct.size(), 106u);
    EXPECT_EQ(queries.size(), distinct.size() + 2);
}

TEST_F(GitLabListingSim, APermanentErrorInsideAWindowEndsTheListingWithThatError) {
    const int projects = 10550;
    start(projects);
    // A 500 is not retried by the host transport (only 502/503/504 are): the listing must fail,
    // not end early as if the projects seen so far were all of them.
    const Walk w = walk(8, [&](int call) {
        if (call == 1) sim_->faults({{"route", "GET /api/v4/projects$"}, {"status", 500}, {"fail_next", 1}});
    });
    ASSERT_TRUE(w.error) << "listed " << w.items << " projects and ended without an error";
    EXPECT_EQ(w.calls, 2);
    EXPECT_NE(w.error->message.find("listing projects"), std::string::npos) << w.error->message;
    EXPECT_NE(w.error->message.find("500"), std::string::npos) << w.error->message;
    EXPECT_EQ(w.error->message.find(kToken), std::string::npos) << "the token leaked: " << w.error->message;
    EXPECT_EQ(w.items, 100u) << "only the pages of the calls that succeeded were handed out";
}

TEST_F(GitLabListingSim, ASmallListingIsOneRequest) {
    start(40);
    const Walk w = walk(8);
    expectExactly(w, 40);
    EXPECT_TRUE(w.saw_total);
    EXPECT_EQ(w.calls, 1);
    EXPECT_EQ(listingQueries().size(), 1u);
}

}  // namespace
}  // namespace forgelink::gitlab::testing
