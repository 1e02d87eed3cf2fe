#include "json_mapping.hpp"

#include <algorithm>
#include <sstream>
#include <utility>

namespace forgelink::gitlab {
namespace {

using nlohmann::json;
using Fields = support::JsonFields;

const support::MappingWording kWording{"GitLab", "unexpected answer from GitLab: ", "unexpected answer from GitLab: ",
                                       nullptr};

template <class Fn>
auto guarded(Fn&& fn) {
    return support::guardedParse(kWording, std::forward<Fn>(fn));
}

int accessLevelOf(const Fields& permissions, const char* key) {
    if (!permissions.has(key)) return 0;
    Fields access(permissions.raw(key), std::string("permissions.") + key);
    return static_cast<int>(access.optionalInt("access_level").value_or(0));
}

}  // namespace

Role roleFromAccessLevel(int level) noexcept {
    if (level >= kOwner) return Role::admin;
    if (level >= kMaintainer) return Role::maintain;
    if (level >= kDeveloper) return Role::write;
    if (level >= kGuest) return Role::read;
    return Role::none;
}

int accessLevelFor(Role role) noexcept {
    switch (role) {
        case Role::none: return 0;
        case Role::read: return kGuest;
        // GitLab has no triage role; Reporter is the first level that may triage issues and MRs.
        case Role::triage: return kReporter;
        case Role::write: return kDeveloper;
        case Role::maintain: return kMaintainer;
        case Role::admin: return kOwner;
    }
    return kDeveloper;
}

std::string accessLevelLabel(int level) {
    const char* name = "no access";
    switch (level) {
        case 5: name = "Minimal Access"; break;
        case kGuest: name = "Guest"; break;
        case kPlanner: name = "Planner"; break;
        case kReporter: name = "Reporter"; break;
        case kDeveloper: name = "Developer"; break;
        case kMaintainer: name = "Maintainer"; break;
        case kOwner: name = "Owner"; break;
        default:
            if (level > 0) name = "access level";
    }
    return std::string(name) + " (" + std::to_string(level) + ")";
}

Result<User> parseUser(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "user");
        User u;
        u.identity.id = f.requiredId("id");
        u.identity.username = f.requiredString("username");
        u.identity.name = f.optionalString("name", u.identity.username);
        u.identity.web_url = f.optionalString("web_url");
        u.identity.bot = f.optionalBool("bot", false);
        u.is_admin = f.optionalBool("is_admin", false);
        u.state = f.optionalString("state", "active");
        return u;
    });
}

Result<AccessToken> parseAccessToken(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "access token");
        AccessToken t;
        t.id = f.requiredInt("id");
        t.name = f.optionalString("name");
        t.revoked = f.optionalBool("revoked", false);
        t.active = f.optionalBool("active", !t.revoked);
        t.scopes = f.stringList("scopes", true);
        t.user_id = f.requiredInt("user_id");
        if (f.has("expires_at")) t.expires_at = f.optionalString("expires_at");
        if (auto level = f.optionalInt("access_level")) t.access_level = static_cast<int>(*level);
        return t;
    });
}

Result<TokenAssociations> parseTokenAssociations(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "token associations");
        TokenAssociations out;
        for (const char* kind : {"groups", "projects"}) {
            if (!f.has(kind)) continue;
            const json& list = f.raw(kind);
            if (!list.is_array()) f.mistyped(kind, "a list", list);
            for (const auto& item : list) {
                Fields e(item, std::string("token association (") + kind + ")");
                TokenAssociations::Entry entry;
                entry.kind = std::string(kind) == "groups" ? "group" : "project";
                entry.id = e.requiredId("id");
                entry.name = e.optionalString("name");
                entry.full_path = e.optionalString("path_with_namespace");
                if (e.has("access_levels")) {
                    const json& levels = e.raw("access_levels");
                    if (levels.is_number_integer()) {
                        entry.access_level = levels.get<int>();
                    } else if (levels.is_object()) {
                        for (const auto& [key, value] : levels.items()) {
                            if (value.is_number_integer()) entry.access_level = std::max(entry.access_level, value.get<int>());
                        }
                    } else {
                        e.mistyped("access_levels", "an integer or an object of integers", levels);
                    }
                }
                out.entries.push_back(std::move(entry));
            }
        }
        return out;
    });
}

Result<OAuthTokenInfo> parseOAuthTokenInfo(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "OAuth token info");
        OAuthTokenInfo info;
        info.resource_owner_id = f.optionalInt("resource_owner_id").value_or(0);
        // Doorkeeper sends "scope" (list); older GitLab also "scopes".
        info.scopes = f.has("scope") ? f.stringList("scope", true) : f.stringList("scopes", false);
        info.expires_in = f.has("expires_in_seconds") ? f.optionalInt("expires_in_seconds") : f.optionalInt("expires_in");
        info.created_at = f.optionalInt("created_at");
        return info;
    });
}

