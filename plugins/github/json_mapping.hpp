// GitHub REST JSON -> the SDK's value types (and the few GitHub records the provider needs).
//
// Tolerant of optional fields that are missing or null (old recordings and GHES versions lack
// many); strict about the fields Forgelink relies on: a missing or mistyped required field is an
// invalid_input Error (code "unexpected_response") naming the object, the field and what was expected.
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
#include "forgelink/types.hpp"

namespace forgelink::github {

// The repository "permissions" object {admin, maintain, push, triage, pull} -> the strongest Role.
Role roleFromPermissions(const nlohmann::json& permissions) noexcept;
// GitHub's name for the role: "admin", "maintain", "push", "triage", "pull", "none".
std::string_view roleLabel(Role role) noexcept;

// GET /user, comment and PR authors (only login and id are required).
struct User {
    Identity identity;
    std::int64_t id = 0;
    std::string type;  // "User", "Bot", "Organization"
    bool site_admin = false;
};
Result<User> parseUser(const nlohmann::json& j);

// GET /user/orgs items.
Result<Namespace> parseOrganization(const nlohmann::json& j);

// Repository objects (GET /repos/:o/:r, /user/repos, /orgs/:org/repos, /repositories/:id).
struct Repo {
    Repository repository;
    bool permissions_known = false;  // the permissions object was present
    bool is_private = false;
    std::string owner_type;          // "User", "Organization"
};
// `instance` goes into Repository::instance.
Result<Repo> parseRepository(const nlohmann::json& j, const std::string& instance);

// Pull requests (GET /repos/:o/:r/commits/:sha/pulls items).
struct Pull {
    MergeRequest merge_request;
    std::string base_full_name;  // base.repo.full_name
};
Result<Pull> parsePull(const nlohmann::json& j);

// Issue comments.
struct Comment {
    std::int64_t id = 0;
    std::string body;
    std::int64_t user_id = 0;
    std::string user_login;
    std::string created_at;
};
Result<Comment> parseComment(const nlohmann::json& j);

// Commit statuses (POST /repos/:o/:r/statuses/:sha answer, GET .../statuses items).
struct CommitStatus {
    std::int64_t id = 0;
    std::string state;  // error, failure, pending, success
    std::string context;
    std::string description;
    std::string target_url;
};
Result<CommitStatus> parseCommitStatus(const nlohmann::json& j);

// POST /login/oauth/access_token answer (HTTP 200 either way). Errors in the body become an
// Error: bad_verification_code/bad_refresh_token/incorrect_client_credentials -> unauthorized,
// everything else -> invalid_input, with GitHub's description. `now_unix` turns expires_in into
// expires_at.
Result<OAuthTokens> parseOAuthToken(const nlohmann::json& j, std::int64_t now_unix);

// A JSON array of T, each item parsed by `parse`; the error names the index.
template <class T, class Fn>
Result<std::vector<T>> parseArray(const nlohmann::json& j, std::string_view what, Fn&& parse) {
    return support::parseArray<T>(j, "GitHub", what, std::forward<Fn>(parse));
}

}  // namespace forgelink::github
