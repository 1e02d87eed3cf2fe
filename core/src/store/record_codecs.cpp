// The text forms of the records' structured columns (record_codecs.hpp).
#include "store/record_codecs.hpp"

#include <nlohmann/json.hpp>

namespace forgelink::store {

using nlohmann::json;

// ---- enum text -------------------------------------------------------------------------------

TokenKind parseTokenKind(std::string_view text) {
    for (auto kind : {TokenKind::personal, TokenKind::project, TokenKind::group, TokenKind::oauth, TokenKind::app}) {
        if (toString(kind) == text) return kind;
    }
    return TokenKind::unknown;
}

FeedbackKind parseFeedbackKind(std::string_view text) {
    return text == "comment" ? FeedbackKind::comment : FeedbackKind::status;
}

std::optional<TaskState> parseTaskState(std::string_view text) noexcept {
    for (auto state : {TaskState::pending, TaskState::in_flight, TaskState::done, TaskState::failed, TaskState::paused,
                       TaskState::superseded}) {
        if (toString(state) == text) return state;
    }
    return std::nullopt;
}

std::optional<ActorKind> parseActorKind(std::string_view text) noexcept {
    for (auto kind : {ActorKind::user, ActorKind::token, ActorKind::operator_token, ActorKind::system})
        if (toString(kind) == text) return kind;
    return std::nullopt;
}

// ---- JSON columns ----------------------------------------------------------------------------

std::string identityJson(const Identity& identity) {
    return json{{"id", identity.id},
                {"username", identity.username},
                {"name", identity.name},
                {"web_url", identity.web_url},
                {"bot", identity.bot}}
        .dump();
}

Identity parseIdentity(const std::string& text) {
    const json j = json::parse(text);
    Identity identity;
    identity.id = j.value("id", "");
    identity.username = j.value("username", "");
    identity.name = j.value("name", "");
    identity.web_url = j.value("web_url", "");
    identity.bot = j.value("bot", false);
    return identity;
}

std::string warningsJson(const std::vector<TokenWarning>& warnings) {
    json array = json::array();
    for (const auto& w : warnings) array.push_back({{"code", w.code}, {"message", w.message}});
    return array.dump();
}

std::vector<TokenWarning> parseWarnings(const std::string& text) {
    std::vector<TokenWarning> warnings;
    for (const auto& item : json::parse(text)) warnings.push_back({item.value("code", ""), item.value("message", "")});
    return warnings;
}

std::string statsJson(const BuildStats& stats) {
    return json{{"changed", stats.changed},     {"added", stats.added},
                {"removed", stats.removed},     {"failures", stats.failures},
                {"unchanged", stats.unchanged}, {"retry_failures", stats.retry_failures},
                {"ignored", stats.ignored}}
        .dump();
}

BuildStats parseStats(const std::string& text) {
    const json j = json::parse(text);
    return BuildStats{j.value("changed", std::int64_t{0}), j.value("added", std::int64_t{0}),
                      j.value("removed", std::int64_t{0}), j.value("failures", std::int64_t{0}),
                      j.value("unchanged", std::int64_t{0}), j.value("retry_failures", std::int64_t{0}),
                      j.value("ignored", std::int64_t{0})};
}

std::string accessJson(const ProviderSettingsInput& in) {
    json access = json::object();
    if (in.role) access["role"] = std::string(toString(*in.role));
    if (!in.role_label.empty()) access["role_label"] = in.role_label;
    if (in.bound_to) access["bound_to"] = {{"kind", in.bound_to->kind}, {"id", in.bound_to->id}, {"full_path", in.bound_to->full_path}};
    return access.dump();
}

void readAccess(const std::string& text, ProviderSettings& p) {
    const json access = json::parse(text);
    if (access.contains("role"))
        for (auto r : {Role::none, Role::read, Role::triage, Role::write, Role::maintain, Role::admin})
            if (toString(r) == access["role"].get<std::string>()) p.role = r;
    p.role_label = access.value("role_label", "");
    if (access.contains("bound_to"))
        p.bound_to = ResourceRef{access["bound_to"].value("kind", ""), access["bound_to"].value("id", ""),
                                 access["bound_to"].value("full_path", "")};
}

// ---- the coalescing key ----------------------------------------------------------------------

// Length-prefixed so no choice of field values can make two different keys collide.
std::string coalesceKey(const FeedbackKey& key) {
    std::string out;
    for (std::string_view part : {std::string_view(key.provider), std::string_view(key.instance),
                                  std::string_view(key.repository_id), std::string_view(key.commit_sha),
                                  std::string_view(key.context), toString(key.kind), std::string_view(key.mr_number)}) {
        out += std::to_string(part.size());
        out += ':';
        out += part;
        out += '|';
    }
    return out;
}

}  // namespace forgelink::store
