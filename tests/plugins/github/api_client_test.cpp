// Unit tests of the pieces under the provider: base URLs, header parsing, UTF-8
// truncation, the state mapping, cursors, and redirects (with a scripted transport: no network).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "api_client.hpp"
#include "github_provider.hpp"

namespace forgelink::github {
namespace {

class NoNetworkAtAll : public Transport {
public:
    Result<HttpResponse> send(const HttpRequest&) override { return makeError(ErrorKind::internal, "unused"); }
    std::vector<Result<HttpResponse>> sendAll(const std::vector<HttpRequest>&, std::size_t) override { return {}; }
};

TEST(GitHubWebLinks, CommentAndTokenPages) {
    NoNetworkAtAll net;
    HostServices host;
    host.transport = &net;
    GitHubProvider provider(host);
    EXPECT_EQ(provider.commentWebUrl("https://github.com/acme/widget", "7", "1001"),
              "https://github.com/acme/widget/pull/7#issuecomment-1001");
    EXPECT_EQ(provider.commentWebUrl("https://ghes.example.com/acme/w/", "3", "9"), "https://ghes.example.com/acme/w/pull/3#issuecomment-9");
    EXPECT_EQ(provider.commentWebUrl("https://github.com/acme/widget", "", "1001"), "");
    EXPECT_EQ(provider.tokenPageUrl("https://api.github.com", {}), parseInstance("https://github.com")->tokenPageUrl());
    EXPECT_EQ(provider.tokenPageUrl("https://ghes.example.com", {"repo", "read:org"}),
              "https://ghes.example.com/settings/tokens/new?scopes=repo,read%3Aorg&description=forgelink");
    EXPECT_EQ(provider.tokenPageUrl("ftp://x", {}), "");
}

TEST(Instance, GitHubDotComFromWebOrApiRoot) {
    for (const char* url : {"https://github.com", "https://github.com/", "https://api.github.com", " https://GitHub.com "}) {
        auto i = parseInstance(url);
        ASSERT_TRUE(i.ok()) << url;
        EXPECT_EQ(i->api_root, "https://api.github.com") << url;
        EXPECT_EQ(i->web_root, "https://github.com") << url;
        EXPECT_EQ(i->key, "github.com") << url;
    }
    EXPECT_EQ(parseInstance("https://github.com")->tokenPageUrl(),
              "https://github.com/settings/tokens/new?scopes=repo&description=forgelink");
}

TEST(Instance, EnterpriseServerFromWebOrApiRoot) {
    for (const char* url : {"https://ghes.example.com", "https://ghes.example.com/api/v3", "https://ghes.example.com/api/v3/"}) {
        auto i = parseInstance(url);
        ASSERT_TRUE(i.ok()) << url;
        EXPECT_EQ(i->api_root, "https://ghes.example.com/api/v3") << url;
        EXPECT_EQ(i->web_root, "https://ghes.example.com") << url;
        EXPECT_EQ(i->key, "ghes.example.com") << url;
    }
    auto port = parseInstance("http://127.0.0.1:8080/api/v3");
    EXPECT_EQ(port->web_root, "http://127.0.0.1:8080");
    EXPECT_EQ(port->key, "127.0.0.1:8080");
}

TEST(Instance, DataResidencyAndProxiedApiRoots) {
    auto ghe = parseInstance("https://acme.ghe.com");
    EXPECT_EQ(ghe->api_root, "https://api.acme.ghe.com");
    EXPECT_EQ(parseInstance("https://api.acme.ghe.com")->web_root, "https://acme.ghe.com");
    auto proxied = parseInstance("http://127.0.0.1:9000/github");
    EXPECT_EQ(proxied->api_root, "http://127.0.0.1:9000/github");
    EXPECT_EQ(proxied->web_root, "http://127.0.0.1:9000");
}

TEST(Instance, RefusesWhatIsNoUrl) {
    for (const char* url : {"github.com", "ftp://github.com", "https://", "https://user:pw@github.com", "https://github.com/?x=1"}) {
        auto i = parseInstance(url);
        ASSERT_FALSE(i.ok()) << url;
        EXPECT_EQ(i.error().kind, ErrorKind::invalid_input);
        EXPECT_EQ(i.error().code, "bad_base_url");
        EXPECT_NE(i.error().message.find("expected https://github.com"), std::string::npos);
    }
}

TEST(Headers, LinkVariants) {
    auto links = parseLinkHeader(R"(<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last")");
    ASSERT_EQ(links.size(), 2u);
    EXPECT_EQ(links[0], (std::pair<std::string, std::string>{"next", "https://a/x?page=2"}));
    auto spaced = parseLinkHeader(R"(<https://a/1>;rel=next,<https://a/2>; title="x, y"; rel="prev first")");
    ASSERT_EQ(spaced.size(), 3u);
    EXPECT_EQ(spaced[0].first, "next");
    EXPECT_EQ(spaced[1], (std::pair<std::string, std::string>{"prev", "https://a/2"}));
    EXPECT_EQ(spaced[2].first, "first");
    EXPECT_TRUE(parseLinkHeader("").empty());
    EXPECT_TRUE(parseLinkHeader("garbage").empty());
}

TEST(Headers, ScopesExpiryAndPermissions) {
    Headers h = {{"x-oauth-scopes", " repo,  admin:org ,"}, {"GitHub-Authentication-Token-Expiration", "2024-06-01 00:00:00 UTC"}};
    EXPECT_EQ(*parseScopes(h), (std::vector<std::string>{"repo", "admin:org"}));
    EXPECT_EQ(parseTokenExpiration(h), 1717200000);
    EXPECT_EQ(utcDate(1717200000), "2024-06-01");
    Headers offset = {{"GitHub-Authentication-Token-Expiration", "2023-02-01 00:00:00 -0800"}};
    EXPECT_EQ(parseTokenExpiration(offset), 1675209600 + 8 * 3600);
    EXPECT_FALSE(parseTokenExpiration({{"GitHub-Authentication-Token-Expiration", "soon"}}).has_value());
    Headers perms = {{"X-Accepted-GitHub-Permissions", "pull_requests=write,contents=read; issues=write"}};
    auto alts = parseAcceptedPermissions(perms);
    ASSERT_EQ(alts.size(), 2u);
    EXPECT_EQ(alts[0], (std::vector<std::string>{"pull_requests=write", "contents=read"}));
    EXPECT_EQ(permissionLabel("statuses=write"), "Commit statuses: write");
}

TEST(Errors, FineGrainedRefusalNamesThePermission) {
    HttpResponse r;
    r.status = 403;
    r.headers = {{"X-Accepted-GitHub-Permissions", "statuses=write"}, {"Content-Type", "application/json"}};
    r.body = R"({"message":"Resource not accessible by personal access token","status":"403"})";
    Error e = errorFromResponse(parseInstance("https://github.com").value(), r, "posting a status");
    EXPECT_EQ(e.kind, ErrorKind::missing_scope);
    EXPECT_EQ(e.missing_scopes, std::vector<std::string>{"statuses=write"});
    EXPECT_NE(e.message.find("Commit statuses: write"), std::string::npos);
}

TEST(Errors, HtmlIsNotGitHub) {
    HttpResponse r;
    r.status = 200;
    r.headers = {{"Content-Type", "text/html"}};
    r.body = "<html>login</html>";
    Error e = errorFromResponse(parseInstance("https://intranet.example.com").value(), r, "x");
    EXPECT_EQ(e.code, "not_a_github_api");
}

TEST(Errors, SecondaryLimitWithoutHeaderWaitsAMinute) {
    HttpResponse r;
    r.status = 429;
    r.headers = {{"x-github-request-id", "1"}};
    r.body = R"({"message":"You have exceeded a secondary rate limit."})";
    Error e = errorFromResponse(parseInstance("https://github.com").value(), r, "x");
    EXPECT_EQ(e.kind, ErrorKind::rate_limited);
    EXPECT_EQ(e.code, "secondary_rate_limit");
    EXPECT_GE(e.retry_after->count(), 60);
    r.headers.emplace_back("Retry-After", "7");
    EXPECT_EQ(errorFromResponse(parseInstance("https://github.com").value(), r, "x").retry_after->count(), 7);
}

TEST(Truncate, CutsOnCodePointBoundaries) {
    std::string ascii(200, 'a');
    std::string cut = truncateUtf8(ascii, 140);
    EXPECT_EQ(cut, std::string(139, 'a') + "\xE2\x80\xA6");
    // 150 x "é" (2 bytes each): 139 of them plus the ellipsis, never half a character.
    std::string accents;
    for (int i = 0; i < 150; ++i) accents += "\xC3\xA9";
    std::string t = truncateUtf8(accents, 140);
    EXPECT_EQ(t.size(), 139u * 2 + 3);
    EXPECT_EQ(truncateUtf8("short", 140), "short");
    // Invalid UTF-8 becomes U+FFFD so the JSON body can be written.
    EXPECT_EQ(truncateUtf8("a\xFF" "b", 140), "a\xEF\xBF\xBD" "b");
    EXPECT_EQ(truncateUtf8("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 1), "\xE2\x80\xA6");
}

TEST(States, EveryBuildStateMapsToAGitHubState) {
    EXPECT_EQ(githubState(BuildState::queued), "pending");
    EXPECT_EQ(githubState(BuildState::in_progress), "pending");
    EXPECT_EQ(githubState(BuildState::no_changes), "success");
    EXPECT_EQ(githubState(BuildState::accepted), "success");
    EXPECT_EQ(githubState(BuildState::skipped), "success");
    EXPECT_EQ(githubState(BuildState::changes_detected), "failure");
    EXPECT_EQ(githubState(BuildState::rejected), "failure");
    EXPECT_EQ(githubState(BuildState::errored), "error");
    EXPECT_EQ(githubState(BuildState::aborted), "error");
}

TEST(Cursor, RoundTripsAndRefusesForeignText) {
    ListCursor c{"https://api.github.com/user/repos?page=3", 7};
    auto back = decodeCursor(encodeCursor(c));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->next_url, c.next_url);
    EXPECT_EQ(back->last_page, 7);
    for (const char* bad : {"", "gl1.o.2", "gh1.x.https://a", "gh1.3."}) {
        auto r = decodeCursor(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, "bad_cursor");
    }
}

TEST(RepoRef, PathsAndIds) {
    EXPECT_EQ(parseRepoRef("acme/widget.js")->full_name, "acme/widget.js");
    EXPECT_EQ(parseRepoRef("12345")->id, "12345");
    for (const char* bad : {"acme", "acme/", "/widget", "a/b/c", "acme/..", "ac me/x"}) {
        EXPECT_FALSE(parseRepoRef(bad).ok()) << bad;
    }
}

// ---- redirects, with a scripted transport ----

class ScriptedTransport : public Transport {
public:
    std::function<HttpResponse(const HttpRequest&)> answer;
    std::vector<HttpRequest> seen;
    Result<HttpResponse> send(const HttpRequest& request) override {
        seen.push_back(request);
        return answer(request);
    }
    std::vector<Result<HttpResponse>> sendAll(const std::vector<HttpRequest>& requests, std::size_t) override {
        std::vector<Result<HttpResponse>> out;
        for (const auto& r : requests) out.push_back(send(r));
        return out;
    }
};

HttpResponse jsonAnswer(int status, std::string body, Headers extra = {}) {
    HttpResponse r;
    r.status = status;
    r.headers = {{"Content-Type", "application/json"}, {"X-GitHub-Request-Id", "x"}};
    for (auto& h : extra) r.headers.push_back(h);
    r.body = std::move(body);
    return r;
}

TEST(ApiClient, SendsGitHubHeadersAndFollowsRenamesInsideTheApiOnly) {
    ScriptedTransport t;
    t.answer = [](const HttpRequest& r) {
        if (r.url.find("/repos/acme/old") != std::string::npos) {
            return jsonAnswer(301, R"({"message":"Moved Permanently"})",
                              {{"Location", "https://api.github.com/repositories/42"}});
        }
        if (r.url.find("/repos/acme/evil") != std::string::npos) {
            return jsonAnswer(301, "{}", {{"Location", "https://attacker.example/steal"}});
        }
        return jsonAnswer(200, R"({"id":42,"name":"new","full_name":"acme/new"})");
    };
    ApiClient api(t, parseInstance("https://github.com").value(), "ghp_secret");
    auto j = api.get("/repos/acme/old", "reading");
    ASSERT_TRUE(j.ok()) << j.error().message;
    EXPECT_EQ(j.value()["full_name"], "acme/new");
    ASSERT_EQ(t.seen.size(), 2u);
    EXPECT_EQ(t.seen[1].url, "https://api.github.com/repositories/42");
    const HttpRequest& first = t.seen[0];
    EXPECT_EQ(*findHeader(first.headers, "Authorization"), "Bearer ghp_secret");
    EXPECT_EQ(*findHeader(first.headers, "Accept"), "application/vnd.github+json");
    EXPECT_EQ(*findHeader(first.headers, "X-GitHub-Api-Version"), "2022-11-28");
    EXPECT_NE(findHeader(first.headers, "User-Agent"), nullptr);

    t.seen.clear();
    auto evil = api.get("/repos/acme/evil", "reading");
    ASSERT_FALSE(evil.ok());
    EXPECT_EQ(t.seen.size(), 1u);  // the token never went to attacker.example
    EXPECT_EQ(evil.error().message.find("ghp_secret"), std::string::npos);
}

TEST(Provider, GetRepositoryByNumericIdUsesRepositoriesEndpoint) {
    ScriptedTransport t;
    t.answer = [](const HttpRequest& r) {
        if (r.url == "https://ghes.example.com/api/v3/repositories/7") {
            return jsonAnswer(200, R"({"id":7,"name":"w","full_name":"acme/w","owner":{"login":"acme","id":1},
                                      "private":true,"permissions":{"admin":false,"push":true,"pull":true}})");
        }
        return jsonAnswer(404, R"({"message":"Not Found"})");
    };
    HostServices host;
    host.transport = &t;
    GitHubProvider provider(host);
    auto repo = provider.getRepository({"https://ghes.example.com", "ghp_x"}, "7");
    ASSERT_TRUE(repo.ok()) << repo.error().message;
    EXPECT_EQ(repo->full_path, "acme/w");
    EXPECT_EQ(repo->instance, "ghes.example.com");
    EXPECT_EQ(repo->role, Role::write);
    EXPECT_EQ(repo->visibility, "private");
}

TEST(Provider, ValidateTokenRefusesWhatIsNotGitHub) {
    ScriptedTransport t;
    HostServices host;
    host.transport = &t;
    GitHubProvider provider(host);
    const Credentials c{"https://ghes.example.com", "ghp_token0000000000000000000000000000000"};

    t.answer = [](const HttpRequest&) {
        HttpResponse r;
        r.status = 200;
        r.headers = {{"Content-Type", "text/html"}};
        r.body = "<!DOCTYPE html><html>Sign in</html>";
        return r;
    };
    auto html = provider.validateToken(c);
    ASSERT_FALSE(html.ok());
    EXPECT_EQ(html.error().code, "not_a_github_api");
    EXPECT_NE(html.error().message.find("https://ghes.example.com/api/v3/user"), std::string::npos);

    t.answer = [](const HttpRequest&) {  // a JSON user, but from nothing that speaks GitHub
        HttpResponse r;
        r.status = 200;
        r.headers = {{"Content-Type", "application/json"}};
        r.body = R"({"login":"x","id":1})";
        return r;
    };
    EXPECT_EQ(provider.validateToken(c).error().code, "not_a_github_api");

    t.answer = [](const HttpRequest&) { return jsonAnswer(404, R"({"message":"Not Found"})"); };
    EXPECT_EQ(provider.validateToken(c).error().code, "not_a_github_api");

    t.answer = [](const HttpRequest&) {
        return jsonAnswer(403, R"({"message":"Resource not accessible by integration"})");
    };
    auto installation = provider.validateToken({c.base_url, "ghs_installation"});
    ASSERT_FALSE(installation.ok());
    EXPECT_EQ(installation.error().code, "installation_token");
    EXPECT_EQ(installation.error().message.find("ghs_installation"), std::string::npos);
}

TEST(Provider, AppUserTokenIsJudgedPerRepository) {
    ScriptedTransport t;
    t.answer = [](const HttpRequest&) {
        return jsonAnswer(200, R"({"login":"dev","id":5,"type":"User"})",
                          {{"GitHub-Authentication-Token-Expiration", "2020-01-01 00:00:00 UTC"}});
    };
    HostServices host;
    host.transport = &t;
    GitHubProvider provider(host);
    auto info = provider.validateToken({"https://github.com", "ghu_apptoken"});
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->kind, TokenKind::app);
    EXPECT_TRUE(info->scopes.empty());
    EXPECT_EQ(info->expires_at, "2020-01-01");
    EXPECT_LT(*info->days_until_expiry, 0);
    bool per_repo = false, expiring = false;
    for (const auto& w : info->warnings) {
        per_repo |= w.code == "permissions_per_repository" && w.message.find("GitHub App user token") != std::string::npos;
        expiring |= w.code == "expires_soon";
    }
    EXPECT_TRUE(per_repo);
    EXPECT_TRUE(expiring);
    ASSERT_EQ(t.seen.size(), 1u);
    EXPECT_EQ(t.seen[0].url, "https://api.github.com/user");
}

}  // namespace
}  // namespace forgelink::github
