// The server under hostile and slow clients (issue 22, points 2 and 8; issue 19, slow clients):
// every limit answered at once in the API's JSON error shape, strict RFC 9112 framing, and
// memory that stays bounded whatever a client sends. Raw sockets on 127.0.0.1 only.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

#include "net/http_server.hpp"
#include "socket_support.hpp"

namespace forgelink::net {
namespace {

using namespace std::chrono_literals;
using test::RawConnection;
using test::RawResponse;
using test::rawExchange;

constexpr std::size_t kHostile = 200u << 20;  // what the issue sent: 200 MB

// A server whose handler counts its calls and answers 200 "ok".
struct CountingServer {
    std::atomic<int> calls{0};
    std::unique_ptr<HttpServer> server;
    explicit CountingServer(ServerOptions options = {}) {
        server = makeHttpServer(options, [this](const ServerRequest&) {
            ++calls;
            return ServerResponse{200, {{"Content-Type", "text/plain"}}, "ok", false};
        });
        server->start();
    }
    std::uint16_t port() const { return server->port(); }
};

void expectJsonError(const RawResponse& response, int status, const std::string& code) {
    EXPECT_EQ(response.status, status) << response.raw.substr(0, 300);
    ASSERT_NE(response.header("Content-Type"), nullptr) << response.raw.substr(0, 300);
    EXPECT_EQ(*response.header("Content-Type"), "application/json");
    EXPECT_EQ(response.body.rfind("{\"error\":{\"code\":\"" + code + "\",\"message\":\"", 0), 0u) << response.body;
}

// Sends `head`, then `piece` again and again up to `total` bytes, from another thread, while this
// one waits for the answer. Returns the answer and how much the server let us send.
struct Streamed {
    RawResponse response;
    std::size_t sent = 0;
    std::chrono::milliseconds answered_after{0};
};
Streamed streamUntilAnswered(std::uint16_t port, const std::string& head, const std::string& piece, std::size_t total) {
    Streamed out;
    RawConnection connection(port);
    std::atomic<std::size_t> sent{0};
    std::thread sender([&] {
        if (!connection.send(head)) return;
        while (sent < total) {
            if (!connection.send(piece)) return;
            sent += piece.size();
        }
    });
    const auto started = std::chrono::steady_clock::now();
    out.response = connection.read(60s);
    out.answered_after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    sender.join();
    out.sent = sent;
    return out;
}

// Peak resident memory of this process, in bytes (VmHWM in /proc/self/status).
std::size_t peakRss() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
    }
    return 0;
}

// Issue 22 point 2: a 200 MB header was read whole (1.1 GB RSS) and answered 200.
TEST(HttpServerLimits, HugeHeaderIsRefused431AsItArrives) {
    CountingServer host;
    const auto got = streamUntilAnswered(host.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ",
                                         std::string(64 << 10, 'a'), kHostile);
    expectJsonError(got.response, 431, "headers_too_large");
    EXPECT_NE(got.response.body.find("32768"), std::string::npos) << got.response.body;
    EXPECT_LT(got.sent, 32u << 20) << "the server kept reading a header it had refused";
    EXPECT_EQ(host.calls.load(), 0);
}

// Issue 22 point 2: a 200 MB chunked body was read whole (715 MB) before the 413.
TEST(HttpServerLimits, ChunkedBodyOverTheLimitIs413BeforeItEnds) {
    CountingServer host;
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'b') + "\r\n";
    const auto got = streamUntilAnswered(
        host.port(), "POST /api/v1/teams HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", chunk, kHostile);
    expectJsonError(got.response, 413, "payload_too_large");
    EXPECT_NE(got.response.body.find("1048576"), std::string::npos) << got.response.body;
    EXPECT_LT(got.sent, 32u << 20) << "the server read the chunked body far beyond its limit";
    EXPECT_EQ(host.calls.load(), 0);
}

