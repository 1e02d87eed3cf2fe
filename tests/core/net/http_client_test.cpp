#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "socket_support.hpp"

namespace forgelink::net {
namespace {

using namespace std::chrono_literals;

std::chrono::steady_clock::time_point in(std::chrono::milliseconds ms) { return std::chrono::steady_clock::now() + ms; }

ProxySettings direct() { return {}; }

// A forge written with plain sockets: `serve` runs once per accepted connection on its own thread.
class RawForge {
public:
    explicit RawForge(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 16) != 0)
            throw std::runtime_error("RawForge: cannot listen");
        socklen_t length = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        acceptor_ = std::thread([this] {
            for (;;) {
                const int fd = ::accept(listener_, nullptr, nullptr);
                if (fd < 0) return;
                ++connections;
                const timeval five_seconds{5, 0};  // a client that stops reading without closing ends it too
                ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &five_seconds, sizeof five_seconds);
                ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
                std::lock_guard lock(mutex_);
                threads_.emplace_back([this, fd] {
                    serve_(fd);
                    ::close(fd);
                });
            }
        });
    }
    ~RawForge() {
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        acceptor_.join();
        std::lock_guard lock(mutex_);
        for (auto& thread : threads_) thread.join();
    }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

    // Reads one request head (and nothing else); false when the client closed first.
    static bool readHead(int fd) {
        std::string head;
        char c;
        while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
            if (::recv(fd, &c, 1, 0) != 1) return false;
            head += c;
        }
        return true;
    }
    // Sends `data` whole; false once the client has gone.
    static bool sendAll(int fd, std::string_view data) {
        for (std::size_t at = 0; at < data.size();) {
            const auto n = ::send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
            if (n <= 0) return false;
            at += static_cast<std::size_t>(n);
        }
        return true;
    }

    std::atomic<int> connections{0};
    std::atomic<std::size_t> sent{0};  // what a hostile `serve` managed to send

private:
    std::function<void(int)> serve_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::thread acceptor_;
    std::mutex mutex_;
    std::vector<std::thread> threads_;
};

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

// A token saved with "\r\nX-Evil: injected" was sent as a second header on every forge request.
TEST(HttpClient, HeadersWithCrLfOrNulAreRefusedBeforeSending) {
    test::ScriptedServer server([](const test::RecordedRequest&) { return test::ScriptedReply{test::httpReply(200, "ok")}; });
    auto client = makeHttpClient(direct());
    const std::vector<Headers> hostile = {
        {{"PRIVATE-TOKEN", "glpat-x\r\nX-Evil: injected"}},
        {{"Authorization", "Bearer a\nX-Evil: injected"}},
        {{"Authorization", std::string("Bearer a\0b", 10)}},
        {{"X-Evil\r\nX-Other", "1"}},
        {{"Bad Name", "1"}},
    };
    for (const auto& headers : hostile) {
        HttpRequest request;
        request.url = server.baseUrl() + "/api/v4/user";
        request.headers = headers;
        const auto result = client->execute(request, in(5s));
        ASSERT_FALSE(result.ok()) << headers[0].first;
        EXPECT_EQ(result.error().kind, ErrorKind::invalid_input);
        EXPECT_EQ(result.error().code, "invalid_header");
        EXPECT_NE(result.error().message.find("refused before sending"), std::string::npos) << result.error().message;
        EXPECT_EQ(result.error().message.find("injected"), std::string::npos) << "never echo the value";
    }
    HttpRequest method;
    method.method = "GET /x HTTP/1.1\r\nX-Evil: 1\r\n\r\nGET";
    method.url = server.baseUrl() + "/";
    EXPECT_FALSE(client->execute(method, in(5s)).ok());
    EXPECT_TRUE(server.requests().empty()) << "nothing may reach the forge";

    HttpRequest fine;
    fine.url = server.baseUrl() + "/api/v4/user";
    fine.headers = {{"PRIVATE-TOKEN", "glpat-abc_DEF-123"}, {"X-Tab", "a\tb"}};
    ASSERT_TRUE(client->execute(fine, in(5s)).ok());
    EXPECT_EQ(server.requests().size(), 1u);
}

