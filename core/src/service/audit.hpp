// The audit log: every change of a team's settings, with who made it, when, from where and what
// changed (never a secret), listed at GET /api/v1/teams/{team}/audit and kept
// audit.retention_days (the maintenance loop purges older events).
//
// Routes record through ApiService::audit(call, team, ...), which names the caller and its
// address. Code with no request (the maintenance loop: a token rotated before it expires) calls
// recordAudit() with systemActor(). Both record after the change succeeded and never fail it: an
// event the store refuses is logged as a warning instead (the change itself stands).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/log.hpp"
#include "net/http_server.hpp"
#include "store/store.hpp"

namespace forgelink::service {

// The actions, one vocabulary for the API, the CLI and the console ("<what>.<verb>").
namespace audit_action {
inline constexpr std::string_view team_created = "team.created";
inline constexpr std::string_view provider_token_saved = "provider_token.saved";        // none before
inline constexpr std::string_view provider_token_replaced = "provider_token.replaced";  // another one before
inline constexpr std::string_view provider_token_removed = "provider_token.removed";
inline constexpr std::string_view provider_token_rotated = "provider_token.rotated";
inline constexpr std::string_view provider_rotation_set = "provider_token.rotation_set";  // the rotate setting changed
inline constexpr std::string_view member_added = "member.added";
inline constexpr std::string_view member_role_changed = "member.role_changed";
inline constexpr std::string_view member_removed = "member.removed";
inline constexpr std::string_view project_created = "project.created";
inline constexpr std::string_view project_deleted = "project.deleted";
inline constexpr std::string_view project_linked = "project.linked";
inline constexpr std::string_view project_unlinked = "project.unlinked";
inline constexpr std::string_view api_token_created = "api_token.created";
inline constexpr std::string_view api_token_revoked = "api_token.revoked";
inline constexpr std::string_view notification_webhook_set = "notification_webhook.set";
inline constexpr std::string_view notification_webhook_removed = "notification_webhook.removed";
}  // namespace audit_action

// The host itself (maintenance), named "forgelink".
store::AuditActor systemActor();

// Appends the event; false (with one warning line naming the action and the team id) when the
// store refused it. Thread-safe as the store is. `event.details` must hold no secret.
bool recordAudit(store::Store& store, common::JsonLogger& log, const store::AuditEventInput& event);

// Where a request came from: the connection's peer, unless that peer is one of `trusted_proxies`
// (IP addresses or CIDR ranges, server.trusted_proxies); then the nearest address of
// X-Forwarded-For that is not itself a trusted proxy (read from the right: the left part is
// whatever the client wrote). A value that is not an IP address is not taken.
std::string clientAddress(const net::ServerRequest& request, const std::vector<std::string>& trusted_proxies);

}  // namespace forgelink::service
