// A team's notices (what happened to its forge tokens) and its outgoing notification webhook.
#include <forgelink/support/url.hpp>

#include "common/host_policy.hpp"
#include "common/strings.hpp"
#include "service/api_error.hpp"
#include "service/api_service.hpp"
#include "service/audit.hpp"
#include "service/json_input.hpp"
#include "service/validation.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

nlohmann::json noticeView(const store::Notice& n) {
    auto optionalTime = [](const std::optional<store::Timestamp>& at) {
        return at ? nlohmann::json(isoTime(*at)) : nlohmann::json(nullptr);
    };
    return {
        {"id", n.id},
        {"provider", n.provider},
        {"credential", n.credential},
        {"kind", std::string(store::toString(n.kind))},
        {"text", n.text},
        {"details", n.details},
        {"created_at", isoTime(n.created_at)},
        {"delivery",
         {{"state", std::string(store::toString(n.delivery))},
          {"attempts", n.attempts},
          {"next_attempt_at", n.delivery == store::NoticeDelivery::pending ? optionalTime(n.next_attempt_at) : nullptr},
          {"delivered_at", optionalTime(n.delivered_at)},
          {"last_error", n.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.last_error)}}},
    };
}

nlohmann::json notificationsView(const std::optional<store::NotificationSettings>& s) {
    if (!s) return {{"webhook", nullptr}};
    return {{"webhook", {{"url_hint", s->url_hint}, {"updated_at", isoTime(s->updated_at)}}}};
}

}  // namespace

net::ServerResponse ApiService::listNotices(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto page = readPageQuery(call.request, 20, 100);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& notice : orThrow(store_.listNotices(team.id, page.limit, page.before))) items.push_back(noticeView(notice));
    return jsonResponse(200, {{"items", items}});
}

net::ServerResponse ApiService::showNotifications(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    auto settings = store_.notificationSettings(team.id);
    if (!settings.ok() && settings.error().kind != ErrorKind::not_found) throw fromStoreError(settings.error());
    return jsonResponse(200, {{"notifications", notificationsView(settings.ok() ? std::optional(settings.value())
                                                                                : std::nullopt)}});
}

net::ServerResponse ApiService::putNotifications(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"webhook_url"});
    const std::string url = body.requiredString("webhook_url");
    // Never echoed: a Slack or Mattermost webhook URL is a secret in itself.
    checkHttpUrl("webhook_url", url);
    auto parsed = support::parseUrl(url);
    // An address written as such is judged now (the same rule as forge base URLs: public
    // addresses, or what notifications.allowed_hosts lists); a name is judged on every delivery
    // against all the addresses it resolves to.
    if (auto address = common::IpAddress::parse(parsed->host)) {
        common::HostPolicy policy(config_.notifications.allowed_hosts);
        if (!policy.allows(parsed->host, {*address}))
            throw ApiError(400, "address_not_allowed",
                           "field 'webhook_url' names an address Forgelink may not reach (" + parsed->host +
                               "): only public addresses, or those the operator lists in notifications.allowed_hosts",
                           {{"field", "webhook_url"}});
    }
    auto saved = orThrow(store_.saveNotificationSettings(team.id, url));
    audit(call, team.id, audit_action::notification_webhook_set, "webhook", {{"url_hint", saved.url_hint}});
    log_.log(LogLevel::info, "notification webhook saved", {{"team", team.slug}, {"url_hint", saved.url_hint}});
    return jsonResponse(200, {{"notifications", notificationsView(saved)}});
}

net::ServerResponse ApiService::deleteNotifications(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    auto done = store_.deleteNotificationSettings(team.id);
    if (!done.ok()) {
        if (done.error().kind == ErrorKind::not_found)
            throw notFound("team '" + team.slug + "' has no notification webhook");
        throw fromStoreError(done.error());
    }
    audit(call, team.id, audit_action::notification_webhook_removed, "webhook");
    log_.log(LogLevel::info, "notification webhook removed", {{"team", team.slug}});
    return noContent();
}

}  // namespace forgelink::service