// A 300 MB answer took the host to 1.6 GB: reading now stops at the bound, whatever the framing.
TEST(HttpClient, AnswersLargerThanTheBoundAreRefusedWithoutReadingThemWhole) {
    ClientLimits limits;
    limits.max_answer_bytes = 1 << 20;
    auto client = makeHttpClient(direct(), limits);

    // A Content-Length beyond the bound: refused before the body is read.
    test::ScriptedServer declared([](const test::RecordedRequest&) {
        return test::ScriptedReply{"HTTP/1.1 200 OK\r\nContent-Length: 300000000\r\n\r\n" + std::string(1000, 'x')};
    });
    HttpRequest request;
    request.url = declared.baseUrl() + "/big";
    auto result = client->execute(request, in(10s));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(result.error().code, "answer_too_large");
    EXPECT_NE(result.error().message.find("larger than 1 MiB (forge.max_answer_mb)"), std::string::npos)
        << result.error().message;

    // No length, chunked or until the connection closes, served without end: the client stops
    // reading near the bound and closes the connection, so the server cannot send much more.
    for (const bool chunked : {true, false}) {
        std::atomic<std::size_t> sent{0};
        int listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        ASSERT_EQ(::listen(listener, 1), 0);
        socklen_t length = sizeof address;
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
        std::thread server([&, listener] {
            const int fd = ::accept(listener, nullptr, nullptr);
            const timeval two_seconds{2, 0};  // a client that stops reading without closing ends it too
            ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &two_seconds, sizeof two_seconds);
            char buffer[4096];
            (void)!::recv(fd, buffer, sizeof buffer, 0);
            const std::string head = chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                             : "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
            (void)!::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
            const std::string piece = chunked ? "4000\r\n" + std::string(0x4000, 'y') + "\r\n" : std::string(0x4000, 'y');
            while (sent < (std::size_t{300} << 20)) {
                const auto n = ::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
                if (n <= 0) break;
                sent += static_cast<std::size_t>(n);
            }
            ::close(fd);
        });
        HttpRequest streaming;
        streaming.url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/endless";
        auto answer = client->execute(streaming, in(20s));
        server.join();
        ::close(listener);
        ASSERT_FALSE(answer.ok()) << (chunked ? "chunked" : "until close");
        EXPECT_EQ(answer.error().code, "answer_too_large") << answer.error().message;
        // The bound, one read, and what the two sockets' buffers hold.
        EXPECT_LT(sent.load(), std::size_t{12} << 20) << (chunked ? "chunked" : "until close");
    }
}

// cpprestsdk read a status line and headers whole, however long: 200 MB of one header line, or
// headers without end, took that much memory. The head is bounded as it arrives.
TEST(HttpClient, AnswerHeadsLongerThanTheBoundAreRefusedAsTheyArrive) {
    ClientLimits limits;
    limits.max_head_bytes = 16 << 10;
    auto client = makeHttpClient(direct(), limits);
    for (const bool one_line : {true, false}) {
        RawForge forge([&](int fd) {
            if (!RawForge::readHead(fd)) return;
            if (!RawForge::sendAll(fd, one_line ? "HTTP/1.1 200 OK\r\nX-Huge: " : "HTTP/1.1 200 OK\r\n")) return;
            const std::string piece = one_line ? std::string(64 << 10, 'h') : "X-More: " + std::string(100, 'm') + "\r\n";
            while (forge.sent < (std::size_t{200} << 20) && RawForge::sendAll(fd, piece)) forge.sent += piece.size();
        });
        HttpRequest request;
        request.url = forge.url("/huge-head");
        const auto result = client->execute(request, in(20s));
        ASSERT_FALSE(result.ok()) << (one_line ? "one line" : "endless headers");
        EXPECT_EQ(result.error().kind, ErrorKind::invalid_input);
        EXPECT_EQ(result.error().code, "answer_too_large");
        EXPECT_NE(result.error().message.find("status line and headers are larger than 16 KiB"), std::string::npos)
            << result.error().message;
        EXPECT_LT(forge.sent.load(), std::size_t{12} << 20) << (one_line ? "one line" : "endless headers");
    }
}

// One chunk declared 300 MB was read whole (its size parsed into an int) before any check.
TEST(HttpClient, AChunkLargerThanTheBoundIsRefusedBeforeItIsRead) {
    ClientLimits limits;
    limits.max_answer_bytes = 1 << 20;
    auto client = makeHttpClient(direct(), limits);
    RawForge forge([&](int fd) {
        if (!RawForge::readHead(fd)) return;
        if (!RawForge::sendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11E1A300\r\n")) return;
        const std::string piece(64 << 10, 'c');
        while (forge.sent < (std::size_t{300} << 20) && RawForge::sendAll(fd, piece)) forge.sent += piece.size();
    });
    HttpRequest request;
    request.url = forge.url("/one-chunk");
    const auto result = client->execute(request, in(20s));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "answer_too_large") << result.error().message;
    EXPECT_NE(result.error().message.find("larger than 1 MiB (forge.max_answer_mb)"), std::string::npos)
        << result.error().message;
    EXPECT_LT(forge.sent.load(), std::size_t{12} << 20);
}

