// Scenario loading: YAML/JSON text -> World. Every error names the path of the offending value.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

#include "sim_model.hpp"
#include "sim_util.hpp"

namespace forgelink::sim {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw std::runtime_error("scenario: " + path + ": " + what);
}

// yaml-cpp gives untyped scalars; quoted ones carry the "!" tag and stay strings.
json toJson(const YAML::Node& n, const std::string& path) {
    switch (n.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return nullptr;
        case YAML::NodeType::Sequence: {
            json a = json::array();
            std::size_t i = 0;
            for (const auto& e : n) a.push_back(toJson(e, path + "[" + std::to_string(i++) + "]"));
            return a;
        }
        case YAML::NodeType::Map: {
            json o = json::object();
            for (const auto& kv : n) {
                std::string key = kv.first.as<std::string>();
                if (o.contains(key))
                    fail(path + "." + key, "duplicate key (line " + std::to_string(kv.first.Mark().line + 1) + ")");
                o[key] = toJson(kv.second, path.empty() ? key : path + "." + key);
            }
            return o;
        }
        case YAML::NodeType::Scalar: {
            const std::string& s = n.Scalar();
            if (n.Tag() == "!") return s;
            if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
            if (s == "true" || s == "True" || s == "TRUE") return true;
            if (s == "false" || s == "False" || s == "FALSE") return false;
            if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
                std::size_t used = 0;
                try {
                    long long v = std::stoll(s, &used);
                    if (used == s.size()) return v;
                    double d = std::stod(s, &used);
                    if (used == s.size()) return d;
                } catch (...) {
                }
            }
            return s;
        }
    }
    return nullptr;
}

// A JSON object being read, with its path for messages and a check for unknown keys.
class Obj {
public:
    Obj(const json& j, std::string path) : j_(j), path_(std::move(path)) {
        if (!j_.is_object()) fail(path_, "expected a mapping, got " + std::string(j_.type_name()));
    }
    ~Obj() = default;
    void allow(std::initializer_list<const char*> keys) const {
        for (auto& [k, v] : j_.items()) {
            bool ok = false;
            for (auto* a : keys) ok = ok || k == a;
            if (!ok) {
                std::string list;
                for (auto* a : keys) list += std::string(list.empty() ? "" : ", ") + a;
                fail(at(k), "unknown key (expected one of: " + list + ")");
            }
        }
    }
    bool has(const char* k) const { return j_.contains(k) && !j_.at(k).is_null(); }
    std::string at(const std::string& k) const { return path_ + "." + k; }
    const json& raw(const char* k) const { return j_.at(k); }
    std::string str(const char* k, const std::string& def = "", bool required = false) const {
        if (!has(k)) {
            if (required) fail(at(k), "required string missing");
            return def;
        }
        const json& v = j_.at(k);
        if (v.is_string()) return v.get<std::string>();
        if (v.is_number_integer()) return std::to_string(v.get<long long>());
        fail(at(k), "expected a string, got " + std::string(v.type_name()));
    }
    std::int64_t num(const char* k, std::int64_t def = 0, bool required = false) const {
        if (!has(k)) {
            if (required) fail(at(k), "required integer missing");
            return def;
        }
        const json& v = j_.at(k);
        if (!v.is_number_integer()) fail(at(k), "expected an integer, got " + v.dump());
        return v.get<std::int64_t>();
    }
    bool flag(const char* k, bool def = false) const {
        if (!has(k)) return def;
        if (!j_.at(k).is_boolean()) fail(at(k), "expected true or false, got " + j_.at(k).dump());
        return j_.at(k).get<bool>();
    }
    std::vector<std::string> strs(const char* k) const {
        std::vector<std::string> out;
        if (!has(k)) return out;
        const json& v = j_.at(k);
        if (v.is_string()) return {v.get<std::string>()};
        if (!v.is_array()) fail(at(k), "expected a list of strings");
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_string() && !v[i].is_number_integer())
                fail(at(k) + "[" + std::to_string(i) + "]", "expected a string");
            out.push_back(v[i].is_string() ? v[i].get<std::string>() : std::to_string(v[i].get<long long>()));
        }
        return out;
    }
    std::vector<Obj> list(const char* k) const {
        std::vector<Obj> out;
        if (!has(k)) return out;
        const json& v = j_.at(k);
        if (!v.is_array()) fail(at(k), "expected a list");
        for (std::size_t i = 0; i < v.size(); ++i) out.emplace_back(v[i], at(k) + "[" + std::to_string(i) + "]");
        return out;
    }
    std::string oneOf(const char* k, const std::string& def, std::initializer_list<const char*> values) const {
        std::string s = str(k, def);
        for (auto* v : values)
            if (s == v) return s;
        std::string list;
        for (auto* v : values) list += std::string(list.empty() ? "" : "|") + v;
        fail(at(k), "expected one of " + list + ", got \"" + s + "\"");
    }
    std::string time(const char* k, std::int64_t def_epoch) const {
        if (!has(k)) return isoTime(def_epoch);
        std::int64_t t = 0;
        if (!parseTime(str(k), t)) fail(at(k), "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, got \"" + str(k) + "\"");
        return isoTime(t);
    }
    const std::string& path() const { return path_; }
    const json& json_() const { return j_; }

