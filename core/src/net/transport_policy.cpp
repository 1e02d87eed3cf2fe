// The policy every provider request goes through: pacing of writes (HttpRequest::pacing), total
// deadline, retries with full-jitter backoff (transient failures, 502/503/504 and the statuses a
// request names), 429 handling (Retry-After, RateLimit-Reset / x-ratelimit-reset), proactive
// throttling on an exhausted rate limit, and per-provider metrics. Error texts and metric labels never
// carry header values or query strings (either may hold a token).
#include "net/transport_policy.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <forgelink/support/url.hpp>

#include "common/strings.hpp"
#include "net/rate_limit_headers.hpp"
#include "net/write_pacer.hpp"

namespace forgelink::net {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* kRequests = "forgelink_forge_requests_total";
constexpr const char* kErrors = "forgelink_forge_request_errors_total";
constexpr const char* kDuration = "forgelink_forge_request_duration_seconds";
constexpr const char* kRetries = "forgelink_forge_retries_total";
constexpr const char* kWaits = "forgelink_forge_rate_limit_waits_total";
constexpr const char* kWaitSeconds = "forgelink_forge_rate_limit_wait_seconds_total";

bool isIdempotent(const std::string& method) {
    const std::string upper = [&] {
        std::string out = method;
        for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return out;
    }();
    return upper == "GET" || upper == "HEAD" || upper == "PUT" || upper == "DELETE" || upper == "OPTIONS";
}

class PolicyTransport final : public Transport {
public:
    PolicyTransport(HttpClient& client, Metrics& metrics, std::string provider, TransportPolicy policy, Clock clock)
        : client_(client),
          metrics_(metrics),
          provider_(std::move(provider)),
          policy_(std::move(policy)),
          clock_(std::move(clock)),
          random_(std::random_device{}()) {
        if (!clock_.now) clock_.now = [] { return steady_clock::now(); };
        if (!clock_.sleep) clock_.sleep = [](milliseconds wait) { std::this_thread::sleep_for(wait); };
        if (policy_.max_attempts < 1) policy_.max_attempts = 1;
        metrics_.describe(kRequests, "counter", "Forge HTTP answers by provider, method and status.");
        metrics_.describe(kErrors, "counter", "Forge requests without a usable answer, by error kind.");
        metrics_.describe(kDuration, "histogram", "Duration of one forge HTTP attempt in seconds.");
        metrics_.describe(kRetries, "counter", "Forge request retries by reason.");
        metrics_.describe(kWaits, "counter", "Waits for a forge rate limit (Retry-After, reset, throttling).");
        metrics_.describe(kWaitSeconds, "counter", "Seconds spent waiting for forge rate limits.");
    }

