// GitLab REST v4 JSON -> the SDK's value types (and a few GitLab-only records the provider needs).
//
// Tolerant of optional fields that are missing or null (GitLab versions differ); strict about the
// fields Forgelink relies on: a missing or mistyped required field is an invalid_input Error
// (code "unexpected_response") that names the object, the field and what was expected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "forgelink/result.hpp"
#include "forgelink/support/json_fields.hpp"
#include "forgelink/support/json_select.hpp"
#include "forgelink/types.hpp"

namespace forgelink::gitlab {

// GitLab access levels (doc/api/members.md). 5 = minimal access.
inline constexpr int kGuest = 10;
inline constexpr int kPlanner = 15;
inline constexpr int kReporter = 20;
inline constexpr int kDeveloper = 30;
inline constexpr int kMaintainer = 40;
inline constexpr int kOwner = 50;

Role roleFromAccessLevel(int level) noexcept;
// The lowest GitLab access level that grants at least `role`; 0 for Role::none.
int accessLevelFor(Role role) noexcept;
// "Developer (30)"; "no access (0)" for 0.
std::string accessLevelLabel(int level);

// GET /user (also note/MR authors: only the fields they carry are required).
struct User {
    Identity identity;
    bool is_admin = false;
    std::string state;  // "active", "blocked", ...
};
Result<User> parseUser(const nlohmann::json& j);

// GET /personal_access_tokens/self, items of /personal_access_tokens and of
// /projects/:id/access_tokens (those add access_level).
struct AccessToken {
    std::int64_t id = 0;
    std::string name;
    bool revoked = false;
    bool active = true;
    std::vector<std::string> scopes;
    std::int64_t user_id = 0;
    std::optional<std::string> expires_at;  // "YYYY-MM-DD"
    std::optional<int> access_level;
};
Result<AccessToken> parseAccessToken(const nlohmann::json& j);

// GET /personal_access_tokens/self/associations (GitLab 17.4+).
struct TokenAssociations {
    struct Entry {
        std::string kind;  // "group" or "project"
        std::string id;
        std::string name;
        std::string full_path;  // projects: path_with_namespace; groups: not in the entity, empty
        int access_level = 0;   // the strongest of the levels GitLab lists
    };
    std::vector<Entry> entries;
};
Result<TokenAssociations> parseTokenAssociations(const nlohmann::json& j);

// GET /oauth/token/info
struct OAuthTokenInfo {
    std::int64_t resource_owner_id = 0;
    std::vector<std::string> scopes;
    std::optional<std::int64_t> expires_in;  // seconds, null = never
    std::optional<std::int64_t> created_at;  // unix seconds
};
Result<OAuthTokenInfo> parseOAuthTokenInfo(const nlohmann::json& j);

// GET /projects, /projects/:id, /groups/:id/projects items.
struct Project {
    Repository repository;
    int access_level = 0;  // the caller's strongest of permissions.project_access / group_access; 0 = unknown/none
    bool permissions_known = false;  // the permissions object was present (it is absent for simple=true)
    bool merge_requests_enabled = true;
    bool merge_requests_members_only = false;  // merge_requests_access_level "private" on a public project
};
// `instance` goes into Repository::instance (host[:port][/sub-path]).
Result<Project> parseProject(const nlohmann::json& j, const std::string& instance);
// The members of a project entity that parseProject reads, and nothing else: listings parse
// pages of projects with it (support::parseSelected), which skips the other ~70 members of each.
// parseProject must read nothing outside it (tests/plugins/gitlab/fixture_mapping_test.cpp).
const support::JsonSelection& projectSelection();

// GET /groups/:id
struct Group {
    std::string id;
    std::string full_path;
    std::string name;
    std::string web_url;
};
Result<Group> parseGroup(const nlohmann::json& j);

// GET /namespaces items.
Result<Namespace> parseNamespace(const nlohmann::json& j);

// GET /projects/:id/members/all/:user_id, /groups/:id/members/:user_id
struct Member {
    std::int64_t id = 0;
    std::string username;
    int access_level = 0;
};
Result<Member> parseMember(const nlohmann::json& j);

// MergeRequestBasic / MergeRequest.
Result<MergeRequest> parseMergeRequest(const nlohmann::json& j);

// MR notes.
struct Note {
    std::int64_t id = 0;
    std::string body;
    std::int64_t author_id = 0;
    std::string author_username;
    bool system = false;
};
Result<Note> parseNote(const nlohmann::json& j);

// POST /projects/:id/statuses/:sha answer.
struct CommitStatus {
    std::int64_t id = 0;
    std::string status;  // pending, running, success, failed, canceled, skipped
    std::string name;
    std::string sha;
    std::string ref;
};
Result<CommitStatus> parseCommitStatus(const nlohmann::json& j);

// POST /oauth/token answer. `now_unix` is used only when created_at is absent.
Result<OAuthTokens> parseOAuthToken(const nlohmann::json& j, std::int64_t now_unix);

// GET /version
struct Version {
    std::string version;
    std::string revision;
};
Result<Version> parseVersion(const nlohmann::json& j);

// POST /personal_access_tokens/self/rotate (and the project / group token routes): the new token
// and its expiry ("YYYY-MM-DD"). GitLab has already acted when this is read, so only a missing or
// empty token is an error; an expiry of another shape is left unknown rather than losing the token.
Result<RotatedToken> parseRotatedToken(const nlohmann::json& j);

// A JSON array of T, each item parsed by `parse`; the error names the index.
template <class T, class Fn>
Result<std::vector<T>> parseArray(const nlohmann::json& j, std::string_view what, Fn&& parse) {
    return support::parseArray<T>(j, "GitLab", what, std::forward<Fn>(parse));
}

}  // namespace forgelink::gitlab
