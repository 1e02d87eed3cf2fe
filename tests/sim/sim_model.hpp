// The simulator's world: what a scenario file describes plus what clients created at run time.
// Plain data; ForgeSim owns one World and guards it with its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace forgelink::sim {

using Id = std::int64_t;

// ---------------------------------------------------------------- GitLab
struct GlUser {
    Id id = 0;
    std::string username, name, state = "active", email;
    bool admin = false, bot = false;
    std::string created_at;
};

struct GlGroup {
    Id id = 0;
    std::string path, name, full_path, visibility = "private";
    std::optional<Id> parent;
    std::map<Id, int> members;  // user id -> access level
};

struct GlNote {
    Id id = 0;
    std::string body;
    Id author = 0;
    bool system = false;
    std::string created_at, updated_at;
};

// The MR's latest pipeline. On a merged-results pipeline its sha is the merge-result commit
// (refs/merge-requests/:iid/merge), not the MR's head `sha`.
struct GlPipeline {
    Id id = 0;
    std::string sha, ref, status = "running", source = "merge_request_event";
};

struct GlMergeRequest {
    Id id = 0, iid = 0, project_id = 0, source_project_id = 0;
    std::string title, source_branch, target_branch, sha, state = "opened";
    std::vector<std::string> commits;
    std::optional<GlPipeline> head_pipeline;
    Id author = 0;
    std::string created_at;
    std::vector<GlNote> notes;
};

struct GlCommitStatus {
    Id id = 0, pipeline_id = 0, project_id = 0, author = 0;
    Id token_id = 0;  // the token that posted it last (several tokens may act for one user)
    std::string sha, ref, status, name, target_url, description;
    std::optional<double> coverage;
    std::string created_at, started_at, finished_at;
};

struct GlProject {
    Id id = 0;
    std::string path, name, description, visibility = "private", default_branch = "main";
    bool archived = false;
    std::optional<Id> group_id;  // set when the namespace is a group
    Id user_namespace = 0;       // owner user id when the namespace is personal
    std::string namespace_full_path;
    std::string created_at, last_activity_at;
    std::map<Id, int> members;
    std::set<std::string> protected_branches;
    std::map<std::string, std::vector<std::string>> commits;  // sha -> branches
    std::vector<GlMergeRequest> merge_requests;
    std::string fullPath() const { return namespace_full_path + "/" + path; }
};

enum class GlTokenKind { Personal, Project, Group, OAuth };

struct GlToken {
    Id id = 0;
    std::string value, name;
    GlTokenKind kind = GlTokenKind::Personal;
    Id user = 0;
    std::vector<std::string> scopes;
    std::optional<std::string> expires_at;  // YYYY-MM-DD (PAT kinds)
    std::optional<std::int64_t> expires_epoch;  // OAuth: absolute virtual time
    bool revoked = false;
    bool reported_inactive = false;  // /personal_access_tokens/self says active: false (see SCENARIO.md)
    std::string created_at;
    std::int64_t created_epoch = 0;
    std::optional<Id> project, group;
    int access_level = 40;
    std::string application;  // OAuth client id
    std::string refresh_token;  // OAuth: the refresh token paired with this access token
    // Token families (GitLab's automatic reuse detection): a rotated token names its successor.
    std::optional<Id> rotated_to;
};

struct GlOAuthApp {
    std::string client_id, secret;
    std::vector<std::string> redirect_uris;
    bool confidential = true;
    Id user = 0;
    std::vector<std::string> scopes;
};

struct OAuthGrant {  // an authorization code (both dialects)
    std::string code, client_id, redirect_uri, scope, challenge, challenge_method;
    Id user = 0;
    std::int64_t expires_epoch = 0;
    bool used = false;
};

struct GlRefreshToken {
    std::string value, client_id, redirect_uri, access_token;
    Id user = 0;
    std::vector<std::string> scopes;
    bool revoked = false;
};

struct RateWindow {
    std::int64_t start = 0;
    std::int64_t count = 0;
};

struct GitLabWorld {
    std::string version = "17.5.0-ee", revision = "0000000";
    std::string external_url;  // may be empty: then http://127.0.0.1:PORT
    std::int64_t oauth_token_ttl = 7200;
    std::int64_t rate_limit = 0, rate_period = 60;  // 0 = unlimited
    std::int64_t notes_limit = 0, notes_period = 60;  // application limiter on note creation (0 = off)
    std::map<Id, std::vector<std::int64_t>> note_times;  // user -> recent note creations
    std::vector<GlUser> users;
    std::vector<GlGroup> groups;
    std::vector<GlProject> projects;  // sorted by id
    std::vector<GlToken> tokens;
    std::vector<GlOAuthApp> apps;
    std::vector<GlCommitStatus> statuses;
    std::map<std::string, Id> moved;  // old full path -> project id
    std::unordered_map<Id, std::size_t> user_by_id, group_by_id, project_by_id;
    std::unordered_map<std::string, std::size_t> user_by_name, group_by_path, project_by_path, token_by_value;
    std::map<std::string, OAuthGrant> grants;
    std::map<std::string, GlRefreshToken> refresh_tokens;
    std::map<std::string, RateWindow> rate;  // token value -> window
    Id next_note_id = 1, next_status_id = 1, next_pipeline_id = 1, next_token_id = 1, next_user_id = 1;
    std::map<std::pair<Id, std::string>, Id> pipelines;  // (project, sha) -> pipeline id
    std::vector<std::string> simple_json_cache, full_json_cache;  // serialized projects by index (gitlab_api.cpp)