private:
    const json& j_;
    std::string path_;
};

constexpr std::int64_t kBaseTime = 1704067200;  // 2024-01-01T00:00:00Z: stable default timestamps

int accessLevel(const json& v, const std::string& path) {
    if (!v.is_number_integer()) fail(path, "expected an access level (10,15,20,30,40,50)");
    int l = v.get<int>();
    if (l != 10 && l != 15 && l != 20 && l != 30 && l != 40 && l != 50 && l != 5)
        fail(path, "expected an access level (5,10,15,20,30,40,50), got " + std::to_string(l));
    return l;
}

bool isSha(const std::string& s) {
    return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

void loadGitLab(const Obj& g, GitLabWorld& w, std::mt19937_64& rng) {
    g.allow({"version", "revision", "external_url", "oauth_token_ttl", "rate_limit", "notes_create_limit", "users", "groups",
             "projects", "tokens", "generate", "oauth_apps"});
    if (g.has("notes_create_limit")) {
        Obj r(g.raw("notes_create_limit"), g.at("notes_create_limit"));
        r.allow({"limit", "period_seconds"});
        w.notes_limit = r.num("limit", 0, true);
        w.notes_period = r.num("period_seconds", 60);
        if (w.notes_limit <= 0 || w.notes_period <= 0) fail(r.path(), "limit and period_seconds must be positive");
    }
    w.version = g.str("version", w.version);
    w.revision = g.str("revision", w.revision);
    w.external_url = g.str("external_url");
    w.oauth_token_ttl = g.num("oauth_token_ttl", 7200);
    if (g.has("rate_limit")) {
        Obj r(g.raw("rate_limit"), g.at("rate_limit"));
        r.allow({"limit", "period_seconds"});
        w.rate_limit = r.num("limit", 0, true);
        w.rate_period = r.num("period_seconds", 60);
        if (w.rate_limit <= 0 || w.rate_period <= 0) fail(r.path(), "limit and period_seconds must be positive");
    }
    auto userId = [&](const std::string& name, const std::string& path) -> Id {
        auto it = w.user_by_name.find(name);
        if (it == w.user_by_name.end()) fail(path, "unknown user \"" + name + "\"");
        return w.users[it->second].id;
    };
    auto members = [&](const Obj& o, std::map<Id, int>& out) {
        if (!o.has("members")) return;
        const json& m = o.raw("members");
        if (!m.is_object()) fail(o.at("members"), "expected a mapping username -> access level");
        for (auto& [name, lvl] : m.items())
            out[userId(name, o.at("members") + "." + name)] = accessLevel(lvl, o.at("members") + "." + name);
    };
    for (const auto& u : g.list("users")) {
        u.allow({"id", "username", "name", "admin", "bot", "state", "email"});
        GlUser user;
        user.id = u.num("id", 0, true);
        user.username = u.str("username", "", true);
        user.name = u.str("name", user.username);
        user.admin = u.flag("admin");
        user.bot = u.flag("bot");
        user.state = u.oneOf("state", "active", {"active", "blocked", "deactivated"});
        user.email = u.str("email", user.username + "@example.com");
        user.created_at = isoTime(kBaseTime);
        if (w.user_by_id.count(user.id)) fail(u.at("id"), "duplicate user id " + std::to_string(user.id));
        if (w.user_by_name.count(user.username)) fail(u.at("username"), "duplicate username " + user.username);
        w.users.push_back(user);
        w.user_by_id[user.id] = w.users.size() - 1;
        w.user_by_name[user.username] = w.users.size() - 1;
    }
    for (const auto& o : g.list("groups")) {
        o.allow({"id", "path", "name", "parent", "visibility", "members"});
        GlGroup gr;
        gr.id = o.num("id", 0, true);
        gr.path = o.str("path", "", true);
        gr.name = o.str("name", gr.path);
        gr.visibility = o.oneOf("visibility", "private", {"public", "internal", "private"});
        gr.full_path = gr.path;
        if (o.has("parent")) {
            std::string parent = o.str("parent");
            auto it = w.group_by_path.find(parent);
            if (it == w.group_by_path.end()) fail(o.at("parent"), "unknown group \"" + parent + "\" (list parents first)");
            gr.parent = w.groups[it->second].id;
            gr.full_path = parent + "/" + gr.path;
        }
        members(o, gr.members);
        if (w.group_by_id.count(gr.id)) fail(o.at("id"), "duplicate group id");
        if (w.group_by_path.count(gr.full_path)) fail(o.at("path"), "duplicate group path " + gr.full_path);
        w.groups.push_back(gr);
        w.group_by_id[gr.id] = w.groups.size() - 1;
        w.group_by_path[gr.full_path] = w.groups.size() - 1;
    }
    auto setNamespace = [&](GlProject& p, const std::string& ns, const std::string& path) {
        if (auto it = w.group_by_path.find(ns); it != w.group_by_path.end()) {
            p.group_id = w.groups[it->second].id;
        } else if (auto u = w.user_by_name.find(ns); u != w.user_by_name.end()) {
            p.user_namespace = w.users[u->second].id;
        } else {
            fail(path, "unknown namespace \"" + ns + "\" (expected a group full path or a username)");
        }
        p.namespace_full_path = ns;
    };
    std::vector<std::pair<std::size_t, Obj>> deferred_mrs;  // MRs may reference projects listed later
    w.projects.reserve(g.has("projects") ? g.raw("projects").size() : 0);
    for (const auto& o : g.list("projects")) {
        o.allow({"id", "path", "name", "namespace", "description", "visibility", "archived", "default_branch",
                 "created_at", "members", "protected_branches", "moved_from", "commits", "merge_requests", "statuses"});
        GlProject p;
        p.id = o.num("id", 0, true);
        p.path = o.str("path", "", true);
        p.name = o.str("name", p.path);
        p.description = o.str("description");
        setNamespace(p, o.str("namespace", "", true), o.at("namespace"));
        p.visibility = o.oneOf("visibility", "private", {"public", "internal", "private"});
        p.archived = o.flag("archived");
        p.default_branch = o.str("default_branch", "main");
        p.created_at = o.time("created_at", kBaseTime + p.id);
        p.last_activity_at = p.created_at;
        members(o, p.members);
        for (auto& b : o.strs("protected_branches")) p.protected_branches.insert(b);
        for (const auto& c : o.list("commits")) {
            c.allow({"sha", "branches"});
            std::string sha = c.str("sha", "", true);
            if (!isSha(sha)) fail(c.at("sha"), "expected 40 hex digits, got \"" + sha + "\"");
            p.commits[sha] = c.strs("branches");
        }
        if (w.project_by_id.count(p.id)) fail(o.at("id"), "duplicate project id " + std::to_string(p.id));
        if (w.project_by_path.count(p.fullPath())) fail(o.at("path"), "duplicate project path " + p.fullPath());
        for (auto& old : o.strs("moved_from")) w.moved[old] = p.id;
        w.projects.push_back(std::move(p));
        w.project_by_id[w.projects.back().id] = w.projects.size() - 1;
        w.project_by_path[w.projects.back().fullPath()] = w.projects.size() - 1;
        deferred_mrs.emplace_back(w.projects.size() - 1, o);
    }
    for (const auto& o : g.list("generate")) {
        o.allow({"projects", "namespace", "path_prefix", "start_id", "visibility", "member", "access_level"});
        std::int64_t n = o.num("projects", 0, true);
        if (n < 0 || n > 1000000) fail(o.at("projects"), "expected 0..1000000");
        std::string ns = o.str("namespace", "", true);
        if (!w.group_by_path.count(ns) && !w.user_by_name.count(ns)) {
            GlGroup gr;
            gr.id = 1;
            for (auto& x : w.groups) gr.id = std::max(gr.id, x.id + 1);
            gr.path = gr.name = gr.full_path = ns;
            w.groups.push_back(gr);
            w.group_by_id[gr.id] = w.groups.size() - 1;
            w.group_by_path[ns] = w.groups.size() - 1;
        }
        Id start = 1;
        for (auto& p : w.projects) start = std::max(start, p.id + 1);
        start = o.num("start_id", start);
        std::string prefix = o.str("path_prefix", "project-");
        std::string vis = o.oneOf("visibility", "private", {"public", "internal", "private"});
        std::optional<Id> member;
        int level = 30;
        if (o.has("member")) member = userId(o.str("member"), o.at("member"));
        if (o.has("access_level")) level = accessLevel(o.raw("access_level"), o.at("access_level"));
        w.projects.reserve(w.projects.size() + n);
        for (std::int64_t i = 0; i < n; ++i) {
            GlProject p;
            p.id = start + i;
            p.path = p.name = prefix + std::to_string(i + 1);
            setNamespace(p, ns, o.at("namespace"));
            p.visibility = vis;
            p.created_at = p.last_activity_at = isoTime(kBaseTime + p.id);
            if (member) p.members[*member] = level;
            if (w.project_by_id.count(p.id)) fail(o.at("start_id"), "generated id " + std::to_string(p.id) + " collides");
            w.projects.push_back(std::move(p));
            w.project_by_id[w.projects.back().id] = w.projects.size() - 1;
            w.project_by_path[w.projects.back().fullPath()] = w.projects.size() - 1;
        }
    }
    auto projectRef = [&](const std::string& ref, const std::string& path) -> Id {
        if (auto it = w.project_by_path.find(ref); it != w.project_by_path.end()) return w.projects[it->second].id;
        try {
            Id id = std::stoll(ref);
            if (w.project_by_id.count(id)) return id;
        } catch (...) {
        }
        fail(path, "unknown project \"" + ref + "\"");
    };
    Id next_mr_id = 1;
    Id next_note = 1;
    for (auto& [idx, o] : deferred_mrs) {
        for (const auto& m : o.list("merge_requests"))
            for (const auto& n : m.list("notes")) next_note = std::max(next_note, n.num("id", 0) + 1);
        (void)idx;
    }
    for (auto& [idx, o] : deferred_mrs) {
        GlProject& p = w.projects[idx];
        for (const auto& m : o.list("merge_requests")) {
            m.allow({"iid", "id", "title", "source_branch", "target_branch", "source_project", "sha", "commits", "state",
                     "author", "notes", "created_at", "head_pipeline"});
            GlMergeRequest mr;
            mr.iid = m.num("iid", 0, true);
            mr.id = m.num("id", 0);
            if (mr.id == 0) mr.id = 1000 * p.id + mr.iid;
            next_mr_id = std::max(next_mr_id, mr.id + 1);
            mr.project_id = p.id;
            mr.title = m.str("title", "Merge request !" + std::to_string(mr.iid));
            mr.source_branch = m.str("source_branch", "", true);
            mr.target_branch = m.str("target_branch", p.default_branch);
            mr.source_project_id = m.has("source_project") ? projectRef(m.str("source_project"), m.at("source_project")) : p.id;
            mr.sha = m.str("sha", "", true);
            if (!isSha(mr.sha)) fail(m.at("sha"), "expected 40 hex digits");
            mr.commits = m.strs("commits");
            if (mr.commits.empty()) mr.commits.push_back(mr.sha);
            if (m.has("head_pipeline")) {
                const Obj hp(m.raw("head_pipeline"), m.at("head_pipeline"));
                hp.allow({"id", "sha", "ref", "status", "source"});
                GlPipeline pipeline;
                pipeline.sha = hp.str("sha", "", true);
                if (!isSha(pipeline.sha)) fail(hp.at("sha"), "expected 40 hex digits");
                if (!p.commits.count(pipeline.sha)) fail(hp.at("sha"), "not a commit of this project");
                pipeline.id = hp.num("id", 0);
                if (pipeline.id == 0) pipeline.id = 90000 + mr.id;
                pipeline.ref = hp.str("ref", "refs/merge-requests/" + std::to_string(mr.iid) + "/merge");
                pipeline.status = hp.oneOf("status", "running", {"created", "pending", "running", "success", "failed", "canceled"});
                pipeline.source = hp.str("source", "merge_request_event");
                mr.head_pipeline = pipeline;
            }
            mr.state = m.oneOf("state", "opened", {"opened", "closed", "merged", "locked"});
            mr.author = m.has("author") ? userId(m.str("author"), m.at("author")) : (w.users.empty() ? 0 : w.users[0].id);
            mr.created_at = m.time("created_at", kBaseTime + 86400);
            for (auto& other : p.merge_requests)
                if (other.iid == mr.iid) fail(m.at("iid"), "duplicate iid " + std::to_string(mr.iid));
            for (const auto& n : m.list("notes")) {
                n.allow({"id", "body", "author", "system", "created_at", "updated_at"});
                GlNote note;
                note.id = n.num("id", 0);
                if (note.id == 0) note.id = next_note++;
                note.body = n.str("body", "", true);
                note.author = userId(n.str("author", "", true), n.at("author"));
                note.system = n.flag("system");
                note.created_at = n.time("created_at", kBaseTime + 2 * 86400);
                note.updated_at = n.has("updated_at") ? n.time("updated_at", 0) : note.created_at;
                mr.notes.push_back(note);
            }
            p.merge_requests.push_back(std::move(mr));
        }
    }
    w.next_note_id = next_note;
    for (auto& [idx, o] : deferred_mrs) {
        for (const auto& s : o.list("statuses")) {
            s.allow({"sha", "name", "context", "state", "ref", "author", "target_url", "description", "created_at"});
            GlProject& p = w.projects[idx];
            GlCommitStatus st;
            st.id = w.next_status_id++;
            st.project_id = p.id;
            st.sha = s.str("sha", "", true);
            if (!p.commits.count(st.sha)) fail(s.at("sha"), "not a commit of this project");
            st.name = s.str("name", s.str("context", "default"));
            st.status = s.oneOf("state", "success", {"pending", "running", "success", "failed", "canceled", "skipped"});
            st.ref = s.str("ref", p.commits[st.sha].empty() ? p.default_branch : p.commits[st.sha][0]);
            st.author = userId(s.str("author", "", true), s.at("author"));
            st.target_url = s.str("target_url");
            st.description = s.str("description");
            st.created_at = s.time("created_at", kBaseTime + 3 * 86400);
            auto key = std::make_pair(p.id, st.sha);
            if (!w.pipelines.count(key)) w.pipelines[key] = w.next_pipeline_id++;
            st.pipeline_id = w.pipelines[key];
            w.statuses.push_back(st);
        }
    }
    Id next_user = 1;
    for (auto& u : w.users) next_user = std::max(next_user, u.id + 1);
    Id next_token = 1;
    for (const auto& t : g.list("tokens")) next_token = std::max(next_token, t.num("id", 0) + 1);
    for (const auto& t : g.list("tokens")) {
        t.allow({"value", "kind", "user", "scopes", "name", "id", "expires_at", "revoked", "project", "group",
                 "access_level", "application", "expires_in", "bot_username", "reported_inactive"});
        GlToken tok;
        tok.value = t.str("value", "", true);
        std::string kind = t.oneOf("kind", "personal", {"personal", "project", "group", "oauth"});
        tok.id = t.num("id", 0);
        if (tok.id == 0) tok.id = next_token++;
        tok.name = t.str("name", "token-" + std::to_string(tok.id));
        tok.scopes = t.strs("scopes");
        static const std::set<std::string> known = {"api", "read_user", "read_api", "read_repository", "write_repository",
                                                    "read_registry", "write_registry", "sudo", "admin_mode", "create_runner",
                                                    "ai_features", "k8s_proxy", "read_service_ping", "self_rotate",
                                                    "openid", "profile", "email", "manage_runner"};
        for (auto& s : tok.scopes)
            if (!known.count(s)) fail(t.at("scopes"), "unknown GitLab scope \"" + s + "\"");
        tok.revoked = t.flag("revoked");
        tok.reported_inactive = t.flag("reported_inactive");
        tok.created_at = isoTime(kBaseTime);
        if (t.has("expires_at")) {
            std::int64_t e = 0;
            std::string d = t.str("expires_at");
            if (d.size() != 10 || !parseTime(d, e)) fail(t.at("expires_at"), "expected YYYY-MM-DD, got \"" + d + "\"");
            tok.expires_at = d;
        }
        tok.access_level = 40;
        if (t.has("access_level")) tok.access_level = accessLevel(t.raw("access_level"), t.at("access_level"));
        if (kind == "personal" || kind == "oauth") {
            tok.kind = kind == "personal" ? GlTokenKind::Personal : GlTokenKind::OAuth;
            tok.user = userId(t.str("user", "", true), t.at("user"));
            if (tok.kind == GlTokenKind::OAuth) {
                tok.application = t.str("application");
                tok.expires_epoch = t.num("expires_in", w.oauth_token_ttl);  // made absolute by ForgeSim at start
            }
        } else {
            bool proj = kind == "project";
            tok.kind = proj ? GlTokenKind::Project : GlTokenKind::Group;
            Id resource = 0;
            if (proj) {
                resource = projectRef(t.str("project", "", true), t.at("project"));
                tok.project = resource;
            } else {
                std::string gp = t.str("group", "", true);
                auto it = w.group_by_path.find(gp);
                if (it == w.group_by_path.end()) fail(t.at("group"), "unknown group \"" + gp + "\"");
                resource = w.groups[it->second].id;
                tok.group = resource;
            }
            GlUser bot;
            bot.id = next_user++;
            bot.username = t.str("bot_username", std::string(proj ? "project_" : "group_") + std::to_string(resource) +
                                                     "_bot_" + randomHex(rng, 32));
            bot.name = tok.name;
            bot.bot = true;
            bot.email = bot.username + "@noreply.127.0.0.1";
            bot.created_at = tok.created_at;
            w.users.push_back(bot);
            w.user_by_id[bot.id] = w.users.size() - 1;
            w.user_by_name[bot.username] = w.users.size() - 1;
            tok.user = bot.id;
            if (proj) w.projects[w.project_by_id[resource]].members[bot.id] = tok.access_level;
            else w.groups[w.group_by_id[resource]].members[bot.id] = tok.access_level;
        }
        if (tok.kind != GlTokenKind::OAuth && tok.scopes.empty()) fail(t.at("scopes"), "at least one scope is required");
        if (w.token_by_value.count(tok.value)) fail(t.at("value"), "duplicate token value");
        w.tokens.push_back(tok);
        w.token_by_value[tok.value] = w.tokens.size() - 1;
    }
    w.next_user_id = next_user;
    w.next_token_id = next_token;
    for (const auto& a : g.list("oauth_apps")) {
        a.allow({"client_id", "secret", "redirect_uri", "confidential", "user", "scopes"});
        GlOAuthApp app;
        app.client_id = a.str("client_id", "", true);
        app.secret = a.str("secret");
        app.redirect_uris = a.strs("redirect_uri");
        if (app.redirect_uris.empty()) fail(a.at("redirect_uri"), "required");
        app.confidential = a.flag("confidential", true);
        if (app.confidential && app.secret.empty()) fail(a.at("secret"), "required for a confidential app");
        app.user = a.has("user") ? userId(a.str("user"), a.at("user")) : 0;
        app.scopes = a.strs("scopes");
        w.apps.push_back(app);
    }
}

const char* kGhPerms[] = {"none", "pull", "triage", "push", "maintain", "admin"};

std::string ghPerm(const Obj& o, const std::string& key, const json& v) {
    std::string s = v.is_string() ? v.get<std::string>() : "";
    for (auto* p : kGhPerms)
        if (s == p) return s;
    fail(o.at(key), "expected none|pull|triage|push|maintain|admin, got " + v.dump());
}

void loadGitHub(const Obj& g, GitHubWorld& w) {
    g.allow({"rate_limit", "content_creation_per_minute", "users", "orgs", "repos", "tokens", "generate", "oauth_apps",
             "api_at_root"});
    w.api_at_root = g.flag("api_at_root");
    if (g.has("rate_limit")) {
        Obj r(g.raw("rate_limit"), g.at("rate_limit"));
        r.allow({"limit", "period_seconds", "exceeded_status"});
        w.rate_limit = r.num("limit", 5000);
        w.rate_period = r.num("period_seconds", 3600);
        w.exceeded_status = static_cast<int>(r.num("exceeded_status", 403));
        if (w.exceeded_status != 403 && w.exceeded_status != 429) fail(r.at("exceeded_status"), "expected 403 or 429");
    }
    w.content_per_minute = g.num("content_creation_per_minute", 80);
    auto userId = [&](const std::string& login, const std::string& path) -> Id {
        auto it = w.user_by_login.find(login);
        if (it == w.user_by_login.end()) fail(path, "unknown GitHub user \"" + login + "\"");
        return w.users[it->second].id;
    };
    for (const auto& u : g.list("users")) {
        u.allow({"id", "login", "name", "site_admin", "type"});
        GhUser user;
        user.id = u.num("id", 0, true);
        user.login = u.str("login", "", true);
        user.name = u.str("name", user.login);
        user.site_admin = u.flag("site_admin");
        user.type = u.oneOf("type", "User", {"User", "Bot"});
        user.created_at = isoTime(kBaseTime, false);
        if (w.user_by_id.count(user.id) || w.user_by_login.count(user.login)) fail(u.path(), "duplicate user");
        w.users.push_back(user);
        w.user_by_id[user.id] = w.users.size() - 1;
        w.user_by_login[user.login] = w.users.size() - 1;
    }
    for (const auto& o : g.list("orgs")) {
        o.allow({"id", "login", "members", "default_repository_permission"});
        GhOrg org;
        org.id = o.num("id", 0, true);
        org.login = o.str("login", "", true);
        org.default_permission = o.oneOf("default_repository_permission", "pull", {"none", "pull", "triage", "push", "maintain", "admin"});
        if (o.has("members")) {
            if (!o.raw("members").is_object()) fail(o.at("members"), "expected a mapping login -> admin|member");
            for (auto& [login, role] : o.raw("members").items()) {
                std::string r = role.is_string() ? role.get<std::string>() : "";
                if (r != "admin" && r != "member") fail(o.at("members") + "." + login, "expected admin or member");
                org.members[userId(login, o.at("members") + "." + login)] = r;
            }
        }
        if (w.org_by_login.count(org.login) || w.user_by_login.count(org.login)) fail(o.at("login"), "duplicate login");
        w.orgs.push_back(org);
        w.org_by_login[org.login] = w.orgs.size() - 1;
    }
    auto ownerOf = [&](GhRepo& r, const std::string& owner, const std::string& path) {
        r.owner = owner;
        if (auto it = w.org_by_login.find(owner); it != w.org_by_login.end()) {
            r.owner_is_org = true;
            r.owner_id = w.orgs[it->second].id;
        } else {
            r.owner_id = userId(owner, path);
        }
    };
    auto addRepo = [&](GhRepo&& r, const std::string& path) {
        if (w.repo_by_id.count(r.id)) fail(path, "duplicate repo id " + std::to_string(r.id));
        if (w.repo_by_name.count(r.fullName())) fail(path, "duplicate repo " + r.fullName());
        w.repos.push_back(std::move(r));
        w.repo_by_id[w.repos.back().id] = w.repos.size() - 1;
        w.repo_by_name[w.repos.back().fullName()] = w.repos.size() - 1;
    };
    Id next_pull_id = 1;
    for (const auto& o : g.list("repos")) {
        o.allow({"id", "owner", "name", "private", "archived", "default_branch", "description", "created_at",
                 "permissions", "commits", "pulls", "comments", "statuses", "moved_from"});
        GhRepo r;
        r.id = o.num("id", 0, true);
        ownerOf(r, o.str("owner", "", true), o.at("owner"));
        r.name = o.str("name", "", true);
        r.is_private = o.flag("private");
        r.archived = o.flag("archived");
        r.default_branch = o.str("default_branch", "main");
        r.description = o.str("description");
        std::int64_t created = kBaseTime + r.id % 100000;
        r.created_at = o.has("created_at") ? o.time("created_at", 0) : isoTime(created, false);
        if (r.created_at.size() > 20) r.created_at = r.created_at.substr(0, 19) + "Z";
        if (o.has("permissions")) {
            if (!o.raw("permissions").is_object()) fail(o.at("permissions"), "expected a mapping login -> permission");
            for (auto& [login, perm] : o.raw("permissions").items())
                r.collaborators[userId(login, o.at("permissions") + "." + login)] = ghPerm(o, "permissions." + login, perm);
        }
        for (const auto& c : o.list("commits")) {
            c.allow({"sha", "branches"});
            std::string sha = c.str("sha", "", true);
            if (!isSha(sha)) fail(c.at("sha"), "expected 40 hex digits");
            r.commits[sha] = c.strs("branches");
        }
        for (const auto& p : o.list("pulls")) {
            p.allow({"number", "id", "title", "head_ref", "head_sha", "base_ref", "state", "merged", "user", "commits", "created_at",
                     "merge_commit_sha"});
            GhPull pr;
            pr.number = p.num("number", 0, true);
            pr.id = p.num("id", 0);
            if (pr.id == 0) pr.id = 900000 + next_pull_id;
            ++next_pull_id;
            pr.title = p.str("title", "Pull request #" + std::to_string(pr.number));
            pr.head_ref = p.str("head_ref", "", true);
            pr.head_sha = p.str("head_sha", "", true);
            if (!isSha(pr.head_sha)) fail(p.at("head_sha"), "expected 40 hex digits");
            pr.base_ref = p.str("base_ref", r.default_branch);
            pr.state = p.oneOf("state", "open", {"open", "closed"});
            pr.merged = p.flag("merged");
            pr.user = p.has("user") ? userId(p.str("user"), p.at("user")) : r.owner_id;
            pr.commits = p.strs("commits");
            if (pr.commits.empty()) pr.commits.push_back(pr.head_sha);
            if (p.has("merge_commit_sha")) {
                pr.merge_commit_sha = p.str("merge_commit_sha", "", true);
                if (!isSha(pr.merge_commit_sha)) fail(p.at("merge_commit_sha"), "expected 40 hex digits");
            }
            pr.created_at = isoTime(kBaseTime + 86400, false);
            r.pulls.push_back(pr);
        }
        for (const auto& c : o.list("comments")) {
            c.allow({"id", "issue", "user", "body", "created_at"});
            GhComment cm;
            cm.id = c.num("id", 0);
            if (cm.id == 0) cm.id = w.next_comment_id;
            w.next_comment_id = std::max(w.next_comment_id, cm.id + 1);
            cm.issue = c.num("issue", 0, true);
            cm.user = userId(c.str("user", "", true), c.at("user"));
            cm.body = c.str("body", "", true);
            cm.repo = r.id;
            std::string t = c.time("created_at", kBaseTime + 2 * 86400);
            cm.created_at = cm.updated_at = t.substr(0, 19) + "Z";
            w.comments.push_back(cm);
        }
        for (const auto& s : o.list("statuses")) {
            s.allow({"sha", "state", "context", "user", "description", "target_url"});
            GhStatus st;
            st.id = w.next_status_id++;
            st.repo = r.id;
            st.sha = s.str("sha", "", true);
            st.state = s.oneOf("state", "success", {"error", "failure", "pending", "success"});
            st.context = s.str("context", "default");
            st.creator = userId(s.str("user", "", true), s.at("user"));
            st.description = s.str("description");
            st.target_url = s.str("target_url");
            st.created_at = st.updated_at = isoTime(kBaseTime + 3 * 86400, false);
            w.statuses.push_back(st);
        }
        const Id repo_id = r.id;
        addRepo(std::move(r), o.path());
        // Former names answer 301/307 towards /repositories/:id (checked against current names below).
        for (auto& old : o.strs("moved_from")) {
            auto slash = old.find('/');
            if (slash == std::string::npos || slash == 0 || slash + 1 == old.size() || old.find('/', slash + 1) != std::string::npos)
                fail(o.at("moved_from"), "expected \"owner/name\", got \"" + old + "\"");
            if (w.moved.count(old)) fail(o.at("moved_from"), "\"" + old + "\" is already a former name of another repo");
            w.moved[old] = repo_id;
        }
    }
    for (const auto& o : g.list("generate")) {
        o.allow({"repos", "owner", "name_prefix", "start_id", "private", "collaborator", "permission"});
        std::int64_t n = o.num("repos", 0, true);
        Id start = 1;
        for (auto& r : w.repos) start = std::max(start, r.id + 1);
        start = o.num("start_id", start);
        std::optional<Id> collab;
        if (o.has("collaborator")) collab = userId(o.str("collaborator"), o.at("collaborator"));
        std::string perm = o.oneOf("permission", "push", {"pull", "triage", "push", "maintain", "admin"});
        for (std::int64_t i = 0; i < n; ++i) {
            GhRepo r;
            r.id = start + i;
            ownerOf(r, o.str("owner", "", true), o.at("owner"));
            r.name = o.str("name_prefix", "repo-") + std::to_string(i + 1);
            r.is_private = o.flag("private");
            r.created_at = isoTime(kBaseTime + r.id % 100000, false);
            if (collab) r.collaborators[*collab] = perm;
            addRepo(std::move(r), o.path());
        }
    }
    for (auto& [old, id] : w.moved)
        if (w.repo_by_name.count(old)) fail(g.at("repos"), "moved_from \"" + old + "\" is the current name of a repo");
    for (const auto& t : g.list("tokens")) {
        t.allow({"value", "kind", "user", "scopes", "repositories", "permissions", "expires_at", "revoked"});
        GhToken tok;
        tok.value = t.str("value", "", true);
        std::string kind = t.oneOf("kind", "classic", {"classic", "fine_grained", "oauth"});
        tok.kind = kind == "classic" ? GhTokenKind::Classic : kind == "oauth" ? GhTokenKind::OAuth : GhTokenKind::FineGrained;
        tok.user = userId(t.str("user", "", true), t.at("user"));
        tok.scopes = t.strs("scopes");
        for (auto& r : t.strs("repositories")) {
            if (r == "all") tok.all_repos = true;
            else if (!w.repo_by_name.count(r)) fail(t.at("repositories"), "unknown repository \"" + r + "\"");
            else tok.repositories.insert(r);
        }
        if (t.has("permissions")) {
            if (!t.raw("permissions").is_object()) fail(t.at("permissions"), "expected a mapping permission -> read|write");
            for (auto& [k, v] : t.raw("permissions").items()) {
                std::string lvl = v.is_string() ? v.get<std::string>() : "";
                if (lvl != "read" && lvl != "write") fail(t.at("permissions") + "." + k, "expected read or write");
                tok.permissions[k] = lvl;
            }
        }
        if (t.has("expires_at")) {
            std::int64_t e = 0;
            std::string d = t.str("expires_at");
            if (d.size() != 10 || !parseTime(d, e)) fail(t.at("expires_at"), "expected YYYY-MM-DD");
            tok.expires_at = d;
        }
        tok.revoked = t.flag("revoked");
        if (w.token_by_value.count(tok.value)) fail(t.at("value"), "duplicate token value");
        w.tokens.push_back(tok);
        w.token_by_value[tok.value] = w.tokens.size() - 1;
    }
    for (const auto& a : g.list("oauth_apps")) {
        a.allow({"client_id", "secret", "redirect_uri", "user", "scopes", "expiring"});
        GhOAuthApp app;
        app.client_id = a.str("client_id", "", true);
        app.secret = a.str("secret", "", true);
        app.redirect_uris = a.strs("redirect_uri");
        if (app.redirect_uris.empty()) fail(a.at("redirect_uri"), "required");
        app.user = userId(a.str("user", "", true), a.at("user"));
        app.scopes = a.strs("scopes");
        app.expiring = a.flag("expiring");
        w.apps.push_back(app);
    }
}

}  // namespace

