// The GitLab REST v4 dialect (API-FACTS section A).
#include <cstdio>
#include <algorithm>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "forge_sim.hpp"
#include "sim_util.hpp"

namespace forgelink::sim {

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxOffset = 50000;
constexpr std::int64_t kCountLimit = 10000;

struct Auth {
    GlToken* token = nullptr;
    GlUser* user = nullptr;
};

// Thrown by helpers to end a request with a ready answer.
struct Answer {
    SimResponse response;
};

[[noreturn]] void answer(int status, const json& body) {
    SimResponse r;
    r.json(status, body.dump());
    throw Answer{r};
}
[[noreturn]] void message(int status, const std::string& msg) { answer(status, json{{"message", msg}}); }
[[noreturn]] void notFound(const std::string& what) { message(404, "404 " + what + " Not Found"); }
[[noreturn]] void forbidden() { message(403, "403 Forbidden"); }

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

class GitLab {
public:
    GitLab(Ctx& ctx, const SimRequest& req, const std::string& api_path)
        : ctx_(ctx), w_(ctx.world.gitlab), req_(req), api_path_(api_path) {}

    SimResponse run(const std::vector<std::string>& segs);

private:
    // ---- auth
    void authenticate();
    void requireAuth() {
        if (!auth_.user) message(401, "401 Unauthorized");
    }
    void requireScope(std::initializer_list<const char*> accepted);
    void readScope() { requireScope({"api", "read_api"}); }
    void writeScope() { requireScope({"api"}); }
    void rateLimit();

    // ---- access
    int accessLevel(const GlProject& p, int* direct = nullptr, int* via_group = nullptr) const;
    int groupAccess(const GlGroup& g) const;
    bool canRead(const GlProject& p) const;
    bool canReadGroup(const GlGroup& g) const;
    GlProject& findProject(const std::string& id, const std::vector<std::string>& segs);
    GlGroup& findGroup(const std::string& id);
    GlMergeRequest& findMr(GlProject& p, const std::string& iid);

    // ---- entities
    json userBasic(Id id) const;
    json userJson(const GlUser& u) const;
    json namespaceJson(const GlProject& p) const;
    json projectJson(const GlProject& p, bool simple) const;
    // Serialized project, cached per project: listings of 25,000 projects must stay cheap.
    std::string projectText(const GlProject& p, bool simple) const;
    json groupJson(const GlGroup& g) const;
    json mrJson(const GlProject& p, const GlMergeRequest& mr, bool full) const;
    json noteJson(const GlProject& p, const GlMergeRequest& mr, const GlNote& n) const;
    json statusJson(const GlCommitStatus& s) const;
    std::string webBase() const { return ctx_.gitlab_root; }

    // ---- pagination
    struct Page {
        std::int64_t page = 1, per_page = 20;
    };
    Page pageParams() const;
    template <typename Fn>
    SimResponse offsetPage(std::size_t total, std::map<std::string, std::string> params, const char* type, Fn item);
    std::map<std::string, std::string> linkParams(std::map<std::string, std::string> defaults) const;
    std::string linkUrl(const std::map<std::string, std::string>& params) const;
    std::optional<std::string> q(const char* name) const { return req_.param(name); }
    bool boolParam(const char* name) const {
        auto v = q(name);
        return v && (*v == "true" || *v == "1" || *v == "yes");
    }
    std::optional<std::int64_t> intParam(const char* name) const;

    // ---- endpoints
    SimResponse user();
    SimResponse tokenSelf();
    SimResponse revokeTokenSelf();
    // POST /personal_access_tokens/self/rotate, /projects/:id/access_tokens/self/rotate,
    // /groups/:id/access_tokens/self/rotate (`project` / `group` set for the last two).
    SimResponse rotateTokenSelf(GlTokenKind kind, const GlProject* project, const GlGroup* group);
    // Automatic reuse detection: a revoked token of a rotated family presented to a rotate
    // endpoint revokes the family's active token (before the usual 401).
    void detectReuse(const std::vector<std::string>& segs);
    bool versionAtLeast(int major, int minor) const;
    SimResponse version(bool metadata);
    SimResponse listProjects(std::optional<Id> group_scope, bool include_subgroups, std::optional<Id> user_scope = std::nullopt);
    SimResponse getProject(GlProject& p);
    SimResponse listGroups();
    SimResponse listNamespaces();
    SimResponse postStatus(GlProject& p, const std::string& sha);
    SimResponse listStatuses(GlProject& p, const std::string& sha);
    SimResponse commitMrs(GlProject& p, const std::string& sha);
    SimResponse listMrs(GlProject& p);
    SimResponse notes(GlProject& p, GlMergeRequest& mr, const std::vector<std::string>& segs);
    // GET .../members/:user_id (direct) and .../members/all/:user_id (with ancestor groups' members).
    SimResponse member(const GlProject* p, const GlGroup* g, bool inherited, const std::string& user_id);
    int groupLevelOf(const GlGroup& g, Id user, bool inherited) const;
    json memberJson(const GlUser& u, int level, const std::string& source_created_at) const;
    SimResponse ok(const json& body, int status = 200) {
        SimResponse r;
        r.json(status, body.dump());
        return r;
    }

