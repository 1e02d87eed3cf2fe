// How records look on the wire. Secrets never appear: records carry none (the store hands out
// only a token's last four characters), and these functions add none.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "net/http_server.hpp"
#include "service/json_writer.hpp"
#include "store/records.hpp"

namespace forgelink::service {

net::ServerResponse jsonResponse(int status, const nlohmann::json& body);
// `body` is JSON text already (JsonWriter).
net::ServerResponse jsonTextResponse(int status, std::string body);
net::ServerResponse errorResponse(int status, const std::string& code, const std::string& message,
                                  const nlohmann::json& details = nullptr);
net::ServerResponse noContent();

// "2024-05-01T12:00:00.000Z"
std::string isoTime(store::Timestamp at);
// Whole days from `now` (UTC) until the "YYYY-MM-DD" date; std::nullopt when it does not parse.
std::optional<int> daysUntil(const std::string& date, store::Timestamp now);

nlohmann::json teamView(const store::Team& team);
nlohmann::json memberView(const store::TeamMember& member);
// {id, at, actor: {kind, name, user_id, token_id}, client_address, action, target, details}
nlohmann::json auditEventView(const store::AuditEvent& event);
void writeLinkView(JsonWriter& out, const store::RepositoryLink& link);
nlohmann::json linkView(const store::RepositoryLink& link);
// `team_slug` and `link` may be null: no "team" field, "repository": null. The writer form is
// for listings (see json_writer.hpp); projectView is the same object as a document.
void writeProjectView(JsonWriter& out, const store::Project& project, const std::string* team_slug,
                      const store::RepositoryLink* link);
nlohmann::json projectView(const store::Project& project, const std::string* team_slug,
                           const store::RepositoryLink* link);
nlohmann::json buildView(const store::Build& build);
nlohmann::json identityView(const Identity& identity);
nlohmann::json repositoryView(const Repository& repository);
nlohmann::json namespaceView(const Namespace& ns);

}  // namespace forgelink::service
