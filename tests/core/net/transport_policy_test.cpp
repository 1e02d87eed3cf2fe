#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <set>

#include "net/http_server.hpp"
#include "net/rate_limit_headers.hpp"
#include "net/transport_policy.hpp"
#include "socket_support.hpp"

namespace forgelink::net {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A clock that only moves when someone sleeps or a scripted call takes time.
struct FakeTime {
    std::mutex mutex;
    steady_clock::time_point now = steady_clock::time_point{} + std::chrono::hours(1000);
    std::vector<milliseconds> sleeps;

    Clock clock() {
        Clock c;
        c.now = [this] {
            std::lock_guard lock(mutex);
            return now;
        };
        c.sleep = [this](milliseconds wait) {
            std::lock_guard lock(mutex);
            sleeps.push_back(wait);
            now += wait;
        };
        return c;
    }
    void advance(milliseconds by) {
        std::lock_guard lock(mutex);
        now += by;
    }
};

// Answers from a script, one entry per attempt; the last one repeats.
class ScriptedClient final : public HttpClient {
public:
    using Step = std::function<Result<HttpResponse>(const HttpRequest&)>;
    ScriptedClient(FakeTime& time, std::vector<Step> steps, milliseconds latency = 10ms)
        : time_(time), steps_(std::move(steps)), latency_(latency) {}

    Result<HttpResponse> execute(const HttpRequest& request, steady_clock::time_point deadline) override {
        std::lock_guard lock(mutex_);
        seen.push_back(request);
        // Like the real client: an attempt never runs past the deadline it is given. The policy
        // hands clients a real steady_clock deadline (its remaining budget from now).
        const auto remaining = deadline - steady_clock::now();
        if (latency_ > remaining) {
            time_.advance(std::chrono::duration_cast<milliseconds>(std::max(remaining, steady_clock::duration{})));
            return makeError(ErrorKind::transient, request.method + " deadline exceeded", "deadline_exceeded");
        }
        time_.advance(latency_);
        const auto& step = steps_[std::min(seen.size() - 1, steps_.size() - 1)];
        return step(request);
    }
    std::vector<HttpRequest> seen;

private:
    FakeTime& time_;
    std::vector<Step> steps_;
    milliseconds latency_;
    std::mutex mutex_;
};

ScriptedClient::Step status(int code, Headers headers = {}) {
    return [=](const HttpRequest&) { return Result<HttpResponse>(HttpResponse{code, headers, "body"}); };
}
ScriptedClient::Step failure(std::string code) {
    return [=](const HttpRequest& r) {
        return Result<HttpResponse>(makeError(ErrorKind::transient, r.method + " failed", code));
    };
}

HttpRequest request(std::string method, std::string url = "https://forge.example/api/x?private_token=SECRET") {
    HttpRequest r;
    r.method = std::move(method);
    r.url = std::move(url);
    return r;
}

TransportPolicy fastPolicy() {
    TransportPolicy policy;
    policy.backoff_base = 100ms;
    policy.backoff_cap = 1000ms;
    return policy;
}

TEST(TransportPolicy, GetIsRetriedOn503ThenSucceeds) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(503), status(502), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    const auto result = transport->send(request("GET"));
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(client.seen.size(), 3u);
    ASSERT_EQ(time.sleeps.size(), 2u);
    EXPECT_LE(time.sleeps[0], 100ms);  // full jitter: U(0, base * 2^0)
    EXPECT_LE(time.sleeps[1], 200ms);
    EXPECT_EQ(metrics.value("forgelink_forge_retries_total", {{"provider", "p"}, {"reason", "503"}}), 1);
    EXPECT_EQ(metrics.value("forgelink_forge_retries_total", {{"provider", "p"}, {"reason", "502"}}), 1);
    EXPECT_EQ(metrics.value("forgelink_forge_requests_total", {{"provider", "p"}, {"method", "GET"}, {"status", "503"}}), 1);
    EXPECT_EQ(metrics.value("forgelink_forge_requests_total", {{"provider", "p"}, {"method", "GET"}, {"status", "200"}}), 1);
}

TEST(TransportPolicy, PostIsNotRetriedOn503OrTransientErrors) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(503), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    const auto result = transport->send(request("POST"));
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->status, 503);
    EXPECT_EQ(client.seen.size(), 1u);

    ScriptedClient failing(time, {failure("connect_failed"), status(200)});
    auto transport2 = makePolicyTransport(failing, metrics, "p", fastPolicy(), time.clock());
    const auto failed = transport2->send(request("PATCH"));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failing.seen.size(), 1u);
    EXPECT_EQ(metrics.value("forgelink_forge_request_errors_total", {{"provider", "p"}, {"kind", "transient"}}), 1);
}

