// URL building, header parsing, cursors and dates: the GitLab provider's small pure pieces.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "api_client.hpp"
#include "gitlab_provider.hpp"

namespace forgelink::gitlab {
namespace {

TEST(GitLabInstance, RootAndKeyFromWhatAdminsType) {
    struct Case {
        const char* input;
        const char* root;
        const char* key;
    };
    for (const Case& c : {Case{"https://gitlab.com", "https://gitlab.com", "gitlab.com"},
                          Case{"https://GitLab.Example.com/", "https://gitlab.example.com", "gitlab.example.com"},
                          Case{"http://127.0.0.1:8080/gitlab", "http://127.0.0.1:8080/gitlab", "127.0.0.1:8080/gitlab"},
                          Case{"https://host/gitlab/api/v4/", "https://host/gitlab", "host/gitlab"},
                          Case{"  https://host/a/b  ", "https://host/a/b", "host/a/b"}}) {
        auto i = parseInstance(c.input);
        ASSERT_TRUE(i) << c.input << ": " << i.error().message;
        EXPECT_EQ(i->root, c.root) << c.input;
        EXPECT_EQ(i->key, c.key) << c.input;
    }
    for (const char* bad : {"gitlab.com", "ftp://host", "https://", "https://host/?x=1", "https://user:pw@host"}) {
        auto i = parseInstance(bad);
        ASSERT_FALSE(i) << bad;
        EXPECT_EQ(i.error().kind, ErrorKind::invalid_input);
        EXPECT_NE(i.error().message.find("expected the instance root"), std::string::npos) << i.error().message;
    }
    auto i = parseInstance("https://host/gitlab");
    EXPECT_EQ(i->tokenPageUrl(), "https://host/gitlab/-/user_settings/personal_access_tokens?name=forgelink&scopes=api,read_user");
}

class NoNetwork : public Transport {
public:
    Result<HttpResponse> send(const HttpRequest&) override { return makeError(ErrorKind::internal, "unused"); }
    std::vector<Result<HttpResponse>> sendAll(const std::vector<HttpRequest>&, std::size_t) override { return {}; }
};

TEST(GitLabWebLinks, CommentAndTokenPages) {
    NoNetwork net;
    HostServices host;
    host.transport = &net;
    GitLabProvider provider(host);
    EXPECT_EQ(provider.commentWebUrl("https://gitlab.example.com/acme/tools/widget", "7", "1001"),
              "https://gitlab.example.com/acme/tools/widget/-/merge_requests/7#note_1001");
    EXPECT_EQ(provider.commentWebUrl("https://host/gitlab/acme/w/", "12", "5"), "https://host/gitlab/acme/w/-/merge_requests/12#note_5");
    EXPECT_EQ(provider.commentWebUrl("", "7", "1001"), "");
    EXPECT_EQ(provider.commentWebUrl("https://host/acme/w", "7", ""), "");
    EXPECT_EQ(provider.tokenPageUrl("https://host/gitlab/", {}),
              "https://host/gitlab/-/user_settings/personal_access_tokens?name=forgelink&scopes=api,read_user");
    EXPECT_EQ(provider.tokenPageUrl("https://gitlab.com", {"api"}),
              "https://gitlab.com/-/user_settings/personal_access_tokens?name=forgelink&scopes=api");
    EXPECT_EQ(provider.tokenPageUrl("not a url", {}), "");
}

TEST(GitLabApiClient, UrlsAndAuthHeaders) {
    NoNetwork net;
    auto i = parseInstance("http://127.0.0.1:9/gitlab");
    ApiClient pat(net, i.value(), "glpat-secret", AuthScheme::private_token);
    auto r = pat.request("GET", "/projects/" + projectRef("group/sub/proj"));
    EXPECT_EQ(r.url, "http://127.0.0.1:9/gitlab/api/v4/projects/group%2Fsub%2Fproj");
    ASSERT_NE(findHeader(r.headers, "private-token"), nullptr);
    EXPECT_EQ(*findHeader(r.headers, "PRIVATE-TOKEN"), "glpat-secret");
    EXPECT_EQ(findHeader(r.headers, "Authorization"), nullptr);
    EXPECT_EQ(r.url.find("secret"), std::string::npos);

    ApiClient oauth(net, i.value(), "oauth-secret", AuthScheme::bearer);
    auto o = oauth.request("GET", "/user");
    EXPECT_EQ(*findHeader(o.headers, "Authorization"), "Bearer oauth-secret");
    EXPECT_EQ(findHeader(o.headers, "PRIVATE-TOKEN"), nullptr);

    EXPECT_EQ(projectRef("42"), "42");
    EXPECT_EQ(projectRef("/a/b/"), "a%2Fb");
    EXPECT_EQ(ApiClient::pathOf("http://h:1/x/api/v4/projects?a=b"), "/x/api/v4/projects");
}

TEST(GitLabApiClient, QueryAndLinkParsing) {
    EXPECT_EQ(encodeQuery({{"search", "a b&c"}, {"per_page", "100"}}), "search=a%20b%26c&per_page=100");
    const std::string url = "http://h/api/v4/projects?id_after=120&order_by=id&search=a%20b";
    EXPECT_EQ(queryParam(url, "id_after"), "120");
    EXPECT_EQ(queryParam(url, "search"), "a b");
    EXPECT_FALSE(queryParam(url, "page").has_value());

    HttpResponse r;
    r.headers = {{"link", "<http://h/p?page=1>; rel=\"first\", <http://h/p?page=3>; rel=\"next\", "
                          "<http://h/p?page=9>; rel=\"last\""}};
    EXPECT_EQ(linkTarget(r, "next"), "http://h/p?page=3");
    EXPECT_EQ(linkTarget(r, "last"), "http://h/p?page=9");
    EXPECT_EQ(linkTarget(r, "prev"), "");
}

TEST(GitLabApiClient, RetryAfterFromHeaders) {
    HttpResponse r;
    r.status = 429;
    r.headers = {{"Retry-After", "17"}};
    EXPECT_EQ(retryAfter(r), std::chrono::seconds(17));
    const long long reset = static_cast<long long>(std::time(nullptr)) + 40;
    r.headers = {{"RateLimit-Reset", std::to_string(reset)}};
    auto wait = retryAfter(r);
    ASSERT_TRUE(wait);
    EXPECT_GE(wait->count(), 38);
    EXPECT_LE(wait->count(), 40);
}

TEST(GitLabApiClient, HtmlAndRedirectsAreNotGitLab) {
    auto i = parseInstance("https://example.com").value();
    HttpResponse html;
    html.status = 200;
    html.headers = {{"Content-Type", "text/html; charset=utf-8"}};
    html.body = "<!DOCTYPE html><html><body>Welcome</body></html>";
    EXPECT_TRUE(looksLikeHtml(html));
    html.status = 404;
    Error e = errorFromResponse(i, html, "reading the user");
    EXPECT_EQ(e.kind, ErrorKind::invalid_input);
    EXPECT_EQ(e.code, "not_a_gitlab_api");
    EXPECT_NE(e.message.find("https://example.com"), std::string::npos);

    HttpResponse redirect;
    redirect.status = 302;
    redirect.headers = {{"Location", "https://example.com/users/sign_in"}};
    Error r = errorFromResponse(i, redirect, "reading the user");
    EXPECT_EQ(r.code, "not_a_gitlab_api");
    EXPECT_NE(r.message.find("/users/sign_in"), std::string::npos);

    HttpResponse bad_gateway;
    bad_gateway.status = 502;
    bad_gateway.body = "<html>bad gateway</html>";
    EXPECT_EQ(errorFromResponse(i, bad_gateway, "x").kind, ErrorKind::transient);
}

TEST(GitLabCursor, RoundTripAndRefusals) {
    ListCursor c;
    c.mode = ListCursor::Mode::keyset;
    c.next_page = 0;
    c.total_pages = 0;
    c.last_id = 110000;
    c.query_hash = "abcdef0123456789";
    auto back = decodeCursor(encodeCursor(c));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->mode, ListCursor::Mode::keyset);
    EXPECT_EQ(back->last_id, 110000);
    EXPECT_EQ(back->query_hash, c.query_hash);
    for (const char* bad : {"", "x", "gl1.o.1.2.3", "gl1.z.1.2.3.h", "gl1.o.-1.2.3.h", "gl1.o.a.2.3.h", "gl1.o.1.2.3."}) {
        auto d = decodeCursor(bad);
        ASSERT_FALSE(d) << bad;
        EXPECT_EQ(d.error().code, "bad_cursor");
    }
}

std::string isoDate(int days_from_today) {
    using namespace std::chrono;
    year_month_day ymd{floor<days>(system_clock::now()) + days(days_from_today)};
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buffer;
}

TEST(GitLabDates, DaysUntilUsesTodayUtc) {
    EXPECT_EQ(daysUntil(isoDate(0)), 0);
    EXPECT_EQ(daysUntil(isoDate(12)), 12);
    EXPECT_EQ(daysUntil(isoDate(-3)), -3);
    EXPECT_FALSE(daysUntil("2024-02-30").has_value());
    EXPECT_FALSE(daysUntil("tomorrow").has_value());
}

}  // namespace
}  // namespace forgelink::gitlab

