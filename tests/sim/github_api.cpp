// The GitHub REST dialect (API-FACTS section B), served under /api/v3 (GHES) and /github.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "forge_sim.hpp"
#include "sim_util.hpp"

namespace forgelink::sim {

using nlohmann::json;

namespace {

const char* kDocs = "https://docs.github.com/rest";

struct Answer {
    SimResponse response;
};

int permRank(const std::string& p) {
    static const char* order[] = {"none", "pull", "triage", "push", "maintain", "admin"};
    for (int i = 0; i < 6; ++i)
        if (p == order[i]) return i;
    return 0;
}

class GitHub {
public:
    GitHub(Ctx& ctx, const SimRequest& req, const std::string& api_path)
        : ctx_(ctx), w_(ctx.world.github), req_(req), api_path_(api_path) {}
    SimResponse run(const std::vector<std::string>& segs);

private:
    [[noreturn]] void fail(int status, const std::string& msg, const std::string& doc = kDocs) {
        SimResponse r;
        r.json(status, json{{"message", msg}, {"documentation_url", doc}, {"status", std::to_string(status)}}.dump());
        throw Answer{r};
    }
    [[noreturn]] void notFound() { fail(404, "Not Found"); }
    [[noreturn]] void invalid(const std::string& resource, const std::string& field, const std::string& code, const std::string& msg = "") {
        json e{{"resource", resource}, {"code", code}, {"field", field}};
        if (!msg.empty()) e["message"] = msg;
        SimResponse r;
        r.json(422, json{{"message", "Validation Failed"}, {"errors", json::array({e})}, {"documentation_url", kDocs}, {"status", "422"}}.dump());
        throw Answer{r};
    }
    void authenticate();
    void rateLimit();
    void contentLimit();
    int permission(const GhRepo& r) const;  // the user's rank on a repo (0 none)
    bool tokenReaches(const GhRepo& r) const;
    GhRepo& findRepo(const std::vector<std::string>& segs);
    GhRepo& findRepoById(const std::string& id);
    [[noreturn]] void movedTo(const GhRepo& r, const std::vector<std::string>& segs);
    void needWrite(GhRepo& r, const std::string& fine_perm, const std::string& classic_scopes);
    // A fine-grained token needs `perm` (or `other`, when given) at `level`; reads of a public repo
    // need none (fine-grained tokens always read public repositories).
    void needFine(const std::string& perm, const std::string& level, const GhRepo* repo = nullptr, const std::string& other = "");
    bool hasScope(const std::string& s) const;

    // One helper per GitHub schema (@octokit/openapi components), so every endpoint answers the same
    // complete shape: simple-user, organization-simple, repository / full-repository,
    // pull-request-simple / pull-request, status, issue-comment.
    json simpleUserJson(const std::string& login, Id id, const std::string& node_id, const std::string& type, bool site_admin) const;
    json userJson(Id id, bool full = false) const;
    json ownerJson(const GhRepo& r) const;
    json orgJson(const GhOrg& o) const;
    json repoJson(const GhRepo& r, bool full = false) const;
    json statusJson(const GhRepo& r, const GhStatus& s, bool with_creator) const;
    json commentJson(const GhRepo& r, const GhComment& c) const;
    json pullJson(const GhRepo& r, const GhPull& p, bool full = false) const;
    json issueJson(const GhRepo& r, const GhPull& p) const;
    template <typename T, typename Fn>
    SimResponse paged(const std::vector<T>& items, Fn fn);
    std::string repoUrl(const GhRepo& r) const { return ctx_.github_api + "/repos/" + r.fullName(); }
    SimResponse ok(const json& j, int status = 200) {
        SimResponse r;
        r.json(status, j.dump());
        return r;
    }

    SimResponse userRepos();
    SimResponse orgRepos(const std::string& org);
    SimResponse postStatus(GhRepo& r, const std::string& sha);
    SimResponse listStatuses(GhRepo& r, const std::string& ref, bool combined);
    SimResponse commitPulls(GhRepo& r, const std::string& sha);
    SimResponse comments(GhRepo& r, const std::vector<std::string>& segs);
    SimResponse repoRoutes(GhRepo& repo, const std::vector<std::string>& segs);
    SimResponse listIssues(GhRepo& r);
    SimResponse listPulls(GhRepo& r);