Result<Project> parseProject(const nlohmann::json& j, const std::string& instance) {
    return guarded([&] {
        Fields f(j, "project");
        Project p;
        Repository& r = p.repository;
        r.instance = instance;
        r.id = f.requiredId("id");
        r.full_path = f.requiredString("path_with_namespace");
        r.name = f.optionalString("name", f.optionalString("path"));
        if (f.has("namespace")) {
            Fields ns = f.object("namespace", "namespace");
            r.namespace_path = ns.optionalString("full_path");
        }
        if (r.namespace_path.empty()) {
            auto slash = r.full_path.rfind('/');
            if (slash != std::string::npos) r.namespace_path = r.full_path.substr(0, slash);
        }
        r.web_url = f.optionalString("web_url");
        r.default_branch = f.optionalString("default_branch");
        r.visibility = f.optionalString("visibility");
        r.archived = f.optionalBool("archived", false);
        p.merge_requests_enabled = f.optionalBool("merge_requests_enabled", true);
        if (f.has("merge_requests_access_level")) {
            const std::string level = f.optionalString("merge_requests_access_level");
            if (level == "disabled") p.merge_requests_enabled = false;
            if (level == "private") p.merge_requests_members_only = true;
        }
        if (f.has("permissions")) {
            Fields perms = f.object("permissions", "the caller's access");
            p.permissions_known = true;
            p.access_level = std::max(accessLevelOf(perms, "project_access"), accessLevelOf(perms, "group_access"));
        }
        r.role = roleFromAccessLevel(p.access_level);
        r.role_label = p.permissions_known ? accessLevelLabel(p.access_level) : std::string();
        return p;
    });
}

const support::JsonSelection& projectSelection() {
    using support::JsonSelection;
    static const JsonSelection selection = JsonSelection::members({
        {"id"},
        {"path_with_namespace"},
        {"name"},
        {"path"},
        {"namespace", JsonSelection::members({{"full_path"}})},
        {"web_url"},
        {"default_branch"},
        {"visibility"},
        {"archived"},
        {"merge_requests_enabled"},
        {"merge_requests_access_level"},
        {"permissions", JsonSelection::members({{"project_access"}, {"group_access"}})},
    });
    return selection;
}

Result<Group> parseGroup(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "group");
        Group g;
        g.id = f.requiredId("id");
        g.full_path = f.requiredString("full_path");
        g.name = f.optionalString("name", g.full_path);
        g.web_url = f.optionalString("web_url");
        return g;
    });
}

Result<Namespace> parseNamespace(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "namespace");
        Namespace n;
        n.id = f.requiredId("id");
        n.kind = f.requiredString("kind");
        n.path = f.requiredString("path");
        n.full_path = f.optionalString("full_path", n.path);
        n.name = f.optionalString("name", n.path);
        n.parent_id = f.optionalId("parent_id");
        n.web_url = f.optionalString("web_url");
        return n;
    });
}

Result<Member> parseMember(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "member");
        Member m;
        m.id = f.requiredInt("id");
        m.username = f.optionalString("username");
        m.access_level = static_cast<int>(f.requiredInt("access_level"));
        return m;
    });
}

Result<MergeRequest> parseMergeRequest(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "merge request");
        MergeRequest mr;
        mr.id = f.requiredId("id");
        mr.number = f.requiredId("iid");
        mr.title = f.optionalString("title");
        mr.state = f.requiredString("state");
        mr.head_sha = f.optionalString("sha");
        mr.source_branch = f.optionalString("source_branch");
        mr.target_branch = f.optionalString("target_branch");
        mr.target_repository = f.optionalId("target_project_id");
        if (mr.target_repository.empty()) mr.target_repository = f.requiredId("project_id");
        mr.web_url = f.optionalString("web_url");
        return mr;
    });
}

Result<Note> parseNote(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "note");
        Note n;
        n.id = f.requiredInt("id");
        n.body = f.requiredString("body");
        Fields author = f.object("author", "user");
        n.author_id = author.requiredInt("id");
        n.author_username = author.optionalString("username");
        n.system = f.optionalBool("system", false);
        return n;
    });
}

Result<CommitStatus> parseCommitStatus(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "commit status");
        CommitStatus s;
        s.id = f.requiredInt("id");
        s.status = f.requiredString("status");
        s.name = f.optionalString("name");
        s.sha = f.optionalString("sha");
        s.ref = f.optionalString("ref");
        return s;
    });
}

Result<OAuthTokens> parseOAuthToken(const nlohmann::json& j, std::int64_t now_unix) {
    return guarded([&] {
        Fields f(j, "OAuth token");
        OAuthTokens t;
        t.access_token = f.requiredString("access_token");
        t.refresh_token = f.optionalString("refresh_token");
        t.token_type = f.optionalString("token_type", "bearer");
        std::istringstream scopes(f.optionalString("scope"));
        for (std::string s; scopes >> s;) t.scopes.push_back(s);
        auto expires_in = f.optionalInt("expires_in");
        auto created_at = f.optionalInt("created_at");
        if (expires_in) t.expires_at = created_at.value_or(now_unix) + *expires_in;
        return t;
    });
}

Result<Version> parseVersion(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "version");
        Version v;
        v.version = f.requiredString("version");
        v.revision = f.optionalString("revision");
        return v;
    });
}

Result<RotatedToken> parseRotatedToken(const nlohmann::json& j) {
    return guarded([&] {
        Fields f(j, "rotated token");
        RotatedToken t;
        t.token = f.requiredString("token");
        if (t.token.empty()) f.mistyped("token", "a non-empty string", j.at("token"));
        if (auto it = j.find("expires_at"); it != j.end() && it->is_string()) t.expires_at = it->get<std::string>().substr(0, 10);
        return t;
    });
}

}  // namespace forgelink::gitlab