    Result<HttpResponse> send(const HttpRequest& original) override {
        // Before the deadline starts: a paced write waits for its slot as a plugin did before
        // sending, and that wait is not the request's time.
        if (original.pacing.per_minute > 0) {
            if (auto held = pace(original.pacing, original.method + " " + support::describeUrl(original.url))) return std::move(*held);
        }
        const auto start = clock_.now();
        const auto budget = original.deadline.count() > 0 ? original.deadline : policy_.default_deadline;
        const auto deadline = start + budget;

        HttpRequest request = original;
        if (!findHeader(request.headers, "User-Agent")) request.headers.emplace_back("User-Agent", policy_.user_agent);
        const auto url = support::parseUrl(request.url);
        const std::string origin = url ? url->origin() : std::string{};
        const std::string where = request.method + " " + support::describeUrl(request.url);
        const bool idempotent = request.retry == HttpRequest::Retry::always ||
                                (request.retry == HttpRequest::Retry::by_method && isIdempotent(request.method));

        for (int attempt = 1;; ++attempt) {
            const bool last_attempt = attempt >= policy_.max_attempts;
            if (auto refused = waitForThrottle(origin, deadline, where)) return std::move(*refused);

            const auto remaining = deadline - clock_.now();
            if (remaining <= steady_clock::duration::zero()) {
                return deadlineError(where, budget);
            }
            const auto attempt_start = clock_.now();
            auto result = executeOnce(request, steady_clock::now() + remaining, where);
            metrics_.observe(kDuration, {{"provider", provider_}},
                             std::chrono::duration<double>(clock_.now() - attempt_start).count());

            if (!result.ok()) {
                Error error = sanitize(std::move(result.error()), request.url);
                metrics_.increment(kErrors, {{"provider", provider_}, {"kind", std::string(toString(error.kind))}});
                const bool retryable = error.kind == ErrorKind::transient && error.code != "deadline_exceeded";
                if (retryable && idempotent && !last_attempt) {
                    const auto wait = backoff(attempt);
                    if (fits(wait, deadline)) {
                        metrics_.increment(kRetries, {{"provider", provider_}, {"reason", error.code.empty() ? "transient" : error.code}});
                        clock_.sleep(wait);
                        continue;
                    }
                }
                return error;
            }

            HttpResponse& response = result.value();
            metrics_.increment(kRequests, {{"provider", provider_}, {"method", request.method},
                                           {"status", std::to_string(response.status)}});
            noteQuota(origin, response);

            // A forge's primary and secondary limits may also answer 403, then with Retry-After or
            // a remaining quota of 0 (API-FACTS B10); an ordinary 403 carries neither.
            const bool limited = response.status == 429 ||
                                 (response.status == 403 && (response.header("Retry-After") != nullptr ||
                                                             remainingQuota(response).value_or(1) == 0));
            if (limited && !last_attempt) {
                // Never processed by the forge, so any method may be sent again.
                auto wait = rateLimitWait(response);
                if (!wait) wait = backoff(attempt);
                if (*wait <= policy_.max_retry_after && fits(*wait, deadline)) {
                    metrics_.increment(kRetries, {{"provider", provider_}, {"reason", "429"}});
                    recordRateLimitWait(*wait);
                    clock_.sleep(*wait);
                    continue;
                }
                return std::move(response);  // the provider maps it to rate_limited
            }
            const bool named = std::find(request.retry_statuses.begin(), request.retry_statuses.end(),
                                         response.status) != request.retry_statuses.end();
            if (named && !last_attempt) {
                // The request names this answer as one the forge did not act on (a lock held for a
                // moment): sent again whatever its method.
                const auto wait = backoff(attempt);
                if (fits(wait, deadline)) {
                    metrics_.increment(kRetries, {{"provider", provider_}, {"reason", std::to_string(response.status)}});
                    clock_.sleep(wait);
                    continue;
                }
                return std::move(response);
            }
            if ((response.status == 502 || response.status == 503 || response.status == 504) && idempotent && !last_attempt) {
                std::optional<milliseconds> wait;
                if (const auto* retry_after = response.header("Retry-After"))
                    wait = parseRetryAfter(*retry_after, std::chrono::system_clock::now());
                if (!wait || *wait > policy_.max_retry_after) wait = backoff(attempt);
                if (fits(*wait, deadline)) {
                    metrics_.increment(kRetries, {{"provider", provider_}, {"reason", std::to_string(response.status)}});
                    clock_.sleep(*wait);
                    continue;
                }
            }
            return std::move(response);
        }
    }

    std::vector<Result<HttpResponse>> sendAll(const std::vector<HttpRequest>& requests, std::size_t max_concurrency) override {
        std::vector<std::optional<Result<HttpResponse>>> slots(requests.size());
        std::atomic<std::size_t> next{0};
        auto work = [&] {
            for (std::size_t i = next++; i < requests.size(); i = next++) slots[i].emplace(send(requests[i]));
        };
        const std::size_t threads = std::min(std::max<std::size_t>(max_concurrency, 1), requests.size());
        std::vector<std::thread> pool;
        for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
        work();  // the caller's thread is one of the workers
        for (auto& thread : pool) thread.join();
        std::vector<Result<HttpResponse>> results;
        results.reserve(requests.size());
        for (auto& slot : slots) results.push_back(std::move(*slot));
        return results;
    }

private:
    // HttpClient promises not to throw; a broken one must still not take a sendAll() thread down.
    Result<HttpResponse> executeOnce(const HttpRequest& request, steady_clock::time_point deadline, const std::string& where) {
        try {
            return client_.execute(request, deadline);
        } catch (const std::exception&) {
            return makeError(ErrorKind::internal, where + ": the HTTP client failed unexpectedly", "client_exception");
        } catch (...) {
            return makeError(ErrorKind::internal, where + ": the HTTP client failed unexpectedly", "client_exception");
        }
    }

    bool fits(milliseconds wait, steady_clock::time_point deadline) const { return clock_.now() + wait < deadline; }

    // Takes the request's write slot, waiting for it on the policy's clock; the Error when the
    // wait would be longer than the pacer allows (the slot is then not taken).
    std::optional<Error> pace(const HttpRequest::Pacing& pacing, const std::string& where) {
        WritePacer* pacer = nullptr;
        {
            std::lock_guard lock(mutex_);
            auto& slot = pacers_[{pacing.per_minute, pacing.burst}];
            if (!slot) {
                WritePacer::Options options;
                options.per_minute = pacing.per_minute;
                options.burst = pacing.burst;
                slot = std::make_unique<WritePacer>(options, clock_.now, clock_.sleep);
            }
            pacer = slot.get();
        }
        const auto wait = pacer->acquire(pacing.key);
        if (!wait) return std::nullopt;
        Error error = makeError(ErrorKind::rate_limited,
                                where + ": held back: " + std::to_string(pacer->options().per_minute) +
                                    " writes with this token in the last minute already; not sent",
                                "write_paced");
        error.retry_after = std::chrono::duration_cast<std::chrono::seconds>(*wait) + std::chrono::seconds(1);
        metrics_.increment(kErrors, {{"provider", provider_}, {"kind", "rate_limited"}});
        return error;
    }

