#include "json_mapping.hpp"

#include <utility>

namespace forgelink::github {
namespace {

using nlohmann::json;
using Fields = support::JsonFields;

// GitHub's messages have read "<object> has no "<field>"" from the start; tests and users know them.
std::string fieldText(const support::FieldError& e) {
    if (e.problem == support::FieldError::Problem::missing) {
        return e.object + " has no \"" + e.field + "\" (expected " + e.expected + ")";
    }
    return e.object + " field \"" + e.field + "\" is " + e.found + ", expected " + e.expected;
}

const support::MappingWording kWording{"GitHub", "", "GitHub answered with unexpected JSON: ", &fieldText};

template <class Fn>
auto guarded(Fn&& fn) {
    return support::guardedParse(kWording, std::forward<Fn>(fn));
}

}  // namespace

Role roleFromPermissions(const json& p) noexcept {
    if (!p.is_object()) return Role::none;
    auto on = [&](const char* k) { return p.contains(k) && p.at(k).is_boolean() && p.at(k).get<bool>(); };
    if (on("admin")) return Role::admin;
    if (on("maintain")) return Role::maintain;
    if (on("push")) return Role::write;
    if (on("triage")) return Role::triage;
    if (on("pull")) return Role::read;
    return Role::none;
}

std::string_view roleLabel(Role role) noexcept {
    switch (role) {
        case Role::admin: return "admin";
        case Role::maintain: return "maintain";
        case Role::write: return "push";
        case Role::triage: return "triage";
        case Role::read: return "pull";
        case Role::none: return "none";
    }
    return "none";
}

Result<User> parseUser(const json& j) {
    return guarded([&]() -> Result<User> {
        Fields f(j, "user");
        User u;
        u.id = f.requiredInt("id");
        u.identity.id = std::to_string(u.id);
        u.identity.username = f.requiredString("login");
        u.identity.name = f.optionalString("name", u.identity.username);
        if (u.identity.name.empty()) u.identity.name = u.identity.username;
        u.identity.web_url = f.optionalString("html_url");
        u.type = f.optionalString("type", "User");
        u.site_admin = f.optionalBool("site_admin", false);
        u.identity.bot = u.type == "Bot" || (u.identity.username.size() > 5 &&
                                                u.identity.username.compare(u.identity.username.size() - 5, 5, "[bot]") == 0);
        return u;
    });
}

Result<Namespace> parseOrganization(const json& j) {
    return guarded([&]() -> Result<Namespace> {
        Fields f(j, "organization");
        Namespace n;
        n.id = std::to_string(f.requiredInt("id"));
        n.kind = "organization";
        n.path = f.requiredString("login");
        n.full_path = n.path;
        n.name = f.optionalString("name", n.path);
        if (n.name.empty()) n.name = n.path;
        // /user/orgs items carry only the API url; the web page is github.com/<login>.
        n.web_url = f.optionalString("html_url");
        return n;
    });
}

Result<Repo> parseRepository(const json& j, const std::string& instance) {
    return guarded([&]() -> Result<Repo> {
        Fields f(j, "repository");
        Repo out;
        Repository& r = out.repository;
        r.instance = instance;
        r.id = std::to_string(f.requiredInt("id"));
        r.full_path = f.requiredString("full_name");
        r.name = f.requiredString("name");
        if (f.has("owner")) {
            Fields owner(f.requiredObject("owner"), "repository owner");
            r.namespace_path = owner.requiredString("login");
            out.owner_type = owner.optionalString("type");
        } else {
            r.namespace_path = r.full_path.substr(0, r.full_path.find('/'));
        }
        r.web_url = f.optionalString("html_url");
        r.default_branch = f.optionalString("default_branch");
        out.is_private = f.optionalBool("private", false);
        r.visibility = f.optionalString("visibility", out.is_private ? "private" : "public");
        r.archived = f.optionalBool("archived", false);
        if (f.has("permissions")) {
            out.permissions_known = true;
            r.role = roleFromPermissions(f.requiredObject("permissions"));
            r.role_label = std::string(roleLabel(r.role));
        }
        return out;
    });
}

Result<Pull> parsePull(const json& j) {
    return guarded([&]() -> Result<Pull> {
        Fields f(j, "pull request");
        Pull out;
        MergeRequest& m = out.merge_request;
        m.id = std::to_string(f.requiredInt("id"));
        m.number = std::to_string(f.requiredInt("number"));
        m.title = f.optionalString("title");
        m.state = f.requiredString("state");
        m.web_url = f.optionalString("html_url");
        Fields head(f.requiredObject("head"), "pull request head");
        m.head_sha = head.requiredString("sha");
        m.source_branch = head.requiredString("ref");
        Fields base(f.requiredObject("base"), "pull request base");
        m.target_branch = base.requiredString("ref");
        if (base.has("repo")) {
            Fields repo(base.requiredObject("repo"), "pull request base repository");
            m.target_repository = std::to_string(repo.requiredInt("id"));
            out.base_full_name = repo.requiredString("full_name");
        }
        return out;
    });
}

Result<Comment> parseComment(const json& j) {
    return guarded([&]() -> Result<Comment> {
        Fields f(j, "issue comment");
        Comment c;
        c.id = f.requiredInt("id");
        c.body = f.optionalString("body");
        c.created_at = f.optionalString("created_at");
        if (f.has("user")) {  // null for deleted ("ghost") accounts
            Fields u(f.requiredObject("user"), "issue comment author");
            c.user_id = u.requiredInt("id");
            c.user_login = u.requiredString("login");
        }
        return c;
    });
}

Result<CommitStatus> parseCommitStatus(const json& j) {
    return guarded([&]() -> Result<CommitStatus> {
        Fields f(j, "commit status");
        CommitStatus s;
        s.id = f.requiredInt("id");
        s.state = f.requiredString("state");
        s.context = f.optionalString("context", "default");
        s.description = f.optionalString("description");
        s.target_url = f.optionalString("target_url");
        return s;
    });
}

Result<OAuthTokens> parseOAuthToken(const json& j, std::int64_t now_unix) {
    return guarded([&]() -> Result<OAuthTokens> {
        Fields f(j, "OAuth token answer");
        if (f.has("error")) {
            std::string code = f.requiredString("error");
            std::string description = f.optionalString("error_description");
            std::string uri = f.optionalString("error_uri");
            ErrorKind kind = ErrorKind::invalid_input;
            ErrorCause cause = ErrorCause::none;
            std::string advice;
            if (code == "bad_verification_code") {
                kind = ErrorKind::unauthorized;
                advice = "the login code is wrong, expired (10 minutes) or already used: start the login again";
            } else if (code == "bad_refresh_token") {
                kind = ErrorKind::unauthorized;
                cause = ErrorCause::refresh_token_spent;
                advice = "the refresh token is wrong, expired or already used: log in again";
            } else if (code == "incorrect_client_credentials") {
                kind = ErrorKind::unauthorized;
                advice = "the OAuth app's client id or secret in Forgelink's configuration is wrong";
            } else if (code == "redirect_uri_mismatch") {
                advice = "the redirect URI must match the OAuth app's callback URL on GitHub";
            } else if (code == "unverified_user_email") {
                advice = "the GitHub user must verify their primary email address first";
            } else if (code == "incorrect_client_id" || code == "unsupported_grant_type") {
                advice = "check the OAuth app's configuration";
            }
            std::string message = "GitHub refused the OAuth request: " + code;
            if (!description.empty()) message += " (" + description + ")";
            if (!advice.empty()) message += "; " + advice;
            if (!uri.empty()) message += "; see " + uri;
            Error e = makeError(kind, message, code);
            e.cause = cause;
            return e;
        }
        OAuthTokens t;
        t.access_token = f.requiredString("access_token");
        if (t.access_token.empty()) f.missing("access_token", "a non-empty string");
        t.token_type = f.optionalString("token_type", "bearer");
        t.refresh_token = f.optionalString("refresh_token");
        std::string scope = f.optionalString("scope");
        // GitHub separates granted scopes with commas here (and spaces in the authorize URL).
        std::size_t start = 0;
        while (start <= scope.size()) {
            auto sep = scope.find_first_of(", ", start);
            std::string one = scope.substr(start, sep == std::string::npos ? std::string::npos : sep - start);
            if (!one.empty()) t.scopes.push_back(one);
            if (sep == std::string::npos) break;
            start = sep + 1;
        }
        if (f.has("expires_in")) t.expires_at = now_unix + f.requiredInt("expires_in");
        return t;
    });
}

}  // namespace forgelink::github
