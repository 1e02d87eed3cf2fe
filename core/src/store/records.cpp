// The text forms of the records' enums (records.hpp): what every backend stores and the REST API
// shows. Nothing here knows a database.
#include "store/records.hpp"

namespace forgelink::store {

std::string_view toString(TeamRole role) noexcept { return role == TeamRole::owner ? "owner" : "member"; }
std::optional<TeamRole> parseTeamRole(std::string_view text) noexcept {
    if (text == "owner") return TeamRole::owner;
    if (text == "member") return TeamRole::member;
    return std::nullopt;
}
std::string_view toString(ApiTokenRole role) noexcept { return role == ApiTokenRole::admin ? "admin" : "reporter"; }
std::optional<ApiTokenRole> parseApiTokenRole(std::string_view text) noexcept {
    if (text == "reporter") return ApiTokenRole::reporter;
    if (text == "admin") return ApiTokenRole::admin;
    return std::nullopt;
}
std::string_view toString(ActorKind kind) noexcept {
    switch (kind) {
        case ActorKind::user: return "user";
        case ActorKind::token: return "token";
        case ActorKind::operator_token: return "operator";
        case ActorKind::system: return "system";
    }
    return "system";
}
std::string_view toString(ProviderStatus status) noexcept { return status == ProviderStatus::invalid ? "invalid" : "active"; }
std::string_view toString(FeedbackKind kind) noexcept { return kind == FeedbackKind::comment ? "comment" : "status"; }
std::string_view toString(TaskState state) noexcept {
    switch (state) {
        case TaskState::pending: return "pending";
        case TaskState::in_flight: return "in_flight";
        case TaskState::done: return "done";
        case TaskState::failed: return "failed";
        case TaskState::paused: return "paused";
        case TaskState::superseded: return "superseded";
    }
    return "pending";
}
std::string_view toString(RotationState state) noexcept { return state == RotationState::rotating ? "rotating" : "idle"; }

std::string_view toString(NoticeKind kind) noexcept {
    switch (kind) {
        case NoticeKind::token_invalid: return "token_invalid";
        case NoticeKind::token_expiring: return "token_expiring";
        case NoticeKind::token_rotated: return "token_rotated";
        case NoticeKind::token_rotation_failed: return "token_rotation_failed";
    }
    return "token_invalid";
}

std::optional<NoticeKind> parseNoticeKind(std::string_view text) noexcept {
    for (auto k : {NoticeKind::token_invalid, NoticeKind::token_expiring, NoticeKind::token_rotated,
                   NoticeKind::token_rotation_failed})
        if (toString(k) == text) return k;
    return std::nullopt;
}

std::string_view toString(NoticeDelivery state) noexcept {
    switch (state) {
        case NoticeDelivery::none: return "none";
        case NoticeDelivery::pending: return "pending";
        case NoticeDelivery::in_flight: return "in_flight";
        case NoticeDelivery::delivered: return "delivered";
        case NoticeDelivery::failed: return "failed";
    }
    return "none";
}

BuildInput changeOf(const Build& build, BuildState next) {
    BuildInput input;
    input.id = build.id;
    input.project_id = build.project_id;
    input.commit_sha = build.commit_sha;
    input.branch = build.branch;
    input.mr_number = build.mr_number;
    input.head_sha = build.head_sha;
    input.state = next;
    input.stats = build.stats;
    input.url = build.url;
    input.expected_version = build.version;
    return input;
}

}  // namespace forgelink::store
