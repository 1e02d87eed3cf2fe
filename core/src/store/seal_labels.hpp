// The labels secrets are sealed under (SecretBox's associated data). A sealed value opens only
// under the label it was sealed with, so every file of the store that seals or opens a user's
// login token must build the label here, in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace forgelink::store {

// `which` is the column: "access_token" or "refresh_token".
inline std::string userTokenLabel(std::int64_t user_id, std::string_view provider, std::string_view which) {
    return "user:" + std::to_string(user_id) + ":provider:" + std::string(provider) + ":" + std::string(which);
}

// A team's notification webhook URL (team_notifications.webhook_url_sealed).
inline std::string notificationWebhookLabel(std::int64_t team_id) {
    return "team:" + std::to_string(team_id) + ":notification_webhook";
}

}  // namespace forgelink::store
