#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <thread>

#include "net/http_server.hpp"
#include "socket_support.hpp"

namespace forgelink::net {
namespace {

using namespace std::chrono_literals;
using test::rawExchange;

std::string get(const std::string& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
}

TEST(HttpServer, FreePortAndBaseUrl) {
    auto server = makeHttpServer({}, [](const ServerRequest&) { return ServerResponse{204, {}, "", false}; });
    server->start();
    EXPECT_NE(server->port(), 0);
    EXPECT_EQ(server->baseUrl(), "http://127.0.0.1:" + std::to_string(server->port()));
    EXPECT_EQ(rawExchange(server->port(), get("/")).status, 204);
}

TEST(HttpServer, DecodesPathAndQueryButKeepsRawForms) {
    std::mutex mutex;
    ServerRequest seen;
    auto server = makeHttpServer({}, [&](const ServerRequest& request) {
        std::lock_guard lock(mutex);
        seen = request;
        return ServerResponse{200, {{"Content-Type", "application/json"}, {"X-Extra", "1"}}, R"({"ok":true})", false};
    });
    server->start();
    const auto response = rawExchange(
        server->port(),
        "POST /api/v4/projects/group%2Fproj/statuses/abc?state=running&name=build+1&labels=a%2Cb&labels=c HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\nPRIVATE-TOKEN: t\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
        "Connection: close\r\n\r\nhello");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"ok":true})");
    ASSERT_NE(response.header("Content-Type"), nullptr);
    EXPECT_EQ(*response.header("Content-Type"), "application/json");
    ASSERT_NE(response.header("X-Extra"), nullptr);

    std::lock_guard lock(mutex);
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.path, "/api/v4/projects/group/proj/statuses/abc");
    EXPECT_EQ(seen.raw_path, "/api/v4/projects/group%2Fproj/statuses/abc");
    EXPECT_EQ(seen.raw_query, "state=running&name=build+1&labels=a%2Cb&labels=c");
    ASSERT_NE(seen.param("state"), nullptr);
    EXPECT_EQ(*seen.param("name"), "build 1");
    EXPECT_EQ(seen.query.count("labels"), 2u);
    EXPECT_EQ(*seen.param("labels"), "a,b");
    ASSERT_NE(seen.header("private-token"), nullptr);
    EXPECT_EQ(*seen.header("private-token"), "t");
    EXPECT_EQ(seen.body, "hello");
    EXPECT_FALSE(seen.remote_address.empty());
}

TEST(HttpServer, EncodedSlashDiffersFromPlainSlash) {
    std::mutex mutex;
    std::vector<std::string> raw;
    auto server = makeHttpServer({}, [&](const ServerRequest& request) {
        std::lock_guard lock(mutex);
        raw.push_back(request.raw_path);
        return ServerResponse{200, {}, request.path, false};
    });
    server->start();
    const auto encoded = rawExchange(server->port(), get("/projects/a%2Fb"));
    const auto plain = rawExchange(server->port(), get("/projects/a/b"));
    EXPECT_EQ(encoded.body, "/projects/a/b");
    EXPECT_EQ(plain.body, "/projects/a/b");
    std::lock_guard lock(mutex);
    ASSERT_EQ(raw.size(), 2u);
    EXPECT_NE(raw[0], raw[1]);
    EXPECT_EQ(raw[0], "/projects/a%2Fb");
}

