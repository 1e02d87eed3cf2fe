#include "service/notice_sender.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/lease_owner.hpp"
#include "net/rate_limit_headers.hpp"
#include "secrets/digest.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

constexpr const char* kNoticeDeliveries = "forgelink_notice_deliveries_total";

// A few printable characters of what the receiver answered (Slack says "no_service",
// "invalid_payload"): enough to act on, nothing that could fill the store or a terminal.
std::string answerSnippet(const std::string& body) {
    std::string out;
    for (char c : body) {
        if (out.size() >= 80) {
            out += "…";
            break;
        }
        out += (c >= 0x20 && c < 0x7f) ? c : ' ';
    }
    return out;
}

}  // namespace

NoticeSender::NoticeSender(store::Store& store, net::HttpClient& client, net::Metrics& metrics,
                           common::JsonLogger& log, NoticeSenderOptions options)
    : store_(store), client_(client), metrics_(metrics), log_(log), options_(std::move(options)),
      rng_(std::random_device{}()) {
    if (options_.owner.empty()) options_.owner = common::leaseOwner("notices");
    if (!options_.clock) options_.clock = store::nowTimestamp;
    if (options_.poll_interval <= std::chrono::milliseconds(0)) options_.poll_interval = std::chrono::seconds(2);
    if (options_.lease <= options_.timeout) options_.lease = options_.timeout * 4;
    if (options_.max_attempts < 1) options_.max_attempts = 1;
    if (options_.batch == 0) options_.batch = 1;
    metrics_.describe(kNoticeDeliveries, "counter",
                      "Notices POSTed to teams' notification webhooks, by outcome (delivered, retried, failed).");
}

NoticeSender::~NoticeSender() { stop(); }

void NoticeSender::start() { loop_.start(options_.poll_interval); }

void NoticeSender::stop() { loop_.stop(); }

bool NoticeSender::stopping() { return loop_.stopping(); }

NoticeSendPass NoticeSender::runOnce() {
    NoticeSendPass pass;
    auto claimed = store_.claimNoticeDeliveries(options_.owner, options_.clock(), options_.lease, options_.batch);
    if (!claimed) {
        log_.log(LogLevel::warn, "cannot claim notices to deliver", {{"reason", claimed.error().message}});
        return pass;
    }
    for (const auto& task : claimed.value()) {
        if (stopping()) {
            // Handed back at once rather than left to its lease.
            (void)store_.retryNoticeDelivery(task.notice.id, options_.owner, options_.clock(),
                                             "handed back: the host was stopping");
            continue;
        }
        deliver(task, pass);
    }
    return pass;
}

std::string NoticeSender::body(const store::Notice& notice) {
    nlohmann::json structured = {
        {"id", notice.id},
        {"team", notice.team_slug},
        {"provider", notice.provider},
        {"credential", notice.credential},
        {"kind", std::string(store::toString(notice.kind))},
        {"text", notice.text},
        {"created_at", isoTime(notice.created_at)},
        {"details", notice.details},
    };
    return nlohmann::json{{"text", notice.text}, {"notice", structured}}.dump();
}

