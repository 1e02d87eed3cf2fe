#include "api_client.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace forgelink::gitlab {
namespace {

using support::asciiLower;
using support::bodyExcerpt;
using support::containsNoCase;

std::string flattenMessage(const nlohmann::json& m) {
    if (m.is_string()) return m.get<std::string>();
    if (m.is_object()) {
        std::string out;
        for (const auto& [key, value] : m.items()) {
            if (!out.empty()) out += "; ";
            out += key + ": ";
            if (value.is_array()) {
                std::string joined;
                for (const auto& v : value) {
                    if (!joined.empty()) joined += ", ";
                    joined += v.is_string() ? v.get<std::string>() : v.dump();
                }
                out += joined;
            } else {
                out += value.is_string() ? value.get<std::string>() : value.dump();
            }
        }
        return out;
    }
    return m.dump();
}

std::string tokenAdvice(const Instance& instance) {
    return "create a new token with scope api at " + instance.tokenPageUrl() +
           " (project or group tokens: Settings > Access tokens of that project or group) and update Forgelink's "
           "credentials";
}

}  // namespace

std::string Instance::tokenPageUrl() const {
    return root + "/-/user_settings/personal_access_tokens?name=forgelink&scopes=api,read_user";
}

Result<Instance> parseInstance(std::string_view base_url) {
    auto split = support::parseBaseUrl(
        "GitLab", base_url, "the instance root such as https://gitlab.example.com or https://host/gitlab");
    if (!split) return split.error();
    const std::string& scheme = split->scheme;
    const std::string& authority = split->authority;
    std::string path = split->path;
    // Admins often paste the API URL itself.
    if (path.size() >= 7 && asciiLower(path.substr(path.size() - 7)) == "/api/v4") path.erase(path.size() - 7);
    while (!path.empty() && path.back() == '/') path.pop_back();
    Instance instance;
    instance.root = scheme + "://" + authority + path;
    instance.key = authority + path;
    return instance;
}

std::string linkTarget(const HttpResponse& response, std::string_view rel) {
    const std::string* link = response.header("Link");
    if (link == nullptr) return {};
    // <url>; rel="next", <url>; rel="last"
    std::string_view rest = *link;
    while (true) {
        auto open = rest.find('<');
        if (open == std::string_view::npos) return {};
        auto close = rest.find('>', open);
        if (close == std::string_view::npos) return {};
        std::string_view target = rest.substr(open + 1, close - open - 1);
        auto next = rest.find('<', close);
        std::string_view params = rest.substr(close + 1, next == std::string_view::npos ? std::string_view::npos : next - close - 1);
        std::string wanted = "rel=\"" + std::string(rel) + "\"";
        std::string bare = "rel=" + std::string(rel);
        std::string p = asciiLower(params);
        for (auto pos = p.find("rel="); pos != std::string::npos; pos = p.find("rel=", pos + 1)) {
            std::string_view tail = std::string_view(p).substr(pos);
            if (tail.substr(0, wanted.size()) == wanted) return std::string(target);
            if (tail.substr(0, bare.size()) == bare &&
                (tail.size() == bare.size() || tail[bare.size()] == ';' || tail[bare.size()] == ',' ||
                 tail[bare.size()] == ' ')) {
                return std::string(target);
            }
            // rel="prev next": space-separated list
            if (tail.size() > 5 && tail[4] == '"') {
                auto end = tail.find('"', 5);
                std::string_view list = tail.substr(5, end == std::string_view::npos ? std::string_view::npos : end - 5);
                std::size_t start = 0;
                while (start <= list.size()) {
                    auto sp = list.find(' ', start);
                    if (list.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start) == rel) {
                        return std::string(target);
                    }
                    if (sp == std::string_view::npos) break;
                    start = sp + 1;
                }
            }
        }
        if (next == std::string_view::npos) return {};
        rest = rest.substr(next);
    }
}

ErrorBody parseErrorBody(const HttpResponse& response) {
    ErrorBody out;
    auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) {
        out.json = true;
        if (parsed.contains("message") && !parsed["message"].is_null()) {
            const auto& m = parsed["message"];
            // App limiter: {"message":{"error":"..."}}
            if (m.is_object() && m.contains("error") && m["error"].is_string()) {
                out.message = m["error"].get<std::string>();
            } else {
                out.message = flattenMessage(m);
            }
        }
        if (parsed.contains("error") && parsed["error"].is_string()) out.error = parsed["error"].get<std::string>();
        if (parsed.contains("error_description") && parsed["error_description"].is_string()) {
            out.error_description = parsed["error_description"].get<std::string>();
        }
        if (parsed.contains("scope") && parsed["scope"].is_string()) out.scope = parsed["scope"].get<std::string>();
        out.text = !out.error_description.empty() ? out.error_description
                   : !out.message.empty()          ? out.message
                                                   : out.error;
    } else if (!parsed.is_discarded()) {
        out.json = true;
        out.text = bodyExcerpt(response.body);
    } else {
        out.text = bodyExcerpt(response.body);
    }
    return out;
}

