#include <gtest/gtest.h>

#include <thread>

#include "net/metrics.hpp"

namespace forgelink::net {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Metrics, CountersAndGaugesWithHelpAndType) {
    Metrics metrics;
    metrics.describe("forgelink_requests_total", "counter", "Requests.\nSecond line with \\ backslash");
    metrics.describe("forgelink_requests_total", "gauge", "ignored: described once");
    metrics.increment("forgelink_requests_total", {{"provider", "a"}, {"status", "200"}});
    metrics.increment("forgelink_requests_total", {{"provider", "a"}, {"status", "200"}}, 2);
    metrics.describe("forgelink_queue_depth", "gauge", "Queue depth.");
    metrics.set("forgelink_queue_depth", {}, 4.5);
    EXPECT_EQ(metrics.value("forgelink_requests_total", {{"provider", "a"}, {"status", "200"}}), 3);
    EXPECT_EQ(metrics.value("forgelink_requests_total", {{"provider", "b"}}), 0);
    EXPECT_EQ(metrics.value("absent"), 0);
    const auto text = metrics.renderPrometheus();
    EXPECT_TRUE(contains(text, "# HELP forgelink_requests_total Requests.\\nSecond line with \\\\ backslash\n"));
    EXPECT_TRUE(contains(text, "# TYPE forgelink_requests_total counter\n"));
    EXPECT_TRUE(contains(text, "forgelink_requests_total{provider=\"a\",status=\"200\"} 3\n"));
    EXPECT_TRUE(contains(text, "# TYPE forgelink_queue_depth gauge\nforgelink_queue_depth 4.5\n"));
}

TEST(Metrics, LabelValuesAreEscaped) {
    Metrics metrics;
    metrics.increment("x_total", {{"path", "a\"b\\c\nd"}});
    EXPECT_TRUE(contains(metrics.renderPrometheus(), "x_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
    Metrics metrics;
    metrics.describe("lat_seconds", "histogram", "Latency.");
    for (double seconds : {0.003, 0.007, 0.2, 0.2, 3.0, 100.0}) metrics.observe("lat_seconds", {{"provider", "p"}}, seconds);
    const auto text = metrics.renderPrometheus();
    EXPECT_TRUE(contains(text, "# TYPE lat_seconds histogram\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_bucket{provider=\"p\",le=\"0.005\"} 1\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_bucket{provider=\"p\",le=\"0.01\"} 2\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_bucket{provider=\"p\",le=\"0.1\"} 2\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_bucket{provider=\"p\",le=\"0.25\"} 4\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_bucket{provider=\"p\",le=\"2.5\"} 4\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_bucket{provider=\"p\",le=\"5\"} 5\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_bucket{provider=\"p\",le=\"30\"} 5\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_bucket{provider=\"p\",le=\"+Inf\"} 6\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_sum{provider=\"p\"} 103.41\n"));
    EXPECT_TRUE(contains(text, "lat_seconds_count{provider=\"p\"} 6\n"));
    // 13 bucket lines: the 12 bounds and +Inf.
    std::size_t buckets = 0;
    for (auto pos = text.find("lat_seconds_bucket"); pos != std::string::npos; pos = text.find("lat_seconds_bucket", pos + 1)) ++buckets;
    EXPECT_EQ(buckets, 13u);
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
    Metrics metrics;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) metrics.increment("c_total", {{"k", "v"}});
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(metrics.value("c_total", {{"k", "v"}}), 4000);
}

}  // namespace
}  // namespace forgelink::net