void GitLabWorld::reindex() {
    user_by_id.clear();
    user_by_name.clear();
    for (std::size_t i = 0; i < users.size(); ++i) {
        user_by_id[users[i].id] = i;
        user_by_name[users[i].username] = i;
    }
    token_by_value.clear();
    for (std::size_t i = 0; i < tokens.size(); ++i) token_by_value[tokens[i].value] = i;
}
GlUser* GitLabWorld::user(Id id) {
    auto it = user_by_id.find(id);
    return it == user_by_id.end() ? nullptr : &users[it->second];
}
GlGroup* GitLabWorld::group(Id id) {
    auto it = group_by_id.find(id);
    return it == group_by_id.end() ? nullptr : &groups[it->second];
}
GlProject* GitLabWorld::project(Id id) {
    auto it = project_by_id.find(id);
    return it == project_by_id.end() ? nullptr : &projects[it->second];
}
void GitHubWorld::reindex() {
    token_by_value.clear();
    for (std::size_t i = 0; i < tokens.size(); ++i) token_by_value[tokens[i].value] = i;
}
GhUser* GitHubWorld::user(Id id) {
    auto it = user_by_id.find(id);
    return it == user_by_id.end() ? nullptr : &users[it->second];
}
GhRepo* GitHubWorld::repo(Id id) {
    auto it = repo_by_id.find(id);
    return it == repo_by_id.end() ? nullptr : &repos[it->second];
}