// A declared length over the limit is answered before a byte of the body is sent (cpprestsdk
// waited for the whole body before it wrote the 413).
TEST(HttpServerLimits, DeclaredLengthOverTheLimitIs413AtOnce) {
    CountingServer host;
    RawConnection connection(host.port());
    ASSERT_TRUE(connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 209715200\r\n\r\n"));
    const auto response = connection.read(3s);
    expectJsonError(response, 413, "payload_too_large");
    EXPECT_NE(response.body.find("209715200 bytes exceeds the limit of 1048576"), std::string::npos) << response.body;
    ASSERT_NE(response.header("Connection"), nullptr);
    EXPECT_EQ(*response.header("Connection"), "close");
}

// 100-continue: a client that asks first is told to go on, or refused before it sends anything.
TEST(HttpServerLimits, ExpectContinueIsAnsweredBeforeTheBody) {
    CountingServer host;
    RawConnection refused(host.port());
    ASSERT_TRUE(refused.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n"));
    EXPECT_EQ(refused.read(3s).status, 413);

    RawConnection accepted(host.port());
    ASSERT_TRUE(accepted.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    EXPECT_EQ(accepted.read(3s, true).status, 100);
    ASSERT_TRUE(accepted.send("hello"));
    EXPECT_EQ(accepted.read(3s).status, 200);
}

// The limits are the server's options: the request line and headers together, one header line.
TEST(HttpServerLimits, HeaderLimitsAreConfigurable) {
    ServerOptions options;
    options.max_header_bytes = 4096;
    options.max_header_line_bytes = 1024;
    CountingServer host(options);
    const auto ok = rawExchange(host.port(), "GET /x HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(1000, 'a') +
                                                 "\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(ok.status, 200);
    const auto long_line = rawExchange(host.port(), "GET /x HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(1100, 'a') +
                                                        "\r\nConnection: close\r\n\r\n");
    expectJsonError(long_line, 431, "headers_too_large");
    EXPECT_NE(long_line.body.find("1024"), std::string::npos);
    std::string many = "GET /x HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 8; ++i) many += "X-" + std::to_string(i) + ": " + std::string(900, 'a') + "\r\n";
    const auto too_many = rawExchange(host.port(), many + "Connection: close\r\n\r\n");
    expectJsonError(too_many, 431, "headers_too_large");
    EXPECT_NE(too_many.body.find("4096"), std::string::npos);
    const auto long_target = rawExchange(host.port(), "GET /" + std::string(1100, 'p') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    expectJsonError(long_target, 414, "uri_too_long");
    EXPECT_EQ(host.calls.load(), 1);
}

// Issue 22 point 8 and RFC 9112 section 6.3: a request whose length is ambiguous is refused.
TEST(HttpServerLimits, AmbiguousFramingIs400) {
    CountingServer host;
    expectJsonError(rawExchange(host.port(), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                                             "hello!"),
                    400, "bad_request");
    expectJsonError(rawExchange(host.port(), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!"), 400,
                    "bad_request");
    expectJsonError(rawExchange(host.port(), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                             "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                    400, "bad_request");
    expectJsonError(rawExchange(host.port(), "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                             "Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                    400, "bad_request");
    // Beast alone would read this as a request without a body and the body as the next request.
    expectJsonError(rawExchange(host.port(), "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
                                             "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"),
                    400, "bad_request");
    expectJsonError(rawExchange(host.port(), "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                                             "0\r\n\r\n"),
                    501, "not_implemented");
    expectJsonError(rawExchange(host.port(), "GET /x HTTP/1.1\r\n\r\n"), 400, "bad_request");  // no Host
    expectJsonError(rawExchange(host.port(), "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400, "bad_request");
    EXPECT_EQ(host.calls.load(), 0);
    // The same value twice is one length (RFC 9112 section 6.3 allows it), and a list of one.
    EXPECT_EQ(rawExchange(host.port(), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n"
                                       "Connection: close\r\n\r\nhello")
                  .status,
              200);
}

// Issue 22 point 8: a NUL in the path cut it short (`/teams/a%00x` and raw `a\0x` read team `a`),
// and an invalid URI was answered text/plain.
TEST(HttpServerLimits, ControlBytesAndInvalidUrisAre400Json) {
    CountingServer host;
    const std::string raw_nul = std::string("GET /api/v1/teams/a") + '\0' + "x HTTP/1.1\r\nHost: x\r\n\r\n";
    expectJsonError(rawExchange(host.port(), raw_nul), 400, "bad_request");
    for (const std::string target :
         {"/api/v1/teams/a%00x", "/api/v1/teams/a%0Ax", "/a%0d%0aX-Evil:%20y", "/a%7f", "/a%1B%5B2J"}) {
        const auto response = rawExchange(host.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        expectJsonError(response, 400, "bad_request");
        EXPECT_NE(response.body.find("control character"), std::string::npos) << target << ": " << response.body;
    }
    for (const std::string target : {"/a%zz", "/a%4", "/a|b", "/a\"b", "/a{b}", "/a#frag", "/a?q=%g1", "/a?q=<x>",
                                     "relative", "ftp://host/x", "/a?q=%00"}) {
        const auto response = rawExchange(host.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        expectJsonError(response, 400, "bad_request");
        EXPECT_EQ(response.body.find(target), std::string::npos) << "the target was echoed: " << response.body;
    }
    EXPECT_EQ(host.calls.load(), 0);
    // What a URI may hold still passes: sub-delims, ':' '@', encoded characters that are not controls,
    // an absolute-form target (its path is used), and '*' for OPTIONS.
    for (const std::string target : {"/a/b-c._~!$&'()*+,;=:@/%C3%A9%2F?x=1&y=a/b?c", "http://127.0.0.1/x?y=1"}) {
        EXPECT_EQ(rawExchange(host.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status,
                  200)
            << target;
    }
    EXPECT_EQ(rawExchange(host.port(), "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status, 200);
}

// Any method token reaches the handler as sent (the service answers the ones it does not know);
// a method that is not a token is refused by the server.
TEST(HttpServerLimits, MethodsReachTheHandlerAsSent) {
    std::mutex mutex;
    std::vector<std::string> seen;
    auto server = makeHttpServer({}, [&](const ServerRequest& request) {
        std::lock_guard lock(mutex);
        seen.push_back(request.method);
        return ServerResponse{204, {}, "", false};
    });
    server->start();
    EXPECT_EQ(rawExchange(server->port(), "BREW /pot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status, 204);
    expectJsonError(rawExchange(server->port(), "BR(EW /pot HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "bad_request");
    std::lock_guard lock(mutex);
    EXPECT_EQ(seen, std::vector<std::string>{"BREW"});
}

// Issue 22 "done when": the memory stays bounded through the hostile requests (the old listener
// peaked at 1.1 GB on the header alone).
TEST(HttpServerLimits, HostileRequestsKeepMemoryUnder100MB) {
    CountingServer host;
    streamUntilAnswered(host.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(64 << 10, 'a'), kHostile);
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'b') + "\r\n";
    streamUntilAnswered(host.port(), "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", chunk, kHostile);
    streamUntilAnswered(host.port(), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 209715200\r\n\r\n",
                        std::string(64 << 10, 'c'), kHostile);
    // A request line that never ends.
    streamUntilAnswered(host.port(), "GET /", std::string(64 << 10, 'd'), kHostile);
    EXPECT_LT(peakRss(), 100u << 20) << "peak RSS " << (peakRss() >> 20) << " MB";
    EXPECT_EQ(rawExchange(host.port(), "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status, 200);
}

// A connection over the cap is told so at once; closing one makes room again.
TEST(HttpServerLimits, ConnectionsOverTheCapGet503) {
    ServerOptions options;
    options.max_connections = 3;
    CountingServer host(options);
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(std::make_unique<RawConnection>(host.port()));
        ASSERT_TRUE(held.back()->send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n"));
        EXPECT_EQ(held.back()->read(3s).status, 200);  // kept alive, so still open
    }
    const auto refused = rawExchange(host.port(), "GET /x HTTP/1.1\r\nHost: x\r\n\r\n", 3s);
    expectJsonError(refused, 503, "too_many_connections");
    ASSERT_NE(refused.header("Retry-After"), nullptr);
    held.pop_back();
    bool admitted = false;
    for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
        admitted = rawExchange(host.port(), "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3s).status == 200;
        if (!admitted) std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(admitted);
}

// A client that starts a request and stalls, or keeps a connection idle, is closed.
TEST(HttpServerLimits, StalledAndIdleConnectionsAreClosed) {
    ServerOptions options;
    options.header_timeout = 300ms;
    options.idle_timeout = 300ms;
    options.body_timeout = 300ms;
    CountingServer host(options);
    RawConnection stalled_head(host.port());
    ASSERT_TRUE(stalled_head.send("GET /x HTTP/1.1\r\nHost: x\r\n"));
    RawConnection stalled_body(host.port());
    ASSERT_TRUE(stalled_body.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
    RawConnection idle(host.port());
    ASSERT_TRUE(idle.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(idle.read(3s).status, 200);
    EXPECT_TRUE(stalled_head.closedWithin(3s));
    EXPECT_TRUE(stalled_body.closedWithin(3s));
    EXPECT_TRUE(idle.closedWithin(3s));
    EXPECT_EQ(host.calls.load(), 1);
}

// Issue 19: slow clients cannot hold the host. 50 connections each send a request head one byte
// a second; meanwhile other requests are answered within 100 ms. The slow connections are still
// open afterwards and are answered once they finish their heads: they were held, not refused.
TEST(HttpServerLimits, FiftySlowClientsDoNotDelayOthers) {
    CountingServer host;
    constexpr int kSlow = 50;
    test::SlowClients slow(host.port(), kSlow, "GET /slow HTTP/1.1\r\nHost: x\r\n");
    std::this_thread::sleep_for(1500ms);  // every slow client has sent a byte or two
    std::vector<int> statuses;
    const auto worst = test::slowestAnswer(host.port(), "/healthz", 20, statuses);
    EXPECT_EQ(statuses, std::vector<int>(20, 200));
    EXPECT_LT(worst.count(), 100) << "slowest answer while 50 slow clients were connected";
    EXPECT_EQ(host.calls.load(), 20);
    EXPECT_GE(slow.bytesSent(), 3u) << "the slow clients sent a byte a second throughout";
    EXPECT_EQ(slow.failedSends(), 0);
    // Every slow client was still connected, and is answered once its head is complete.
    EXPECT_EQ(slow.finish(), kSlow);
    EXPECT_EQ(host.calls.load(), 20 + kSlow);
}

}  // namespace
}  // namespace forgelink::net
