// Plain value types that cross the plugin boundary. Only std types, enums and structs of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forgelink {

// What a person may do on a repository, in forge-neutral terms. Each plugin maps its forge's roles
// into these (docs/plugin-guide.md, "Roles", has the shipped plugins' tables).
enum class Role { none = 0, read = 1, triage = 2, write = 3, maintain = 4, admin = 5 };
std::string_view toString(Role role) noexcept;

enum class TokenKind { personal, project, group, oauth, app, unknown };
std::string_view toString(TokenKind kind) noexcept;

// Forgelink's own build states; each provider maps them to its forge's commit-status states.
enum class BuildState {
    queued,
    in_progress,
    no_changes,
    changes_detected,
    accepted,
    rejected,
    skipped,
    errored,
    aborted,
};
std::string_view toString(BuildState state) noexcept;
// Parses the names above; std::nullopt for anything else.
std::optional<BuildState> parseBuildState(std::string_view text) noexcept;
// True for every state after which nothing more will happen to the build.
bool isFinal(BuildState state) noexcept;

// The forge endpoint and the secret to call it with. The token is a secret: never log it.
struct Credentials {
    std::string base_url;  // instance root as the admin typed it: "https://forge.example", "https://host/forge"
    std::string token;
};

struct Identity {
    std::string id;        // the forge's user id, as text
    std::string username;
    std::string name;
    std::string web_url;
    bool bot = false;      // a bot user (project/group access token, app)
};

struct TokenWarning {
    std::string code;      // stable: "expires_soon", "missing_optional_scope", "excess_privilege"...
    std::string message;   // for a person
};

// What the token is bound to, for tokens that reach one project or group only.
struct ResourceRef {
    std::string kind;      // "project", "group", "repository", "organization"
    std::string id;
    std::string full_path;
};

struct TokenInfo {
    std::string instance;                 // host[:port][/sub-path] of the instance
    Identity identity;
    TokenKind kind = TokenKind::unknown;
    std::vector<std::string> scopes;      // as the forge names them
    std::optional<std::string> expires_at;  // "YYYY-MM-DD" (UTC), when the forge says
    std::optional<int> days_until_expiry;   // from the provider's clock, when expires_at is known
    std::optional<ResourceRef> bound_to;    // project/group tokens
    std::optional<Role> role;               // the bot's role on bound_to
    std::string role_label;                 // the forge's name for it: "Developer (30)"
    std::vector<TokenWarning> warnings;     // accepted, but worth a look
};

// Token rotation (FORGELINK_CAP_TOKEN_ROTATION): what the host knows of the token, from its last
// validateToken, so the provider calls the right endpoint without asking the forge first.
struct RotationRequest {
    TokenKind kind = TokenKind::unknown;
    std::optional<ResourceRef> bound_to;  // project/group tokens
    std::string expires_at;               // "YYYY-MM-DD" for the new token; "" = the forge's default
};

// Whether this token on this instance can rotate itself, and when not, why (for a person: the
// forge's version, the token's kind or scopes, with what would make it possible).
struct RotationSupport {
    bool supported = false;
    std::string reason;
};

// The forge's answer to a rotation. `token` is a secret and its only copy: the old token no
// longer works once the forge answered.
struct RotatedToken {
    std::string token;
    std::optional<std::string> expires_at;  // "YYYY-MM-DD", as the forge says
};

struct Namespace {
    std::string id;
    std::string kind;       // "user", "group", "organization"
    std::string path;
    std::string full_path;
    std::string name;
    std::string parent_id;  // empty for top level
    std::string web_url;
};

struct Repository {
    std::string instance;   // host[:port][/sub-path]: together with id, the stable key
    std::string id;         // the forge's immutable id, as text
    std::string full_path;  // "group/sub/project" or "owner/name"; may change when moved
    std::string name;
    std::string namespace_path;
    std::string web_url;
    std::string default_branch;
    std::string visibility; // "public", "internal", "private"
    bool archived = false;
    Role role = Role::none; // the token's effective role, when the forge says
    std::string role_label;
};

template <class T>
struct Page {
    std::vector<T> items;
    // Opaque to the host: pass it back to get the next page. Empty on the last page.
    std::string next_cursor;
    // Total number of items when the forge says (it may not for very large listings).
    std::optional<std::uint64_t> total;
};

struct NamespaceQuery {
    std::string search;
};

struct RepositoryQuery {
    std::string search;
    std::string namespace_path;     // restrict to one namespace (and its subgroups); empty = all
    Role min_role = Role::write;    // only repositories where the token has at least this role
    bool include_archived = false;
    // How many forge pages one call may fetch at once. 1 = one page per call (browsing);
    // larger values let the provider fetch a batch of pages concurrently (full listings).
    std::size_t concurrency = 8;
};

struct Permission {
    bool allowed = false;
    std::string reason;  // why not (or why), for a person
};

struct RepositoryPermissions {
    Repository repository;
    Permission post_status;
    Permission comment;
};