TEST(HttpServer, OversizedBodyIs413WithoutCallingTheHandler) {
    std::atomic<int> calls{0};
    ServerOptions options;
    options.max_body_bytes = 1000;
    auto server = makeHttpServer(options, [&](const ServerRequest&) {
        ++calls;
        return ServerResponse{};
    });
    server->start();
    const std::string body(2000, 'x');
    const auto response = rawExchange(server->port(), "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + body);
    EXPECT_EQ(response.status, 413);
    EXPECT_NE(response.body.find(R"("code":"payload_too_large")"), std::string::npos) << response.body;
    EXPECT_NE(response.body.find("1000"), std::string::npos);
    // At the limit is fine.
    const auto ok = rawExchange(server->port(), "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                                                "Connection: close\r\n\r\n" + std::string(1000, 'y'));
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServer, ChunkedOversizedBodyIs413) {
    ServerOptions options;
    options.max_body_bytes = 10;
    auto server = makeHttpServer(options, [&](const ServerRequest&) { return ServerResponse{}; });
    server->start();
    const auto response = rawExchange(server->port(), "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                                      "14\r\n01234567890123456789\r\n0\r\n\r\n");
    EXPECT_EQ(response.status, 413);
}

TEST(HttpServer, HandlerExceptionIs500WithoutItsText) {
    auto server = makeHttpServer({}, [](const ServerRequest&) -> ServerResponse {
        throw std::runtime_error("database at /var/secret failed for glpat-abcdefabcdef");
    });
    server->start();
    const auto response = rawExchange(server->port(), get("/boom"));
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.raw.find("/var/secret"), std::string::npos);
    EXPECT_EQ(response.raw.find("glpat"), std::string::npos);
    EXPECT_NE(response.body.find("internal"), std::string::npos);
}

// Fault injection: the connection is reset with nothing written (cpprestsdk could only answer 500).
TEST(HttpServer, DropConnectionResetsWithoutAnAnswer) {
    auto server = makeHttpServer({}, [](const ServerRequest& request) {
        return ServerResponse{200, {}, "x", request.path == "/drop"};
    });
    server->start();
    const auto response = rawExchange(server->port(), get("/drop"));
    EXPECT_EQ(response.status, 0);
    EXPECT_EQ(response.raw, "");
    EXPECT_EQ(rawExchange(server->port(), get("/fine")).status, 200);
}

// Keep-alive, pipelining and HEAD on one connection: each answer in order, HEAD with the length
// a GET would get and no body.
TEST(HttpServer, KeepAlivePipeliningAndHead) {
    std::atomic<int> calls{0};
    auto server = makeHttpServer({}, [&](const ServerRequest& request) {
        ++calls;
        return ServerResponse{200, {{"Content-Type", "text/plain"}}, "body of " + request.path, false};
    });
    server->start();
    test::RawConnection connection(server->port());
    ASSERT_TRUE(connection.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\nHEAD /two HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /three HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto one = connection.read();
    EXPECT_EQ(one.body, "body of /one");
    const auto two = connection.read(std::chrono::seconds(10), true);
    EXPECT_EQ(two.status, 200);
    ASSERT_NE(two.header("Content-Length"), nullptr);
    EXPECT_EQ(*two.header("Content-Length"), "12");
    EXPECT_EQ(connection.read().body, "body of /three") << "HEAD's answer carried a body";
    ASSERT_TRUE(connection.send("GET /four HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    const auto four = connection.read();
    EXPECT_EQ(four.body, "body of /four");
    ASSERT_NE(four.header("Connection"), nullptr);
    EXPECT_EQ(*four.header("Connection"), "close");
    EXPECT_TRUE(connection.closedWithin(std::chrono::seconds(3)));
    EXPECT_EQ(calls.load(), 4);
}

// A shared body goes out as it is, to every request, and stays the handler's.
TEST(HttpServer, SharedBodyIsSentWhole) {
    const auto shared = std::make_shared<const std::string>(std::string(300000, 'z') + "end");
    auto server = makeHttpServer({}, [&](const ServerRequest&) {
        ServerResponse response{200, {{"Content-Type", "application/json"}}, "", false};
        response.shared_body = shared;
        return response;
    });
    server->start();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(rawExchange(server->port(), get("/big")).body, *shared);
    EXPECT_EQ(shared->size(), 300003u);
}

// While stop() drains, a new request is answered 503 in the JSON shape and its connection closed.
TEST(HttpServer, RequestsDuringStopGet503) {
    std::latch entered(1);
    std::atomic<bool> release{false};
    auto server = makeHttpServer({}, [&](const ServerRequest& request) {
        if (request.path == "/slow") {
            entered.count_down();
            while (!release) std::this_thread::sleep_for(5ms);
        }
        return ServerResponse{200, {}, "done", false};
    });
    server->start();
    const auto port = server->port();
    test::RawConnection idle(port);
    ASSERT_TRUE(idle.send("GET /warm HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_EQ(idle.read().status, 200);
    auto slow = std::async(std::launch::async, [&] { return rawExchange(port, get("/slow"), 20s); });
    entered.wait();
    auto stopping = std::async(std::launch::async, [&] { server->stop(); });
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(idle.send("GET /late HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto late = idle.read();
    EXPECT_EQ(late.status, 503);
    EXPECT_NE(late.body.find("\"code\":\"shutting_down\""), std::string::npos) << late.body;
    release = true;
    EXPECT_EQ(slow.get().body, "done");
    stopping.get();
    EXPECT_FALSE(test::canConnect(port));
}

// Every handler waits until all 64 requests are inside a handler at once. If handlers ran on
// cpprestsdk's 40 pplx threads, or a worker pool smaller than 64, this could never happen.
TEST(HttpServer, SixtyFourConcurrentBlockingHandlersAllComplete) {
    constexpr int kRequests = 64;
    std::latch all_inside(kRequests);
    ServerOptions options;
    options.workers = kRequests;
    auto server = makeHttpServer(options, [&](const ServerRequest&) {
        all_inside.count_down();
        const auto until = std::chrono::steady_clock::now() + 20s;
        while (!all_inside.try_wait()) {
            if (std::chrono::steady_clock::now() > until) return ServerResponse{504, {}, "not all arrived", false};
            std::this_thread::sleep_for(5ms);
        }
        std::this_thread::sleep_for(50ms);
        return ServerResponse{200, {}, "done", false};
    });
    server->start();
    std::vector<std::future<test::RawResponse>> results;
    for (int i = 0; i < kRequests; ++i) {
        results.push_back(std::async(std::launch::async, [&, i] {
            return rawExchange(server->port(), get("/slow/" + std::to_string(i)), 30s);
        }));
    }
    for (auto& result : results) {
        const auto response = result.get();
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.body, "done");
    }
}

TEST(HttpServer, StopAnswersRequestsInFlightThenRefusesConnections) {
    constexpr int kRequests = 4;
    std::latch entered(kRequests);
    auto server = makeHttpServer({}, [&](const ServerRequest&) {
        entered.count_down();
        std::this_thread::sleep_for(400ms);
        return ServerResponse{200, {}, "finished", false};
    });
    server->start();
    const auto port = server->port();
    std::vector<std::future<test::RawResponse>> results;
    for (int i = 0; i < kRequests; ++i) {
        results.push_back(std::async(std::launch::async, [&] { return rawExchange(port, get("/work"), 20s); }));
    }
    entered.wait();
    server->stop();
    for (auto& result : results) {
        const auto response = result.get();
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.body, "finished");
    }
    EXPECT_FALSE(test::canConnect(port));
    server->stop();  // idempotent
    server.reset();  // and the destructor after stop() is fine
}

TEST(HttpServer, DestructorStopsARunningServer) {
    std::uint16_t port = 0;
    {
        auto server = makeHttpServer({}, [](const ServerRequest&) { return ServerResponse{}; });
        server->start();
        port = server->port();
        EXPECT_EQ(rawExchange(port, get("/")).status, 200);
    }
    EXPECT_FALSE(test::canConnect(port));
}

TEST(HttpServer, StartOnABusyPortNamesTheAddress) {
    auto first = makeHttpServer({}, [](const ServerRequest&) { return ServerResponse{}; });
    first->start();
    ServerOptions options;
    options.port = first->port();
    auto second = makeHttpServer(options, [](const ServerRequest&) { return ServerResponse{}; });
    try {
        second->start();
        FAIL() << "expected start() to throw";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(first->port())), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace forgelink::net
