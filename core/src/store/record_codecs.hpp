// How the records' structured fields are written as text in a database column (JSON for the
// identity, warnings, access and stats, a length-prefixed string for the coalescing key) and read
// back, and the text forms of the enums a column holds. Backend-neutral: every backend stores the
// same text, so a database copied from one backend to another reads the same.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"

namespace forgelink::store {

// Unknown text reads as TokenKind::unknown / FeedbackKind::status; std::nullopt where an unknown
// value means the stored row is damaged (the backend says so).
TokenKind parseTokenKind(std::string_view text);
FeedbackKind parseFeedbackKind(std::string_view text);
std::optional<TaskState> parseTaskState(std::string_view text) noexcept;
std::optional<ActorKind> parseActorKind(std::string_view text) noexcept;

// JSON columns. The readers throw nlohmann::json::exception on damaged text.
std::string identityJson(const Identity& identity);
Identity parseIdentity(const std::string& text);
std::string warningsJson(const std::vector<TokenWarning>& warnings);
std::vector<TokenWarning> parseWarnings(const std::string& text);
std::string statsJson(const BuildStats& stats);
BuildStats parseStats(const std::string& text);
// What a saved token may do where it is bound (role, role label, the resource).
std::string accessJson(const ProviderSettingsInput& in);
void readAccess(const std::string& text, ProviderSettings& p);

// The key feedback tasks coalesce on: one waiting and one in flight per key.
std::string coalesceKey(const FeedbackKey& key);

}  // namespace forgelink::store