    Ctx& ctx_;
    GitHubWorld& w_;
    const SimRequest& req_;
    std::string api_path_;
    GhToken* token_ = nullptr;
    GhUser* user_ = nullptr;
    std::vector<std::pair<std::string, std::string>> headers_;
    std::string accepted_scopes_;
};

bool GitHub::hasScope(const std::string& s) const {
    if (!token_) return false;
    for (auto& x : token_->scopes) {
        if (x == s) return true;
        if (s.rfind("repo:", 0) == 0 && x == "repo") return true;
        if (s == "public_repo" && x == "repo") return true;
        if (s.rfind("read:", 0) == 0 && (x == "user" || x == "admin:org") && (s == "read:user" || s == "read:org")) return true;
    }
    return false;
}

void GitHub::authenticate() {
    if (req_.header("user-agent").empty()) {
        SimResponse r;
        r.status = 403;
        r.set("Content-Type", "text/plain; charset=utf-8");
        r.body =
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header "
            "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check "
            "https://developer.github.com for other possible causes.\n";
        throw Answer{r};
    }
    if (auto v = req_.header("x-github-api-version"); !v.empty() && v != "2022-11-28" && v != "2026-03-10")
        fail(400, "Unsupported 'X-GitHub-Api-Version' header: " + v + ". Supported versions are: 2022-11-28");
    std::string authz = req_.header("authorization");
    if (authz.empty()) return;
    std::string value;
    if (authz.rfind("Bearer ", 0) == 0 || authz.rfind("bearer ", 0) == 0) value = authz.substr(7);
    else if (authz.rfind("token ", 0) == 0 || authz.rfind("Token ", 0) == 0) value = authz.substr(6);
    auto it = w_.token_by_value.find(value);
    if (value.empty() || it == w_.token_by_value.end()) fail(401, "Bad credentials");
    GhToken& t = w_.tokens[it->second];
    if (t.revoked) fail(401, "Bad credentials");
    if (t.expires_at) {
        std::int64_t e = 0;
        parseTime(*t.expires_at, e);
        if (ctx_.now >= e) fail(401, "Bad credentials");
        headers_.emplace_back("GitHub-Authentication-Token-Expiration", *t.expires_at + " 00:00:00 UTC");
    }
    if (t.expires_epoch && ctx_.now >= *t.expires_epoch) fail(401, "Bad credentials");
    token_ = &t;
    user_ = w_.user(t.user);
    if (!user_) fail(401, "Bad credentials");
    if (t.kind != GhTokenKind::FineGrained) {
        std::string scopes;
        for (auto& s : t.scopes) scopes += (scopes.empty() ? "" : ", ") + s;
        headers_.emplace_back("X-OAuth-Scopes", scopes);
    }
}

void GitHub::rateLimit() {
    std::string key = token_ ? "u" + std::to_string(user_->id) : "ip";
    std::int64_t limit = token_ ? w_.rate_limit : 60;
    RateWindow& win = w_.rate[key];
    if (win.count == 0 || ctx_.now >= win.start + w_.rate_period) {
        win.start = ctx_.now;
        win.count = 0;
    }
    bool free_call = api_path_ == "/rate_limit";
    bool exceeded = win.count >= limit;
    if (!free_call && !exceeded) ++win.count;
    std::int64_t reset = win.start + w_.rate_period;
    headers_.emplace_back("x-ratelimit-limit", std::to_string(limit));
    headers_.emplace_back("x-ratelimit-remaining", std::to_string(std::max<std::int64_t>(0, limit - win.count)));
    headers_.emplace_back("x-ratelimit-reset", std::to_string(reset));
    headers_.emplace_back("x-ratelimit-used", std::to_string(win.count));
    headers_.emplace_back("x-ratelimit-resource", "core");
    if (free_call) {
        json core{{"limit", limit}, {"remaining", std::max<std::int64_t>(0, limit - win.count)}, {"reset", reset}, {"used", win.count}, {"resource", "core"}};
        SimResponse r;
        r.json(200, json{{"resources", {{"core", core}}}, {"rate", core}}.dump());
        throw Answer{r};
    }
    if (exceeded) {
        SimResponse r;
        r.json(w_.exceeded_status,
               json{{"message", token_ ? "API rate limit exceeded for user ID " + std::to_string(user_->id) + "."
                                       : "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"},
                    {"documentation_url", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}}
                   .dump());
        throw Answer{r};
    }
}

void GitHub::contentLimit() {
    if (!user_) return;
    auto& times = w_.writes[user_->id];
    times.erase(std::remove_if(times.begin(), times.end(), [&](std::int64_t t) { return t <= ctx_.now - 60; }), times.end());
    if (static_cast<std::int64_t>(times.size()) >= w_.content_per_minute) {
        SimResponse r = githubSecondaryLimit(403, static_cast<int>(std::max<std::int64_t>(1, times.front() + 60 - ctx_.now)));
        throw Answer{r};
    }
    times.push_back(ctx_.now);
}

int GitHub::permission(const GhRepo& r) const {
    if (!user_) return r.is_private ? 0 : 1;
    int best = r.is_private ? 0 : 1;
    if (!r.owner_is_org && r.owner_id == user_->id) best = 5;
    if (auto it = r.collaborators.find(user_->id); it != r.collaborators.end()) best = std::max(best, permRank(it->second));
    if (r.owner_is_org) {
        auto oi = w_.org_by_login.find(r.owner);
        const GhOrg& org = w_.orgs[oi->second];
        if (auto m = org.members.find(user_->id); m != org.members.end())
            best = std::max(best, m->second == "admin" ? 5 : permRank(org.default_permission));
    }
    if (user_->site_admin) best = 5;
    return best;
}

bool GitHub::tokenReaches(const GhRepo& r) const {
    if (!token_) return !r.is_private;
    if (token_->kind == GhTokenKind::FineGrained) {
        if (!r.is_private) return true;
        return token_->all_repos || token_->repositories.count(r.fullName()) > 0;
    }
    return !r.is_private || hasScope("repo");
}

GhRepo& GitHub::findRepo(const std::vector<std::string>& segs) {
    const std::string full = segs[1] + "/" + segs[2];
    auto it = w_.repo_by_name.find(full);
    if (it == w_.repo_by_name.end()) {
        // A former name of a repository the caller can see redirects; of one it cannot, stays 404.
        if (auto m = w_.moved.find(full); m != w_.moved.end()) {
            if (GhRepo* r = w_.repo(m->second); r && permission(*r) > 0 && tokenReaches(*r)) movedTo(*r, segs);
        }
        notFound();
    }
    GhRepo& r = w_.repos[it->second];
    if (permission(r) == 0 || !tokenReaches(r)) notFound();  // hidden private repos look missing
    return r;
}

GhRepo& GitHub::findRepoById(const std::string& id) {
    if (id.empty() || id.size() > 18 || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) notFound();
    GhRepo* r = w_.repo(std::stoll(id));
    if (!r || permission(*r) == 0 || !tokenReaches(*r)) notFound();
    return *r;
}

void GitHub::movedTo(const GhRepo& r, const std::vector<std::string>& segs) {
    // As recorded by @octokit/fixtures (rename-repository): 301 for reads, 307 for writes, the same
    // basic-error body, and the target under /repositories/:id with the rest of the path and query.
    std::string target = ctx_.github_api + "/repositories/" + std::to_string(r.id);
    for (std::size_t i = 3; i < segs.size(); ++i) target += "/" + percentEncode(segs[i]);
    if (!req_.raw_query.empty()) target += "?" + req_.raw_query;
    SimResponse resp;
    const bool read = req_.method == "GET" || req_.method == "HEAD";
    resp.json(read ? 301 : 307,
              json{{"message", "Moved Permanently"}, {"url", target}, {"documentation_url", "https://docs.github.com/v3/#http-redirects"}}.dump());
    resp.set("Location", target);
    throw Answer{resp};
}

void GitHub::needFine(const std::string& perm, const std::string& level, const GhRepo* repo, const std::string& other) {
    if (!token_ || token_->kind != GhTokenKind::FineGrained) return;
    if (level == "read" && repo && !repo->is_private) return;
    auto grants = [&](const std::string& p) {
        auto it = token_->permissions.find(p);
        return it != token_->permissions.end() && (level == "read" || it->second == "write");
    };
    if (grants(perm) || (!other.empty() && grants(other))) return;
    SimResponse r;
    r.json(403, json{{"message", "Resource not accessible by personal access token"}, {"documentation_url", kDocs}, {"status", "403"}}.dump());
    // Alternatives are separated by "; " (API-FACTS B1).
    r.set("X-Accepted-GitHub-Permissions", perm + "=" + level + (other.empty() ? "" : "; " + other + "=" + level));
    throw Answer{r};
}

void GitHub::needWrite(GhRepo& r, const std::string& fine_perm, const std::string& classic_scopes) {
    if (!token_) fail(401, "Requires authentication");
    accepted_scopes_ = classic_scopes;
    needFine(fine_perm, "write");
    if (token_->kind != GhTokenKind::FineGrained) {
        bool okay = r.is_private ? hasScope("repo") || (fine_perm == "statuses" && hasScope("repo:status"))
                                 : hasScope("repo") || hasScope("public_repo") || (fine_perm == "statuses" && hasScope("repo:status"));
        if (!okay) notFound();
    }
}

json GitHub::simpleUserJson(const std::string& login, Id id, const std::string& node_id, const std::string& type,
                            bool site_admin) const {
    // Organizations appear as owners in the same simple-user shape, under /users/<login> too.
    std::string url = ctx_.github_api + "/users/" + login;
    return json{{"login", login},
                {"id", id},
                {"node_id", node_id},
                {"avatar_url", "https://avatars.githubusercontent.com/u/" + std::to_string(id) + "?v=4"},
                {"gravatar_id", ""},
                {"url", url},
                {"html_url", ctx_.origin + "/" + login},
                {"followers_url", url + "/followers"},
                {"following_url", url + "/following{/other_user}"},
                {"gists_url", url + "/gists{/gist_id}"},
                {"starred_url", url + "/starred{/owner}{/repo}"},
                {"subscriptions_url", url + "/subscriptions"},
                {"organizations_url", url + "/orgs"},
                {"repos_url", url + "/repos"},
                {"events_url", url + "/events{/privacy}"},
                {"received_events_url", url + "/received_events"},
                {"type", type},
                {"site_admin", site_admin}};
}

json GitHub::userJson(Id id, bool full) const {
    const GhUser* u = const_cast<GitHubWorld&>(w_).user(id);
    if (!u) return nullptr;
    json j = simpleUserJson(u->login, u->id, "U_sim" + std::to_string(u->id), u->type, u->site_admin);
    if (full) {
        int pub = 0;
        for (auto& r : w_.repos) pub += (!r.owner_is_org && r.owner_id == u->id && !r.is_private) ? 1 : 0;
        j.update(json{{"name", u->name}, {"company", nullptr}, {"blog", ""}, {"location", nullptr}, {"email", nullptr},
                      {"hireable", nullptr}, {"bio", nullptr}, {"twitter_username", nullptr}, {"public_repos", pub},
                      {"public_gists", 0}, {"followers", 0}, {"following", 0}, {"created_at", u->created_at},
                      {"updated_at", u->created_at}});
    }
    return j;
}

json GitHub::ownerJson(const GhRepo& r) const {
    if (!r.owner_is_org) return userJson(r.owner_id);
    return simpleUserJson(r.owner, r.owner_id, "O_sim" + std::to_string(r.owner_id), "Organization", false);
}

json GitHub::orgJson(const GhOrg& o) const {
    std::string url = ctx_.github_api + "/orgs/" + o.login;
    return json{{"login", o.login},
                {"id", o.id},
                {"node_id", "O_sim" + std::to_string(o.id)},
                {"url", url},
                {"repos_url", url + "/repos"},
                {"events_url", url + "/events"},
                {"hooks_url", url + "/hooks"},
                {"issues_url", url + "/issues"},
                {"members_url", url + "/members{/member}"},
                {"public_members_url", url + "/public_members{/member}"},
                {"avatar_url", "https://avatars.githubusercontent.com/u/" + std::to_string(o.id) + "?v=4"},
                {"description", nullptr}};
}

json GitHub::repoJson(const GhRepo& r, bool full) const {
    std::string url = repoUrl(r);
    std::string web = ctx_.origin + "/" + r.fullName();
    int p = permission(r);
    json j{{"id", r.id},
           {"node_id", "R_sim" + std::to_string(r.id)},
           {"name", r.name},
           {"full_name", r.fullName()},
           {"private", r.is_private},
           {"owner", ownerJson(r)},
           {"html_url", web},
           {"description", r.description.empty() ? json(nullptr) : json(r.description)},
           {"fork", false},
           {"url", url},
           {"forks_url", url + "/forks"},
           {"keys_url", url + "/keys{/key_id}"},
           {"collaborators_url", url + "/collaborators{/collaborator}"},
           {"teams_url", url + "/teams"},
           {"hooks_url", url + "/hooks"},
           {"issue_events_url", url + "/issues/events{/number}"},
           {"events_url", url + "/events"},
           {"assignees_url", url + "/assignees{/user}"},
           {"branches_url", url + "/branches{/branch}"},
           {"tags_url", url + "/tags"},
           {"blobs_url", url + "/git/blobs{/sha}"},
           {"git_tags_url", url + "/git/tags{/sha}"},
           {"git_refs_url", url + "/git/refs{/sha}"},
           {"trees_url", url + "/git/trees{/sha}"},
           {"statuses_url", url + "/statuses/{sha}"},
           {"languages_url", url + "/languages"},
           {"stargazers_url", url + "/stargazers"},
           {"contributors_url", url + "/contributors"},
           {"subscribers_url", url + "/subscribers"},
           {"subscription_url", url + "/subscription"},
           {"commits_url", url + "/commits{/sha}"},
           {"git_commits_url", url + "/git/commits{/sha}"},
           {"comments_url", url + "/comments{/number}"},
           {"issue_comment_url", url + "/issues/comments{/number}"},
           {"contents_url", url + "/contents/{+path}"},
           {"compare_url", url + "/compare/{base}...{head}"},
           {"merges_url", url + "/merges"},
           {"archive_url", url + "/{archive_format}{/ref}"},
           {"downloads_url", url + "/downloads"},
           {"issues_url", url + "/issues{/number}"},
           {"pulls_url", url + "/pulls{/number}"},
           {"milestones_url", url + "/milestones{/number}"},
           {"notifications_url", url + "/notifications{?since,all,participating}"},
           {"labels_url", url + "/labels{/name}"},
           {"releases_url", url + "/releases{/id}"},
           {"deployments_url", url + "/deployments"},
           {"created_at", r.created_at},
           {"updated_at", r.created_at},
           {"pushed_at", r.created_at},
           {"git_url", "git://127.0.0.1/" + r.fullName() + ".git"},
           {"ssh_url", "git@127.0.0.1:" + r.fullName() + ".git"},
           {"clone_url", web + ".git"},
           {"svn_url", web},
           {"homepage", nullptr},
           {"size", 0},
           {"stargazers_count", 0},
           {"watchers_count", 0},
           {"language", nullptr},
           {"has_issues", true},
           {"has_projects", true},
           {"has_downloads", true},
           {"has_wiki", true},
           {"has_pages", false},
           {"has_discussions", false},
           {"forks_count", 0},
           {"mirror_url", nullptr},
           {"archived", r.archived},
           {"disabled", false},
           {"open_issues_count", 0},
           {"license", nullptr},
           {"allow_forking", true},
           {"is_template", false},
           {"web_commit_signoff_required", false},
           {"topics", json::array()},
           {"visibility", r.is_private ? "private" : "public"},
           {"forks", 0},
           {"open_issues", 0},
           {"watchers", 0},
           {"default_branch", r.default_branch},
           {"permissions", {{"admin", p >= 5}, {"maintain", p >= 4}, {"push", p >= 3}, {"triage", p >= 2}, {"pull", p >= 1}}}};
    if (full) {
        // GET /repos/:owner/:repo (full-repository) adds the network and the owning organization.
        j["network_count"] = 0;
        j["subscribers_count"] = 0;
        if (r.owner_is_org) j["organization"] = ownerJson(r);
    }
    return j;
}

json GitHub::statusJson(const GhRepo& r, const GhStatus& s, bool with_creator) const {
    json j{{"url", repoUrl(r) + "/statuses/" + s.sha},
           {"avatar_url", "https://avatars.githubusercontent.com/u/" + std::to_string(s.creator) + "?v=4"},
           {"id", s.id},
           {"node_id", "SC_sim" + std::to_string(s.id)},
           {"state", s.state},
           {"description", s.description.empty() ? json(nullptr) : json(s.description)},
           {"target_url", s.target_url.empty() ? json(nullptr) : json(s.target_url)},
           {"context", s.context},
           {"created_at", s.created_at},
           {"updated_at", s.updated_at}};
    if (with_creator) j["creator"] = userJson(s.creator);
    return j;
}

json GitHub::commentJson(const GhRepo& r, const GhComment& c) const {
    return json{{"url", repoUrl(r) + "/issues/comments/" + std::to_string(c.id)},
                {"html_url", ctx_.origin + "/" + r.fullName() + "/pull/" + std::to_string(c.issue) + "#issuecomment-" + std::to_string(c.id)},
                {"issue_url", repoUrl(r) + "/issues/" + std::to_string(c.issue)},
                {"id", c.id},
                {"node_id", "IC_sim" + std::to_string(c.id)},
                {"user", userJson(c.user)},
                {"created_at", c.created_at},
                {"updated_at", c.updated_at},
                {"author_association", "MEMBER"},
                {"body", c.body},
                {"performed_via_github_app", nullptr}};
}

json GitHub::pullJson(const GhRepo& r, const GhPull& p, bool full) const {
    std::string api = repoUrl(r);
    std::string url = api + "/pulls/" + std::to_string(p.number);
    std::string html = ctx_.origin + "/" + r.fullName() + "/pull/" + std::to_string(p.number);
    std::string issue = api + "/issues/" + std::to_string(p.number);
    std::string statuses = api + "/statuses/" + p.head_sha;
    auto link = [](const std::string& href) { return json{{"href", href}}; };
    json j{{"url", url},
           {"id", p.id},
           {"node_id", "PR_sim" + std::to_string(p.id)},
           {"html_url", html},
           {"diff_url", html + ".diff"},
           {"patch_url", html + ".patch"},
           {"issue_url", issue},
           {"commits_url", url + "/commits"},
           {"review_comments_url", url + "/comments"},
           {"review_comment_url", api + "/pulls/comments{/number}"},
           {"comments_url", issue + "/comments"},
           {"statuses_url", statuses},
           {"number", p.number},
           {"state", p.state},
           {"locked", false},
           {"title", p.title},
           {"user", userJson(p.user)},
           {"body", nullptr},
           {"labels", json::array()},
           {"milestone", nullptr},
           {"active_lock_reason", nullptr},
           {"created_at", p.created_at},
           {"updated_at", p.created_at},
           {"closed_at", p.state == "closed" ? json(p.created_at) : json(nullptr)},
           {"merged_at", p.merged ? json(p.created_at) : json(nullptr)},
           {"merge_commit_sha", p.merge_commit_sha.empty() ? json(nullptr) : json(p.merge_commit_sha)},
           {"assignee", nullptr},
           {"assignees", json::array()},
           {"requested_reviewers", json::array()},
           {"requested_teams", json::array()},
           {"draft", false},
           {"head", {{"label", r.owner + ":" + p.head_ref}, {"ref", p.head_ref}, {"sha", p.head_sha}, {"user", ownerJson(r)}, {"repo", repoJson(r)}}},
           {"base", {{"label", r.owner + ":" + p.base_ref}, {"ref", p.base_ref}, {"sha", p.head_sha}, {"user", ownerJson(r)}, {"repo", repoJson(r)}}},
           {"_links", {{"self", link(url)},
                       {"html", link(html)},
                       {"issue", link(issue)},
                       {"comments", link(issue + "/comments")},
                       {"review_comments", link(url + "/comments")},
                       {"review_comment", link(api + "/pulls/comments{/number}")},
                       {"commits", link(url + "/commits")},
                       {"statuses", link(statuses)}}},
           {"author_association", "MEMBER"},
           {"auto_merge", nullptr}};
    if (full) {
        // GET /pulls/:number (pull-request) adds merge state and counters.
        std::int64_t comments = 0;
        for (auto& c : w_.comments) comments += (c.repo == r.id && c.issue == p.number) ? 1 : 0;
        bool open = p.state == "open";
        j.update(json{{"merged", p.merged},
                      {"mergeable", open ? json(true) : json(nullptr)},
                      {"rebaseable", open ? json(true) : json(nullptr)},
                      {"mergeable_state", open ? "clean" : "unknown"},
                      {"merged_by", p.merged ? userJson(p.user) : json(nullptr)},
                      {"comments", comments},
                      {"review_comments", 0},
                      {"maintainer_can_modify", false},
                      {"commits", p.commits.size()},
                      {"additions", 0},
                      {"deletions", 0},
                      {"changed_files", 0}});
    }
    return j;
}

template <typename T, typename Fn>
SimResponse GitHub::paged(const std::vector<T>& items, Fn fn) {
    auto intq = [&](const char* n, std::int64_t def) -> std::int64_t {
        auto v = req_.param(n);
        if (!v) return def;
        try {
            return std::stoll(*v);
        } catch (...) {
            return def;
        }
    };
    std::int64_t per_page = std::clamp<std::int64_t>(intq("per_page", 30), 1, 100);
    std::int64_t page = std::max<std::int64_t>(1, intq("page", 1));
    std::int64_t total = static_cast<std::int64_t>(items.size());
    std::int64_t last = std::max<std::int64_t>(1, (total + per_page - 1) / per_page);
    json arr = json::array();
    for (std::int64_t i = (page - 1) * per_page; i < total && i < page * per_page; ++i) arr.push_back(fn(items[i]));
    SimResponse r = ok(arr);
    if (last > 1) {
        auto url = [&](std::int64_t p) {
            std::string q;
            for (auto& [k, v] : req_.query)
                if (k != "page" && k != "per_page") q += percentEncode(k) + "=" + percentEncode(v) + "&";
            return "<" + ctx_.github_api + api_path_ + "?" + q + "per_page=" + std::to_string(per_page) + "&page=" + std::to_string(p) + ">";
        };
        std::string link;
        auto add = [&](std::int64_t p, const char* rel) { link += (link.empty() ? "" : ", ") + url(p) + "; rel=\"" + rel + "\""; };
        if (page > 1) add(std::min(page - 1, last), "prev");
        if (page < last) add(page + 1, "next");
        if (page < last) add(last, "last");
        if (page > 1) add(1, "first");
        r.set("Link", link);
    }
    return r;
}

SimResponse GitHub::userRepos() {
    if (!user_) fail(401, "Requires authentication");
    auto visibility = req_.param("visibility");
    auto affiliation = req_.param("affiliation");
    auto type = req_.param("type");
    if (type && (visibility || affiliation))
        fail(422, "If you specify visibility or affiliation, you cannot specify type.",
             "https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user");
    std::string vis = visibility.value_or("all");
    if (vis != "all" && vis != "public" && vis != "private") invalid("Repository", "visibility", "invalid");
    std::set<std::string> aff;
    std::string a = affiliation.value_or("owner,collaborator,organization_member");
    std::size_t pos = 0;
    while (pos <= a.size()) {
        std::size_t c = a.find(',', pos);
        if (c == std::string::npos) c = a.size();
        std::string part = a.substr(pos, c - pos);
        if (!part.empty()) {
            if (part != "owner" && part != "collaborator" && part != "organization_member") invalid("Repository", "affiliation", "invalid");
            aff.insert(part);
        }
        pos = c + 1;
    }
    std::string t = type.value_or("all");
    if (type && t != "all" && t != "owner" && t != "public" && t != "private" && t != "member") invalid("Repository", "type", "invalid");
    if (type) {
        aff = {"owner", "collaborator", "organization_member"};
        if (t == "owner") aff = {"owner"};
        if (t == "member") aff = {"collaborator", "organization_member"};
        if (t == "public") vis = "public";
        if (t == "private") vis = "private";
    }
    std::vector<const GhRepo*> out;
    for (auto& r : w_.repos) {
        bool owner = !r.owner_is_org && r.owner_id == user_->id;
        bool collab = r.collaborators.count(user_->id) > 0;
        bool orgm = false;
        if (r.owner_is_org) {
            const GhOrg& org = w_.orgs[w_.org_by_login.at(r.owner)];
            orgm = org.members.count(user_->id) > 0;
        }
        bool match = (owner && aff.count("owner")) || (collab && aff.count("collaborator")) || (orgm && aff.count("organization_member"));
        if (!match) continue;
        if (vis == "public" && r.is_private) continue;
        if (vis == "private" && !r.is_private) continue;
        if (!tokenReaches(r) || permission(r) == 0) continue;
        out.push_back(&r);
    }
    std::string sort = req_.param("sort").value_or("full_name");
    std::string dir = req_.param("direction").value_or(sort == "full_name" ? "asc" : "desc");
    if (sort != "created" && sort != "updated" && sort != "pushed" && sort != "full_name") invalid("Repository", "sort", "invalid");
    std::stable_sort(out.begin(), out.end(), [&](const GhRepo* x, const GhRepo* y) {
        int c = sort == "full_name" ? x->fullName().compare(y->fullName()) : x->created_at.compare(y->created_at);
        if (c == 0) c = x->id < y->id ? -1 : (x->id > y->id ? 1 : 0);
        return dir == "desc" ? c > 0 : c < 0;
    });
    return paged(out, [&](const GhRepo* r) { return repoJson(*r); });
}

SimResponse GitHub::orgRepos(const std::string& login) {
    auto oi = w_.org_by_login.find(login);
    if (oi == w_.org_by_login.end()) notFound();
    std::string type = req_.param("type").value_or("all");
    std::vector<const GhRepo*> out;
    for (auto& r : w_.repos) {
        if (!r.owner_is_org || r.owner != login) continue;
        if (permission(r) == 0 || !tokenReaches(r)) continue;
        if (type == "public" && r.is_private) continue;
        if (type == "private" && !r.is_private) continue;
        out.push_back(&r);
    }
    std::string sort = req_.param("sort").value_or("created");
    std::string dir = req_.param("direction").value_or(sort == "full_name" ? "asc" : "desc");
    std::stable_sort(out.begin(), out.end(), [&](const GhRepo* x, const GhRepo* y) {
        int c = sort == "full_name" ? x->fullName().compare(y->fullName()) : x->created_at.compare(y->created_at);
        if (c == 0) c = x->id < y->id ? -1 : (x->id > y->id ? 1 : 0);
        return dir == "desc" ? c > 0 : c < 0;
    });
    return paged(out, [&](const GhRepo* r) { return repoJson(*r); });
}

SimResponse GitHub::postStatus(GhRepo& r, const std::string& sha) {
    needWrite(r, "statuses", "repo, repo:status");
    if (permission(r) < 3) fail(403, "Must have push access to view repository collaborators.");
    json body = json::parse(req_.body.empty() ? "{}" : req_.body, nullptr, false);
    if (body.is_discarded()) fail(400, "Problems parsing JSON");
    if (!body.is_object()) fail(400, "Body should be a JSON object");
    contentLimit();
    if (!body.contains("state")) invalid("Status", "state", "missing_field");
    std::string state = body["state"].is_string() ? body["state"].get<std::string>() : "";
    if (state != "error" && state != "failure" && state != "pending" && state != "success")
        invalid("Status", "state", "custom", "state is not included in the list");
    if (!r.commits.count(sha)) fail(422, "No commit found for SHA: " + sha);
    std::string context = body.value("context", std::string("default"));
    int count = 0;
    for (auto& s : w_.statuses) count += (s.repo == r.id && s.sha == sha && s.context == context) ? 1 : 0;
    if (count >= 1000) invalid("Status", "context", "custom", "This SHA and context has reached the maximum number of statuses.");
    GhStatus s;
    s.id = w_.next_status_id++;
    s.repo = r.id;
    s.creator = user_->id;
    s.sha = sha;
    s.state = state;
    s.context = context;
    s.description = body.contains("description") && body["description"].is_string() ? body["description"].get<std::string>() : "";
    s.target_url = body.contains("target_url") && body["target_url"].is_string() ? body["target_url"].get<std::string>() : "";
    s.created_at = s.updated_at = isoTime(ctx_.now, false);
    w_.statuses.push_back(s);
    SimResponse resp = ok(statusJson(r, s, true), 201);
    resp.set("Location", repoUrl(r) + "/statuses/" + sha);
    return resp;
}

SimResponse GitHub::listStatuses(GhRepo& r, const std::string& ref, bool combined) {
    needFine("statuses", "read", &r);
    accepted_scopes_ = "repo, repo:status";
    std::string sha = ref;
    if (!r.commits.count(sha)) {
        sha.clear();
        for (auto& [c, branches] : r.commits)
            if (std::find(branches.begin(), branches.end(), ref) != branches.end()) sha = c;
        if (sha.empty()) fail(422, "No commit found for SHA: " + ref);
    }
    std::vector<const GhStatus*> all;
    for (auto it = w_.statuses.rbegin(); it != w_.statuses.rend(); ++it)
        if (it->repo == r.id && it->sha == sha) all.push_back(&*it);  // newest first
    if (!combined) return paged(all, [&](const GhStatus* s) { return statusJson(r, *s, true); });
    std::vector<const GhStatus*> latest;
    std::set<std::string> seen;
    for (auto* s : all) {
        std::string key = s->context;
        for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (seen.insert(key).second) latest.push_back(s);
    }
    std::string state = "success";
    bool any_pending = latest.empty();
    for (auto* s : latest) {
        if (s->state == "error" || s->state == "failure") state = "failure";
        if (s->state == "pending") any_pending = true;
    }
    if (state != "failure" && any_pending) state = "pending";
    json statuses = json::array();
    for (auto* s : latest) statuses.push_back(statusJson(r, *s, false));
    return ok(json{{"state", state},
                   {"statuses", statuses},
                   {"sha", sha},
                   {"total_count", latest.size()},
                   {"repository", repoJson(r)},
                   {"commit_url", repoUrl(r) + "/commits/" + sha},
                   {"url", repoUrl(r) + "/commits/" + sha + "/status"}});
}

SimResponse GitHub::commitPulls(GhRepo& r, const std::string& sha) {
    needFine("pull_requests", "read", &r);
    std::string target = sha;
    if (!r.commits.count(target)) {
        for (auto& [c, branches] : r.commits)
            if (std::find(branches.begin(), branches.end(), sha) != branches.end()) target = c;
    }
    bool on_default = false;
    if (auto it = r.commits.find(target); it != r.commits.end())
        on_default = std::find(it->second.begin(), it->second.end(), r.default_branch) != it->second.end();
    std::vector<const GhPull*> out;
    for (auto& p : r.pulls) {
        if (std::find(p.commits.begin(), p.commits.end(), target) == p.commits.end()) continue;
        if (on_default && !p.merged) continue;  // on the default branch only the PR that merged it
        out.push_back(&p);
    }
    if (out.empty() && !r.commits.count(target)) fail(422, "No commit found for SHA: " + sha);
    return paged(out, [&](const GhPull* p) { return pullJson(r, *p); });
}

// Shared by the /issues and /pulls listings: state filter, then sort with GitHub's defaults.
std::vector<const GhPull*> pullsByState(const GhRepo& r, const std::string& state) {
    std::vector<const GhPull*> out;
    for (auto& p : r.pulls)
        if (state == "all" || p.state == state) out.push_back(&p);
    return out;
}

void sortPulls(std::vector<const GhPull*>& out, bool ascending) {
    // The simulator's pulls share a creation time; the number orders them as creation would.
    std::stable_sort(out.begin(), out.end(), [&](const GhPull* a, const GhPull* b) {
        int c = a->created_at.compare(b->created_at);
        if (c == 0) c = a->number < b->number ? -1 : (a->number > b->number ? 1 : 0);
        return ascending ? c < 0 : c > 0;
    });
}

json GitHub::issueJson(const GhRepo& r, const GhPull& p) const {
    // Every pull request is an issue too; the simulator's issues are its pulls, with the
    // pull_request link object that marks them (schema "issue").
    std::string api = repoUrl(r);
    std::string url = api + "/issues/" + std::to_string(p.number);
    std::string html = ctx_.origin + "/" + r.fullName() + "/pull/" + std::to_string(p.number);
    std::int64_t comments = 0;
    for (auto& c : w_.comments) comments += (c.repo == r.id && c.issue == p.number) ? 1 : 0;
    bool closed = p.state == "closed";
    return json{{"url", url},
                {"repository_url", api},
                {"labels_url", url + "/labels{/name}"},
                {"comments_url", url + "/comments"},
                {"events_url", url + "/events"},
                {"html_url", html},
                {"id", 2000000000 + p.id},
                {"node_id", "I_sim" + std::to_string(p.id)},
                {"number", p.number},
                {"title", p.title},
                {"user", userJson(p.user)},
                {"labels", json::array()},
                {"state", p.state},
                {"state_reason", closed ? json("completed") : json(nullptr)},
                {"locked", false},
                {"assignee", nullptr},
                {"assignees", json::array()},
                {"milestone", nullptr},
                {"comments", comments},
                {"created_at", p.created_at},
                {"updated_at", p.created_at},
                {"closed_at", closed ? json(p.created_at) : json(nullptr)},
                {"author_association", "MEMBER"},
                {"active_lock_reason", nullptr},
                {"draft", false},
                {"body", nullptr},
                {"pull_request", {{"url", api + "/pulls/" + std::to_string(p.number)},
                                  {"html_url", html},
                                  {"diff_url", html + ".diff"},
                                  {"patch_url", html + ".patch"},
                                  {"merged_at", p.merged ? json(p.created_at) : json(nullptr)}}},
                {"timeline_url", url + "/timeline"},
                {"performed_via_github_app", nullptr}};
}

SimResponse GitHub::listIssues(GhRepo& r) {
    // GET /repos/:o/:r/issues: "Issues" read for a fine-grained token (none on a public repo).
    needFine("issues", "read", &r);
    accepted_scopes_ = "repo";
    std::string state = req_.param("state").value_or("open");
    if (state != "open" && state != "closed" && state != "all") invalid("Issue", "state", "invalid");
    std::string sort = req_.param("sort").value_or("created");
    if (sort != "created" && sort != "updated" && sort != "comments") invalid("Issue", "sort", "invalid");
    std::string dir = req_.param("direction").value_or("desc");
    if (dir != "asc" && dir != "desc") invalid("Issue", "direction", "invalid");
    auto out = pullsByState(r, state);
    sortPulls(out, dir == "asc");
    return paged(out, [&](const GhPull* p) { return issueJson(r, *p); });
}

SimResponse GitHub::listPulls(GhRepo& r) {
    // GET /repos/:o/:r/pulls: "Pull requests" read for a fine-grained token (none on a public repo).
    needFine("pull_requests", "read", &r);
    accepted_scopes_ = "repo";
    std::string state = req_.param("state").value_or("open");
    if (state != "open" && state != "closed" && state != "all") invalid("PullRequest", "state", "invalid");
    std::string sort = req_.param("sort").value_or("created");
    if (sort != "created" && sort != "updated" && sort != "popularity" && sort != "long-running")
        invalid("PullRequest", "sort", "invalid");
    std::string dir = req_.param("direction").value_or(sort == "created" ? "desc" : "asc");
    if (dir != "asc" && dir != "desc") invalid("PullRequest", "direction", "invalid");
    auto base = req_.param("base");
    auto head = req_.param("head");  // "user:ref" (or "org:ref")
    auto out = pullsByState(r, state);
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const GhPull* p) {
                                 return (base && p->base_ref != *base) || (head && r.owner + ":" + p->head_ref != *head);
                             }),
              out.end());
    sortPulls(out, dir == "asc");
    return paged(out, [&](const GhPull* p) { return pullJson(r, *p); });
}