TEST(TransportPolicy, RetryOverridesTheMethodRule) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(503), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    auto post = request("POST");
    post.retry = HttpRequest::Retry::always;
    EXPECT_EQ(transport->send(post)->status, 200);

    ScriptedClient client2(time, {status(503), status(200)});
    auto transport2 = makePolicyTransport(client2, metrics, "p", fastPolicy(), time.clock());
    auto get = request("GET");
    get.retry = HttpRequest::Retry::never;
    EXPECT_EQ(transport2->send(get)->status, 503);
}

TEST(TransportPolicy, NamedStatusesAreRetriedWhateverTheMethod) {
    // A forge's "locked for a moment" 409: the plugin names it, the host waits and retries.
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(409), status(409), status(201)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    auto post = request("POST");
    post.retry = HttpRequest::Retry::never;
    post.retry_statuses = {409};
    const auto result = transport->send(post);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->status, 201);
    EXPECT_EQ(client.seen.size(), 3u);
    ASSERT_EQ(time.sleeps.size(), 2u);
    EXPECT_LE(time.sleeps[0], 100ms);
    EXPECT_LE(time.sleeps[1], 200ms);
    EXPECT_EQ(metrics.value("forgelink_forge_retries_total", {{"provider", "p"}, {"reason", "409"}}), 2);

    // Still locked after the last attempt: the 409 is the answer.
    ScriptedClient locked(time, {status(409)});
    auto transport2 = makePolicyTransport(locked, metrics, "p", fastPolicy(), time.clock());
    const auto answer = transport2->send(post);
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer->status, 409);
    EXPECT_EQ(locked.seen.size(), 5u);

    // Not named: a 409 is an answer at once.
    ScriptedClient plain(time, {status(409), status(201)});
    auto transport3 = makePolicyTransport(plain, metrics, "p", fastPolicy(), time.clock());
    EXPECT_EQ(transport3->send(request("PUT"))->status, 409);
    EXPECT_EQ(plain.seen.size(), 1u);
}

TEST(TransportPolicy, PacedWritesWaitForTheirSlotOrAreHeldBack) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(201)}, 0ms);
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    auto post = request("POST");
    // 2 at once, then one a second (62 per minute = burst 2 + 60 refill).
    post.pacing = {"token-digest", 62, 2};
    for (int i = 0; i < 2; ++i) ASSERT_EQ(transport->send(post)->status, 201);
    EXPECT_TRUE(time.sleeps.empty());
    ASSERT_EQ(transport->send(post)->status, 201);
    ASSERT_EQ(time.sleeps.size(), 1u);
    EXPECT_GE(time.sleeps[0], 900ms);
    EXPECT_LE(time.sleeps[0], 1000ms);
    // Another key has its own bucket; an unpaced request never waits.
    auto other = post;
    other.pacing.key = "another-digest";
    ASSERT_EQ(transport->send(other)->status, 201);
    ASSERT_EQ(transport->send(request("POST"))->status, 201);
    EXPECT_EQ(time.sleeps.size(), 1u);
    EXPECT_EQ(client.seen.size(), 5u);
}

TEST(TransportPolicy, AWriteThatWouldWaitTooLongIsNotSent) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(201)}, 0ms);
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    auto post = request("POST");
    post.pacing = {"token-digest", 2, 1};  // the next slot a minute after the first: past 30 s
    ASSERT_EQ(transport->send(post)->status, 201);
    const auto held = transport->send(post);
    ASSERT_FALSE(held.ok());
    EXPECT_EQ(held.error().kind, ErrorKind::rate_limited);
    EXPECT_EQ(held.error().code, "write_paced");
    ASSERT_TRUE(held.error().retry_after.has_value());
    EXPECT_EQ(held.error().retry_after->count(), 61);
    EXPECT_EQ(held.error().message.find("SECRET"), std::string::npos) << held.error().message;
    EXPECT_TRUE(time.sleeps.empty());
    EXPECT_EQ(client.seen.size(), 1u) << "a held-back write is not sent";
}

TEST(TransportPolicy, TransientErrorRetriedForGet) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {failure("connect_failed"), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    EXPECT_EQ(transport->send(request("GET"))->status, 200);
    EXPECT_EQ(metrics.value("forgelink_forge_retries_total", {{"provider", "p"}, {"reason", "connect_failed"}}), 1);
}

