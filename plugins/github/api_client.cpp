#include "api_client.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "forgelink/support/rate_limit.hpp"

namespace forgelink::github {
namespace {

using support::asciiLower;
using support::bodyExcerpt;
using support::containsNoCase;
using support::trimSpace;
using support::urlPath;

std::optional<std::int64_t> toInt(std::string_view s) {
    s = trimSpace(s);
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<std::int64_t> headerInt(const Headers& headers, std::string_view name) {
    const std::string* v = findHeader(headers, name);
    if (v == nullptr) return std::nullopt;
    return toInt(*v);
}

// Retry-After in whole seconds, read as the host's transport reads it
// (forgelink/support/rate_limit.hpp): delta seconds or an HTTP date seen at `now_unix`.
std::optional<std::int64_t> retryAfterSeconds(const HttpResponse& response, std::int64_t now_unix) {
    const std::string* value = response.header("Retry-After");
    if (value == nullptr) return std::nullopt;
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(now_unix));
    auto wait = support::parseRetryAfter(*value, now);
    if (!wait) return std::nullopt;
    return std::chrono::ceil<std::chrono::seconds>(*wait).count();
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string tokenAdvice(const Instance& instance) {
    return "create a token with scope repo at " + instance.tokenPageUrl() +
           " (or a fine-grained token with Commit statuses, Issues and Pull requests: write) and update "
           "Forgelink's credentials";
}

}  // namespace

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string Instance::tokenPageUrl() const {
    return web_root + "/settings/tokens/new?scopes=repo&description=forgelink";
}

Result<Instance> parseInstance(std::string_view base_url) {
    static constexpr std::string_view kExpected =
        "https://github.com, https://api.github.com, a GitHub Enterprise Server root such as "
        "https://github.example.com or its API https://github.example.com/api/v3";
    auto split = support::parseBaseUrl("GitHub", base_url, kExpected);
    if (!split) return split.error();
    const std::string& scheme = split->scheme;
    const std::string& authority = split->authority;
    const std::string& path = split->path;
    if (authority.find_first_of(" \t\"<>\\") != std::string::npos) {
        return support::badBaseUrl("GitHub", base_url, "has an invalid host", kExpected);
    }

    std::string host = authority.substr(0, authority.rfind(':') == std::string::npos || authority.back() == ']'
                                               ? authority.size()
                                               : authority.rfind(':'));
    auto endsWith = [](std::string_view s, std::string_view suffix) {
        return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
    };
    Instance instance;
    if (path.empty() && (host == "github.com" || host == "www.github.com" || host == "api.github.com")) {
        instance.api_root = scheme + "://api.github.com";
        instance.web_root = scheme + "://github.com";
        instance.key = "github.com";
        return instance;
    }
    if (path.empty() && endsWith(host, ".ghe.com")) {
        // GHE.com data residency: the API lives on the api. subdomain.
        std::string web = host.rfind("api.", 0) == 0 ? authority.substr(4) : authority;
        instance.api_root = scheme + "://api." + web;
        instance.web_root = scheme + "://" + web;
        instance.key = web;
        return instance;
    }
    if (path.empty()) {
        instance.api_root = scheme + "://" + authority + "/api/v3";
        instance.web_root = scheme + "://" + authority;
        instance.key = authority;
        instance.origin_api_root = scheme + "://" + authority;
        return instance;
    }
    if (endsWith(asciiLower(path), "/api/v3")) {
        std::string prefix = path.substr(0, path.size() - 7);
        instance.api_root = scheme + "://" + authority + path;
        instance.web_root = scheme + "://" + authority + prefix;
        instance.key = authority + prefix;
        return instance;
    }
    // An API root behind a path (a proxy, or an api.github.com look-alike): the web UI has no
    // sub-path on any GitHub, so the web root is the origin.
    instance.api_root = scheme + "://" + authority + path;
    instance.web_root = scheme + "://" + authority;
    instance.key = authority + path;
    return instance;
}

std::string withQueryParam(std::string_view url, std::string_view name, std::string_view value) {
    auto q = url.find('?');
    std::string base(url.substr(0, q));
    std::string out;
    bool replaced = false;
    if (q != std::string_view::npos) {
        std::string_view query = url.substr(q + 1);
        while (!query.empty()) {
            auto amp = query.find('&');
            std::string_view pair = query.substr(0, amp);
            auto eq = pair.find('=');
            if (!out.empty()) out.push_back('&');
            if (urlDecode(pair.substr(0, eq)) == name) {
                out += urlEncode(name) + "=" + urlEncode(value);
                replaced = true;
            } else {
                out += pair;
            }
            if (amp == std::string_view::npos) break;
            query.remove_prefix(amp + 1);
        }
    }
    if (!replaced) {
        if (!out.empty()) out.push_back('&');
        out += urlEncode(name) + "=" + urlEncode(value);
    }
    return base + "?" + out;
}

std::vector<std::pair<std::string, std::string>> parseLinkHeader(std::string_view value) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string_view rest = value;
    while (true) {
        auto open = rest.find('<');
        if (open == std::string_view::npos) break;
        auto close = rest.find('>', open);
        if (close == std::string_view::npos) break;
        std::string target(rest.substr(open + 1, close - open - 1));
        rest.remove_prefix(close + 1);
        // Parameters run to the next "<" that starts a new link (targets never hold a raw "<").
        auto next = rest.find('<');
        std::string_view params = rest.substr(0, next);
        // Each ';'-separated parameter; rel may be quoted and hold several space-separated values.
        std::size_t start = 0;
        while (start < params.size()) {
            auto semi = params.find(';', start);
            std::string_view param = trimSpace(params.substr(start, semi == std::string_view::npos ? std::string_view::npos
                                                                                               : semi - start));
            if (!param.empty() && param.back() == ',') param = trimSpace(param.substr(0, param.size() - 1));
            auto eq = param.find('=');
            if (eq != std::string_view::npos && asciiLower(trimSpace(param.substr(0, eq))) == "rel") {
                std::string_view rels = trimSpace(param.substr(eq + 1));
                if (!rels.empty() && rels.front() == '"') {
                    rels.remove_prefix(1);
                    rels = rels.substr(0, rels.find('"'));
                }
                std::size_t s = 0;
                while (s < rels.size()) {
                    auto sp = rels.find(' ', s);
                    std::string_view one = rels.substr(s, sp == std::string_view::npos ? std::string_view::npos : sp - s);
                    if (!one.empty()) out.emplace_back(asciiLower(one), target);
                    if (sp == std::string_view::npos) break;
                    s = sp + 1;
                }
            }
            if (semi == std::string_view::npos) break;
            start = semi + 1;
        }
        if (next == std::string_view::npos) break;
    }
    return out;
}

std::string linkTarget(const HttpResponse& response, std::string_view rel) {
    const std::string* link = response.header("Link");
    if (link == nullptr) return {};
    for (auto& [r, target] : parseLinkHeader(*link)) {
        if (r == asciiLower(rel)) return target;
    }
    return {};
}

RateLimit parseRateLimit(const Headers& headers) {
    RateLimit r;
    r.limit = headerInt(headers, "x-ratelimit-limit");
    r.remaining = headerInt(headers, "x-ratelimit-remaining");
    r.used = headerInt(headers, "x-ratelimit-used");
    r.reset = headerInt(headers, "x-ratelimit-reset");
    if (const std::string* res = findHeader(headers, "x-ratelimit-resource")) r.resource = std::string(trimSpace(*res));
    return r;
}

std::optional<std::vector<std::string>> parseScopes(const Headers& headers, std::string_view name) {
    const std::string* v = findHeader(headers, name);
    if (v == nullptr) return std::nullopt;
    std::vector<std::string> out;
    std::string_view rest = *v;
    while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string_view one = trimSpace(rest.substr(0, comma));
        if (!one.empty()) out.emplace_back(one);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return out;
}

std::optional<std::int64_t> parseTokenExpiration(const Headers& headers) {
    const std::string* v = findHeader(headers, "GitHub-Authentication-Token-Expiration");
    if (v == nullptr) return std::nullopt;
    std::string text(trimSpace(*v));
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    char zone[16] = {0};
    int n = std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d %15s", &y, &mo, &d, &h, &mi, &s, zone);
    if (n < 6 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
    std::int64_t t = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
                     mi * 60 + s;
    std::string z = n == 7 ? std::string(zone) : std::string("UTC");
    if (z == "UTC" || z == "GMT" || z == "Z") return t;
    if ((z[0] == '+' || z[0] == '-') && z.size() == 5 && std::all_of(z.begin() + 1, z.end(), ::isdigit)) {
        int offset = ((z[1] - '0') * 10 + (z[2] - '0')) * 3600 + ((z[3] - '0') * 10 + (z[4] - '0')) * 60;
        return z[0] == '+' ? t - offset : t + offset;
    }
    return std::nullopt;
}

std::string utcDate(std::int64_t unix_seconds) {
    std::int64_t z = (unix_seconds >= 0 ? unix_seconds : unix_seconds - 86399) / 86400 + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y0 = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = y0 + (m <= 2);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
    return buf;
}

std::vector<std::vector<std::string>> parseAcceptedPermissions(const Headers& headers) {
    std::vector<std::vector<std::string>> out;
    const std::string* v = findHeader(headers, "X-Accepted-GitHub-Permissions");
    if (v == nullptr) return out;
    std::string_view rest = *v;
    while (true) {
        auto semi = rest.find(';');
        std::string_view alt = rest.substr(0, semi);
        std::vector<std::string> one;
        while (!alt.empty()) {
            auto comma = alt.find(',');
            std::string_view p = trimSpace(alt.substr(0, comma));
            if (!p.empty()) one.emplace_back(p);
            if (comma == std::string_view::npos) break;
            alt.remove_prefix(comma + 1);
        }
        if (!one.empty()) out.push_back(std::move(one));
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 1);
    }
    return out;
}

std::string permissionLabel(std::string_view permission_eq_level) {
    static const std::pair<const char*, const char*> names[] = {
        {"statuses", "Commit statuses"},   {"issues", "Issues"},     {"pull_requests", "Pull requests"},
        {"contents", "Contents"},          {"metadata", "Metadata"}, {"checks", "Checks"},
        {"administration", "Administration"}, {"members", "Members"}};
    auto eq = permission_eq_level.find('=');
    std::string_view name = permission_eq_level.substr(0, eq);
    std::string level = eq == std::string_view::npos ? std::string() : std::string(permission_eq_level.substr(eq + 1));
    std::string label(name);
    for (auto& [key, text] : names) {
        if (name == key) label = text;
    }
    return level.empty() ? label : label + ": " + level;
}

bool hasGitHubHeaders(const HttpResponse& response) {
    for (const auto& [key, value] : response.headers) {
        std::string k = asciiLower(key);
        if (k.rfind("x-github-", 0) == 0 || k.rfind("x-ratelimit-", 0) == 0 || k == "x-oauth-scopes" ||
            k == "x-accepted-oauth-scopes" || k == "github-authentication-token-expiration") {
            return true;
        }
    }
    return false;
}

bool looksLikeHtml(const HttpResponse& response) {
    if (const std::string* ct = response.header("Content-Type"); ct != nullptr && containsNoCase(*ct, "text/html")) {
        return true;
    }
    std::string_view body = trimSpace(response.body);
    return !body.empty() && body.front() == '<';
}

ErrorBody parseErrorBody(const HttpResponse& response) {
    ErrorBody out;
    auto j = nlohmann::json::parse(response.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        out.text = bodyExcerpt(trimSpace(response.body));
        return out;
    }
    out.json = true;
    if (j.contains("message") && j["message"].is_string()) out.message = j["message"].get<std::string>();
    out.text = out.message;
    if (j.contains("errors") && j["errors"].is_array()) {
        std::string details;
        for (const auto& e : j["errors"]) {
            std::string one;
            if (e.is_string()) {
                one = e.get<std::string>();
            } else if (e.is_object()) {
                if (e.contains("message") && e["message"].is_string()) {
                    one = e["message"].get<std::string>();
                } else {
                    std::string field = e.contains("field") && e["field"].is_string() ? e["field"].get<std::string>() : "";
                    std::string code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
                    one = field.empty() ? code : field + " " + code;
                }
            }
            if (one.empty()) continue;
            if (!details.empty()) details += "; ";
            details += one;
        }
        if (!details.empty()) out.text = out.text.empty() ? details : out.text + " (" + details + ")";
    }
    if (out.text.empty()) out.text = bodyExcerpt(response.body);
    return out;
}

std::optional<std::chrono::seconds> rateLimitRetry(const HttpResponse& response, std::int64_t now_unix,
                                                   bool* secondary) {
    if (response.status != 403 && response.status != 429) return std::nullopt;
    RateLimit rl = parseRateLimit(response.headers);
    auto retry_after = retryAfterSeconds(response, now_unix);
    if (rl.remaining && *rl.remaining == 0 && !retry_after) {
        if (secondary != nullptr) *secondary = false;
        if (rl.reset) return std::chrono::seconds(std::max<std::int64_t>(1, *rl.reset - now_unix));
        return std::chrono::seconds(60);
    }
    std::string text = parseErrorBody(response).text;
    bool secondary_text = containsNoCase(text, "secondary rate limit") || containsNoCase(text, "abuse detection");
    if (retry_after || secondary_text || response.status == 429 || containsNoCase(text, "rate limit")) {
        if (secondary != nullptr) *secondary = !(rl.remaining && *rl.remaining == 0);
        if (retry_after) return std::chrono::seconds(std::max<std::int64_t>(1, *retry_after));
        // GitHub's advice with no header: wait at least a minute.
        return std::chrono::seconds(60);
    }
    return std::nullopt;
}

Error notGitHubApi(const Instance& instance, std::string_view url_tried, std::string_view what_came_back) {
    return makeError(ErrorKind::invalid_input,
                     "the base URL does not lead to a GitHub API: " + std::string(url_tried) + " answered " +
                         std::string(what_came_back) + "; expected https://github.com or a GitHub Enterprise Server "
                         "root (its API is at https://HOST/api/v3). Forgelink tried the API at " + instance.api_root,
                     "not_a_github_api");
}

Error errorFromResponse(const Instance& instance, const HttpResponse& response, std::string_view action) {
    const int status = response.status;
    ErrorBody body = parseErrorBody(response);
    std::string said = body.text.empty() ? std::string() : ": \"" + body.text + "\"";
    std::string where = "GitHub at " + instance.key + " answered " + std::to_string(status) + " while " +
                        std::string(action) + said;
    auto finish = [&](Error e) {
        e.http_status = status;
        return e;
    };

    if (looksLikeHtml(response) || (!body.json && !hasGitHubHeaders(response) && status != 502 && status != 503 &&
                                    status != 504)) {
        if (status >= 500) {
            return finish(makeError(ErrorKind::transient, where + "; GitHub is unavailable, try again later", "server_error"));
        }
        return finish(notGitHubApi(instance, instance.api_root + urlPath(""),
                                   std::to_string(status) + (looksLikeHtml(response) ? " with an HTML page" : " without JSON")));
    }

    bool secondary = false;
    if (auto retry = rateLimitRetry(response, unixNow(), &secondary)) {
        Error e = makeError(ErrorKind::rate_limited,
                            where + (secondary ? "; GitHub's secondary rate limit: slow down and retry after " : "; the hourly rate limit of this token is used up; it resets in ") +
                                std::to_string(retry->count()) + " s",
                            secondary ? "secondary_rate_limit" : "primary_rate_limit");
        e.retry_after = *retry;
        return finish(e);
    }

    if (status == 401) {
        return finish(makeError(ErrorKind::unauthorized,
                                "GitHub at " + instance.key + " refused the token (401" +
                                    (body.text.empty() ? std::string() : " " + body.text) + ") while " +
                                    std::string(action) + ": it is unknown, revoked or expired; " + tokenAdvice(instance),
                                "bad_credentials"));
    }
    if (status == 403) {
        auto accepted = parseAcceptedPermissions(response.headers);
        if (containsNoCase(body.text, "Resource not accessible by")) {
            Error e = makeError(ErrorKind::missing_scope, "", "permission_missing");
            std::string need;
            if (!accepted.empty()) {
                for (const auto& p : accepted.front()) e.missing_scopes.push_back(p);
                for (std::size_t a = 0; a < accepted.size(); ++a) {
                    if (a) need += " or ";
                    for (std::size_t i = 0; i < accepted[a].size(); ++i) {
                        if (i) need += " and ";
                        need += permissionLabel(accepted[a][i]);
                    }
                }
            }
            e.message = where + "; the token's permissions do not allow this" +
                        (need.empty() ? std::string() : " (needs " + need + ")") +
                        ": edit the token's repository permissions at " + instance.web_root +
                        "/settings/personal-access-tokens (or the GitHub App's permissions)";
            return finish(e);
        }
        auto have = parseScopes(response.headers);
        auto want = parseScopes(response.headers, "X-Accepted-OAuth-Scopes");
        if (have && want && !want->empty()) {
            bool ok = std::any_of(want->begin(), want->end(), [&](const std::string& w) {
                return std::find(have->begin(), have->end(), w) != have->end();
            });
            if (!ok) {
                Error e = makeError(ErrorKind::missing_scope, where + "; the token lacks scope " + want->front() +
                                                                  "; " + tokenAdvice(instance),
                                    "missing_scope");
                e.missing_scopes.push_back(want->front());
                return finish(e);
            }
        }
        return finish(makeError(ErrorKind::forbidden,
                                where + "; the token's user lacks the access needed (push access for statuses, "
                                        "read access for comments) or an organization policy blocks the token",
                                "forbidden"));
    }
    if (status == 404 || status == 410) {
        std::string hint = "; it does not exist or is not visible to this token (GitHub answers 404 for both)";
        if (auto have = parseScopes(response.headers)) {
            bool repo = std::find(have->begin(), have->end(), "repo") != have->end();
            if (!repo) hint += "; the token has no repo scope, so private repositories are invisible to it";
        }
        return finish(makeError(ErrorKind::not_found, where + hint, status == 410 ? "gone" : "not_found"));
    }
    if (status == 422) {
        if (containsNoCase(body.text, "No commit found")) {
            return finish(makeError(ErrorKind::not_found, where + "; push the commit first", "unknown_commit"));
        }
        return finish(makeError(ErrorKind::invalid_input, where, "validation_failed"));
    }
    if (status == 409) return finish(makeError(ErrorKind::conflict, where + "; try again later", "conflict"));
    if (status == 400) return finish(makeError(ErrorKind::invalid_input, where, "bad_request"));
    if (status >= 500) {
        Error e = makeError(ErrorKind::transient, where + "; GitHub is unavailable, try again later", "server_error");
        if (auto ra = retryAfterSeconds(response, unixNow())) e.retry_after = std::chrono::seconds(*ra);
        return finish(e);
    }
    if (status >= 300 && status < 400) {
        const std::string* loc = response.header("Location");
        return finish(makeError(ErrorKind::invalid_input,
                                where + "; it redirects" + (loc ? " to " + urlPath(*loc) : std::string()) +
                                    " outside the API, which Forgelink does not follow",
                                "unexpected_redirect"));
    }
    return finish(makeError(ErrorKind::invalid_input, where, "unexpected_status"));
}

HttpRequest ApiClient::request(std::string method, std::string url) const {
    HttpRequest r;
    r.method = std::move(method);
    r.url = std::move(url);
    r.headers = {{"Accept", "application/vnd.github+json"},
                 {"X-GitHub-Api-Version", "2022-11-28"},
                 {"User-Agent", "Forgelink-GitHub/1.0"}};
    if (!token_.empty()) r.headers.emplace_back("Authorization", "Bearer " + token_);
    return r;
}

void ApiClient::setJsonBody(HttpRequest& request, const nlohmann::json& body) {
    request.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    request.headers.emplace_back("Content-Type", "application/json");
}

bool ApiClient::isApiUrl(std::string_view url) const {
    const std::string& root = instance_.api_root;
    if (url.size() < root.size() || asciiLower(url.substr(0, root.size())) != asciiLower(root)) return false;
    return url.size() == root.size() || url[root.size()] == '/' || url[root.size()] == '?';
}

Result<HttpResponse> ApiClient::send(const HttpRequest& request) const {
    HttpRequest current = request;
    for (int hop = 0;; ++hop) {
        auto response = transport_.send(current);
        if (!response) return response;
        const int s = response->status;
        if (s != 301 && s != 302 && s != 307 && s != 308) return response;
        const std::string* location = response->header("Location");
        if (location == nullptr || hop >= 3) return response;
        std::string target = *location;
        if (!target.empty() && target.front() == '/') {
            auto scheme = instance_.api_root.find("://");
            auto slash = instance_.api_root.find('/', scheme + 3);
            target = instance_.api_root.substr(0, slash) + target;
        }
        if (!isApiUrl(target)) return response;  // never carry the token elsewhere
        // 301/302 on a write: GitHub answers 307 for moved repositories, but keep the method for
        // all (GitHub's own clients do), as a silent switch to GET would lose the write.
        current.url = target;
        current.pacing = {};  // the write took its slot when it was first sent
    }
}

std::vector<Result<HttpResponse>> ApiClient::sendAll(const std::vector<HttpRequest>& requests,
                                                     std::size_t concurrency) const {
    auto results = transport_.sendAll(requests, std::max<std::size_t>(1, concurrency));
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i] && results[i]->status >= 300 && results[i]->status < 400) results[i] = send(requests[i]);
    }
    return results;
}

