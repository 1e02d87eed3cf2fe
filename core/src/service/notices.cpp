#include "service/notices.hpp"

#include "secrets/digest.hpp"
#include "service/token_health.hpp"

namespace forgelink::service {

std::optional<store::Notice> recordNotice(store::Store& store, common::JsonLogger& log, std::int64_t team_id,
                                          const std::string& provider, const std::string& credential,
                                          store::NoticeKind kind,
                                          const std::string& dedupe_key, const std::string& text,
                                          nlohmann::json details) {
    try {
        store::NewNotice notice;
        notice.team_id = team_id;
        notice.provider = provider;
        notice.credential = credential;
        notice.kind = kind;
        notice.dedupe_key = dedupe_key;
        notice.text = text;
        notice.details = std::move(details);
        auto recorded = store.recordNotice(notice);
        if (!recorded) {
            log.log(LogLevel::warn, "could not record a notice for the team's admins",
                    {{"team_id", std::to_string(team_id)},
                     {"provider", provider},
                     {"credential", credential},
                     {"kind", std::string(store::toString(kind))},
                     {"reason", recorded.error().message}});
            return std::nullopt;
        }
        if (!recorded.value()) return std::nullopt;  // this event was recorded before
        const auto& n = *recorded.value();
        log.log(LogLevel::warn, "notice for the team's admins: " + n.text,
                {{"team", n.team_slug},
                 {"provider", provider},
                 {"credential", credential},
                 {"kind", std::string(store::toString(kind))},
                 {"notice", std::to_string(n.id)},
                 {"delivery", std::string(store::toString(n.delivery))}});
        return n;
    } catch (const std::exception& e) {
        log.log(LogLevel::error, "could not record a notice for the team's admins", {{"reason", e.what()}});
        return std::nullopt;
    }
}

std::string tokenFingerprint(const std::string& token) {
    return secrets::sha256Hex("forgelink-notice-token\n" + token).substr(0, 16);
}

std::optional<int> expiryThreshold(int days_left) {
    if (days_left < 0 || days_left > kExpiringDays) return std::nullopt;
    if (days_left <= 1) return 1;
    if (days_left <= 7) return 7;
    return kExpiringDays;
}

}  // namespace forgelink::service