namespace forgelink::gitlab {
namespace {

// Answers every request with one canned response; records what was asked.
class CannedTransport : public Transport {
public:
    explicit CannedTransport(HttpResponse answer) : answer_(std::move(answer)) {}
    Result<HttpResponse> send(const HttpRequest& request) override {
        urls.push_back(request.url);
        return answer_;
    }
    std::vector<Result<HttpResponse>> sendAll(const std::vector<HttpRequest>& requests, std::size_t) override {
        std::vector<Result<HttpResponse>> out;
        for (const auto& r : requests) out.push_back(send(r));
        return out;
    }
    std::vector<std::string> urls;

private:
    HttpResponse answer_;
};

TEST(GitLabValidateToken, AWebSiteAnsweringHtmlIsNotAGitLabApi) {
    HttpResponse html;
    html.status = 200;
    html.headers = {{"Content-Type", "text/html"}};
    html.body = "<!doctype html><title>Intranet</title>";
    CannedTransport net(html);
    HostServices host;
    host.transport = &net;
    GitLabProvider provider(host);
    auto info = provider.validateToken({"http://127.0.0.1:9/intranet", "glpat-secret-value"});
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, "not_a_gitlab_api");
    EXPECT_NE(info.error().message.find("http://127.0.0.1:9/intranet/api/v4/personal_access_tokens/self"),
              std::string::npos)
        << info.error().message;
    EXPECT_EQ(info.error().message.find("glpat-secret-value"), std::string::npos);
}

TEST(GitLabValidateToken, ARedirectToASignInPageIsNotAGitLabApi) {
    HttpResponse redirect;
    redirect.status = 302;
    redirect.headers = {{"Location", "http://127.0.0.1:9/users/sign_in"}};
    CannedTransport net(redirect);
    HostServices host;
    host.transport = &net;
    GitLabProvider provider(host);
    auto info = provider.validateToken({"http://127.0.0.1:9", "glpat-secret-value"});
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, "not_a_gitlab_api");
    EXPECT_NE(info.error().message.find("/users/sign_in"), std::string::npos) << info.error().message;
    ASSERT_EQ(net.urls.size(), 1u);  // nothing else is tried with the token
}

