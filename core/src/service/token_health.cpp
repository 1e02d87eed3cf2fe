#include "service/token_health.hpp"

#include <random>

#include "service/views.hpp"

namespace forgelink::service {

std::string dateOf(store::Timestamp at) {
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(at)};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return text;
}

std::vector<TokenWarning> currentWarnings(const std::vector<TokenWarning>& stored,
                                          const std::optional<std::string>& expires_at, store::Timestamp now) {
    std::vector<TokenWarning> out;
    for (const auto& w : stored)
        if (w.code != "expires_soon") out.push_back(w);
    if (!expires_at) return out;
    const auto days = daysUntil(*expires_at, now);
    if (!days || *days < 0 || *days > kExpiringDays) return out;
    const std::string when = *days == 0 ? "today" : *days == 1 ? "tomorrow" : "in " + std::to_string(*days) + " days";
    out.insert(out.begin(), TokenWarning{"expires_soon", "the token expires on " + *expires_at + " (" + when +
                                                             "); create a new token before then and save it in the team's "
                                                             "settings"});
    return out;
}

store::Timestamp nextCheckAt(store::Timestamp now, std::chrono::hours every) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    const auto span = std::chrono::duration_cast<std::chrono::milliseconds>(every).count();
    std::uniform_int_distribution<std::int64_t> jitter(-span / 10, span / 10);
    return now + std::chrono::milliseconds(span + jitter(random));
}

store::ProviderSettingsInput settingsFromCheck(const TokenInfo& info) {
    store::ProviderSettingsInput input;
    input.instance = info.instance;
    input.kind = info.kind;
    input.identity = info.identity;
    input.scopes = info.scopes;
    input.expires_at = info.expires_at;
    input.warnings = info.warnings;
    input.role = info.role;
    input.role_label = info.role_label;
    input.bound_to = info.bound_to;
    return input;
}

}  // namespace forgelink::service