TEST(TransportPolicy, PostIsRetriedOn429AfterRetryAfter) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(429, {{"Retry-After", "3"}}), status(201)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    const auto result = transport->send(request("POST"));
    EXPECT_EQ(result->status, 201);
    ASSERT_EQ(time.sleeps.size(), 1u);
    EXPECT_EQ(time.sleeps[0], 3000ms);
    EXPECT_EQ(metrics.value("forgelink_forge_rate_limit_waits_total", {{"provider", "p"}}), 1);
    EXPECT_EQ(metrics.value("forgelink_forge_rate_limit_wait_seconds_total", {{"provider", "p"}}), 3);
    EXPECT_EQ(metrics.value("forgelink_forge_retries_total", {{"provider", "p"}, {"reason", "429"}}), 1);
}

TEST(TransportPolicy, RetryAfterAsHttpDate) {
    FakeTime time;
    Metrics metrics;
    const auto when = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + 10s);
    std::tm tm{};
    gmtime_r(&when, &tm);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    ScriptedClient client(time, {status(429, {{"Retry-After", date}}), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    EXPECT_EQ(transport->send(request("GET"))->status, 200);
    ASSERT_EQ(time.sleeps.size(), 1u);
    EXPECT_GE(time.sleeps[0], 8000ms);
    EXPECT_LE(time.sleeps[0], 10000ms);
}

TEST(TransportPolicy, RateLimitResetAsDeltaOrEpoch) {
    FakeTime time;
    Metrics metrics;
    const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(
                           (std::chrono::system_clock::now() + 20s).time_since_epoch()).count();
    ScriptedClient client(time, {status(429, {{"RateLimit-Reset", "7"}}),
                                 status(429, {{"x-ratelimit-reset", std::to_string(epoch)}}), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    EXPECT_EQ(transport->send(request("POST"))->status, 200);
    ASSERT_EQ(time.sleeps.size(), 2u);
    EXPECT_EQ(time.sleeps[0], 7000ms);
    EXPECT_GE(time.sleeps[1], 18000ms);
    EXPECT_LE(time.sleeps[1], 20000ms);
}

TEST(TransportPolicy, TooLongRetryAfterReturnsThe429) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(429, {{"Retry-After", "600"}}), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());  // max 120 s
    auto r = request("GET");
    r.deadline = 3600s;
    const auto result = transport->send(r);
    EXPECT_EQ(result->status, 429);
    EXPECT_EQ(client.seen.size(), 1u);
    EXPECT_TRUE(time.sleeps.empty());

    ScriptedClient client2(time, {status(429, {{"Retry-After", "20"}}), status(200)});
    auto transport2 = makePolicyTransport(client2, metrics, "p", fastPolicy(), time.clock());
    auto short_deadline = request("GET");
    short_deadline.deadline = 5s;  // the wait does not fit
    EXPECT_EQ(transport2->send(short_deadline)->status, 429);
    EXPECT_EQ(client2.seen.size(), 1u);
}

TEST(TransportPolicy, DeadlineCapsRetries) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(503)}, 100ms);
    auto policy = fastPolicy();
    policy.backoff_base = 400ms;
    policy.backoff_cap = 10s;
    policy.max_attempts = 50;
    auto transport = makePolicyTransport(client, metrics, "p", policy, time.clock());
    auto r = request("GET");
    r.deadline = 1000ms;
    const auto start = time.clock().now();
    const auto result = transport->send(r);
    // The last answer before the deadline, or the deadline itself when an attempt was cut short.
    if (result.ok()) {
        EXPECT_EQ(result->status, 503);
    } else {
        EXPECT_EQ(result.error().code, "deadline_exceeded");
    }
    EXPECT_GE(client.seen.size(), 2u);
    EXPECT_LT(client.seen.size(), 50u);
    EXPECT_LE(time.clock().now() - start, 1000ms);
}

TEST(TransportPolicy, MaxAttemptsBoundsRetries) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(504)});
    auto policy = fastPolicy();
    policy.max_attempts = 3;
    auto transport = makePolicyTransport(client, metrics, "p", policy, time.clock());
    EXPECT_EQ(transport->send(request("GET"))->status, 504);
    EXPECT_EQ(client.seen.size(), 3u);
}