SimResponse GitHub::comments(GhRepo& r, const std::vector<std::string>& segs) {
    // segs: repos o r issues N comments | repos o r issues comments ID
    if (segs[4] == "comments") {
        Id id = 0;
        try {
            id = std::stoll(segs[5]);
        } catch (...) {
            notFound();
        }
        GhComment* c = nullptr;
        for (auto& x : w_.comments)
            if (x.repo == r.id && x.id == id) c = &x;
        if (!c) notFound();
        if (req_.method == "GET") {
            needFine("issues", "read", &r, "pull_requests");
            return ok(commentJson(r, *c));
        }
        if (req_.method != "PATCH" && req_.method != "DELETE") notFound();
        if (!token_) fail(401, "Requires authentication");
        if (token_->kind == GhTokenKind::FineGrained) {
            needFine("issues", "write", &r, "pull_requests");
        } else if (!(r.is_private ? hasScope("repo") : hasScope("repo") || hasScope("public_repo"))) {
            notFound();
        }
        if (c->user != user_->id) fail(403, "You must be the author of this comment to edit it.");
        if (req_.method == "DELETE") {
            w_.comments.erase(w_.comments.begin() + (c - w_.comments.data()));
            SimResponse resp;
            resp.status = 204;
            return resp;
        }
        json body = json::parse(req_.body.empty() ? "{}" : req_.body, nullptr, false);
        if (body.is_discarded()) fail(400, "Problems parsing JSON");
        if (!body.is_object() || !body.contains("body") || !body["body"].is_string()) invalid("IssueComment", "body", "missing_field");
        contentLimit();
        c->body = body["body"].get<std::string>();
        c->updated_at = isoTime(ctx_.now, false);
        return ok(commentJson(r, *c));
    }
    Id number = 0;
    try {
        number = std::stoll(segs[4]);
    } catch (...) {
        notFound();
    }
    bool exists = false;
    for (auto& p : r.pulls) exists = exists || p.number == number;
    if (!exists) notFound();
    if (req_.method == "GET") {
        needFine("issues", "read", &r, "pull_requests");
        std::vector<const GhComment*> out;
        for (auto& c : w_.comments)
            if (c.repo == r.id && c.issue == number) out.push_back(&c);
        std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
        return paged(out, [&](const GhComment* c) { return commentJson(r, *c); });
    }
    if (req_.method != "POST") notFound();
    if (!token_) fail(401, "Requires authentication");
    if (token_->kind == GhTokenKind::FineGrained) {
        needFine("issues", "write", &r, "pull_requests");
    } else if (!(r.is_private ? hasScope("repo") : hasScope("repo") || hasScope("public_repo"))) {
        notFound();
    }
    json body = json::parse(req_.body.empty() ? "{}" : req_.body, nullptr, false);
    if (body.is_discarded()) fail(400, "Problems parsing JSON");
    if (!body.is_object() || !body.contains("body") || !body["body"].is_string()) invalid("IssueComment", "body", "missing_field");
    if (body["body"].get<std::string>().size() > 65536) invalid("IssueComment", "body", "custom", "body is too long (maximum is 65536 characters)");
    contentLimit();
    GhComment c;
    c.id = w_.next_comment_id++;
    c.repo = r.id;
    c.issue = number;
    c.user = user_->id;
    c.body = body["body"].get<std::string>();
    c.created_at = c.updated_at = isoTime(ctx_.now, false);
    w_.comments.push_back(c);
    SimResponse resp = ok(commentJson(r, c), 201);
    resp.set("Location", repoUrl(r) + "/issues/comments/" + std::to_string(c.id));
    return resp;
}