bool looksLikeHtml(const HttpResponse& response) {
    if (const std::string* type = response.header("Content-Type"); type != nullptr && containsNoCase(*type, "text/html")) {
        return true;
    }
    // Only a prefix is looked at: trimming the end as well changes nothing.
    std::string_view body = support::trimSpace(response.body);
    return asciiLower(body.substr(0, 15)).rfind("<!doctype", 0) == 0 || asciiLower(body.substr(0, 6)).rfind("<html", 0) == 0;
}

std::optional<std::chrono::seconds> retryAfter(const HttpResponse& response) {
    // Read as the host's transport reads them (forgelink/support/rate_limit.hpp).
    const auto now = std::chrono::system_clock::now();
    if (const std::string* h = response.header("Retry-After")) {
        if (auto wait = support::parseRetryAfter(*h, now)) return std::chrono::ceil<std::chrono::seconds>(*wait);
    }
    if (auto reset = support::parseRateLimitReset(response, now)) {
        return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(*reset));
    }
    return std::nullopt;
}

Error notGitLabApi(const Instance& instance, std::string_view url_tried, std::string_view what_came_back) {
    return makeError(ErrorKind::invalid_input,
                     "\"" + instance.root + "\" does not look like a GitLab instance: " + std::string(url_tried) +
                         " answered " + std::string(what_came_back) +
                         ". Use the instance root (the address of the GitLab home page, e.g. "
                         "https://gitlab.example.com or https://host/gitlab); Forgelink adds /api/v4 itself",
                     "not_a_gitlab_api");
}

Error errorFromResponse(const Instance& instance, const HttpResponse& response, std::string_view action) {
    const int status = response.status;
    const ErrorBody body = parseErrorBody(response);
    // Every message of this family reads "GitLab at HOST <did something> while <action>", and every
    // action is a gerund phrase ("reading the token (GET /personal_access_tokens/self)").
    const std::string where =
        "GitLab at " + instance.key + " answered HTTP " + std::to_string(status) + " while " + std::string(action);
    const std::string said = body.text.empty() ? std::string() : " (GitLab said: \"" + body.text + "\")";
    Error e;
    e.http_status = status;

    if (status == 429) {
        e.kind = ErrorKind::rate_limited;
        e.code = "rate_limited";
        e.retry_after = retryAfter(response);
        e.message = "GitLab at " + instance.key + " is rate limiting Forgelink (HTTP 429) while " + std::string(action) +
                    said + "; retry " +
                    (e.retry_after ? "in " + std::to_string(e.retry_after->count()) + " s" : std::string("later"));
        return e;
    }
    if (status >= 500) {
        e.kind = ErrorKind::transient;
        e.code = "server_error";
        e.retry_after = retryAfter(response);
        e.message = "GitLab at " + instance.key + " failed with HTTP " + std::to_string(status) + " while " +
                    std::string(action) + (looksLikeHtml(response) ? std::string() : said) + "; retry later";
        return e;
    }
    if (status >= 300 && status < 400) {
        const std::string* location = response.header("Location");
        Error r = notGitLabApi(instance, "the request made while " + std::string(action),
                               "with a redirect (HTTP " + std::to_string(status) + ") to " +
                                   (location ? *location : std::string("nowhere")));
        r.http_status = status;
        return r;
    }
    if (looksLikeHtml(response) || (!body.json && !response.body.empty())) {
        Error r = notGitLabApi(instance, "the request made while " + std::string(action),
                               "HTTP " + std::to_string(status) + " with " +
                                   (looksLikeHtml(response) ? std::string("an HTML page") : "a non-JSON body"));
        r.http_status = status;
        return r;
    }
    if (status == 401) {
        e.kind = ErrorKind::unauthorized;
        const std::string d = body.error_description;
        if (containsNoCase(d, "expired")) {
            e.code = "token_expired";
            e.cause = ErrorCause::credential_expired;
            e.message = where + ": the token has expired (GitLab tokens expire at 00:00 UTC on their expiry date); " +
                        tokenAdvice(instance);
        } else if (containsNoCase(d, "revoked")) {
            e.code = "token_revoked";
            e.cause = ErrorCause::credential_revoked;
            e.message = where + ": the token was revoked; " + tokenAdvice(instance);
        } else if (containsNoCase(d, "impersonation")) {
            e.code = "impersonation_disabled";
            e.message = where + ": the token is an impersonation token but impersonation is disabled on this "
                                "instance; use a personal, project or group access token";
        } else {
            e.code = "token_unknown";
            e.message = where + ": GitLab does not know this token (mistyped, deleted, or made on another "
                                "instance?); " + tokenAdvice(instance);
        }
        return e;
    }
    if (status == 403) {
        if (body.error == "insufficient_scope") {
            e.kind = ErrorKind::missing_scope;
            e.code = "missing_scope";
            e.missing_scopes = {"api"};
            e.message = where + ": the token lacks the scope needed (GitLab accepts " +
                        (body.scope.empty() ? std::string("api") : body.scope) +
                        " here); Forgelink needs scope api: " + tokenAdvice(instance);
            return e;
        }
        e.kind = ErrorKind::forbidden;
        if (containsNoCase(body.text, "blocked") || containsNoCase(body.text, "deactivated") || containsNoCase(body.text, "locked")) {
            e.code = "user_blocked";
            e.message = where + said + ": the token's user is blocked or deactivated; an administrator must "
                                       "reactivate it, or use a token of an active user";
        } else {
            e.code = "forbidden";
            e.message = where + said + ": the token's user has too low a role for this; give it at least "
                                       "Developer (30) on the project (Maintainer on protected branches)";
        }
        return e;
    }
    if (status == 404) {
        e.kind = ErrorKind::not_found;
        if (body.error == "404 Not Found" && body.message.empty()) {
            // Grape's unknown-route answer: this GitLab lacks the endpoint, or this is not GitLab's API.
            e.code = "route_not_found";
            e.message = where + ": GitLab has no such API route (" + body.text +
                        "); is this a GitLab instance, and a recent enough version?";
        } else if (containsNoCase(body.text, "Project Not Found")) {
            e.code = "project_not_found";
            e.message = where + said + ": the project does not exist or the token's user cannot see it "
                                       "(GitLab answers 404 for both): check the path and that the user is a member";
        } else if (containsNoCase(body.text, "Group Not Found")) {
            e.code = "group_not_found";
            e.message = where + said + ": the group does not exist or the token's user cannot see it";
        } else if (containsNoCase(body.text, "References for commit")) {
            e.code = "ref_not_found";
            e.message = where + said + ": no branch contains the commit; pass the branch as ref";
        } else if (containsNoCase(body.text, "Commit Not Found")) {
            e.code = "commit_not_found";
            e.message = where + said + ": the commit is not in this project: was it pushed here (not only to a fork)?";
        } else if (containsNoCase(body.text, "Merge Request Not Found") || containsNoCase(body.text, "MergeRequest")) {
            e.code = "merge_request_not_found";
            e.message = where + said + ": no such merge request in this project";
        } else {
            e.code = "not_found";
            e.message = where + said + ": not found, or not visible to the token's user";
        }
        return e;
    }
    if (status == 409) {
        e.kind = ErrorKind::conflict;
        e.code = "conflict";
        e.message = where + said + ": a concurrent change is in progress; retry shortly";
        return e;
    }
    e.kind = ErrorKind::invalid_input;
    e.code = "bad_request";
    e.message = where + said;
    return e;
}