    // Full jitter (AWS architecture blog, "Exponential Backoff and Jitter"): U(0, min(cap, base*2^n)).
    milliseconds backoff(int attempt) {
        const double exponential = static_cast<double>(policy_.backoff_base.count()) * std::pow(2.0, attempt - 1);
        const auto ceiling = static_cast<long long>(std::min<double>(static_cast<double>(policy_.backoff_cap.count()), exponential));
        std::lock_guard lock(mutex_);
        return milliseconds(std::uniform_int_distribution<long long>(0, std::max(0LL, ceiling))(random_));
    }

    std::optional<milliseconds> rateLimitWait(const HttpResponse& response) const {
        if (const auto* retry_after = response.header("Retry-After")) {
            if (auto wait = parseRetryAfter(*retry_after, std::chrono::system_clock::now())) return wait;
        }
        return parseRateLimitReset(response, std::chrono::system_clock::now());
    }

    void noteQuota(const std::string& origin, const HttpResponse& response) {
        if (origin.empty()) return;
        const auto remaining = remainingQuota(response);
        if (!remaining) return;
        std::lock_guard lock(mutex_);
        if (*remaining > 0) {
            throttled_until_.erase(origin);
            return;
        }
        if (const auto reset = parseRateLimitReset(response, std::chrono::system_clock::now()))
            throttled_until_[origin] = clock_.now() + *reset;
    }

    // Waits while the origin's quota is known to be exhausted; refuses when the reset is too far.
    std::optional<Error> waitForThrottle(const std::string& origin, steady_clock::time_point deadline, const std::string& where) {
        if (origin.empty()) return std::nullopt;
        steady_clock::time_point until;
        {
            std::lock_guard lock(mutex_);
            const auto it = throttled_until_.find(origin);
            if (it == throttled_until_.end()) return std::nullopt;
            until = it->second;
        }
        const auto now = clock_.now();
        if (until <= now) return std::nullopt;
        const auto wait = std::chrono::ceil<milliseconds>(until - now);
        if (wait <= policy_.max_retry_after && fits(wait, deadline)) {
            recordRateLimitWait(wait);
            clock_.sleep(wait);
            return std::nullopt;
        }
        Error error = makeError(ErrorKind::rate_limited,
                                where + ": the forge's rate limit is exhausted until its reset in " +
                                    std::to_string(std::chrono::ceil<std::chrono::seconds>(wait).count()) +
                                    " s, beyond this request's deadline; not sent",
                                "rate_limit_exhausted");
        error.retry_after = std::chrono::ceil<std::chrono::seconds>(wait);
        metrics_.increment(kErrors, {{"provider", provider_}, {"kind", "rate_limited"}});
        return error;
    }

    void recordRateLimitWait(milliseconds wait) {
        metrics_.increment(kWaits, {{"provider", provider_}});
        metrics_.increment(kWaitSeconds, {{"provider", provider_}}, std::chrono::duration<double>(wait).count());
    }

    Error deadlineError(const std::string& where, milliseconds budget) {
        metrics_.increment(kErrors, {{"provider", provider_}, {"kind", "transient"}});
        return makeError(ErrorKind::transient,
                         where + ": no answer within the deadline of " + std::to_string(budget.count()) +
                             " ms (retries and waits included)",
                         "deadline_exceeded");
    }

    // A second line of defence: whatever HttpClient said, the query string does not leave here.
    static Error sanitize(Error error, const std::string& url) {
        const auto question = url.find('?');
        if (question != std::string::npos && question + 1 < url.size()) {
            const std::string query = url.substr(question + 1);
            for (auto pos = error.message.find(query); pos != std::string::npos; pos = error.message.find(query)) {
                error.message.erase(pos > 0 && error.message[pos - 1] == '?' ? pos - 1 : pos,
                                    query.size() + (pos > 0 && error.message[pos - 1] == '?' ? 1 : 0));
            }
        }
        return error;
    }

    HttpClient& client_;
    Metrics& metrics_;
    std::string provider_;
    TransportPolicy policy_;
    Clock clock_;
    std::mutex mutex_;
    std::mt19937_64 random_;
    std::map<std::string, steady_clock::time_point> throttled_until_;
    // One pacer per rate (per_minute, burst), each with a bucket per key; under mutex_.
    std::map<std::pair<int, int>, std::unique_ptr<WritePacer>> pacers_;
};

}  // namespace

std::unique_ptr<Transport> makePolicyTransport(HttpClient& client, Metrics& metrics, std::string provider,
                                               TransportPolicy policy, Clock clock) {
    return std::make_unique<PolicyTransport>(client, metrics, std::move(provider), std::move(policy), std::move(clock));
}

}  // namespace forgelink::net