SimResponse GitHub::repoRoutes(GhRepo& repo, const std::vector<std::string>& segs) {
    const std::string& m = req_.method;
    auto is = [&](std::size_t n, std::initializer_list<const char*> fixed) { return routeIs(segs, n, fixed); };
    if (m == "GET" && segs.size() == 3) {
        needFine("metadata", "read", &repo);
        return ok(repoJson(repo, true));
    }
    if (m == "POST" && is(5, {"repos", nullptr, nullptr, "statuses", nullptr})) return postStatus(repo, segs[4]);
    if (m == "GET" && is(5, {"repos", nullptr, nullptr, "statuses", nullptr})) return listStatuses(repo, segs[4], false);
    if (m == "GET" && is(6, {"repos", nullptr, nullptr, "commits", nullptr, "statuses"})) return listStatuses(repo, segs[4], false);
    if (m == "GET" && is(6, {"repos", nullptr, nullptr, "commits", nullptr, "status"})) return listStatuses(repo, segs[4], true);
    if (m == "GET" && is(6, {"repos", nullptr, nullptr, "commits", nullptr, "pulls"})) return commitPulls(repo, segs[4]);
    if (m == "GET" && is(5, {"repos", nullptr, nullptr, "pulls", nullptr})) {
        needFine("pull_requests", "read", &repo);
        for (auto& p : repo.pulls)
            if (std::to_string(p.number) == segs[4]) return ok(pullJson(repo, p, true));
        notFound();
    }
    if (m == "POST" && is(4, {"repos", nullptr, nullptr, "check-runs"})) {
        // Only GitHub App installation tokens may create check runs; the simulator issues none.
        fail(403, "You must authenticate via a GitHub App.", "https://docs.github.com/rest/checks/runs#create-a-check-run");
    }
    if (segs.size() == 6 && segs[3] == "issues" && (segs[5] == "comments" || segs[4] == "comments")) return comments(repo, segs);
    if (m == "GET" && is(4, {"repos", nullptr, nullptr, "issues"})) return listIssues(repo);
    if (m == "GET" && is(4, {"repos", nullptr, nullptr, "pulls"})) return listPulls(repo);
    notFound();
}