TEST(TransportPolicy, BackoffIsJitteredAndCapped) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(503)}, 0ms);
    TransportPolicy policy;
    policy.backoff_base = 100ms;
    policy.backoff_cap = 300ms;
    policy.max_attempts = 41;
    auto transport = makePolicyTransport(client, metrics, "p", policy, time.clock());
    auto r = request("GET");
    r.deadline = 1h;
    (void)transport->send(r);
    ASSERT_EQ(time.sleeps.size(), 40u);
    EXPECT_LE(time.sleeps[0], 100ms);
    EXPECT_LE(time.sleeps[1], 200ms);
    std::set<long long> distinct;
    for (const auto& s : time.sleeps) {
        EXPECT_LE(s, 300ms);
        distinct.insert(s.count());
    }
    EXPECT_GT(distinct.size(), 5u);  // not a fixed schedule
}

TEST(TransportPolicy, ProactiveThrottleWaitsForReset) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(200, {{"RateLimit-Remaining", "0"}, {"RateLimit-Reset", "5"}}), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    EXPECT_EQ(transport->send(request("GET"))->status, 200);
    EXPECT_TRUE(time.sleeps.empty());
    EXPECT_EQ(transport->send(request("GET", "https://forge.example/api/other"))->status, 200);
    ASSERT_EQ(time.sleeps.size(), 1u);
    EXPECT_GE(time.sleeps[0], 4980ms);  // reset measured from the first answer, minus latency
    EXPECT_LE(time.sleeps[0], 5000ms);
    EXPECT_EQ(metrics.value("forgelink_forge_rate_limit_waits_total", {{"provider", "p"}}), 1);
    // Another origin is not throttled.
    time.sleeps.clear();
    ScriptedClient client2(time, {status(200, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "5"}}), status(200)});
    auto transport2 = makePolicyTransport(client2, metrics, "p", fastPolicy(), time.clock());
    (void)transport2->send(request("GET", "https://a.example/x"));
    (void)transport2->send(request("GET", "https://b.example/x"));
    EXPECT_TRUE(time.sleeps.empty());
}

TEST(TransportPolicy, ThrottleBeyondDeadlineIsRateLimitedWithoutSending) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(200, {{"RateLimit-Remaining", "0"}, {"RateLimit-Reset", "60"}}), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    (void)transport->send(request("GET"));
    auto r = request("GET");
    r.deadline = 10s;
    const auto result = transport->send(r);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::rate_limited);
    ASSERT_TRUE(result.error().retry_after);
    EXPECT_EQ(result.error().retry_after->count(), 60);
    EXPECT_EQ(client.seen.size(), 1u);
    EXPECT_EQ(result.error().message.find("SECRET"), std::string::npos);
}

// Found writing the fuzz target for these headers (fuzz/targets/transport_headers.cpp):
// "Retry-After: 999999999999999999" was multiplied into milliseconds past LLONG_MAX, undefined
// behaviour that the ASan + UBSan suite aborts on (the wrapped value happened to be a long wait).
// It is a wait beyond max_retry_after: the 429 comes back, nothing is waited or resent.
TEST(TransportPolicy, HugeRetryAfterIsTooLongNotWrapped) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(429, {{"Retry-After", "999999999999999999"}}), status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    auto r = request("GET");
    r.deadline = 3600s;
    const auto result = transport->send(r);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->status, 429);
    EXPECT_EQ(client.seen.size(), 1u);
    EXPECT_TRUE(time.sleeps.empty());
}

// The same for a reset epoch no clock can hold (it overflowed system_clock's nanoseconds): no
// forge's window is that long, so the header is not believed and the origin is not throttled.
TEST(TransportPolicy, HugeRateLimitResetIsIgnoredWithoutOverflow) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(200, {{"RateLimit-Remaining", "0"}, {"RateLimit-Reset", "999999999999999999"}}),
                                 status(200)});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    EXPECT_EQ(transport->send(request("GET"))->status, 200);
    EXPECT_EQ(transport->send(request("GET"))->status, 200);
    EXPECT_EQ(client.seen.size(), 2u);
    EXPECT_TRUE(time.sleeps.empty());
}

TEST(TransportPolicy, SetsUserAgentUnlessPresent) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(200)});
    TransportPolicy policy;
    policy.user_agent = "Forgelink/test";
    auto transport = makePolicyTransport(client, metrics, "p", policy, time.clock());
    (void)transport->send(request("GET"));
    auto own = request("GET");
    own.headers.emplace_back("user-agent", "mine");
    (void)transport->send(own);
    ASSERT_EQ(client.seen.size(), 2u);
    EXPECT_EQ(*findHeader(client.seen[0].headers, "User-Agent"), "Forgelink/test");
    EXPECT_EQ(*findHeader(client.seen[1].headers, "User-Agent"), "mine");
    EXPECT_EQ(client.seen[1].headers.size(), 1u);
}

