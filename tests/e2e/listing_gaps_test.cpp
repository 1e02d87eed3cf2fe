// Issue 18's listing gaps, over HTTP against forge-sim with the real binary: a user's personal
// namespace as the repository filter (CLI and REST API, every page), and namespace listings past
// their first page.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include <forgelink/support/http_text.hpp>

#include "e2e_host.hpp"
#include "e2e_world.hpp"

namespace forgelink::e2e {
namespace {

constexpr const char* kBotToken = "glpat-gaps-bot-api-000001";

// forgelink-bot owns 150 personal projects (two forge pages) and belongs to 230 groups (three
// pages of /namespaces at 100 a page, with its own namespace: 231 namespaces).
std::string scenario() {
    std::ostringstream yaml;
    yaml << "gitlab:\n  users:\n"
            "    - {id: 1, username: root, admin: true}\n"
            "    - {id: 3, username: forgelink-bot, name: Forgelink Bot}\n"
            "    - {id: 4, username: alice}\n"
            "  groups:\n"
            "    - {id: 10, path: acme, members: {forgelink-bot: 30}}\n";
    for (int i = 1; i <= 229; ++i)
        yaml << "    - {id: " << 100 + i << ", path: team-" << i << ", members: {forgelink-bot: 30}}\n";
    yaml << "  projects:\n"
            "    - {id: 100, path: widget, namespace: acme, default_branch: main}\n"
            "    - {id: 101, path: dotfiles, namespace: alice, default_branch: main}\n"
            "  generate:\n"
            "    - {projects: 150, namespace: forgelink-bot, path_prefix: own-, start_id: 7000}\n"
            "  tokens:\n"
            "    - {value: "
         << kBotToken << ", user: forgelink-bot, scopes: [api, read_user], name: forgelink}\n";
    return yaml.str();
}

class ListingGaps : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        sim_ = new sim::SimProcess(scenario());
        host_ = new Host(HostOptions{sim_->gitlabUrl()});
        host_->start();
        ASSERT_EQ(host_->call("POST", "/api/v1/teams", {{"slug", "gaps"}}).status, 201);
        auto saved = host_->call("PUT", "/api/v1/teams/gaps/providers/gitlab", {{"token", kBotToken}});
        ASSERT_EQ(saved.status, 200) << saved.text;
    }
    static void TearDownTestSuite() {
        delete host_;
        delete sim_;
        host_ = nullptr;
        sim_ = nullptr;
    }

    // Every page of a REST listing through next_cursor; the number of pages in `pages`.
    static std::vector<nlohmann::json> allPages(const std::string& path, int* pages) {
        std::vector<nlohmann::json> items;
        std::string cursor;
        *pages = 0;
        do {
            const char* sep = path.find('?') == std::string::npos ? "?" : "&";
            auto page = host_->call("GET", path + (cursor.empty() ? "" : sep + ("cursor=" + support::urlEncode(cursor))));
            EXPECT_EQ(page.status, 200) << page.text;
            if (page.status != 200) break;
            for (const auto& item : page.body["items"]) items.push_back(item);
            cursor = page.body["next_cursor"].is_null() ? "" : page.body["next_cursor"].get<std::string>();
            ++*pages;
        } while (!cursor.empty() && *pages < 20);
        return items;
    }

    static sim::SimProcess* sim_;
    static Host* host_;
};

sim::SimProcess* ListingGaps::sim_ = nullptr;
Host* ListingGaps::host_ = nullptr;

TEST_F(ListingGaps, AUserNamespaceListsThatUsersProjectsInTheRestApiEveryPage) {
    int pages = 0;
    auto items = allPages("/api/v1/teams/gaps/providers/gitlab/repositories?namespace=forgelink-bot", &pages);
    std::set<std::string> paths;
    for (const auto& r : items) {
        const std::string path = r["full_path"];
        EXPECT_EQ(path.rfind("forgelink-bot/own-", 0), 0u) << path;
        EXPECT_TRUE(paths.insert(path).second) << "listed twice: " << path;
    }
    EXPECT_EQ(paths.size(), 150u);
    EXPECT_EQ(pages, 2) << "the cursor of a user namespace continues the user listing";
    EXPECT_GE(countRequests(sim_->requests(), "GET", "/api/v4/users/forgelink-bot/projects.*"), 2);

    // A group of one segment is still a group.
    auto group = host_->call("GET", "/api/v1/teams/gaps/providers/gitlab/repositories?namespace=acme");
    ASSERT_EQ(group.status, 200) << group.text;
    ASSERT_EQ(group.body["items"].size(), 1u) << group.text;
    EXPECT_EQ(group.body["items"][0]["full_path"], "acme/widget");

    auto nowhere = host_->call("GET", "/api/v1/teams/gaps/providers/gitlab/repositories?namespace=no-such-one");
    EXPECT_EQ(nowhere.status, 422) << nowhere.text;
    EXPECT_EQ(nowhere.body["error"]["code"], "namespace_not_found") << nowhere.text;
    EXPECT_NE(nowhere.text.find("no group or user namespace \\\"no-such-one\\\""), std::string::npos) << nowhere.text;
}

TEST_F(ListingGaps, AUserNamespaceThatNamespacesListsWorksAsTheCliFilter) {
    auto listed = runForgelink({"namespaces", "--provider", "gitlab", "--base-url", sim_->gitlabUrl(), "--token-env",
                                "GAPS_TOKEN", "--search", "forgelink", "--json"},
                               {{"GAPS_TOKEN", kBotToken}});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    auto namespaces = nlohmann::json::parse(listed.out);
    ASSERT_EQ(namespaces["namespaces"].size(), 1u) << listed.out;
    EXPECT_EQ(namespaces["namespaces"][0]["kind"], "user");

    auto repos = runForgelink({"repos", "--provider", "gitlab", "--base-url", sim_->gitlabUrl(), "--token-env",
                               "GAPS_TOKEN", "--namespace", "forgelink-bot", "--json"},
                              {{"GAPS_TOKEN", kBotToken}});
    ASSERT_EQ(repos.exit_code, 0) << repos.err;
    auto out = nlohmann::json::parse(repos.out);
    EXPECT_EQ(out["count"], 150) << repos.err;
    EXPECT_EQ(out["repositories"][0]["namespace"], "forgelink-bot");
}

TEST_F(ListingGaps, NamespacesPageTwoAndLaterAreReachedByTheCursor) {
    int pages = 0;
    auto items = allPages("/api/v1/teams/gaps/providers/gitlab/namespaces", &pages);
    std::set<std::string> paths;
    for (const auto& n : items) EXPECT_TRUE(paths.insert(n["full_path"].get<std::string>()).second) << n.dump();
    EXPECT_EQ(paths.size(), 231u);
    EXPECT_EQ(pages, 3);
    EXPECT_TRUE(paths.count("team-229"));
    EXPECT_TRUE(paths.count("forgelink-bot"));
}

}  // namespace
}  // namespace forgelink::e2e