SimResponse GitHub::run(const std::vector<std::string>& segs) {
    try {
        authenticate();
        rateLimit();
        SimResponse r = [&]() -> SimResponse {
            const std::string& m = req_.method;
            auto is = [&](std::size_t n, std::initializer_list<const char*> fixed) { return routeIs(segs, n, fixed); };
            if (m == "GET" && is(1, {"user"})) {
                if (!user_) fail(401, "Requires authentication");
                return ok(userJson(user_->id, true));
            }
            if (m == "GET" && is(2, {"user", "repos"})) return userRepos();
            if (m == "GET" && is(2, {"user", "orgs"})) {
                if (!user_) fail(401, "Requires authentication");
                std::vector<const GhOrg*> out;
                for (auto& o : w_.orgs)
                    if (o.members.count(user_->id)) out.push_back(&o);
                return paged(out, [&](const GhOrg* o) { return orgJson(*o); });
            }
            if (m == "GET" && is(3, {"orgs", nullptr, "repos"})) return orgRepos(segs[1]);
            if (segs.size() >= 2 && segs[0] == "repositories") {
                // GitHub's id-addressed alias of every /repos/:owner/:repo route (what Link and
                // rename redirects point at).
                GhRepo& repo = findRepoById(segs[1]);
                std::vector<std::string> named{"repos", repo.owner, repo.name};
                named.insert(named.end(), segs.begin() + 2, segs.end());
                return repoRoutes(repo, named);
            }
            if (segs.size() >= 3 && segs[0] == "repos") return repoRoutes(findRepo(segs), segs);
            notFound();
        }();
        for (auto& h : headers_) r.set(h.first, h.second);
        r.set("X-Accepted-OAuth-Scopes", accepted_scopes_);
        r.set("X-GitHub-Media-Type", "github.v3; format=json");
        r.set("x-github-api-version-selected", "2022-11-28");
        return r;
    } catch (Answer& a) {
        for (auto& h : headers_) a.response.set(h.first, h.second);
        if (a.response.status != 403 || a.response.body.find("User-Agent") == std::string::npos)
            a.response.set("X-GitHub-Media-Type", "github.v3; format=json");
        return a.response;
    }
}

}  // namespace