TEST(TransportPolicy, ErrorsNeverCarryTheQuery) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {[](const HttpRequest& r) {
        return Result<HttpResponse>(makeError(ErrorKind::transient, "GET " + r.url + " failed", "network_error"));
    }});
    auto transport = makePolicyTransport(client, metrics, "p", fastPolicy(), time.clock());
    auto post = request("POST");
    const auto result = transport->send(post);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message.find("SECRET"), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("https://forge.example/api/x"), std::string::npos);
}

TEST(TransportPolicy, MetricsAreRendered) {
    FakeTime time;
    Metrics metrics;
    ScriptedClient client(time, {status(503), status(200)}, 20ms);
    auto transport = makePolicyTransport(client, metrics, "gl", fastPolicy(), time.clock());
    (void)transport->send(request("GET"));
    const auto text = metrics.renderPrometheus();
    EXPECT_NE(text.find("# TYPE forgelink_forge_request_duration_seconds histogram"), std::string::npos);
    EXPECT_NE(text.find("forgelink_forge_request_duration_seconds_bucket{provider=\"gl\",le=\"0.025\"} 2"), std::string::npos) << text;
    EXPECT_NE(text.find("forgelink_forge_request_duration_seconds_count{provider=\"gl\"} 2"), std::string::npos);
    EXPECT_NE(text.find("forgelink_forge_requests_total{method=\"GET\",provider=\"gl\",status=\"200\"} 1"), std::string::npos);
    EXPECT_NE(text.find("forgelink_forge_retries_total{provider=\"gl\",reason=\"503\"} 1"), std::string::npos);
    EXPECT_NE(text.find("# TYPE forgelink_forge_rate_limit_wait_seconds_total counter"), std::string::npos);
}

// --- over real HTTP ---

TEST(TransportPolicyHttp, RetriesA503FromARealServer) {
    std::atomic<int> hits{0};
    auto server = makeHttpServer({}, [&](const ServerRequest&) {
        return ++hits < 3 ? ServerResponse{503, {}, "busy", false} : ServerResponse{200, {}, "ok", false};
    });
    server->start();
    auto client = makeHttpClient(ProxySettings{});
    Metrics metrics;
    auto transport = makePolicyTransport(*client, metrics, "p", fastPolicy());
    auto r = request("GET", server->baseUrl() + "/x");
    const auto result = transport->send(r);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, "ok");
    EXPECT_EQ(hits.load(), 3);
}

TEST(TransportPolicyHttp, DeadlineOnAStalledServer) {
    test::ScriptedServer stalled([](const test::RecordedRequest&) {
        return test::ScriptedReply{test::httpReply(200, "late"), 5s};
    });
    auto client = makeHttpClient(ProxySettings{});
    Metrics metrics;
    auto transport = makePolicyTransport(*client, metrics, "p", fastPolicy());
    auto r = request("GET", stalled.baseUrl() + "/x?access_token=SECRET");
    r.deadline = 300ms;
    const auto started = steady_clock::now();
    const auto result = transport->send(r);
    EXPECT_LT(steady_clock::now() - started, 1s);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::transient);
    EXPECT_EQ(result.error().code, "deadline_exceeded");
    EXPECT_EQ(result.error().message.find("SECRET"), std::string::npos);
}

TEST(TransportPolicyHttp, SendAllKeepsOrderAndBoundsConcurrency) {
    test::ScriptedServer server([](const test::RecordedRequest& seen) {
        return test::ScriptedReply{test::httpReply(200, seen.request_line), 100ms};
    });
    auto client = makeHttpClient(ProxySettings{});
    Metrics metrics;
    auto transport = makePolicyTransport(*client, metrics, "p", fastPolicy());
    std::vector<HttpRequest> requests;
    for (int i = 0; i < 12; ++i) requests.push_back(request("GET", server.baseUrl() + "/item/" + std::to_string(i)));
    const auto results = transport->sendAll(requests, 3);
    ASSERT_EQ(results.size(), 12u);
    for (int i = 0; i < 12; ++i) {
        ASSERT_TRUE(results[i].ok()) << results[i].error().message;
        EXPECT_EQ(results[i]->body, "GET /item/" + std::to_string(i) + " HTTP/1.1");
    }
    // The server counts a request until its reply is written, and the client may already send
    // the next one when the reply arrives: one over the bound is that tail, not a fourth sender.
    // Without a bound all 12 would overlap.
    EXPECT_LE(server.maxConcurrent(), 4);
    EXPECT_GE(server.maxConcurrent(), 2);
    EXPECT_TRUE(transport->sendAll({}, 4).empty());
}

}  // namespace
}  // namespace forgelink::net
