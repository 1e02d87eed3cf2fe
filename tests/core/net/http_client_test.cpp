#include <gtest/gtest.h>

#include <atomic>

#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "socket_support.hpp"

namespace forgelink::net {
namespace {

using namespace std::chrono_literals;

std::chrono::steady_clock::time_point in(std::chrono::milliseconds ms) { return std::chrono::steady_clock::now() + ms; }

ProxySettings direct() { return {}; }

TEST(HttpClient, RoundTripKeepsBodyHeadersAndEncodedPath) {
    std::mutex mutex;
    ServerRequest seen;
    auto server = makeHttpServer({}, [&](const ServerRequest& request) {
        std::lock_guard lock(mutex);
        seen = request;
        return ServerResponse{201, {{"Content-Type", "application/json"}, {"X-Total", "7"}}, R"({"id":1})", false};
    });
    server->start();
    auto client = makeHttpClient(direct());
    HttpRequest request;
    request.method = "POST";
    request.url = server->baseUrl() + "/api/v4/projects/group%2Fproj/notes?x=a%20b";
    request.headers = {{"Content-Type", "application/json"}, {"PRIVATE-TOKEN", "t0k"}};
    request.body = R"({"body":"hi"})";
    const auto result = client->execute(request, in(5s));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->status, 201);
    EXPECT_EQ(result->body, R"({"id":1})");
    ASSERT_NE(result->header("x-total"), nullptr);
    EXPECT_EQ(*result->header("x-total"), "7");
    std::lock_guard lock(mutex);
    EXPECT_EQ(seen.raw_path, "/api/v4/projects/group%2Fproj/notes");
    EXPECT_EQ(seen.raw_query, "x=a%20b");
    EXPECT_EQ(seen.body, R"({"body":"hi"})");
    ASSERT_NE(seen.header("content-type"), nullptr);
    EXPECT_EQ(*seen.header("content-type"), "application/json");
    ASSERT_NE(seen.header("private-token"), nullptr);
}

TEST(HttpClient, RedirectIsNotFollowed) {
    std::atomic<int> target_hits{0};
    auto server = makeHttpServer({}, [&](const ServerRequest& request) {
        if (request.path == "/moved") return ServerResponse{301, {{"Location", "/elsewhere"}}, "", false};
        ++target_hits;
        return ServerResponse{200, {}, "elsewhere", false};
    });
    server->start();
    auto client = makeHttpClient(direct());
    HttpRequest request;
    request.url = server->baseUrl() + "/moved";
    const auto result = client->execute(request, in(5s));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->status, 301);
    ASSERT_NE(result->header("Location"), nullptr);
    EXPECT_EQ(*result->header("Location"), "/elsewhere");
    EXPECT_EQ(target_hits.load(), 0);
}

TEST(HttpClient, DeadlineCutsAStalledServer) {
    test::ScriptedServer stalled([](const test::RecordedRequest&) {
        return test::ScriptedReply{test::httpReply(200, "late"), 5s};
    });
    auto client = makeHttpClient(direct());
    HttpRequest request;
    request.url = stalled.baseUrl() + "/slow/path?private_token=SECRETVALUE";
    const auto started = std::chrono::steady_clock::now();
    const auto result = client->execute(request, in(300ms));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::transient);
    EXPECT_EQ(result.error().code, "deadline_exceeded");
    EXPECT_GE(elapsed, 290ms);
    EXPECT_LT(elapsed, 1s);
    const auto& message = result.error().message;
    EXPECT_NE(message.find("GET " + stalled.baseUrl() + "/slow/path"), std::string::npos) << message;
    EXPECT_EQ(message.find("SECRETVALUE"), std::string::npos) << message;
    EXPECT_EQ(message.find('?'), std::string::npos) << message;
}

TEST(HttpClient, ConnectionRefusedIsTransient) {
    const auto port = findFreePort();  // nothing listens there
    auto client = makeHttpClient(direct());
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/x?access_token=abc";
    const auto result = client->execute(request, in(5s));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::transient);
    EXPECT_EQ(result.error().code, "connect_failed") << result.error().message;
    EXPECT_NE(result.error().message.find("GET http://127.0.0.1:"), std::string::npos);
    EXPECT_EQ(result.error().message.find("abc"), std::string::npos);
}

TEST(HttpClient, InvalidUrlIsInvalidInput) {
    auto client = makeHttpClient(direct());
    HttpRequest request;
    request.url = "gitlab.example.com/api";
    const auto result = client->execute(request, in(1s));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::invalid_input);
}

TEST(HttpClient, PastDeadlineSendsNothing) {
    test::ScriptedServer server([](const test::RecordedRequest&) { return test::ScriptedReply{test::httpReply(200, "")}; });
    auto client = makeHttpClient(direct());
    HttpRequest request;
    request.url = server.baseUrl() + "/x";
    const auto result = client->execute(request, std::chrono::steady_clock::now() - 1ms);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "deadline_exceeded");
    EXPECT_TRUE(server.requests().empty());
}

TEST(HttpClient, ProxyReceivesAbsoluteFormRequest) {
    test::ScriptedServer proxy([](const test::RecordedRequest&) {
        return test::ScriptedReply{test::httpReply(200, "via proxy")};
    });
    ProxySettings settings;
    settings.http_proxy = proxy.baseUrl();
    auto client = makeHttpClient(settings);
    HttpRequest request;
    request.url = "http://example.invalid/x?y=1";
    const auto result = client->execute(request, in(5s));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->body, "via proxy");
    const auto seen = proxy.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].request_line, "GET http://example.invalid/x?y=1 HTTP/1.1");
}

TEST(HttpClient, NoProxyHostGoesDirect) {
    test::ScriptedServer proxy([](const test::RecordedRequest&) {
        return test::ScriptedReply{test::httpReply(200, "via proxy")};
    });
    auto server = makeHttpServer({}, [](const ServerRequest&) { return ServerResponse{200, {}, "direct", false}; });
    server->start();
    ProxySettings settings;
    settings.http_proxy = proxy.baseUrl();
    settings.no_proxy = "localhost,127.0.0.1";
    auto client = makeHttpClient(settings);
    HttpRequest request;
    request.url = server->baseUrl() + "/x";
    const auto result = client->execute(request, in(5s));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->body, "direct");
    EXPECT_TRUE(proxy.requests().empty());
}

}  // namespace
}  // namespace forgelink::net
