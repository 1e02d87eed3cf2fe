// Delivers recorded notices (service/notices.hpp) to each team's notification webhook: the
// notice outbox, drained like the feedback outbox (delivery/dispatcher.hpp) and with the same
// guarantees across hosts sharing a store.
//
//  - Claims with a lease (Store::claimNoticeDeliveries): one sender at a time delivers a notice,
//    whichever host it runs on; a sender that died leaves its notice to be claimed again once the
//    lease runs out. A notice is recorded once per event (its dedupe key), so a team hears of an
//    event once. The one case a receiver can see a notice twice is a host dying after the
//    receiver answered and before the answer was stored: every POST carries the notice's id
//    (X-Forgelink-Notice-Id and notice.id in the body) for a receiver that wants to drop it.
//  - The body is JSON with a Slack-compatible "text" (Slack's and Mattermost's incoming webhooks
//    take it as is) and the structured notice under "notice". Never a token.
//  - Outcomes: 2xx delivered; no answer, 408, 429, 5xx retried with exponential backoff and full
//    jitter (never sooner than Retry-After) up to max_attempts, then failed; any other status
//    failed at once (a Slack webhook that was removed answers 404). last_error says what
//    happened and never repeats the URL (a Slack URL's path is its secret).
//  - The webhook's host is checked against notifications.allowed_hosts like forge base URLs
//    (common/host_policy.hpp): only public addresses unless the operator lists more.
//
// Threads: start() runs one loop thread; deliveries happen on it one at a time (notices are rare).
// stop() wakes it and returns once the delivery in progress ends (bounded by `timeout`).
// Lifetime: the store, client, metrics and logger are borrowed and must outlive the sender.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "common/log.hpp"
#include "common/periodic_loop.hpp"
#include "delivery/backoff.hpp"
#include "net/http_client.hpp"
#include "net/metrics.hpp"
#include "store/store.hpp"

namespace forgelink::service {

struct NoticeSenderOptions {
    // The lease owner: unique per running sender. Empty = "notices:<hostname>:<pid>:<random>".
    std::string owner;
    std::chrono::milliseconds poll_interval{2000};
    // Well above `timeout`, so a live delivery keeps its notice.
    std::chrono::milliseconds lease{std::chrono::minutes(2)};
    std::chrono::milliseconds timeout{std::chrono::seconds(15)};  // one POST, connect included
    delivery::BackoffPolicy backoff{std::chrono::seconds(10), std::chrono::hours(1)};
    std::int64_t max_attempts = 12;
    std::size_t batch = 20;
    std::function<store::Timestamp()> clock;  // default: the system clock
    std::string user_agent = "Forgelink";
};

// What one drain did.
struct NoticeSendPass {
    std::int64_t delivered = 0;
    std::int64_t retried = 0;
    std::int64_t failed = 0;
};

class NoticeSender {
public:
    NoticeSender(store::Store& store, net::HttpClient& client, net::Metrics& metrics, common::JsonLogger& log,
                 NoticeSenderOptions options = {});
    ~NoticeSender();
    NoticeSender(const NoticeSender&) = delete;
    NoticeSender& operator=(const NoticeSender&) = delete;

    void start();
    void stop();  // idempotent
    // Claims and delivers what is due now, on the caller's thread (tests; must not overlap start()).
    NoticeSendPass runOnce();

    // The JSON body POSTed for `notice` (exposed for tests and documentation).
    static std::string body(const store::Notice& notice);

private:
    void deliver(const store::NoticeDeliveryTask& task, NoticeSendPass& pass);
    void retryOrFail(const store::NoticeDeliveryTask& task, const std::string& why,
                     std::optional<std::chrono::seconds> retry_after, NoticeSendPass& pass);
    bool stopping();

    store::Store& store_;
    net::HttpClient& client_;
    net::Metrics& metrics_;
    common::JsonLogger& log_;
    NoticeSenderOptions options_;

    std::mt19937_64 rng_;
    // Last: stopped (its thread joined) before anything its passes use is destroyed.
    common::PeriodicLoop loop_{[this] { runOnce(); },
                               [this](const std::exception& e) {
                                   log_.log(LogLevel::error, "notice delivery pass failed", {{"reason", e.what()}});
                               }};
};

}  // namespace forgelink::service
