// Issue 18: a GitHub API root as the base URL, over HTTP against forge-sim. Every form is
// accepted: the GHES web root (API at /api/v3), its API root, an API root behind a path, and a
// bare origin that is itself the API root (asked after /api/v3/user is not there, and said so).
#include <gtest/gtest.h>

#include <string>

#include "github_test_support.hpp"
#include "sim_process.hpp"

namespace forgelink::github::testing {
namespace {

const std::string kAlice = "ghp_aliceClassicRepo000000000000000000000";

std::string world(bool api_at_root) {
    std::string text = sim::SimProcess::scenarioFile("github-basic.yaml");
    if (api_at_root) text.replace(text.find("github:\n"), 8, "github:\n  api_at_root: true\n");
    return text;
}

bool hasWarning(const TokenInfo& info, const std::string& code) {
    for (const auto& w : info.warnings)
        if (w.code == code) return true;
    return false;
}

TEST(GitHubApiRoot, EveryFormOfAGhesBaseUrlLeadsToItsApi) {
    sim::SimProcess sim(world(false));
    LoadedGitHub host;
    for (const std::string& base : {sim.baseUrl(), sim.baseUrl() + "/", sim.baseUrl() + "/api/v3", sim.baseUrl() + "/github"}) {
        auto info = host.provider().validateToken({base, kAlice});
        ASSERT_TRUE(info) << base << ": " << info.error().message;
        EXPECT_EQ(info->identity.username, "alice") << base;
        EXPECT_FALSE(hasWarning(info.value(), "api_root")) << base << ": the API is where it was looked for first";
        auto repos = host.provider().listRepositories({base, kAlice}, RepositoryQuery{.search = "widget"}, "");
        ASSERT_TRUE(repos) << base << ": " << repos.error().message;
        EXPECT_FALSE(repos->items.empty()) << base;
    }
}

TEST(GitHubApiRoot, ABareOriginThatIsTheApiRootIsUsedAndNamed) {
    sim::SimProcess sim(world(true));
    LoadedGitHub host;
    const Credentials creds{sim.baseUrl(), kAlice};
    auto info = host.provider().validateToken(creds);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->identity.username, "alice");
    bool named = false;
    for (const auto& w : info->warnings)
        if (w.code == "api_root") {
            named = true;
            EXPECT_NE(w.message.find("the GitHub API at " + sim.baseUrl() + " "), std::string::npos) << w.message;
            EXPECT_NE(w.message.find(sim.baseUrl() + "/api/v3 answers no GitHub API"), std::string::npos) << w.message;
        }
    EXPECT_TRUE(named) << "says which API root it chose";
    auto repos = host.provider().listRepositories(creds, RepositoryQuery{.search = "widget"}, "");
    ASSERT_TRUE(repos) << repos.error().message;
    ASSERT_FALSE(repos->items.empty());
    EXPECT_EQ(repos->items.front().full_path, "acme/widget");
    int v3 = 0, root = 0;
    for (const auto& r : sim.requests()) {
        const std::string path = r["path"];
        v3 += path.rfind("/api/v3/", 0) == 0;
        root += path == "/user";
    }
    EXPECT_EQ(v3, 1) << "/api/v3 is asked once per base URL, then remembered";
    EXPECT_GE(root, 1);
}

}  // namespace
}  // namespace forgelink::github::testing
