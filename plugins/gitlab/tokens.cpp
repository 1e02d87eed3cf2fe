// Token validation (API-FACTS A4-A6): what kind of token, whose, which scopes, until when, bound
// to which project or group with which role; refusals with one actionable message per cause.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>

#include "gitlab_provider.hpp"

namespace forgelink::gitlab {
namespace {

bool hasScope(const std::vector<std::string>& scopes, std::string_view scope) {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? "none" : out;
}

// project_<id>_bot_<hex> / group_<id>_bot_<hex>; older GitLab: project_<id>_bot[<n>].
struct BotBinding {
    TokenKind kind = TokenKind::personal;
    std::string id;
};
BotBinding botBinding(const User& user) {
    static const std::regex pattern("^(project|group)_([0-9]+)_bot([_0-9a-z]*)$");
    std::smatch m;
    if (!user.identity.bot || !std::regex_match(user.identity.username, m, pattern)) return {};
    return {m[1] == "project" ? TokenKind::project : TokenKind::group, m[2]};
}

std::string dateAfter(std::int64_t seconds_from_now) {
    using namespace std::chrono;
    const auto when = floor<days>(system_clock::now() + std::chrono::seconds(seconds_from_now));
    const year_month_day ymd{when};
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buffer;
}

Error refusal(ErrorKind kind, std::string code, std::string message, ErrorCause cause = ErrorCause::none) {
    Error e = makeError(kind, std::move(message), std::move(code));
    e.cause = cause;
    return e;
}

}  // namespace

Result<TokenInfo> GitLabProvider::doValidateToken(const Credentials& credentials) {
    auto instance = parseInstance(credentials.base_url);
    if (!instance) return instance.error();
    const Instance& inst = instance.value();
    if (credentials.token.empty()) {
        return refusal(ErrorKind::unauthorized, "token_missing", "no token was given for GitLab at " + inst.key);
    }
    // Bearer first: GitLab resolves it as an OAuth token, then as a personal/project/group token,
    // and only OAuth tokens answer 400 on /self, which tells the two apart.
    ApiClient probe(transport_, inst, credentials.token, AuthScheme::bearer);
    const std::string self_path = "/personal_access_tokens/self";
    const std::string self_url = probe.apiUrl(self_path);
    auto sent = probe.send(probe.request("GET", self_path));
    if (!sent) return sent.error();
    const HttpResponse& self = sent.value();

    if (self.status >= 300 && self.status < 400) {
        const std::string* location = self.header("Location");
        return notGitLabApi(inst, self_url,
                            "with a redirect (HTTP " + std::to_string(self.status) + ") to " +
                                (location ? *location : std::string("nowhere")) + " (a sign-in page or a web server?)");
    }
    if (looksLikeHtml(self)) {
        return notGitLabApi(inst, self_url, "HTTP " + std::to_string(self.status) + " with an HTML page");
    }
    const ErrorBody self_error = parseErrorBody(self);
    if (self.status == 400 && self_error.text.find("requires token type to be a personal access token") != std::string::npos) {
        return validateOAuthToken(probe, credentials.token);
    }

    TokenInfo info;
    info.instance = inst.key;
    ApiClient api(transport_, inst, credentials.token, AuthScheme::private_token);
    std::optional<AccessToken> token;

    if (self.status == 404) {
        // GitLab before 15.5 has no /self; anything else answering 404 here is not GitLab's API.
        auto version = probe.get("/version", "reading the GitLab version");
        if (!version || !parseVersion(version.value())) {
            return notGitLabApi(inst, self_url,
                                "HTTP 404, and " + probe.apiUrl("/version") + " did not answer like GitLab either");
        }
        info.warnings.push_back({"scopes_unknown", "GitLab " + parseVersion(version.value())->version +
                                                       " cannot report a token's scopes (15.5+ can); make sure the "
                                                       "token has scope api"});
    } else if (self.status >= 200 && self.status < 300) {
        auto body = probe.json(self, self_url, "reading the token (GET /personal_access_tokens/self)");
        if (!body) return body.error();
        auto parsed = parseAccessToken(body.value());
        if (!parsed) return parsed.error();
        token = std::move(parsed).value();
    } else {
        if (!self_error.json && !self.body.empty() && self.status != 429 && self.status < 500) {
            return notGitLabApi(inst, self_url, "HTTP " + std::to_string(self.status) + " with a body that is not JSON");
        }
        return errorFromResponse(inst, self, "reading the token (GET /personal_access_tokens/self)");
    }

    if (token) {
        info.scopes = token->scopes;
        info.expires_at = token->expires_at;
        if (token->expires_at) info.days_until_expiry = daysUntil(*token->expires_at);
        if (token->revoked) {
            return refusal(ErrorKind::unauthorized, "token_revoked",
                           "the token \"" + token->name + "\" was revoked on GitLab at " + inst.key +
                               "; create a new one with scope api at " + inst.tokenPageUrl(),
                           ErrorCause::credential_revoked);
        }
        if (info.days_until_expiry && *info.days_until_expiry <= 0) {
            const int ago = -*info.days_until_expiry;
            return refusal(ErrorKind::unauthorized, "token_expired",
                           "the token \"" + token->name + "\" expired on " + *token->expires_at + " (" +
                               (ago == 0 ? std::string("today") : std::to_string(ago) + " days ago") +
                               "); create a new one with scope api at " + inst.tokenPageUrl(),
                           ErrorCause::credential_expired);
        }
        if (!token->active) {
            return refusal(ErrorKind::unauthorized, "token_inactive",
                           "GitLab at " + inst.key + " reports the token \"" + token->name +
                               "\" as inactive; create a new one with scope api at " + inst.tokenPageUrl());
        }
    }

    // Who the token acts as. A token without api/read_api/read_user cannot read /user at all.
    std::optional<User> user;
    auto user_body = api.get("/user", "reading the token's user (GET /user)");
    if (user_body) {
        auto parsed = parseUser(user_body.value());
        if (!parsed) return parsed.error();
        user = std::move(parsed).value();
    } else if (user_body.error().kind != ErrorKind::missing_scope) {
        return user_body.error();
    }

    BotBinding binding;
    std::optional<Error> scope_refusal;  // the scope problem, when a role problem may follow
    if (user) {
        info.identity = user->identity;
        binding = botBinding(*user);
        if (token && std::to_string(token->user_id) != user->identity.id) {
            log(LogLevel::warn, "token user_id " + std::to_string(token->user_id) + " differs from GET /user id " +
                                    user->identity.id);
        }
    }
    info.kind = binding.kind;

    if (token && !hasScope(token->scopes, "api")) {
        std::string how = "create a token with scopes api and read_user at " + inst.tokenPageUrl();
        if (binding.kind == TokenKind::project) {
            how = "create a project access token with scope api and role Developer under the project's Settings > "
                  "Access tokens (project id " + binding.id + "), or a personal token at " + inst.tokenPageUrl();
        } else if (binding.kind == TokenKind::group) {
            how = "create a group access token with scope api and role Developer under the group's Settings > "
                  "Access tokens (group id " + binding.id + "), or a personal token at " + inst.tokenPageUrl();
        }
        Error e = refusal(ErrorKind::missing_scope, "missing_scope",
                          "the token \"" + token->name + "\" has scopes [" + joined(token->scopes) +
                              "] but Forgelink needs scope api (to post commit statuses and merge request "
                              "comments): " + how);
        e.missing_scopes = {"api"};
        // A project or group token may have a second problem, its role: read on (what the scopes
        // allow) so that both are named at once.
        if (binding.kind == TokenKind::personal || !user) return e;
        scope_refusal = std::move(e);
    }
    if (!user) {
        // Only reachable without /self (old GitLab): the scope error of GET /user stands.
        return user_body.error();
    }

    if (binding.kind == TokenKind::project || binding.kind == TokenKind::group) {
        const bool is_project = binding.kind == TokenKind::project;
        ResourceRef ref;
        ref.kind = is_project ? "project" : "group";
        ref.id = binding.id;
        int level = 0;
        if (is_project) {
            auto project = fetchProject(api, binding.id);
            if (!project) return scope_refusal ? *scope_refusal : project.error();
            ref.full_path = project->repository.full_path;
            level = project->access_level;
        } else {
            auto group = api.get("/groups/" + binding.id, "reading the token's group");
            if (!group) return scope_refusal ? *scope_refusal : group.error();
            auto parsed = parseGroup(group.value());
            if (!parsed) return parsed.error();
            ref.full_path = parsed->full_path;
        }
        // The bot's membership is the authoritative role; the project's permissions block is the fallback.
        const std::string member_path = is_project ? "/projects/" + binding.id + "/members/all/" + user->identity.id
                                                   : "/groups/" + binding.id + "/members/" + user->identity.id;
        auto member = api.get(member_path, "reading the token bot's membership");
        if (member) {
            auto parsed = parseMember(member.value());
            if (!parsed) return parsed.error();
            level = std::max(level, parsed->access_level);
        } else if (member.error().kind != ErrorKind::not_found) {
            if (scope_refusal) return *scope_refusal;
            return member.error();
        }
        if (level == 0 && token && token->access_level) level = *token->access_level;
        if (level == 0 && !is_project) {
            // Without the members API: any project of the group shows the bot's group_access.
            auto projects = api.get("/groups/" + binding.id + "/projects?include_subgroups=true&per_page=1",
                                    "reading the token's group projects");
            if (projects && projects->is_array() && !projects->empty()) {
                if (auto p = parseProject(projects->front(), inst.key)) level = p->access_level;
            }
        }
        info.bound_to = ref;
        if (level == 0) {
            info.warnings.push_back({"role_unknown", "GitLab did not tell the token's role on " + ref.kind + " " +
                                                         ref.full_path + "; make sure it is Developer (30) or higher"});
        } else {
            info.role = roleFromAccessLevel(level);
            info.role_label = accessLevelLabel(level);
        }
        if (level != 0 && level < kDeveloper) {
            Error role = refusal(ErrorKind::forbidden, "role_too_low",
                                 std::string("the ") + ref.kind + " access token's role on " + ref.kind + " " +
                                     ref.full_path + " is " + accessLevelLabel(level) +
                                     "; Forgelink needs at least Developer (30) to post commit statuses (Maintainer "
                                     "(40) on protected branches): create a token with role Developer or higher "
                                     "under the " + ref.kind + "'s Settings > Access tokens");
            if (!scope_refusal) return role;
            // Both at once, one line each (Error::message): a new token must fix both.
            scope_refusal->message += "\n" + role.message;
            return *scope_refusal;
        }
        if (scope_refusal) return *scope_refusal;
    }

    // Accepted; now what is worth a look.
    if (info.days_until_expiry && *info.days_until_expiry <= 30) {
        const int d = *info.days_until_expiry;
        info.warnings.push_back({"expires_soon", "the token expires on " + *info.expires_at + ", in " + std::to_string(d) +
                                                     (d == 1 ? " day" : " days") + "; rotate it before then"});
    }
    if (token && info.kind == TokenKind::personal && !hasScope(token->scopes, "read_user")) {
        info.warnings.push_back({"missing_optional_scope",
                                 "the token lacks scope read_user; api covers what Forgelink does, but a token made "
                                 "at " + inst.tokenPageUrl() + " carries both"});
    }
    for (const char* power : {"sudo", "admin_mode"}) {
        if (token && hasScope(token->scopes, power)) {
            info.warnings.push_back({"excess_privilege", std::string("the token has scope ") + power +
                                                             ", which Forgelink never uses; a token with api and "
                                                             "read_user only limits the damage if it leaks"});
        }
    }
    if (user->is_admin) {
        info.warnings.push_back({"excess_privilege",
                                 "the token's user " + user->identity.username +
                                     " is an instance administrator; a token of a non-admin user (or a project or "
                                     "group access token) limits the damage if it leaks"});
    }
    rememberScheme(api, credentials.token, AuthScheme::private_token);
    {
        std::lock_guard lock(mutex_);
        users_[sha256Hex(inst.key + "\n" + credentials.token)] = *user;
    }
    return info;
}

Result<TokenInfo> GitLabProvider::validateOAuthToken(const ApiClient& api, const std::string& token) {
    const Instance& inst = api.instance();
    TokenInfo info;
    info.instance = inst.key;
    info.kind = TokenKind::oauth;
    auto user_body = api.get("/user", "reading the OAuth token's user (GET /user)");
    if (!user_body) return user_body.error();
    auto user = parseUser(user_body.value());
    if (!user) return user.error();
    info.identity = user->identity;

    auto token_info = api.call(api.requestUrl("GET", inst.root + "/oauth/token/info"),
                               "reading the OAuth token (GET /oauth/token/info)");
    if (!token_info) return token_info.error();
    auto parsed = parseOAuthTokenInfo(token_info.value());
    if (!parsed) return parsed.error();
    info.scopes = parsed->scopes;
    if (parsed->expires_in) {
        if (*parsed->expires_in <= 0) {
            return refusal(ErrorKind::unauthorized, "token_expired",
                           "the OAuth token has expired; refresh it or sign in to GitLab at " + inst.key + " again",
                           ErrorCause::credential_expired);
        }
        info.expires_at = dateAfter(*parsed->expires_in);
        info.days_until_expiry = daysUntil(*info.expires_at);
    }
    if (!hasScope(info.scopes, "api")) {
        Error e = refusal(ErrorKind::missing_scope, "missing_scope",
                          "the OAuth token was granted scopes [" + joined(info.scopes) +
                              "] but Forgelink needs scope api to post commit statuses and comments: authorize the "
                              "application with scope api, or use a personal access token made at " +
                              inst.tokenPageUrl());
        e.missing_scopes = {"api"};
        return e;
    }
    if (user->is_admin) {
        info.warnings.push_back({"excess_privilege", "the OAuth token's user " + user->identity.username +
                                                         " is an instance administrator"});
    }
    // OAuth access tokens live two hours and are refreshed: no expiry warning for them.
    rememberScheme(api, token, AuthScheme::bearer);
    {
        std::lock_guard lock(mutex_);
        users_[sha256Hex(inst.key + "\n" + token)] = user.value();
    }
    return info;
}

}  // namespace forgelink::gitlab
