// Issue 22 points 2, 3 and 8 against the real `forgelink serve`: what an attacker sent before
// signing in, and the host's memory through all of it (the "done when" of the issue: peak RSS
// under 100 MB). Raw sockets on 127.0.0.1; the host is a child process, its RSS read from /proc.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "e2e_host.hpp"
#include "socket_support.hpp"

namespace forgelink::e2e {
namespace {

using namespace std::chrono_literals;
using net::test::RawConnection;
using net::test::RawResponse;
using net::test::rawExchange;

constexpr std::size_t kHostile = 200u << 20;

// Peak resident memory of process `pid`, in bytes (VmHWM).
std::size_t peakRss(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
    return 0;
}

// Sends `head` then `piece` repeatedly (up to `total` bytes) from a thread while reading the answer.
RawResponse streamUntilAnswered(int port, const std::string& head, const std::string& piece, std::size_t& sent) {
    RawConnection connection(static_cast<std::uint16_t>(port));
    std::atomic<std::size_t> count{0};
    std::thread sender([&] {
        if (!connection.send(head)) return;
        while (count < kHostile) {
            if (!connection.send(piece)) return;
            count += piece.size();
        }
    });
    auto response = connection.read(60s);
    sender.join();
    sent = count;
    return response;
}

std::string errorCode(const RawResponse& response) {
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_discarded() || !json.contains("error")) return "<not the error shape: " + response.body.substr(0, 100) + ">";
    return json["error"].value("code", "");
}

TEST(HostileHttp, TheHostRefusesAtOnceAndStaysUnder100MB) {
    Host host;
    host.start();
    const int port = host.port();
    const std::string auth = "Authorization: Bearer " + host.adminToken() + "\r\n";

    std::size_t sent = 0;
    auto header = streamUntilAnswered(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(64 << 10, 'a'), sent);
    EXPECT_EQ(header.status, 431) << header.raw.substr(0, 200);
    EXPECT_EQ(errorCode(header), "headers_too_large");
    EXPECT_LT(sent, 32u << 20);

    const std::string chunk = "10000\r\n" + std::string(0x10000, 'b') + "\r\n";
    auto body = streamUntilAnswered(
        port, "POST /api/v1/teams HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n", chunk, sent);
    EXPECT_EQ(body.status, 413) << body.raw.substr(0, 200);
    EXPECT_EQ(errorCode(body), "payload_too_large");
    EXPECT_LT(sent, 32u << 20);

    const auto metricsText = [&] {
        return rawExchange(static_cast<std::uint16_t>(port),
                           "GET /metrics HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n")
            .body;
    };
    metricsText();  // so that GET /metrics has its own series before the count below
    const auto before = metricsText();

    // Point 3: made-up methods, one of them 4 KB long.
    for (int i = 0; i < 300; ++i) {
        const std::string method = "MADEUP" + std::to_string(i) + std::string(i == 3 ? 4000 : 0, 'M');
        auto reply = rawExchange(static_cast<std::uint16_t>(port),
                                 method + " /api/v1/teams HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        ASSERT_EQ(reply.status, 501) << method.substr(0, 12) << ": " << reply.raw.substr(0, 200);
        EXPECT_EQ(errorCode(reply), "not_implemented");
        EXPECT_EQ(reply.raw.find("MADEUP"), std::string::npos);
    }

    // Point 8.
    auto duplicate = rawExchange(static_cast<std::uint16_t>(port),
                                 "POST /api/v1/teams HTTP/1.1\r\nHost: x\r\n" + auth +
                                     "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}");
    EXPECT_EQ(duplicate.status, 400);
    EXPECT_EQ(errorCode(duplicate), "bad_request");
    for (const std::string target : {std::string("/api/v1/teams/a%00x"), std::string("/api/v1/teams/a") + '\0' + "x",
                                     std::string("/api/v1/teams/a%zz"), std::string("/api/v1/teams/{a}")}) {
        auto reply = rawExchange(static_cast<std::uint16_t>(port),
                                 "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n");
        EXPECT_EQ(reply.status, 400) << reply.raw.substr(0, 200);
        ASSERT_NE(reply.header("Content-Type"), nullptr);
        EXPECT_EQ(*reply.header("Content-Type"), "application/json");
        EXPECT_EQ(errorCode(reply), "bad_request");
    }

    EXPECT_EQ(host.call("GET", "/healthz").status, 200);
    const auto after = metricsText();
    EXPECT_EQ(after.find("MADEUP"), std::string::npos);
    EXPECT_NE(after.find(R"(forgelink_http_requests_total{method="other",route="unmatched",status="501"} 300)"),
              std::string::npos)
        << after;
    // One counter series and one histogram more (and the few the other requests above added), not 300.
    EXPECT_LT(std::count(after.begin(), after.end(), '\n'), std::count(before.begin(), before.end(), '\n') + 80)
        << "the metrics grew with the methods";

    const auto peak = peakRss(host.pid());
    EXPECT_GT(peak, 0u);
    EXPECT_LT(peak, 100u << 20) << "the host peaked at " << (peak >> 20) << " MB";
    EXPECT_EQ(host.stop(), 0);
}

}  // namespace
}  // namespace forgelink::e2e