TEST(GitLabValidateToken, A404WithoutGitLabBehindItIsNotAGitLabApi) {
    HttpResponse missing;
    missing.status = 404;
    missing.body = "Not Found";
    CannedTransport net(missing);
    HostServices host;
    host.transport = &net;
    GitLabProvider provider(host);
    auto info = provider.validateToken({"http://127.0.0.1:9", "glpat-secret-value"});
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, "not_a_gitlab_api") << info.error().message;
}

TEST(GitLabProviderInputs, RefusesBadInputBeforeTheNetwork) {
    HttpResponse unused;
    CannedTransport net(unused);
    HostServices host;
    host.transport = &net;
    GitLabProvider provider(host);
    const Credentials c{"http://127.0.0.1:9", "glpat-x"};
    auto sha = provider.publishStatus(c, {"1", "not-a-sha", "", BuildState::queued, "", "", ""});
    ASSERT_FALSE(sha);
    EXPECT_EQ(sha.error().code, "bad_sha");
    auto marker = provider.upsertComment(c, {"1", "1", "forgelink", "body", ""});
    ASSERT_FALSE(marker);
    EXPECT_EQ(marker.error().code, "bad_marker");
    auto cursor = provider.listRepositories(c, {}, "garbage");
    ASSERT_FALSE(cursor);
    EXPECT_EQ(cursor.error().code, "bad_cursor");
    EXPECT_TRUE(net.urls.empty());
    auto url = provider.authorizeUrl("http://127.0.0.1:9/gitlab",
                                     {{"app", "", "http://127.0.0.1/cb"}, "st", std::string(43, 'a'), {}});
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(url.value(),
              "http://127.0.0.1:9/gitlab/oauth/authorize?client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"
              "&response_type=code&state=st&scope=read_user&code_challenge=" + std::string(43, 'a') +
                  "&code_challenge_method=S256");
}

}  // namespace
}  // namespace forgelink::gitlab