Result<nlohmann::json> ApiClient::json(const HttpResponse& response, std::string_view action) const {
    if (response.status < 200 || response.status >= 300) return errorFromResponse(instance_, response, action);
    if (looksLikeHtml(response)) {
        return notGitHubApi(instance_, instance_.api_root, std::to_string(response.status) + " with an HTML page");
    }
    if (response.status == 204 || trimSpace(response.body).empty()) return nlohmann::json();
    auto j = nlohmann::json::parse(response.body, nullptr, false);
    if (j.is_discarded()) {
        return makeError(ErrorKind::invalid_input,
                         "GitHub at " + instance_.key + " answered " + std::to_string(response.status) + " while " +
                             std::string(action) + " with a body that is not JSON: \"" + bodyExcerpt(response.body) + "\"",
                         "unexpected_response");
    }
    return j;
}

Result<nlohmann::json> ApiClient::call(const HttpRequest& request, std::string_view action) const {
    auto response = send(request);
    if (!response) return response.error();
    return json(response.value(), action);
}

Result<std::vector<nlohmann::json>> ApiClient::getAll(std::string_view path, std::string_view action,
                                                      std::size_t max_pages) const {
    std::vector<nlohmann::json> items;
    std::string url = apiUrl(path);
    for (std::size_t page = 0; !url.empty(); ++page) {
        if (page >= max_pages) {
            return makeError(ErrorKind::invalid_input,
                             "GitHub at " + instance_.key + " kept paginating past " + std::to_string(max_pages) +
                                 " pages while " + std::string(action),
                             "too_many_pages");
        }
        auto response = send(request("GET", url));
        if (!response) return response.error();
        auto j = json(response.value(), action);
        if (!j) return j.error();
        if (!j->is_array()) {
            return makeError(ErrorKind::invalid_input,
                             "GitHub at " + instance_.key + " answered " + std::string(j->type_name()) +
                                 " where a list was expected while " + std::string(action),
                             "unexpected_response");
        }
        for (auto& item : j.value()) items.push_back(std::move(item));
        std::string next = linkTarget(response.value(), "next");
        if (!next.empty() && !isApiUrl(next)) {
            return makeError(ErrorKind::invalid_input,
                             "GitHub at " + instance_.key + " sent a next-page link outside its API (" + urlPath(next) +
                                 ") while " + std::string(action),
                             "unexpected_response");
        }
        if (next == url) break;
        url = next;
    }
    return items;
}

}  // namespace forgelink::github