struct StatusRequest {
    std::string repository;   // id or full path
    std::string sha;
    std::string ref;          // branch; optional
    BuildState state = BuildState::queued;
    std::string context;      // status name / context, e.g. "forgelink"
    std::string target_url;
    std::string description;
};

struct StatusResult {
    std::string forge_state;  // what the forge now shows: "running", "success", "pending"...
    std::string status_id;    // empty when the forge already had this state
    bool already_current = false;  // the forge already showed this state (a no-op transition)
};

struct MergeRequest {
    std::string id;           // global id
    std::string number;       // the per-repository number (a merge or pull request's number within its repository)
    std::string title;
    std::string state;        // "opened", "merged", "closed" / "open"
    std::string head_sha;
    std::string source_branch;
    std::string target_branch;
    std::string target_repository;  // id of the repository the MR targets
    std::string web_url;
};

struct CommentRequest {
    std::string repository;        // id or full path
    std::string merge_request;     // the MR/PR number
    // A hidden, instance-unique marker; the provider finds Forgelink's comment by it and never
    // touches a comment without it or written by someone else.
    std::string marker;
    std::string body;              // Markdown, without the marker (the provider adds it)
    std::string known_comment_id;  // a hint from an earlier upsert; may be stale or empty
};

// The marker a host passes in CommentRequest::marker: one HTML comment (invisible when the
// forge renders Markdown) naming the Forgelink installation, so two installations commenting on
// the same merge request never take each other's comment. Characters that could end the comment
// or span lines are replaced by '_'. Providers refuse any marker that is not of this shape.
inline std::string commentMarker(std::string_view instance_id) {
    std::string id;
    for (char c : instance_id) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '_' || c == '.' || c == ':';
        id += safe ? c : '_';
    }
    if (id.empty()) id = "default";
    return "<!-- forgelink:instance=" + id + " -->";
}

struct CommentResult {
    enum class Action { created, updated, unchanged, recreated };
    Action action = Action::created;
    std::string comment_id;
};
std::string_view toString(CommentResult::Action action) noexcept;

// OAuth login (authorization code with PKCE S256).
struct OAuthClient {
    std::string client_id;
    std::string client_secret;  // a secret: never log it
    std::string redirect_uri;
};

struct AuthorizeRequest {
    OAuthClient client;
    std::string state;           // generated by the host, checked on callback
    std::string code_challenge;  // BASE64URL(SHA256(verifier)), method S256
    std::vector<std::string> scopes;  // empty = the provider's login default
};

struct OAuthTokens {
    std::string access_token;   // secret
    std::string refresh_token;  // secret; empty when the forge issues none
    std::string token_type;
    std::vector<std::string> scopes;
    std::optional<std::int64_t> expires_at;  // unix seconds
};

// ---- inline definitions of the small helpers above ---------------------------------------

inline std::string_view toString(Role role) noexcept {
    switch (role) {
        case Role::none: return "none";
        case Role::read: return "read";
        case Role::triage: return "triage";
        case Role::write: return "write";
        case Role::maintain: return "maintain";
        case Role::admin: return "admin";
    }
    return "none";
}

inline std::string_view toString(TokenKind kind) noexcept {
    switch (kind) {
        case TokenKind::personal: return "personal";
        case TokenKind::project: return "project";
        case TokenKind::group: return "group";
        case TokenKind::oauth: return "oauth";
        case TokenKind::app: return "app";
        case TokenKind::unknown: return "unknown";
    }
    return "unknown";
}

inline std::string_view toString(BuildState state) noexcept {
    switch (state) {
        case BuildState::queued: return "queued";
        case BuildState::in_progress: return "in_progress";
        case BuildState::no_changes: return "no_changes";
        case BuildState::changes_detected: return "changes_detected";
        case BuildState::accepted: return "accepted";
        case BuildState::rejected: return "rejected";
        case BuildState::skipped: return "skipped";
        case BuildState::errored: return "errored";
        case BuildState::aborted: return "aborted";
    }
    return "errored";
}

inline std::optional<BuildState> parseBuildState(std::string_view text) noexcept {
    for (auto s : {BuildState::queued, BuildState::in_progress, BuildState::no_changes,
                   BuildState::changes_detected, BuildState::accepted, BuildState::rejected,
                   BuildState::skipped, BuildState::errored, BuildState::aborted}) {
        if (toString(s) == text) return s;
    }
    return std::nullopt;
}

inline bool isFinal(BuildState state) noexcept {
    return state != BuildState::queued && state != BuildState::in_progress;
}

inline std::string_view toString(CommentResult::Action action) noexcept {
    switch (action) {
        case CommentResult::Action::created: return "created";
        case CommentResult::Action::updated: return "updated";
        case CommentResult::Action::unchanged: return "unchanged";
        case CommentResult::Action::recreated: return "recreated";
    }
    return "created";
}

}  // namespace forgelink
