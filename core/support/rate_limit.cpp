#include <forgelink/support/rate_limit.hpp>

#include <ctime>
#include <string>

#include <forgelink/support/http_text.hpp>

namespace forgelink::support {

namespace {

using std::chrono::milliseconds;

constexpr long long kMaxWaitSeconds = std::chrono::duration_cast<std::chrono::seconds>(kMaxRateLimitWait).count();

milliseconds capped(long long seconds) {
    if (seconds <= 0) return milliseconds(0);
    if (seconds >= kMaxWaitSeconds) return kMaxRateLimitWait;
    return milliseconds(seconds * 1000);
}

// From `now` to unix second `epoch`, in [0, kMaxRateLimitWait]; computed in seconds so that no
// epoch a forge sends can overflow a clock's nanosecond arithmetic.
milliseconds untilEpochSeconds(long long epoch, std::chrono::system_clock::time_point now) {
    const long long now_seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (epoch <= now_seconds) return milliseconds(0);
    if (epoch - now_seconds >= kMaxWaitSeconds) return kMaxRateLimitWait;
    const auto target = std::chrono::system_clock::time_point(std::chrono::seconds(epoch));
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(target - now));
}

}  // namespace

std::optional<long long> parseHeaderInteger(std::string_view text) {
    text = trimSpace(text);
    if (text.empty() || text.size() > 18) return std::nullopt;
    long long value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

std::optional<milliseconds> parseRetryAfter(std::string_view value, std::chrono::system_clock::time_point now) {
    if (const auto seconds = parseHeaderInteger(value)) return capped(*seconds);
    const std::string text(trimSpace(value));
    if (text.find('\0') != std::string::npos) return std::nullopt;
    // IMF-fixdate, then the obsolete RFC 850 and asctime forms RFC 9110 says to accept.
    for (const char* format : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y"}) {
        std::tm tm{};
        const char* end = ::strptime(text.c_str(), format, &tm);
        if (end != nullptr && *end == '\0') return untilEpochSeconds(static_cast<long long>(::timegm(&tm)), now);
    }
    return std::nullopt;
}

std::optional<milliseconds> parseRateLimitReset(const HttpResponse& response, std::chrono::system_clock::time_point now) {
    const std::string* value = response.header("RateLimit-Reset");
    if (!value) value = response.header("X-RateLimit-Reset");
    if (!value) return std::nullopt;
    const auto number = parseHeaderInteger(*value);
    if (!number) return std::nullopt;
    // Values above 1e9 can only be epochs. A reset further away than any forge's window (the
    // shipped forges' are an hour at most) is not one: ignored, rather than throttling an origin for days.
    const long long now_seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const long long delta = *number > 1'000'000'000 ? *number - now_seconds : *number;
    if (delta >= kMaxWaitSeconds) return std::nullopt;
    if (*number > 1'000'000'000) return untilEpochSeconds(*number, now);
    return capped(*number);
}

std::optional<long long> remainingQuota(const HttpResponse& response) {
    const std::string* value = response.header("RateLimit-Remaining");
    if (!value) value = response.header("X-RateLimit-Remaining");
    if (!value) return std::nullopt;
    return parseHeaderInteger(*value);
}

}  // namespace forgelink::support