    Ctx& ctx_;
    GitLabWorld& w_;
    const SimRequest& req_;
    std::string api_path_;
    std::map<std::string, std::string> route_params_;
    Auth auth_;
    std::vector<std::pair<std::string, std::string>> extra_headers_;
};

// ------------------------------------------------------------------ auth

void GitLab::authenticate() {
    std::string value;
    bool bearer = false;
    std::string h = req_.header("private-token");
    if (!h.empty()) value = h;
    std::string authz = req_.header("authorization");
    if (value.empty() && authz.size() > 7 && lower(authz.substr(0, 7)) == "bearer ") {
        value = authz.substr(7);
        bearer = true;
    }
    if (value.empty()) {
        for (auto& [k, v] : req_.query) {
            if (k == "private_token") value = v;
            if (k == "access_token") value = v, bearer = true;
        }
    }
    if (value.empty()) {
        if (!authz.empty()) message(401, "401 Unauthorized");
        return;  // anonymous
    }
    auto it = w_.token_by_value.find(value);
    if (it == w_.token_by_value.end()) message(401, "401 Unauthorized");
    GlToken& t = w_.tokens[it->second];
    // OAuth tokens only travel as Bearer/access_token; PATs in any of the three places.
    if (t.kind == GlTokenKind::OAuth && !bearer) message(401, "401 Unauthorized");
    auto invalid = [&](const std::string& desc) {
        SimResponse r;
        r.json(401, json{{"error", "invalid_token"}, {"error_description", desc}}.dump());
        r.set("WWW-Authenticate", "Bearer realm=\"The API\", error=\"invalid_token\", error_description=\"" + desc + "\"");
        throw Answer{r};
    };
    if (t.revoked) invalid("Token was revoked. You have to re-authorize from the user.");
    bool expired = false;
    if (t.kind == GlTokenKind::OAuth) {
        expired = t.expires_epoch && ctx_.now >= *t.expires_epoch;
    } else if (t.expires_at) {
        std::int64_t e = 0;
        parseTime(*t.expires_at, e);
        expired = ctx_.now >= e;
    }
    if (expired) invalid("Token is expired. You can either do re-authorization or token refresh.");
    GlUser* u = w_.user(t.user);
    if (!u) message(401, "401 Unauthorized");
    if (u->state == "blocked") message(403, "403 Forbidden - Your account has been blocked.");
    if (u->state == "deactivated")
        message(403, "403 Forbidden - Your account has been deactivated by your administrator. Please log back in to reactivate your account.");
    auth_.token = &t;
    auth_.user = u;
}

void GitLab::requireScope(std::initializer_list<const char*> accepted) {
    if (!auth_.token) return;  // anonymous: endpoint-level rules decide
    for (auto* a : accepted)
        for (auto& s : auth_.token->scopes)
            if (s == a) return;
    std::string list;
    for (auto* a : accepted) list += std::string(list.empty() ? "" : " ") + a;
    answer(403, json{{"error", "insufficient_scope"},
                     {"error_description", "The request requires higher privileges than provided by the access token."},
                     {"scope", list}});
}

void GitLab::rateLimit() {
    if (w_.rate_limit <= 0) return;
    std::string key = auth_.token ? auth_.token->value : "anonymous";
    RateWindow& win = w_.rate[key];
    if (win.count == 0 || ctx_.now >= win.start + w_.rate_period) {
        win.start = ctx_.now;
        win.count = 0;
    }
    ++win.count;
    std::int64_t reset = win.start + w_.rate_period;
    std::string name = auth_.token ? "throttle_authenticated_api" : "throttle_unauthenticated_api";
    extra_headers_ = {{"RateLimit-Limit", std::to_string(w_.rate_limit)},
                      {"RateLimit-Name", name},
                      {"RateLimit-Observed", std::to_string(win.count)},
                      {"RateLimit-Remaining", std::to_string(std::max<std::int64_t>(0, w_.rate_limit - win.count))},
                      {"RateLimit-Reset", std::to_string(reset)},
                      {"RateLimit-ResetTime", httpDate(reset)}};
    if (win.count > w_.rate_limit) {
        SimResponse r;
        r.status = 429;
        r.body = "Retry later\n";
        r.set("Content-Type", "text/plain");
        for (auto& h : extra_headers_) r.set(h.first, h.second);
        r.set("Retry-After", std::to_string(std::max<std::int64_t>(1, reset - ctx_.now)));
        throw Answer{r};
    }
}

// ------------------------------------------------------------------ access

int GitLab::groupAccess(const GlGroup& g) const {
    if (!auth_.user) return 0;
    int best = 0;
    const GlGroup* cur = &g;
    while (cur) {
        auto it = cur->members.find(auth_.user->id);
        if (it != cur->members.end()) best = std::max(best, it->second);
        cur = cur->parent ? const_cast<GitLabWorld&>(w_).group(*cur->parent) : nullptr;
    }
    return best;
}

int GitLab::accessLevel(const GlProject& p, int* direct, int* via_group) const {
    int d = 0, g = 0;
    if (auth_.user) {
        auto it = p.members.find(auth_.user->id);
        if (it != p.members.end()) d = it->second;
        if (p.group_id) {
            if (const GlGroup* gr = const_cast<GitLabWorld&>(w_).group(*p.group_id)) g = groupAccess(*gr);
        } else if (p.user_namespace == auth_.user->id) {
            d = std::max(d, 50);  // owner of the personal namespace
        }
    }
    if (direct) *direct = d;
    if (via_group) *via_group = g;
    return std::max(d, g);
}

bool GitLab::canRead(const GlProject& p) const {
    if (p.visibility == "public") return true;
    if (!auth_.user) return false;
    if (auth_.user->admin || p.visibility == "internal") return true;
    return accessLevel(p) >= 10;
}

bool GitLab::canReadGroup(const GlGroup& g) const {
    if (g.visibility == "public") return true;
    if (!auth_.user) return false;
    if (auth_.user->admin || g.visibility == "internal") return true;
    if (groupAccess(g) > 0) return true;
    // Members of a descendant group or project may see the ancestors.
    for (auto& other : w_.groups) {
        if (other.full_path.rfind(g.full_path + "/", 0) == 0 && groupAccess(other) > 0) return true;
    }
    return false;
}

GlProject& GitLab::findProject(const std::string& id, const std::vector<std::string>& segs) {
    GlProject* p = nullptr;
    bool numeric = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (numeric) {
        p = w_.project(std::stoll(id));
    } else if (auto it = w_.project_by_path.find(id); it != w_.project_by_path.end()) {
        p = &w_.projects[it->second];
    } else if (auto m = w_.moved.find(id); m != w_.moved.end()) {
        GlProject* target = w_.project(m->second);
        if (target && canRead(*target) && (req_.method == "GET" || req_.method == "HEAD")) {
            std::string loc = webBase() + "/api/v4/projects/" + percentEncode(target->fullPath());
            for (std::size_t i = 2; i < segs.size(); ++i) loc += "/" + percentEncode(segs[i]);
            if (!req_.raw_query.empty()) loc += "?" + req_.raw_query;
            SimResponse r;
            r.json(301, R"({"message":"301 Moved Permanently"})");
            r.set("Location", loc);
            throw Answer{r};
        }
    }
    if (!p || !canRead(*p)) notFound("Project");
    route_params_["id"] = id;
    return *p;
}

GlGroup& GitLab::findGroup(const std::string& id) {
    GlGroup* g = nullptr;
    bool numeric = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (numeric) g = w_.group(std::stoll(id));
    else if (auto it = w_.group_by_path.find(id); it != w_.group_by_path.end()) g = &w_.groups[it->second];
    if (!g || !canReadGroup(*g)) notFound("Group");
    route_params_["id"] = id;
    return *g;
}

GlMergeRequest& GitLab::findMr(GlProject& p, const std::string& iid) {
    for (auto& mr : p.merge_requests)
        if (std::to_string(mr.iid) == iid) return mr;
    message(404, "404 Not found");
}

std::optional<std::int64_t> GitLab::intParam(const char* name) const {
    auto v = q(name);
    if (!v) return std::nullopt;
    try {
        std::size_t used = 0;
        std::int64_t n = std::stoll(*v, &used);
        if (used == v->size()) return n;
    } catch (...) {
    }
    answer(400, json{{"error", std::string(name) + " is invalid"}});
}

// ------------------------------------------------------------------ entities

json GitLab::userBasic(Id id) const {
    const GlUser* u = const_cast<GitLabWorld&>(w_).user(id);
    if (!u) return nullptr;
    return json{{"id", u->id},
                {"username", u->username},
                {"name", u->name},
                {"state", u->state},
                {"locked", false},
                {"avatar_url", "https://www.gravatar.com/avatar/" + std::to_string(u->id) + "?s=80&d=identicon"},
                {"web_url", webBase() + "/" + u->username}};
}

json GitLab::userJson(const GlUser& u) const {
    json j = userBasic(u.id);
    j.update(json{{"created_at", u.created_at},
                  {"bio", ""},
                  {"location", ""},
                  {"public_email", nullptr},
                  {"skype", ""},
                  {"linkedin", ""},
                  {"twitter", ""},
                  {"discord", ""},
                  {"website_url", ""},
                  {"organization", ""},
                  {"job_title", ""},
                  {"pronouns", nullptr},
                  {"bot", u.bot},
                  {"work_information", nullptr},
                  {"local_time", nullptr},
                  {"last_sign_in_at", nullptr},
                  {"confirmed_at", u.created_at},
                  {"last_activity_on", isoTime(ctx_.now).substr(0, 10)},
                  {"email", u.email},
                  {"theme_id", 1},
                  {"color_scheme_id", 1},
                  {"projects_limit", u.bot ? 0 : 100000},
                  {"current_sign_in_at", nullptr},
                  {"identities", json::array()},
                  {"can_create_group", !u.bot},
                  {"can_create_project", !u.bot},
                  {"two_factor_enabled", false},
                  {"external", false},
                  {"private_profile", false},
                  {"commit_email", u.email}});
    if (u.admin) j["is_admin"] = true;
    return j;
}

json GitLab::namespaceJson(const GlProject& p) const {
    if (p.group_id) {
        const GlGroup* g = const_cast<GitLabWorld&>(w_).group(*p.group_id);
        return json{{"id", g->id},
                    {"name", g->name},
                    {"path", g->path},
                    {"kind", "group"},
                    {"full_path", g->full_path},
                    {"parent_id", g->parent ? json(*g->parent) : json(nullptr)},
                    {"avatar_url", nullptr},
                    {"web_url", webBase() + "/groups/" + g->full_path}};
    }
    const GlUser* u = const_cast<GitLabWorld&>(w_).user(p.user_namespace);
    return json{{"id", u->id},           {"name", u->name}, {"path", u->username}, {"kind", "user"},
                {"full_path", u->username}, {"parent_id", nullptr}, {"avatar_url", nullptr},
                {"web_url", webBase() + "/" + u->username}};
}

json GitLab::projectJson(const GlProject& p, bool simple) const {
    std::string full = p.fullPath();
    std::string ns_name;
    if (p.group_id) {
        for (const GlGroup* g = const_cast<GitLabWorld&>(w_).group(*p.group_id); g;
             g = g->parent ? const_cast<GitLabWorld&>(w_).group(*g->parent) : nullptr)
            ns_name = ns_name.empty() ? g->name : g->name + " / " + ns_name;
    } else {
        ns_name = const_cast<GitLabWorld&>(w_).user(p.user_namespace)->name;
    }
    std::string host = webBase();
    std::string ssh_host = "127.0.0.1";
    json j{{"id", p.id},
           {"description", p.description},
           {"name", p.name},
           {"name_with_namespace", ns_name + " / " + p.name},
           {"path", p.path},
           {"path_with_namespace", full},
           {"created_at", p.created_at},
           {"default_branch", p.default_branch},
           {"tag_list", json::array()},
           {"topics", json::array()},
           {"ssh_url_to_repo", "git@" + ssh_host + ":" + full + ".git"},
           {"http_url_to_repo", host + "/" + full + ".git"},
           {"web_url", host + "/" + full},
           {"readme_url", nullptr},
           {"forks_count", 0},
           {"avatar_url", nullptr},
           {"star_count", 0},
           {"last_activity_at", p.last_activity_at},
           {"namespace", namespaceJson(p)}};
    if (simple) return j;
    std::string api = host + "/api/v4/projects/" + std::to_string(p.id);
    j.update(json{{"container_registry_image_prefix", "registry.127.0.0.1/" + full},
                  {"_links",
                   {{"self", api},
                    {"issues", api + "/issues"},
                    {"merge_requests", api + "/merge_requests"},
                    {"repo_branches", api + "/repository/branches"},
                    {"labels", api + "/labels"},
                    {"events", api + "/events"},
                    {"members", api + "/members"},
                    {"cluster_agents", api + "/cluster_agents"}}},
                  {"packages_enabled", true},
                  {"empty_repo", p.commits.empty() && p.merge_requests.empty()},
                  {"archived", p.archived},
                  {"visibility", p.visibility},
                  {"resolve_outdated_diff_discussions", false},
                  {"issues_enabled", true},
                  {"merge_requests_enabled", true},
                  {"wiki_enabled", true},
                  {"jobs_enabled", true},
                  {"snippets_enabled", true},
                  {"container_registry_enabled", true},
                  {"service_desk_enabled", false},
                  {"can_create_merge_request_in", accessLevel(p) >= 30},
                  {"emails_disabled", false},
                  {"emails_enabled", true},
                  {"shared_runners_enabled", true},
                  {"lfs_enabled", true},
                  {"creator_id", p.user_namespace ? p.user_namespace : 1},
                  {"import_status", "none"},
                  {"open_issues_count", 0},
                  {"ci_default_git_depth", 20},
                  {"ci_config_path", nullptr},
                  {"public_jobs", true},
                  {"shared_with_groups", json::array()},
                  {"only_allow_merge_if_pipeline_succeeds", false},
                  {"allow_merge_on_skipped_pipeline", nullptr},
                  {"request_access_enabled", true},
                  {"only_allow_merge_if_all_discussions_are_resolved", false},
                  {"remove_source_branch_after_merge", true},
                  {"printing_merge_request_link_enabled", true},
                  {"merge_method", "merge"},
                  {"squash_option", "default_off"},
                  {"autoclose_referenced_issues", true},
                  {"merge_requests_access_level", "enabled"},
                  {"repository_access_level", "enabled"},
                  {"builds_access_level", "enabled"}});
    if (auth_.user) {
        int direct = 0, group = 0;
        accessLevel(p, &direct, &group);
        json perms{{"project_access", nullptr}, {"group_access", nullptr}};
        if (direct) perms["project_access"] = {{"access_level", direct}, {"notification_level", 3}};
        if (group) perms["group_access"] = {{"access_level", group}, {"notification_level", 3}};
        j["permissions"] = perms;
    }
    if (p.user_namespace) j["owner"] = userBasic(p.user_namespace);
    return j;
}

std::string GitLab::projectText(const GlProject& p, bool simple) const {
    std::size_t idx = w_.project_by_id.at(p.id);
    auto& cache = simple ? w_.simple_json_cache : w_.full_json_cache;
    if (cache.size() != w_.projects.size()) cache.assign(w_.projects.size(), std::string());
    if (cache[idx].empty()) {
        // The caller-independent part; permissions are appended per caller below.
        json j = projectJson(p, simple);
        j.erase("permissions");
        j.erase("can_create_merge_request_in");
        cache[idx] = j.dump();
    }
    if (simple) return cache[idx];
    // The per-caller tail is written as text: json objects built, dumped and freed for it per project
    // showed up in perf of the listing benchmark, and the simulator must not be what it measures.
    // One allocation and one copy of the cached part per project (a page is 100 of them).
    const std::string& cached = cache[idx];
    std::string text;
    text.reserve(cached.size() + 160);
    text.append(cached, 0, cached.size() - 1);  // without its '}'
    int direct = 0, group = 0;
    const int level = accessLevel(p, &direct, &group);
    text += level >= 30 ? ",\"can_create_merge_request_in\":true" : ",\"can_create_merge_request_in\":false";
    if (auth_.user) {
        const auto access = [&text](int value) {
            if (!value) {
                text += "null";
                return;
            }
            text += "{\"access_level\":";
            text += std::to_string(value);
            text += ",\"notification_level\":3}";
        };
        text += ",\"permissions\":{\"group_access\":";
        access(group);
        text += ",\"project_access\":";
        access(direct);
        text += "}";
    }
    text += "}";
    return text;
}

json GitLab::groupJson(const GlGroup& g) const {
    return json{{"id", g.id},
                {"web_url", webBase() + "/groups/" + g.full_path},
                {"name", g.name},
                {"path", g.path},
                {"description", ""},
                {"visibility", g.visibility},
                {"share_with_group_lock", false},
                {"require_two_factor_authentication", false},
                {"project_creation_level", "developer"},
                {"subgroup_creation_level", "maintainer"},
                {"lfs_enabled", true},
                {"avatar_url", nullptr},
                {"request_access_enabled", true},
                {"full_name", g.full_path},
                {"full_path", g.full_path},
                {"created_at", isoTime(1704067200)},
                {"parent_id", g.parent ? json(*g.parent) : json(nullptr)}};
}

json GitLab::mrJson(const GlProject& p, const GlMergeRequest& mr, bool full) const {
    int user_notes = 0;
    for (auto& n : mr.notes) user_notes += n.system ? 0 : 1;
    json j{{"id", mr.id},
           {"iid", mr.iid},
           {"project_id", p.id},
           {"title", mr.title},
           {"description", ""},
           {"state", mr.state},
           {"created_at", mr.created_at},
           {"updated_at", mr.created_at},
           {"merged_by", nullptr},
           {"merged_at", nullptr},
           {"closed_by", nullptr},
           {"closed_at", nullptr},
           {"target_branch", mr.target_branch},
           {"source_branch", mr.source_branch},
           {"user_notes_count", user_notes},
           {"upvotes", 0},
           {"downvotes", 0},
           {"author", userBasic(mr.author)},
           {"assignees", json::array()},
           {"assignee", nullptr},
           {"reviewers", json::array()},
           {"source_project_id", mr.source_project_id},
           {"target_project_id", p.id},
           {"labels", json::array()},
           {"draft", false},
           {"work_in_progress", false},
           {"milestone", nullptr},
           {"merge_when_pipeline_succeeds", false},
           {"merge_status", "can_be_merged"},
           {"detailed_merge_status", "mergeable"},
           {"sha", mr.sha},
           {"merge_commit_sha", nullptr},
           {"squash_commit_sha", nullptr},
           {"discussion_locked", nullptr},
           {"should_remove_source_branch", nullptr},
           {"force_remove_source_branch", false},
           {"reference", "!" + std::to_string(mr.iid)},
           {"references", {{"short", "!" + std::to_string(mr.iid)}, {"relative", "!" + std::to_string(mr.iid)},
                           {"full", p.fullPath() + "!" + std::to_string(mr.iid)}}},
           {"web_url", webBase() + "/" + p.fullPath() + "/-/merge_requests/" + std::to_string(mr.iid)},
           {"time_stats", {{"time_estimate", 0}, {"total_time_spent", 0}, {"human_time_estimate", nullptr}, {"human_total_time_spent", nullptr}}},
           {"squash", false},
           {"task_completion_status", {{"count", 0}, {"completed_count", 0}}},
           {"has_conflicts", false},
           {"blocking_discussions_resolved", true}};
    if (full) {
        j["subscribed"] = false;
        j["changes_count"] = "1";
        j["diff_refs"] = {{"base_sha", nullptr}, {"head_sha", mr.sha}, {"start_sha", nullptr}};
        // Entities::MergeRequest: `pipeline` (PipelineBasic) and `head_pipeline` (Pipeline) are
        // the MR's latest pipeline; on merged results its sha is the merge-result commit, while
        // `sha` and diff_refs.head_sha stay the source branch's head.
        if (mr.head_pipeline) {
            const GlPipeline& hp = *mr.head_pipeline;
            const std::string web = webBase() + "/" + p.fullPath() + "/-/pipelines/" + std::to_string(hp.id);
            json basic{{"id", hp.id},
                       {"iid", hp.id % 1000},
                       {"project_id", p.id},
                       {"sha", hp.sha},
                       {"ref", hp.ref},
                       {"status", hp.status},
                       {"source", hp.source},
                       {"created_at", mr.created_at},
                       {"updated_at", mr.created_at},
                       {"web_url", web}};
            j["pipeline"] = basic;
            json head = basic;
            head.update(json{{"before_sha", "0000000000000000000000000000000000000000"},
                             {"tag", false},
                             {"yaml_errors", nullptr},
                             {"user", userBasic(mr.author)},
                             {"started_at", mr.created_at},
                             {"finished_at", nullptr},
                             {"committed_at", nullptr},
                             {"duration", nullptr},
                             {"queued_duration", nullptr},
                             {"coverage", nullptr},
                             {"detailed_status", {{"icon", "status_" + hp.status},
                                                  {"text", hp.status},
                                                  {"label", hp.status},
                                                  {"group", hp.status},
                                                  {"tooltip", hp.status},
                                                  {"has_details", true},
                                                  {"details_path", "/" + p.fullPath() + "/-/pipelines/" + std::to_string(hp.id)},
                                                  {"illustration", nullptr},
                                                  {"favicon", "/assets/ci_favicons/favicon_status_" + hp.status + ".png"}}}});
            j["head_pipeline"] = head;
        } else {
            j["pipeline"] = nullptr;
            j["head_pipeline"] = nullptr;
        }
        j["first_contribution"] = false;
    }
    return j;
}

json GitLab::noteJson(const GlProject& p, const GlMergeRequest& mr, const GlNote& n) const {
    return json{{"id", n.id},
                {"type", nullptr},
                {"body", n.body},
                {"attachment", nullptr},
                {"author", userBasic(n.author)},
                {"created_at", n.created_at},
                {"updated_at", n.updated_at},
                {"system", n.system},
                {"noteable_id", mr.id},
                {"noteable_type", "MergeRequest"},
                {"project_id", p.id},
                {"resolvable", false},
                {"confidential", false},
                {"internal", false},
                {"imported", false},
                {"imported_from", "none"},
                {"noteable_iid", mr.iid},
                {"commands_changes", json::object()}};
}

json GitLab::statusJson(const GlCommitStatus& s) const {
    auto orNull = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
    return json{{"id", s.id},
                {"sha", s.sha},
                {"ref", s.ref},
                {"status", s.status},
                {"name", s.name},
                {"target_url", orNull(s.target_url)},
                {"description", orNull(s.description)},
                {"created_at", s.created_at},
                {"started_at", orNull(s.started_at)},
                {"finished_at", orNull(s.finished_at)},
                {"allow_failure", false},
                {"coverage", s.coverage ? json(*s.coverage) : json(nullptr)},
                {"pipeline_id", s.pipeline_id},
                {"author", userBasic(s.author)}};
}

// ------------------------------------------------------------------ pagination

GitLab::Page GitLab::pageParams() const {
    Page p;
    if (auto v = intParam("page")) p.page = *v < 1 ? 1 : *v;
    if (auto v = intParam("per_page")) p.per_page = *v < 1 ? 20 : std::min<std::int64_t>(*v, 100);
    return p;
}

std::map<std::string, std::string> GitLab::linkParams(std::map<std::string, std::string> params) const {
    // Real GitLab echoes every declared param (defaults included) plus the route params.
    for (auto& [k, v] : req_.query) {
        if (k == "private_token" || k == "access_token") continue;
        params[k] = v;
    }
    for (auto& [k, v] : route_params_) params[k] = v;
    return params;
}

std::string GitLab::linkUrl(const std::map<std::string, std::string>& params) const {
    std::string url = webBase() + api_path_ + "?";
    bool first = true;
    for (auto& [k, v] : params) {
        if (!first) url += "&";
        first = false;
        url += percentEncode(k) + "=" + percentEncode(v);
    }
    return url;
}

template <typename Fn>
SimResponse GitLab::offsetPage(std::size_t total, std::map<std::string, std::string> params, const char* type, Fn item) {
    Page pg = pageParams();
    std::int64_t offset = (pg.page - 1) * pg.per_page;
    if (type && offset > kMaxOffset)
        answer(405, json{{"error", std::string("Offset pagination has a maximum allowed offset of 50000 for requests that return objects of type ") +
                                       type + ". Remaining records can be retrieved using keyset pagination."}});
    std::string body = "[";
    for (std::int64_t i = offset; i < static_cast<std::int64_t>(total) && i < offset + pg.per_page; ++i) {
        if (body.size() > 1) body += ",";
        if constexpr (std::is_same_v<decltype(item(i)), std::string>) body += item(i);
        else body += item(i).dump();
    }
    body += "]";
    params = linkParams(std::move(params));
    params["per_page"] = std::to_string(pg.per_page);
    std::int64_t total_pages = std::max<std::int64_t>(1, (static_cast<std::int64_t>(total) + pg.per_page - 1) / pg.per_page);
    bool has_next = offset + pg.per_page < static_cast<std::int64_t>(total);
    bool counted = total <= static_cast<std::size_t>(kCountLimit);
    auto link = [&](std::int64_t page, const char* rel) {
        auto ps = params;
        ps["page"] = std::to_string(page);
        return "<" + linkUrl(ps) + ">; rel=\"" + rel + "\"";
    };
    std::string links;
    auto add = [&](const std::string& l) { links += (links.empty() ? "" : ", ") + l; };
    if (pg.page > 1) add(link(std::min(pg.page - 1, total_pages), "prev"));
    if (has_next) add(link(pg.page + 1, "next"));
    add(link(1, "first"));
    if (counted) add(link(total_pages, "last"));
    SimResponse r;
    r.json(200, body);
    r.set("Link", links);
    r.set("X-Page", std::to_string(pg.page));
    r.set("X-Per-Page", std::to_string(pg.per_page));
    r.set("X-Next-Page", has_next ? std::to_string(pg.page + 1) : "");
    r.set("X-Prev-Page", pg.page > 1 ? std::to_string(pg.page - 1) : "");
    if (counted) {
        r.set("X-Total", std::to_string(total));
        r.set("X-Total-Pages", std::to_string(total_pages));
    }
    return r;
}

// ------------------------------------------------------------------ endpoints

SimResponse GitLab::user() {
    requireAuth();
    requireScope({"read_user", "api", "read_api"});
    return ok(userJson(*auth_.user));
}

SimResponse GitLab::tokenSelf() {
    // The endpoint exists since GitLab 15.5: older versions answer Grape's unknown route.
    int major = 0, minor = 0;
    if (std::sscanf(w_.version.c_str(), "%d.%d", &major, &minor) == 2 && (major < 15 || (major == 15 && minor < 5))) {
        SimResponse nf;
        nf.json(404, R"({"error":"404 Not Found"})");
        return nf;
    }
    requireAuth();
    if (auth_.token->kind == GlTokenKind::OAuth)
        message(400, "400 Bad request - This endpoint requires token type to be a personal access token");
    const GlToken& t = *auth_.token;
    return ok(json{{"id", t.id},
                   {"name", t.name},
                   {"revoked", t.revoked},
                   {"created_at", t.created_at},
                   {"description", nullptr},
                   {"scopes", t.scopes},
                   {"user_id", t.user},
                   {"last_used_at", isoTime(ctx_.now)},
                   {"active", !t.reported_inactive},
                   {"expires_at", t.expires_at ? json(*t.expires_at) : json(nullptr)},
                   {"last_used_ips", json::array({"127.0.0.1"})}});
}

// DELETE /personal_access_tokens/self: the token revokes itself (any scope, PAT types only); every
// later call with it is 401 "Token was revoked" (API-FACTS A5, A2).
SimResponse GitLab::revokeTokenSelf() {
    requireAuth();
    if (auth_.token->kind == GlTokenKind::OAuth)
        message(400, "400 Bad request - This endpoint requires token type to be a personal access token");
    auth_.token->revoked = true;
    SimResponse r;
    r.status = 204;
    return r;
}

bool GitLab::versionAtLeast(int major, int minor) const {
    int have_major = 0, have_minor = 0;
    if (std::sscanf(w_.version.c_str(), "%d.%d", &have_major, &have_minor) != 2) return true;
    return have_major > major || (have_major == major && have_minor >= minor);
}

namespace {
bool isRotateRoute(const std::vector<std::string>& segs) {
    return (segs.size() == 3 && segs[0] == "personal_access_tokens" && segs[1] == "self" && segs[2] == "rotate") ||
           (segs.size() == 5 && (segs[0] == "projects" || segs[0] == "groups") && segs[2] == "access_tokens" &&
            segs[3] == "self" && segs[4] == "rotate");
}
}  // namespace

void GitLab::detectReuse(const std::vector<std::string>& segs) {
    if (req_.method != "POST" || !isRotateRoute(segs)) return;
    std::string value = req_.header("private-token");
    std::string authz = req_.header("authorization");
    if (value.empty() && authz.size() > 7 && lower(authz.substr(0, 7)) == "bearer ") value = authz.substr(7);
    auto it = w_.token_by_value.find(value);
    if (value.empty() || it == w_.token_by_value.end()) return;
    const GlToken* t = &w_.tokens[it->second];
    if (!t->revoked || !t->rotated_to) return;
    // Walk the family to its newest member and revoke it (API-FACTS A5: "the active token from
    // the token family gets revoked"); the request itself then fails as any revoked token does.
    for (int hops = 0; t->rotated_to && hops < 10000; ++hops) {
        auto next = std::find_if(w_.tokens.begin(), w_.tokens.end(), [&](const GlToken& c) { return c.id == *t->rotated_to; });
        if (next == w_.tokens.end()) break;
        t = &*next;
    }
    const_cast<GlToken*>(t)->revoked = true;
}

// Rotation (GitLab doc/api/personal_access_tokens.md, project_access_tokens.md,
// group_access_tokens.md): the calling token is revoked and a new one with the same name, scopes
// and (project/group) access level is made; `token` appears only in this answer. Self-rotation of
// personal tokens exists since 16.10 (scope api); of project and group tokens, and the
// self_rotate scope, since 17.9 (gitlab-org/gitlab!178111). Older versions have no `self` route.
SimResponse GitLab::rotateTokenSelf(GlTokenKind kind, const GlProject* project, const GlGroup* group) {
    const bool personal = kind == GlTokenKind::Personal;
    if (!versionAtLeast(personal ? 16 : 17, personal ? 10 : 9)) {
        SimResponse nf;
        nf.json(404, R"({"error":"404 Not Found"})");
        return nf;
    }
    requireAuth();
    if (auth_.token->kind != kind) message(405, "405 Method Not Allowed");
    if ((project && auth_.token->project != project->id) || (group && auth_.token->group != group->id))
        message(401, "401 Unauthorized");
    const bool self_rotate = versionAtLeast(17, 9) &&
                             std::find(auth_.token->scopes.begin(), auth_.token->scopes.end(), "self_rotate") != auth_.token->scopes.end();
    const bool api = std::find(auth_.token->scopes.begin(), auth_.token->scopes.end(), "api") != auth_.token->scopes.end();
    if (!api && !self_rotate) message(403, "403 Forbidden");

    const std::string today = isoTime(ctx_.now).substr(0, 10);
    std::string expires = isoTime(ctx_.now + 7 * 86400).substr(0, 10);  // default: one week
    if (auto given = q("expires_at")) {
        std::int64_t at = 0;
        if (given->size() != 10 || !parseTime(*given, at)) answer(400, json{{"error", "expires_at is invalid"}});
        if (*given <= today) message(400, "400 Bad request - Expiration date must be in the future");
        if (*given > isoTime(ctx_.now + 365 * 86400).substr(0, 10))
            message(400, "400 Bad request - Expiration date must be one year or less from the rotation date");
        expires = *given;
    }

    GlToken fresh = *auth_.token;  // name, kind, user, scopes, project/group, access level
    fresh.id = w_.next_token_id++;
    do {
        fresh.value = "glpat-" + randomAlnum(ctx_.rng, 20);
    } while (w_.token_by_value.count(fresh.value));
    fresh.expires_at = expires;
    fresh.revoked = false;
    fresh.reported_inactive = false;
    fresh.created_at = isoTime(ctx_.now);
    fresh.created_epoch = ctx_.now;
    fresh.rotated_to.reset();
    auth_.token->revoked = true;  // at once: the old token answers 401 from now on
    auth_.token->rotated_to = fresh.id;
    const Id user_id = fresh.user;
    w_.tokens.push_back(fresh);  // may move every token: auth_.token is not used after this
    w_.token_by_value[fresh.value] = w_.tokens.size() - 1;
    auth_.token = nullptr;

    json body{{"id", fresh.id},
              {"name", fresh.name},
              {"revoked", false},
              {"created_at", fresh.created_at},
              {"description", nullptr},
              {"scopes", fresh.scopes},
              {"user_id", user_id},
              {"last_used_at", nullptr},
              {"active", true},
              {"expires_at", expires}};
    if (!personal) {
        body["access_level"] = fresh.access_level;
        body["resource_type"] = project ? "project" : "group";
        body["resource_id"] = project ? project->id : group->id;
    }
    body["token"] = fresh.value;
    return ok(body);
}

SimResponse GitLab::version(bool metadata) {
    requireAuth();
    requireScope({"read_user", "api", "read_api"});
    if (!metadata) return ok(json{{"version", w_.version}, {"revision", w_.revision}});
    return ok(json{{"version", w_.version},
                   {"revision", w_.revision},
                   {"kas", {{"enabled", false}, {"externalUrl", nullptr}, {"externalK8sProxyUrl", nullptr}, {"version", nullptr}}},
                   {"enterprise", w_.version.find("-ee") != std::string::npos}});
}

SimResponse GitLab::listProjects(std::optional<Id> group_scope, bool include_subgroups, std::optional<Id> user_scope) {
    readScope();
    bool keyset = q("pagination") && *q("pagination") == "keyset";
    std::string order_by = q("order_by").value_or(keyset ? "id" : "created_at");
    std::string sort = q("sort").value_or("desc");
    static const std::set<std::string> orders = {"id", "name", "path", "created_at", "updated_at", "last_activity_at", "similarity", "star_count"};
    if (!orders.count(order_by)) answer(400, json{{"error", "order_by does not have a valid value"}});
    if (sort != "asc" && sort != "desc") answer(400, json{{"error", "sort does not have a valid value"}});
    if (keyset && order_by != "id")
        answer(405, json{{"error", "Keyset pagination is not yet available for this type of request"}});
    bool membership = boolParam("membership");
    bool owned = boolParam("owned");
    bool simple = boolParam("simple") || !auth_.user;
    auto min_level = intParam("min_access_level");
    auto archived = q("archived");
    auto visibility = q("visibility");
    std::string search = lower(q("search").value_or(""));
    bool search_ns = boolParam("search_namespaces");

    // The filtered, ordered index list is cached: memberships do not change while serving.
    std::string key = std::to_string(auth_.user ? auth_.user->id : 0) + "|" + (group_scope ? std::to_string(*group_scope) : "-") +
                      (user_scope ? "|u" + std::to_string(*user_scope) : "") +
                      "|" + (include_subgroups ? "s" : "") + (membership ? "m" : "") + (owned ? "o" : "") + "|" +
                      (min_level ? std::to_string(*min_level) : "") + "|" + archived.value_or("") + "|" + visibility.value_or("") +
                      "|" + search + (search_ns ? "|ns" : "") + "|" + order_by + "|" + sort;
    std::shared_ptr<std::vector<std::size_t>> list;
    if (auto it = ctx_.listing_cache.find(key); it != ctx_.listing_cache.end()) {
        list = it->second;
    } else {
        list = std::make_shared<std::vector<std::size_t>>();
        std::string scope_path;
        if (group_scope) scope_path = w_.group(*group_scope)->full_path;
        for (std::size_t i = 0; i < w_.projects.size(); ++i) {
            const GlProject& p = w_.projects[i];
            if (group_scope) {
                if (!p.group_id) continue;
                if (include_subgroups ? (p.namespace_full_path != scope_path && p.namespace_full_path.rfind(scope_path + "/", 0) != 0)
                                      : *p.group_id != *group_scope)
                    continue;
            }
            if (user_scope && p.user_namespace != *user_scope) continue;
            if (!canRead(p)) continue;
            if (membership || min_level) {
                int lvl = accessLevel(p);
                if (lvl < (min_level ? *min_level : 1)) continue;
            }
            if (owned && !(auth_.user && p.user_namespace == auth_.user->id)) continue;
            if (archived && (*archived == "true") != p.archived) continue;
            if (visibility && *visibility != p.visibility) continue;
            if (!search.empty()) {
                std::string hay = lower(p.name) + "\n" + lower(p.path) + (search_ns ? "\n" + lower(p.fullPath()) : "");
                if (hay.find(search) == std::string::npos) continue;
            }
            list->push_back(i);
        }
        auto& ps = w_.projects;
        auto keyOf = [&](std::size_t i) -> const std::string& {
            const GlProject& p = ps[i];
            if (order_by == "name") return p.name;
            if (order_by == "path") return p.path;
            if (order_by == "updated_at" || order_by == "last_activity_at") return p.last_activity_at;
            return p.created_at;
        };
        bool desc = sort == "desc";
        if (order_by == "id" || order_by == "similarity" || order_by == "star_count") {
            if (desc) std::reverse(list->begin(), list->end());  // projects are stored by id
        } else {
            std::stable_sort(list->begin(), list->end(), [&](std::size_t a, std::size_t b) {
                int c = keyOf(a).compare(keyOf(b));
                if (c == 0) return desc ? ps[a].id > ps[b].id : ps[a].id < ps[b].id;
                return desc ? c > 0 : c < 0;
            });
        }
        if (ctx_.listing_cache.size() > 2000) ctx_.listing_cache.clear();
        ctx_.listing_cache[key] = list;
    }
    auto id_after = intParam("id_after");
    auto id_before = intParam("id_before");
    const std::vector<std::size_t>* view = list.get();
    std::vector<std::size_t> filtered;
    if (id_after || id_before) {
        for (std::size_t i : *list) {
            Id id = w_.projects[i].id;
            if ((id_after && id <= *id_after) || (id_before && id >= *id_before)) continue;
            filtered.push_back(i);
        }
        view = &filtered;
    }
    if (keyset) {
        Page pg = pageParams();
        std::string arr = "[";
        std::size_t n = std::min<std::size_t>(view->size(), static_cast<std::size_t>(pg.per_page));
        for (std::size_t k = 0; k < n; ++k) {
            if (k) arr += ',';
            arr += projectText(w_.projects[(*view)[k]], simple);
        }
        arr += "]";
        SimResponse r;
        r.json(200, arr);
        if (n == static_cast<std::size_t>(pg.per_page) && n > 0) {
            auto params = linkParams({{"order_by", order_by}, {"sort", sort}, {"pagination", "keyset"}});
            params["per_page"] = std::to_string(pg.per_page);
            params.erase("id_after");
            params.erase("id_before");
            params.erase("page");
            Id last = w_.projects[(*view)[n - 1]].id;
            params[sort == "asc" ? "id_after" : "id_before"] = std::to_string(last);
            r.set("Link", "<" + linkUrl(params) + ">; rel=\"next\"");
        }
        r.set("X-Per-Page", std::to_string(pg.per_page));
        return r;
    }
    return offsetPage(view->size(), {{"order_by", order_by}, {"sort", sort}}, "Project",
                      [&](std::int64_t i) { return projectText(w_.projects[(*view)[i]], simple); });
}

SimResponse GitLab::listGroups() {
    readScope();
    std::string search = lower(q("search").value_or(""));
    bool all_available = q("all_available") ? boolParam("all_available") : false;
    bool owned = boolParam("owned");
    bool top = boolParam("top_level_only");
    auto min_level = intParam("min_access_level");
    std::string order_by = q("order_by").value_or("name");
    std::string sort = q("sort").value_or("asc");
    std::vector<const GlGroup*> out;
    for (auto& g : w_.groups) {
        if (!canReadGroup(g)) continue;
        int lvl = groupAccess(g);
        bool admin = auth_.user && auth_.user->admin;
        if (!all_available && !admin && lvl == 0 && g.visibility == "private") continue;
        if (!all_available && !admin && lvl == 0 && !auth_.user) continue;
        if (!all_available && !admin && lvl == 0) continue;
        if (owned && lvl < 50) continue;
        if (min_level && lvl < *min_level) continue;
        if (top && g.parent) continue;
        if (!search.empty() && lower(g.name + "\n" + g.path).find(search) == std::string::npos) continue;
        out.push_back(&g);
    }
    std::stable_sort(out.begin(), out.end(), [&](const GlGroup* a, const GlGroup* b) {
        int c = order_by == "id" ? (a->id < b->id ? -1 : a->id > b->id) : order_by == "path" ? a->path.compare(b->path) : a->name.compare(b->name);
        if (c == 0) c = a->id < b->id ? -1 : 1;
        return sort == "desc" ? c > 0 : c < 0;
    });
    return offsetPage(out.size(), {{"order_by", order_by}, {"sort", sort}}, "Group", [&](std::int64_t i) { return groupJson(*out[i]); });
}

SimResponse GitLab::listNamespaces() {
    requireAuth();
    readScope();
    std::string search = lower(q("search").value_or(""));
    json items = json::array();
    std::vector<json> out;
    const GlUser& u = *auth_.user;
    if (search.empty() || lower(u.username).find(search) != std::string::npos)
        out.push_back(json{{"id", u.id}, {"name", u.name}, {"path", u.username}, {"kind", "user"}, {"full_path", u.username},
                           {"parent_id", nullptr}, {"avatar_url", nullptr}, {"web_url", webBase() + "/" + u.username},
                           {"billable_members_count", 1}, {"plan", "free"}});
    for (auto& g : w_.groups) {
        bool member = g.members.count(u.id) > 0;
        if (!member && !u.admin) continue;
        if (boolParam("top_level_only") && g.parent) continue;
        if (!search.empty() && lower(g.name + "\n" + g.full_path).find(search) == std::string::npos) continue;
        out.push_back(json{{"id", g.id}, {"name", g.name}, {"path", g.path}, {"kind", "group"}, {"full_path", g.full_path},
                           {"parent_id", g.parent ? json(*g.parent) : json(nullptr)}, {"avatar_url", nullptr},
                           {"web_url", webBase() + "/groups/" + g.full_path}, {"members_count_with_descendants", g.members.size()}});
    }
    return offsetPage(out.size(), {}, nullptr, [&](std::int64_t i) { return out[i]; });
}

SimResponse GitLab::postStatus(GlProject& p, const std::string& sha) {
    requireAuth();
    writeScope();
    int lvl = auth_.user->admin ? 50 : accessLevel(p);
    if (lvl < 30 || p.archived) forbidden();
    auto state = q("state");
    static const std::set<std::string> states = {"pending", "running", "success", "failed", "canceled", "skipped"};
    if (!state) answer(400, json{{"error", "state is missing, state does not have a valid value"}});
    if (!states.count(*state)) answer(400, json{{"error", "state does not have a valid value"}});
    auto commit = p.commits.find(sha);
    if (commit == p.commits.end()) notFound("Commit");
    std::string ref = q("ref").value_or("");
    if (ref.empty()) {
        if (commit->second.empty()) notFound("References for commit");
        ref = commit->second.front();
    }
    if (p.protected_branches.count(ref) && lvl < 40) forbidden();
    std::string name = q("name").value_or(q("context").value_or("default"));
    if (name.empty()) name = "default";
    std::string target_url = q("target_url").value_or("");
    if (!target_url.empty() && target_url.rfind("http://", 0) != 0 && target_url.rfind("https://", 0) != 0)
        answer(400, json{{"message", {{"target_url", json::array({"is blocked: Only allowed schemes are http, https"})}}}});
    std::optional<double> coverage;
    if (auto c = q("coverage")) {
        try {
            coverage = std::stod(*c);
        } catch (...) {
            answer(400, json{{"error", "coverage is invalid"}});
        }
    }
    auto key = std::make_pair(p.id, sha);
    auto pit = w_.pipelines.find(key);
    if (auto pid = intParam("pipeline_id")) {
        if (pit == w_.pipelines.end() || pit->second != *pid) notFound("Pipeline for pipeline_id, sha and ref");
    }
    if (pit == w_.pipelines.end()) pit = w_.pipelines.emplace(key, w_.next_pipeline_id++).first;
    GlCommitStatus* existing = nullptr;
    for (auto it = w_.statuses.rbegin(); it != w_.statuses.rend(); ++it) {
        if (it->project_id == p.id && it->sha == sha && it->ref == ref && it->name == name && it->author == auth_.user->id &&
            (it->status == "pending" || it->status == "running")) {
            existing = &*it;
            break;
        }
    }
    std::string from = existing ? existing->status : "created";
    // The CommitStatus state machine, as GitLab's CreateCommitStatusService drives it.
    auto refuse = [&](const std::string& event) {
        message(400, "Cannot transition status via :" + event + " from :" + from + " (Reason(s): Status cannot transition via \"" + event + "\")");
    };
    const std::string& to = *state;
    if (to == "pending" && from != "created") refuse("enqueue");
    if (to == "running" && from == "running") refuse("run");
    if (to == "skipped" && from == "running") refuse("skip");
    GlCommitStatus fresh;
    GlCommitStatus& s = existing ? *existing : fresh;
    if (!existing) {
        s.id = w_.next_status_id++;
        s.project_id = p.id;
        s.sha = sha;
        s.ref = ref;
        s.name = name;
        s.author = auth_.user->id;
        s.pipeline_id = pit->second;
        s.created_at = isoTime(ctx_.now);
    }
    s.status = to;
    s.token_id = auth_.token ? auth_.token->id : 0;
    if (q("description")) s.description = *q("description");
    if (q("target_url")) s.target_url = target_url;
    if (coverage) s.coverage = coverage;
    if (to == "running" && s.started_at.empty()) s.started_at = isoTime(ctx_.now);
    if (to == "success" || to == "failed" || to == "canceled" || to == "skipped") s.finished_at = isoTime(ctx_.now);
    p.last_activity_at = isoTime(ctx_.now);
    if (std::size_t idx = w_.project_by_id.at(p.id); idx < w_.simple_json_cache.size()) w_.simple_json_cache[idx].clear();
    if (std::size_t idx = w_.project_by_id.at(p.id); idx < w_.full_json_cache.size()) w_.full_json_cache[idx].clear();
    json body = statusJson(s);
    if (!existing) w_.statuses.push_back(std::move(fresh));
    return ok(body, 201);
}

SimResponse GitLab::listStatuses(GlProject& p, const std::string& sha) {
    readScope();
    if (!p.commits.count(sha)) notFound("Commit");
    if (p.visibility != "public" && !(auth_.user && (auth_.user->admin || accessLevel(p) >= 20 || p.visibility == "internal"))) forbidden();
    auto ref = q("ref");
    auto name = q("name");
    bool all = boolParam("all");
    std::vector<const GlCommitStatus*> out;
    for (auto& s : w_.statuses) {
        if (s.project_id != p.id || s.sha != sha) continue;
        if (ref && s.ref != *ref) continue;
        if (name && s.name != *name) continue;
        out.push_back(&s);
    }
    if (!all) {  // latest per (name, ref)
        std::map<std::pair<std::string, std::string>, const GlCommitStatus*> latest;
        for (auto* s : out) latest[{s->name, s->ref}] = s;
        out.clear();
        for (auto& [k, s] : latest) out.push_back(s);
    }
    std::string sort = q("sort").value_or("asc");
    std::sort(out.begin(), out.end(), [&](auto* a, auto* b) { return sort == "desc" ? a->id > b->id : a->id < b->id; });
    route_params_["sha"] = sha;
    return offsetPage(out.size(), {}, nullptr, [&](std::int64_t i) { return statusJson(*out[i]); });
}

SimResponse GitLab::commitMrs(GlProject& p, const std::string& sha) {
    readScope();
    bool known = p.commits.count(sha) > 0;
    for (auto& mr : p.merge_requests)
        known = known || std::find(mr.commits.begin(), mr.commits.end(), sha) != mr.commits.end();
    if (!known) notFound("Commit");
    auto state = q("state");
    std::vector<const GlMergeRequest*> out;
    for (auto& mr : p.merge_requests) {
        if (std::find(mr.commits.begin(), mr.commits.end(), sha) == mr.commits.end()) continue;
        if (state && *state != "all" && *state != mr.state) continue;
        out.push_back(&mr);
    }
    route_params_["sha"] = sha;
    return offsetPage(out.size(), {}, nullptr, [&](std::int64_t i) { return mrJson(p, *out[i], false); });
}

SimResponse GitLab::listMrs(GlProject& p) {
    readScope();
    auto state = q("state");
    auto source = q("source_branch");
    std::vector<const GlMergeRequest*> out;
    for (auto it = p.merge_requests.rbegin(); it != p.merge_requests.rend(); ++it) {
        if (state && *state != "all" && *state != it->state) continue;
        if (source && *source != it->source_branch) continue;
        out.push_back(&*it);
    }
    return offsetPage(out.size(), {{"order_by", "created_at"}, {"sort", "desc"}, {"state", state.value_or("all")}}, nullptr,
                      [&](std::int64_t i) { return mrJson(p, *out[i], false); });
}

SimResponse GitLab::notes(GlProject& p, GlMergeRequest& mr, const std::vector<std::string>& segs) {
    route_params_["noteable_id"] = std::to_string(mr.iid);
    if (segs.size() == 5) {
        if (req_.method == "GET") {
            readScope();
            std::string order_by = q("order_by").value_or("created_at");
            std::string sort = q("sort").value_or("desc");
            if (order_by != "created_at" && order_by != "updated_at") answer(400, json{{"error", "order_by does not have a valid value"}});
            if (sort != "asc" && sort != "desc") answer(400, json{{"error", "sort does not have a valid value"}});
            std::vector<const GlNote*> out;
            for (auto& n : mr.notes) out.push_back(&n);
            std::stable_sort(out.begin(), out.end(), [&](const GlNote* a, const GlNote* b) {
                const std::string& ka = order_by == "updated_at" ? a->updated_at : a->created_at;
                const std::string& kb = order_by == "updated_at" ? b->updated_at : b->created_at;
                int c = ka.compare(kb);
                if (c == 0) c = a->id < b->id ? -1 : 1;
                return sort == "desc" ? c > 0 : c < 0;
            });
            return offsetPage(out.size(), {{"order_by", order_by}, {"sort", sort}}, nullptr,
                              [&](std::int64_t i) { return noteJson(p, mr, *out[i]); });
        }
        if (req_.method == "POST") {
            requireAuth();
            writeScope();
            auto body = q("body");
            if (!body) answer(400, json{{"error", "body is missing"}});
            if (body->empty()) message(400, "400 Bad request - Note {:note=>[\"can't be blank\"]}");
            if (body->size() > 1000000) answer(400, json{{"message", {{"note", json::array({"is too long (maximum is 1000000 characters)"})}}}});
            if (w_.notes_limit > 0) {  // GitLab's application limiter (check_rate_limit!): JSON, not Rack::Attack text
                auto& times = w_.note_times[auth_.user->id];
                times.erase(std::remove_if(times.begin(), times.end(), [&](std::int64_t t) { return t <= ctx_.now - w_.notes_period; }),
                            times.end());
                if (static_cast<std::int64_t>(times.size()) >= w_.notes_limit)
                    answer(429, json{{"message", {{"error", "This endpoint has been requested too many times. Try again later."}}}});
                times.push_back(ctx_.now);
            }
            GlNote n;
            n.id = w_.next_note_id++;
            n.body = *body;
            n.author = auth_.user->id;
            n.created_at = n.updated_at = isoTime(ctx_.now);
            mr.notes.push_back(n);
            return ok(noteJson(p, mr, mr.notes.back()), 201);
        }
        answer(405, json{{"error", "405 Method Not Allowed"}});
    }
    GlNote* note = nullptr;
    for (auto& n : mr.notes)
        if (std::to_string(n.id) == segs[5]) note = &n;
    if (req_.method == "GET") {
        readScope();
        if (!note) message(404, "404 Not found");
        return ok(noteJson(p, mr, *note));
    }
    requireAuth();
    writeScope();
    if (!note) message(404, "404 Not found");
    if (note->author != auth_.user->id && !auth_.user->admin) forbidden();
    if (req_.method == "PUT") {
        auto body = q("body");
        if (!body) answer(400, json{{"error", "body is missing"}});
        note->body = *body;
        note->updated_at = isoTime(ctx_.now);
        return ok(noteJson(p, mr, *note));
    }
    if (req_.method == "DELETE") {
        mr.notes.erase(mr.notes.begin() + (note - mr.notes.data()));
        SimResponse r;
        r.status = 204;
        return r;
    }
    answer(405, json{{"error", "405 Method Not Allowed"}});
}

int GitLab::groupLevelOf(const GlGroup& g, Id user, bool inherited) const {
    int best = 0;
    for (const GlGroup* cur = &g; cur; cur = cur->parent ? const_cast<GitLabWorld&>(w_).group(*cur->parent) : nullptr) {
        if (auto it = cur->members.find(user); it != cur->members.end()) best = std::max(best, it->second);
        if (!inherited) break;
    }
    return best;
}

json GitLab::memberJson(const GlUser& u, int level, const std::string& source_created_at) const {
    // Entities::Member = UserBasic merged with the membership; created_by is not exposed when nil,
    // group_saml_identity/email only to group owners of SAML/enterprise groups (not modelled).
    json j = userBasic(u.id);
    j["access_level"] = level;
    // A membership cannot predate its user or its source; the sim keeps no separate join time.
    j["created_at"] = std::max(u.created_at, source_created_at);
    j["expires_at"] = nullptr;
    j["membership_state"] = "active";
    return j;
}

SimResponse GitLab::member(const GlProject* p, const GlGroup* g, bool inherited, const std::string& user_id) {
    readScope();
    Id uid = 0;
    try {
        std::size_t used = 0;
        uid = std::stoll(user_id, &used);
        if (used != user_id.size()) throw std::invalid_argument(user_id);
    } catch (...) {
        answer(400, json{{"error", "user_id is invalid"}});
    }
    const GlUser* u = w_.user(uid);
    int level = 0;
    std::string source_created;
    if (p) {
        source_created = p->created_at;
        if (auto it = p->members.find(uid); it != p->members.end()) level = it->second;
        if (!p->group_id && p->user_namespace == uid) level = std::max(level, 50);  // personal namespace owner
        if (inherited && p->group_id)
            if (const GlGroup* gr = w_.group(*p->group_id)) level = std::max(level, groupLevelOf(*gr, uid, true));
    } else {
        source_created = isoTime(1704067200);  // groupJson's created_at
        level = groupLevelOf(*g, uid, inherited);
    }
    if (!u || level == 0) notFound("Member");
    return ok(memberJson(*u, level, source_created));
}

SimResponse GitLab::getProject(GlProject& p) {
    readScope();
    return ok(projectJson(p, false));
}

SimResponse GitLab::run(const std::vector<std::string>& segs) {
    try {
        detectReuse(segs);
        authenticate();
        rateLimit();
        SimResponse r = [&]() -> SimResponse {
            const std::string& m = req_.method;
            auto is = [&](std::size_t n, std::initializer_list<const char*> fixed) { return routeIs(segs, n, fixed); };
            if (m == "GET" && is(1, {"user"})) return user();
            if (m == "GET" && is(2, {"personal_access_tokens", "self"})) return tokenSelf();
            if (m == "DELETE" && is(2, {"personal_access_tokens", "self"})) return revokeTokenSelf();
            if (m == "POST" && is(3, {"personal_access_tokens", "self", "rotate"}))
                return rotateTokenSelf(GlTokenKind::Personal, nullptr, nullptr);
            if (m == "POST" && is(5, {"groups", nullptr, "access_tokens", "self", "rotate"}))
                return rotateTokenSelf(GlTokenKind::Group, nullptr, &findGroup(segs[1]));
            if (m == "GET" && is(1, {"version"})) return version(false);
            if (m == "GET" && is(1, {"metadata"})) return version(true);
            if (m == "GET" && is(1, {"projects"})) return listProjects(std::nullopt, false);
            if (m == "GET" && is(1, {"groups"})) return listGroups();
            if (m == "GET" && is(1, {"namespaces"})) return listNamespaces();
            if (m == "GET" && is(2, {"groups", nullptr})) {
                readScope();
                return ok(groupJson(findGroup(segs[1])));
            }
            if (m == "GET" && is(4, {"groups", nullptr, "members", nullptr}))
                return member(nullptr, &findGroup(segs[1]), false, segs[3]);
            if (m == "GET" && is(5, {"groups", nullptr, "members", "all", nullptr}))
                return member(nullptr, &findGroup(segs[1]), true, segs[4]);
            if (m == "GET" && is(3, {"groups", nullptr, "projects"})) {
                GlGroup& g = findGroup(segs[1]);
                return listProjects(g.id, boolParam("include_subgroups"));
            }
            if (m == "GET" && is(3, {"users", nullptr, "projects"})) {
                // GET /users/:user_id/projects: the projects in that user's personal namespace the
                // caller can see; :user_id is the id or the username.
                const GlUser* owner = nullptr;
                if (auto it = w_.user_by_name.find(segs[1]); it != w_.user_by_name.end()) owner = &w_.users[it->second];
                else if (!segs[1].empty() && std::all_of(segs[1].begin(), segs[1].end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
                    owner = w_.user(std::stoll(segs[1]));
                if (!owner) notFound("User");
                return listProjects(std::nullopt, false, owner->id);
            }
            if (segs.size() >= 2 && segs[0] == "projects") {
                GlProject& p = findProject(segs[1], segs);
                if (m == "GET" && segs.size() == 2) return getProject(p);
                if (m == "POST" && is(5, {"projects", nullptr, "access_tokens", "self", "rotate"}))
                    return rotateTokenSelf(GlTokenKind::Project, &p, nullptr);
                if (m == "POST" && is(4, {"projects", nullptr, "statuses", nullptr})) return postStatus(p, segs[3]);
                if (m == "GET" && is(6, {"projects", nullptr, "repository", "commits", nullptr, "statuses"}))
                    return listStatuses(p, segs[4]);
                if (m == "GET" && is(6, {"projects", nullptr, "repository", "commits", nullptr, "merge_requests"}))
                    return commitMrs(p, segs[4]);
                if (m == "GET" && is(3, {"projects", nullptr, "merge_requests"})) return listMrs(p);
                if (m == "GET" && is(4, {"projects", nullptr, "members", nullptr})) return member(&p, nullptr, false, segs[3]);
                if (m == "GET" && is(5, {"projects", nullptr, "members", "all", nullptr})) return member(&p, nullptr, true, segs[4]);
                if (segs.size() >= 4 && segs[2] == "merge_requests") {
                    GlMergeRequest& mr = findMr(p, segs[3]);
                    if (m == "GET" && segs.size() == 4) {
                        readScope();
                        return ok(mrJson(p, mr, true));
                    }
                    if ((segs.size() == 5 || segs.size() == 6) && segs[4] == "notes") return notes(p, mr, segs);
                }
            }
            SimResponse nf;
            nf.json(404, R"({"error":"404 Not Found"})");
            return nf;
        }();
        for (auto& h : extra_headers_) r.set(h.first, h.second);
        return r;
    } catch (Answer& a) {
        for (auto& h : extra_headers_)
            if (a.response.status != 429) a.response.set(h.first, h.second);
        return a.response;
    }
}

}  // namespace

SimResponse gitlabTooManyRequests(std::int64_t now, int retry_after) {
    SimResponse r;
    r.status = 429;
    r.body = "Retry later\n";
    r.set("Content-Type", "text/plain");
    r.set("Retry-After", std::to_string(retry_after));
    r.set("RateLimit-Name", "throttle_authenticated_api");
    r.set("RateLimit-Limit", "60");
    r.set("RateLimit-Observed", "61");
    r.set("RateLimit-Remaining", "0");
    r.set("RateLimit-Reset", std::to_string(now + retry_after));
    r.set("RateLimit-ResetTime", httpDate(now + retry_after));
    return r;
}

SimResponse handleGitLab(Ctx& ctx, const SimRequest& req, const std::vector<std::string>& segs, const std::string& api_path) {
    GitLab api(ctx, req, api_path);
    return api.run(segs);
}

}  // namespace forgelink::sim