    void reindex();
    GlUser* user(Id id);
    GlGroup* group(Id id);
    GlProject* project(Id id);
};

// ---------------------------------------------------------------- GitHub
struct GhUser {
    Id id = 0;
    std::string login, name, type = "User";
    bool site_admin = false;
    std::string created_at;
};

struct GhOrg {
    Id id = 0;
    std::string login;
    std::map<Id, std::string> members;  // user id -> admin|member
    std::string default_permission = "pull";
};

struct GhPull {
    Id id = 0, number = 0;
    // merge_commit_sha: while the PR is open, GitHub's test merge commit (refs/pull/N/merge), the
    // commit CI builds on pull_request events; empty = null.
    std::string title, head_ref, head_sha, base_ref, state = "open", merge_commit_sha;
    bool merged = false;
    Id user = 0;
    std::vector<std::string> commits;
    std::string created_at;
};

struct GhComment {
    Id id = 0, issue = 0, user = 0, repo = 0;
    std::string body, created_at, updated_at;
};

struct GhStatus {
    Id id = 0, repo = 0, creator = 0;
    std::string sha, state, context, description, target_url, created_at, updated_at;
};

struct GhRepo {
    Id id = 0;
    std::string owner, name, description, default_branch = "main", created_at;
    bool is_private = false, archived = false, owner_is_org = false;
    Id owner_id = 0;
    std::map<Id, std::string> collaborators;  // user id -> permission
    std::map<std::string, std::vector<std::string>> commits;
    std::vector<GhPull> pulls;
    std::string fullName() const { return owner + "/" + name; }
};

enum class GhTokenKind { Classic, FineGrained, OAuth };

struct GhToken {
    std::string value;
    GhTokenKind kind = GhTokenKind::Classic;
    Id user = 0;
    std::vector<std::string> scopes;
    bool all_repos = false;
    std::set<std::string> repositories;             // full names (fine-grained)
    std::map<std::string, std::string> permissions;  // fine-grained: name -> read|write
    std::optional<std::string> expires_at;           // YYYY-MM-DD
    std::optional<std::int64_t> expires_epoch;       // OAuth expiring tokens
    bool revoked = false;
    std::string refresh_token;
};

struct GhOAuthApp {
    std::string client_id, secret;
    std::vector<std::string> redirect_uris;
    Id user = 0;
    std::vector<std::string> scopes;
    bool expiring = false;
};

struct GitHubWorld {
    bool api_at_root = false;  // also serve the API at / (an API root that is a bare origin)
    std::int64_t rate_limit = 5000, rate_period = 3600;
    int exceeded_status = 403;
    std::int64_t content_per_minute = 80;
    std::vector<GhUser> users;
    std::vector<GhOrg> orgs;
    std::vector<GhRepo> repos;
    std::vector<GhToken> tokens;
    std::vector<GhOAuthApp> apps;
    std::vector<GhComment> comments;
    std::vector<GhStatus> statuses;
    std::unordered_map<Id, std::size_t> user_by_id, repo_by_id;
    std::unordered_map<std::string, std::size_t> user_by_login, org_by_login, repo_by_name, token_by_value;
    std::map<std::string, Id> moved;  // a former "owner/name" of a renamed or transferred repo -> its id
    std::map<std::string, OAuthGrant> grants;
    std::map<std::string, std::string> refresh_tokens;  // refresh -> access token value
    std::map<std::string, RateWindow> rate;              // token (or "ip") -> primary window
    std::map<Id, std::vector<std::int64_t>> writes;      // user -> recent write times (secondary limit)
    Id next_comment_id = 1, next_status_id = 1;

    void reindex();
    GhUser* user(Id id);
    GhRepo* repo(Id id);
};

struct World {
    std::uint64_t seed = 1;
    GitLabWorld gitlab;
    GitHubWorld github;
};

// Parses a scenario (YAML or JSON text). Throws std::runtime_error naming the offending path.
std::unique_ptr<World> loadScenario(const std::string& text, std::uint64_t seed_override, bool has_seed_override);

}  // namespace forgelink::sim