SimResponse githubSecondaryLimit(int status, int retry_after) {
    SimResponse r;
    r.json(status, json{{"message", "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                                    "If you reach out to GitHub Support for help, please include the request ID."},
                        {"documentation_url", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"},
                        {"status", std::to_string(status)}}
                       .dump());
    r.set("Retry-After", std::to_string(retry_after));
    return r;
}

SimResponse handleGitHub(Ctx& ctx, const SimRequest& req, const std::vector<std::string>& segs, const std::string& api_path) {
    GitHub api(ctx, req, api_path);
    return api.run(segs);
}

namespace {

SimResponse adminError(int status, const std::string& msg) {
    SimResponse r;
    r.json(status, json{{"error", msg}}.dump(-1, ' ', false, json::error_handler_t::replace));
    return r;
}

bool validRepoName(const std::string& n) {
    if (n.empty() || n.size() > 100 || n == "." || n == "..") return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

// What a repository admin does on github.com: rename and/or transfer. The old full name keeps
// redirecting (until a repository takes that name again); tokens keep their access to it.
SimResponse renameRepo(GitHubWorld& w, Id id, const std::string& body) {
    GhRepo* r = w.repo(id);
    if (!r) return adminError(404, "no GitHub repo with id " + std::to_string(id));
    json j = json::parse(body.empty() ? "{}" : body, nullptr, false);
    if (!j.is_object()) return adminError(400, "expected a JSON object {\"name\": ..., \"owner\": ...}");
    for (auto& [k, v] : j.items())
        if (k != "name" && k != "owner") return adminError(400, "unknown key \"" + k + "\" (expected name, owner)");
    if ((j.contains("name") && !j["name"].is_string()) || (j.contains("owner") && !j["owner"].is_string()))
        return adminError(400, "name and owner must be strings");
    std::string name = j.value("name", r->name), owner = j.value("owner", r->owner);
    if (!validRepoName(name)) return adminError(400, "\"" + name + "\" is not a repository name (letters, digits, '-', '_', '.')");
    bool to_org = w.org_by_login.count(owner) > 0;
    if (!to_org && !w.user_by_login.count(owner)) return adminError(400, "unknown GitHub user or org \"" + owner + "\"");
    const std::string old_full = r->fullName(), new_full = owner + "/" + name;
    if (new_full == old_full) return adminError(400, "the repo is already called " + old_full);
    if (w.repo_by_name.count(new_full)) return adminError(409, "a repo called " + new_full + " exists already");
    std::size_t index = w.repo_by_id.at(id);
    w.repo_by_name.erase(old_full);
    r->owner = owner;
    r->name = name;
    r->owner_is_org = to_org;
    r->owner_id = to_org ? w.orgs[w.org_by_login.at(owner)].id : w.users[w.user_by_login.at(owner)].id;
    w.repo_by_name[new_full] = index;
    w.moved.erase(new_full);
    w.moved[old_full] = id;
    for (auto& t : w.tokens)
        if (t.repositories.erase(old_full)) t.repositories.insert(new_full);
    SimResponse resp;
    resp.json(200, json{{"id", id}, {"full_name", new_full}, {"previous_full_name", old_full}}.dump());
    return resp;
}

}  // namespace

SimResponse handleGitHubAdmin(World& world, const SimRequest& req, const std::vector<std::string>& segs) {
    GitHubWorld& w = world.github;
    auto numeric = [](const std::string& s) {
        return !s.empty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    // segs: _sim github repos :id rename | _sim github comments :id
    if (segs.size() == 5 && segs[2] == "repos" && segs[4] == "rename" && req.method == "POST") {
        if (!numeric(segs[3])) return adminError(400, "repo id must be a number, got \"" + segs[3] + "\"");
        return renameRepo(w, std::stoll(segs[3]), req.body);
    }
    if (segs.size() == 4 && segs[2] == "comments" && req.method == "DELETE") {
        // Someone with the right to (the author, a maintainer) deleted it on github.com.
        if (!numeric(segs[3])) return adminError(400, "comment id must be a number, got \"" + segs[3] + "\"");
        Id id = std::stoll(segs[3]);
        auto it = std::find_if(w.comments.begin(), w.comments.end(), [&](const GhComment& c) { return c.id == id; });
        if (it == w.comments.end()) return adminError(404, "no GitHub comment with id " + segs[3]);
        w.comments.erase(it);
        SimResponse resp;
        resp.status = 204;
        return resp;
    }
    return adminError(404, "unknown admin call " + req.method + " " + req.path +
                               " (GitHub: POST /_sim/github/repos/:id/rename, DELETE /_sim/github/comments/:id)");
}

}  // namespace forgelink::sim