void NoticeSender::deliver(const store::NoticeDeliveryTask& task, NoticeSendPass& pass) {
    HttpRequest request;
    request.method = "POST";
    request.url = task.webhook_url;
    request.headers = {{"Content-Type", "application/json"},
                       {"User-Agent", options_.user_agent},
                       {"X-Forgelink-Notice-Id", std::to_string(task.notice.id)}};
    request.body = body(task.notice);
    request.retry = HttpRequest::Retry::never;
    auto answer = client_.execute(request, std::chrono::steady_clock::now() + options_.timeout);
    if (!answer) {
        // The client's message names the URL's path, which is the secret of a Slack webhook.
        const auto& e = answer.error();
        std::string why = e.code == "deadline_exceeded" ? "the webhook did not answer within " +
                                                              std::to_string(options_.timeout.count() / 1000) + " s"
                          : e.kind == ErrorKind::transient
                              ? "no answer from the webhook's host: unreachable, or its address is not allowed "
                                "(notifications.allowed_hosts)"
                              : "the webhook URL cannot be used (" + (e.code.empty() ? std::string("invalid") : e.code) + ")";
        if (e.kind == ErrorKind::transient) {
            retryOrFail(task, why, std::nullopt, pass);
        } else {
            auto r = store_.failNoticeDelivery(task.notice.id, options_.owner, why);
            if (r) ++pass.failed, metrics_.increment(kNoticeDeliveries, {{"outcome", "failed"}});
            log_.log(LogLevel::warn, "notice not delivered: " + why,
                     {{"team", task.notice.team_slug}, {"notice", std::to_string(task.notice.id)}});
        }
        return;
    }
    const int status = answer->status;
    if (status >= 200 && status < 300) {
        auto done = store_.completeNoticeDelivery(task.notice.id, options_.owner);
        if (!done) {
            log_.log(LogLevel::warn, "could not record a notice delivery",
                     {{"notice", std::to_string(task.notice.id)}, {"reason", done.error().message}});
            return;
        }
        ++pass.delivered;
        metrics_.increment(kNoticeDeliveries, {{"outcome", "delivered"}});
        log_.log(LogLevel::info, "notice delivered to the team's webhook",
                 {{"team", task.notice.team_slug},
                  {"notice", std::to_string(task.notice.id)},
                  {"kind", std::string(store::toString(task.notice.kind))}});
        return;
    }
    std::string why = "the webhook answered HTTP " + std::to_string(status);
    const std::string snippet = answerSnippet(answer->body);
    if (!snippet.empty()) why += ": " + snippet;
    if (status == 408 || status == 429 || status >= 500) {
        std::optional<std::chrono::seconds> retry_after;
        if (const auto* value = answer->header("Retry-After"))
            if (auto wait = net::parseRetryAfter(*value, std::chrono::system_clock::now()))
                retry_after = std::chrono::duration_cast<std::chrono::seconds>(*wait);
        retryOrFail(task, why, retry_after, pass);
        return;
    }
    auto failed = store_.failNoticeDelivery(task.notice.id, options_.owner, why);
    if (failed) ++pass.failed, metrics_.increment(kNoticeDeliveries, {{"outcome", "failed"}});
    log_.log(LogLevel::warn, "notice not delivered: " + why + "; check the team's notification webhook",
             {{"team", task.notice.team_slug}, {"notice", std::to_string(task.notice.id)}});
}

void NoticeSender::retryOrFail(const store::NoticeDeliveryTask& task, const std::string& why,
                               std::optional<std::chrono::seconds> retry_after, NoticeSendPass& pass) {
    const std::int64_t attempts = task.notice.attempts;
    if (attempts >= options_.max_attempts) {
        const std::string final_why = why + " (gave up after " + std::to_string(attempts) + " attempts)";
        auto failed = store_.failNoticeDelivery(task.notice.id, options_.owner, final_why);
        if (failed) ++pass.failed, metrics_.increment(kNoticeDeliveries, {{"outcome", "failed"}});
        log_.log(LogLevel::warn, "notice not delivered: " + final_why,
                 {{"team", task.notice.team_slug}, {"notice", std::to_string(task.notice.id)}});
        return;
    }
    const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    const auto delay = delivery::retryDelay(options_.backoff, std::max<std::int64_t>(attempts, 1), retry_after, unit);
    auto retried = store_.retryNoticeDelivery(task.notice.id, options_.owner, options_.clock() + delay, why);
    if (!retried) {
        log_.log(LogLevel::warn, "could not reschedule a notice delivery",
                 {{"notice", std::to_string(task.notice.id)}, {"reason", retried.error().message}});
        return;
    }
    ++pass.retried;
    metrics_.increment(kNoticeDeliveries, {{"outcome", "retried"}});
    log_.log(LogLevel::info, "notice delivery retried later: " + why,
             {{"team", task.notice.team_slug},
              {"notice", std::to_string(task.notice.id)},
              {"retry_in_s", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(delay).count())}});
}

}  // namespace forgelink::service