// Keep-alive: consecutive requests to one origin share a connection; one the forge closed while it
// was idle is replaced without the caller seeing an error.
TEST(HttpClient, KeptAliveConnectionsAreReusedAndAClosedOneIsReplaced) {
    std::atomic<int> answers{0};
    std::atomic<bool> close_after_one{false};
    RawForge forge([&](int fd) {
        while (RawForge::readHead(fd)) {
            const std::string body = "answer " + std::to_string(++answers);
            if (!RawForge::sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body))
                return;
            if (close_after_one) return;
        }
    });
    auto client = makeHttpClient(direct());
    HttpRequest request;
    request.url = forge.url("/x");
    for (int i = 1; i <= 5; ++i) {
        const auto result = client->execute(request, in(5s));
        ASSERT_TRUE(result.ok()) << result.error().message;
        EXPECT_EQ(result->body, "answer " + std::to_string(i));
    }
    EXPECT_EQ(forge.connections.load(), 1);

    close_after_one = true;
    ASSERT_TRUE(client->execute(request, in(5s)).ok());  // still the first connection; the forge closes it after
    std::this_thread::sleep_for(100ms);
    const auto after_close = client->execute(request, in(5s));
    ASSERT_TRUE(after_close.ok()) << after_close.error().message;
    EXPECT_EQ(after_close->body, "answer 7");  // sent once: no request was answered twice
    // At least the replacement connection; the count can be 3 when the client notices the closed
    // idle connection and reconnects once more before the forge's accept loop is done counting
    // (seen once in 5 runs on a loaded machine), which costs a connection, never a request.
    EXPECT_GE(forge.connections.load(), 2);
    EXPECT_EQ(answers.load(), 7);
}

// The proxy gets CONNECT for https (never the request itself: the tunnel is end to end), with
// the credentials of the proxy URL; a refusal is proxy_failed naming the proxy's answer.
TEST(HttpClient, HttpsThroughAProxyAsksForATunnel) {
    test::ScriptedServer proxy([](const test::RecordedRequest&) {
        return test::ScriptedReply{"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"};
    });
    ProxySettings settings;
    settings.https_proxy = "http://user:p%40ss@127.0.0.1:" + std::to_string(proxy.port());
    auto client = makeHttpClient(settings);
    HttpRequest request;
    request.url = "https://forge.example:8443/api/v4/user?private_token=SECRET";
    const auto result = client->execute(request, in(5s));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "proxy_failed") << result.error().message;
    EXPECT_NE(result.error().message.find("answered HTTP 407 to CONNECT forge.example:8443"), std::string::npos)
        << result.error().message;
    EXPECT_EQ(result.error().message.find("SECRET"), std::string::npos);
    EXPECT_EQ(result.error().message.find("p%40ss"), std::string::npos);
    const auto seen = proxy.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].request_line, "CONNECT forge.example:8443 HTTP/1.1");
    ASSERT_NE(findHeader(seen[0].headers, "Proxy-Authorization"), nullptr);
    EXPECT_EQ(*findHeader(seen[0].headers, "Proxy-Authorization"), "Basic dXNlcjpwQHNz");  // user:p@ss
}

// A kept-alive connection the forge drops after taking a request in, before answering: a GET is
// sent again on a new connection, a POST is not (the forge may have acted on it: a note posted
// twice, a rotated token revoked). Found by the token rotation tests (wip/README.md).
TEST(HttpClient, OnlyRequestsThatMayBeAppliedTwiceAreResentAfterADroppedConnection) {
    for (const std::string method : {"GET", "POST"}) {
        std::atomic<int> received{0};
        RawForge forge([&](int fd) {
            while (RawForge::readHead(fd)) {
                // The second request (the first on a reused connection) is taken in, then dropped.
                if (++received == 2) {
                    std::this_thread::sleep_for(50ms);
                    return;
                }
                if (!RawForge::sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) return;
            }
        });
        auto client = makeHttpClient(direct());
        HttpRequest first;
        first.url = forge.url("/warm");
        ASSERT_TRUE(client->execute(first, in(5s)).ok());
        HttpRequest request;
        request.method = method;
        request.url = forge.url("/act");
        const auto result = client->execute(request, in(5s));
        if (method == "GET") {
            ASSERT_TRUE(result.ok()) << result.error().message;
            EXPECT_EQ(received.load(), 3);
            EXPECT_EQ(forge.connections.load(), 2);
        } else {
            ASSERT_FALSE(result.ok());
            EXPECT_EQ(result.error().kind, ErrorKind::transient);
            EXPECT_EQ(result.error().code, "network_error") << result.error().message;
            EXPECT_EQ(received.load(), 2) << "the POST was sent twice";
        }
    }
}

}  // namespace
}  // namespace forgelink::net