std::unique_ptr<World> loadScenario(const std::string& text, std::uint64_t seed_override, bool has_seed_override) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw std::runtime_error(std::string("scenario: not valid YAML/JSON: ") + e.what());
    }
    json j = toJson(root, "");
    if (j.is_null()) j = json::object();
    Obj top(j, "(top)");
    top.allow({"seed", "gitlab", "github"});
    auto world = std::make_unique<World>();
    world->seed = has_seed_override ? seed_override : static_cast<std::uint64_t>(top.num("seed", 1));
    std::mt19937_64 rng(world->seed);
    if (top.has("gitlab")) loadGitLab(Obj(top.raw("gitlab"), "gitlab"), world->gitlab, rng);
    if (top.has("github")) loadGitHub(Obj(top.raw("github"), "github"), world->github);
    for (auto& t : world->github.tokens)
        if (world->gitlab.token_by_value.count(t.value)) throw std::runtime_error("scenario: github.tokens: value also used by a gitlab token");
    std::sort(world->gitlab.projects.begin(), world->gitlab.projects.end(), [](auto& a, auto& b) { return a.id < b.id; });
    world->gitlab.project_by_id.clear();
    world->gitlab.project_by_path.clear();
    for (std::size_t i = 0; i < world->gitlab.projects.size(); ++i) {
        world->gitlab.project_by_id[world->gitlab.projects[i].id] = i;
        world->gitlab.project_by_path[world->gitlab.projects[i].fullPath()] = i;
    }
    return world;
}

}  // namespace forgelink::sim