std::string ApiClient::apiUrl(std::string_view path) const { return instance_.root + "/api/v4" + std::string(path); }

HttpRequest ApiClient::request(std::string method, std::string_view path) const {
    return requestUrl(std::move(method), apiUrl(path));
}

HttpRequest ApiClient::requestUrl(std::string method, std::string url) const {
    HttpRequest r;
    r.method = std::move(method);
    r.url = std::move(url);
    r.headers.emplace_back("Accept", "application/json");
    if (scheme_ == AuthScheme::private_token) {
        r.headers.emplace_back("PRIVATE-TOKEN", token_);
    } else {
        r.headers.emplace_back("Authorization", "Bearer " + token_);
    }
    return r;
}

void ApiClient::setJsonBody(HttpRequest& request, const nlohmann::json& body) {
    request.body = body.dump();
    request.headers.emplace_back("Content-Type", "application/json");
}

Result<HttpResponse> ApiClient::send(const HttpRequest& request) const { return transport_.send(request); }

std::vector<Result<HttpResponse>> ApiClient::sendAll(const std::vector<HttpRequest>& requests,
                                                     std::size_t concurrency) const {
    return transport_.sendAll(requests, std::max<std::size_t>(1, concurrency));
}

std::string ApiClient::pathOf(std::string_view url) { return support::urlPath(url); }

Result<nlohmann::json> ApiClient::json(const HttpResponse& response, std::string_view url,
                                       std::string_view action) const {
    return json(response, url, action, support::JsonSelection::all());
}

Result<nlohmann::json> ApiClient::json(const HttpResponse& response, std::string_view url, std::string_view action,
                                       const support::JsonSelection& selection) const {
    if (response.status < 200 || response.status >= 300) return errorFromResponse(instance_, response, action);
    if (looksLikeHtml(response)) {
        return notGitLabApi(instance_, "GET " + pathOf(url), "HTTP " + std::to_string(response.status) + " with an HTML page");
    }
    if (response.status == 204 || response.body.empty()) return nlohmann::json();
    nlohmann::json parsed(nlohmann::json::value_t::discarded);
    if (selection.keepsAll()) {
        parsed = nlohmann::json::parse(response.body, nullptr, false);
    } else if (auto selected = support::parseSelected(response.body, selection)) {
        parsed = std::move(selected).value();
    }
    if (parsed.is_discarded()) {
        return notGitLabApi(instance_, pathOf(url), "HTTP " + std::to_string(response.status) + " with a body that is not JSON (\"" +
                                                        bodyExcerpt(response.body) + "\")");
    }
    return parsed;
}

Result<nlohmann::json> ApiClient::call(const HttpRequest& request, std::string_view action) const {
    auto response = send(request);
    if (!response) return response.error();
    return json(response.value(), request.url, action);
}

}  // namespace forgelink::gitlab