namespace forgelink::gitlab {
namespace {

// Issue 22 point 10: a forge 500 read "GitLab at HOST failed while the token (GET ...)". Every
// message of the family names what GitLab did and, after "while", the gerund of what Forgelink was doing.
TEST(GitLabErrorMessages, EveryStatusReadsAsASentence) {
    auto i = parseInstance("https://gitlab.example.com").value();
    auto answer = [](int status, std::string body) {
        HttpResponse r;
        r.status = status;
        r.headers = {{"Content-Type", "application/json"}};
        r.body = std::move(body);
        return r;
    };
    const std::string action = "reading the token's user (GET /user)";
    const std::string at = "GitLab at gitlab.example.com ";
    EXPECT_EQ(errorFromResponse(i, answer(500, R"({"message":"500 Internal Server Error"})"), action).message,
              at + "failed with HTTP 500 while " + action +
                  " (GitLab said: \"500 Internal Server Error\"); retry later");
    EXPECT_EQ(errorFromResponse(i, answer(429, R"({"message":"Retry later"})"), action).message,
              at + "is rate limiting Forgelink (HTTP 429) while " + action + " (GitLab said: \"Retry later\"); retry later");
    EXPECT_EQ(errorFromResponse(i, answer(400, R"({"message":"bad"})"), action).message,
              at + "answered HTTP 400 while " + action + " (GitLab said: \"bad\")");
    const auto unknown = errorFromResponse(i, answer(401, R"({"message":"401 Unauthorized"})"), action).message;
    EXPECT_EQ(unknown.rfind(at + "answered HTTP 401 while " + action + ": GitLab does not know this token", 0), 0u)
        << unknown;
    const auto missing = errorFromResponse(i, answer(404, R"({"message":"404 Project Not Found"})"), action).message;
    EXPECT_EQ(missing.rfind(at + "answered HTTP 404 while " + action + " (GitLab said:", 0), 0u) << missing;
}

TEST(GitLabValidateToken, AForge500NamesWhatWasBeingRead) {
    HttpResponse failing;
    failing.status = 500;
    failing.headers = {{"Content-Type", "application/json"}};
    failing.body = R"({"message":"500 Internal Server Error"})";
    CannedTransport net(failing);
    HostServices host;
    host.transport = &net;
    GitLabProvider provider(host);
    auto info = provider.validateToken({"http://127.0.0.1:9", "glpat-secret-value"});
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, "server_error");
    EXPECT_NE(info.error().message.find("failed with HTTP 500 while reading the token (GET /personal_access_tokens/self)"),
              std::string::npos)
        << info.error().message;
    EXPECT_EQ(info.error().message.find("while the token"), std::string::npos) << info.error().message;
}

}  // namespace
}  // namespace forgelink::gitlab
