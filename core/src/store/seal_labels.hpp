// The labels secrets are sealed under (SecretBox's associated data). A sealed value opens only
// under the label it was sealed with, so every file of the store that seals or opens a user's
// login token or a team's forge token must build the label here, in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace forgelink::store {

// `which` is the column: "access_token" or "refresh_token".
inline std::string userTokenLabel(std::int64_t user_id, std::string_view provider, std::string_view which) {
    return "user:" + std::to_string(user_id) + ":provider:" + std::string(provider) + ":" + std::string(which);
}

// A team credential's forge token (provider_settings.token_sealed). The default credential keeps
// the label tokens had before credentials were named, so tokens sealed then still open; any other
// name is part of its label.
inline std::string providerTokenLabel(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    std::string label = "team:" + std::to_string(team_id) + ":provider:" + std::string(provider);
    if (credential != "default") label += ":credential:" + std::string(credential);
    return label + ":token";
}

// The refresh token of a team's OAuth credential (team_refresh_tokens.refresh_token_sealed).
inline std::string teamRefreshTokenLabel(std::int64_t team_id, std::string_view provider, std::string_view credential) {
    return "team:" + std::to_string(team_id) + ":provider:" + std::string(provider) + ":credential:" +
           std::string(credential) + ":refresh_token";
}

// A team's notification webhook URL (team_notifications.webhook_url_sealed).
inline std::string notificationWebhookLabel(std::int64_t team_id) {
    return "team:" + std::to_string(team_id) + ":notification_webhook";
}

// What of a token may be shown (token_last4): enough to recognise it, and nothing for short
// tokens where four characters would be a large part of the secret.
inline std::string lastFour(std::string_view token) {
    return token.size() >= 16 ? std::string(token.substr(token.size() - 4)) : std::string();
}

}  // namespace forgelink::store
