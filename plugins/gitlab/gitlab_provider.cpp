#include "gitlab_provider.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>

#include "forgelink/plugin.hpp"

namespace forgelink::gitlab {
namespace {

// GitLab's words for what each public method does (support::GuardedProvider).
constexpr support::BoundaryWords kWords{
    .forge = "GitLab",
    .list_repositories = "listing projects",
    .get_repository = "looking up a project",
    .repository_permissions = "checking permissions",
    .upsert_comment = "updating the merge request comment",
};

constexpr int kMaxMoves = 5;

}  // namespace

std::string projectRef(const std::string& id_or_path) {
    if (isNumericId(id_or_path)) return id_or_path;
    std::string_view path = id_or_path;
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    return urlEncode(path);
}

std::optional<int> daysUntil(const std::string& date) {
    using namespace std::chrono;
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
    int y = 0;
    unsigned m = 0, d = 0;
    auto parse = [&](std::size_t at, std::size_t len, auto& out) {
        auto [ptr, ec] = std::from_chars(date.data() + at, date.data() + at + len, out);
        return ec == std::errc() && ptr == date.data() + at + len;
    };
    if (!parse(0, 4, y) || !parse(5, 2, m) || !parse(8, 2, d)) return std::nullopt;
    year_month_day ymd{year{y}, month{m}, day{d}};
    if (!ymd.ok()) return std::nullopt;
    const sys_days today = floor<days>(system_clock::now());
    return static_cast<int>((sys_days(ymd) - today).count());
}

std::string encodeCursor(const ListCursor& c) {
    return std::string("gl1.") + (c.mode == ListCursor::Mode::offset ? "o" : "k") + "." + std::to_string(c.next_page) +
           "." + std::to_string(c.total_pages) + "." + std::to_string(c.last_id) + "." + c.query_hash;
}

Result<ListCursor> decodeCursor(const std::string& text) {
    auto refuse = [&] {
        return makeError(ErrorKind::invalid_input,
                         "the listing cursor \"" + text.substr(0, 80) +
                             "\" was not issued by the GitLab provider; start the listing again with an empty cursor",
                         "bad_cursor");
    };
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        auto dot = text.find('.', start);
        parts.push_back(text.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (parts.size() != 6 || parts[0] != "gl1" || (parts[1] != "o" && parts[1] != "k")) return refuse();
    ListCursor c;
    c.mode = parts[1] == "o" ? ListCursor::Mode::offset : ListCursor::Mode::keyset;
    long long* fields[] = {&c.next_page, &c.total_pages, &c.last_id};
    for (int i = 0; i < 3; ++i) {
        const std::string& p = parts[2 + i];
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), *fields[i]);
        if (ec != std::errc() || ptr != p.data() + p.size() || *fields[i] < 0) return refuse();
    }
    c.query_hash = parts[5];
    if (c.query_hash.empty()) return refuse();
    return c;
}

GitLabProvider::GitLabProvider(HostServices& host)
    : support::GuardedProvider(kWords), host_(host), transport_(host.transport != nullptr ? *host.transport : throw std::invalid_argument(
                                                                                 "the host lent no transport")) {}

void GitLabProvider::log(LogLevel level, const std::string& message) const {
    if (host_.logger != nullptr) host_.logger->log(level, "gitlab: " + message);
}

Result<ApiClient> GitLabProvider::client(const Credentials& credentials) const {
    auto instance = parseInstance(credentials.base_url);
    if (!instance) return instance.error();
    if (credentials.token.empty()) {
        return makeError(ErrorKind::unauthorized, "no token was given for GitLab at " + instance->key, "token_missing");
    }
    // GitLab finds PATs (and project/group tokens, also PATs) by PRIVATE-TOKEN; OAuth tokens only by
    // Bearer. A token seen by validateToken has a known kind; otherwise the default PAT prefix
    // says PAT, and anything else goes as Bearer, which GitLab tries as OAuth first, then as PAT.
    AuthScheme scheme = credentials.token.rfind("glpat-", 0) == 0 ? AuthScheme::private_token : AuthScheme::bearer;
    {
        std::lock_guard lock(mutex_);
        auto it = schemes_.find(sha256Hex(instance->key + "\n" + credentials.token));
        if (it != schemes_.end()) scheme = it->second;
    }
    return ApiClient(transport_, std::move(instance).value(), credentials.token, scheme);
}

void GitLabProvider::rememberScheme(const ApiClient& client, const std::string& token, AuthScheme scheme) {
    std::lock_guard lock(mutex_);
    schemes_[sha256Hex(client.instance().key + "\n" + token)] = scheme;
}

Result<User> GitLabProvider::me(const ApiClient& client, const std::string& token) {
    const std::string key = sha256Hex(client.instance().key + "\n" + token);
    {
        std::lock_guard lock(mutex_);
        if (auto it = users_.find(key); it != users_.end()) return it->second;
    }
    auto body = client.get("/user", "reading the token's user (GET /user)");
    if (!body) return body.error();
    auto user = parseUser(body.value());
    if (!user) return user.error();
    std::lock_guard lock(mutex_);
    users_[key] = user.value();
    return user;
}

Result<Project> GitLabProvider::fetchProject(const ApiClient& client, const std::string& id_or_path) const {
    if (id_or_path.empty()) {
        return makeError(ErrorKind::invalid_input, "no GitLab project was named (expected a numeric id or a full path)",
                         "bad_repository");
    }
    std::string url = client.apiUrl("/projects/" + projectRef(id_or_path));
    const std::string action = "reading project " + id_or_path;
    for (int hop = 0; hop <= kMaxMoves; ++hop) {
        auto response = client.send(client.requestUrl("GET", url));
        if (!response) return response.error();
        const HttpResponse& r = response.value();
        if (r.status == 301 || r.status == 302 || r.status == 307 || r.status == 308) {
            const std::string* location = r.header("Location");
            if (location == nullptr || location->empty()) {
                return errorFromResponse(client.instance(), r, action);
            }
            std::string next = *location;
            if (next.front() == '/') {
                // Relative: keep scheme and authority of the instance.
                auto scheme_end = client.instance().root.find("://");
                auto authority_end = client.instance().root.find('/', scheme_end + 3);
                next = client.instance().root.substr(0, authority_end) + next;
            }
            // The token goes only to this instance's API, wherever a redirect points.
            if (next.rfind(client.instance().root + "/api/v4/", 0) != 0) {
                return notGitLabApi(client.instance(), "GET " + ApiClient::pathOf(url),
                                    "with a redirect to " + next + ", outside this instance's API");
            }
            log(LogLevel::info, "project " + id_or_path + " moved: following " + ApiClient::pathOf(next));
            url = next;
            continue;
        }
        auto body = client.json(r, url, action);
        if (!body) return body.error();
        return parseProject(body.value(), client.instance().key);
    }
    return makeError(ErrorKind::invalid_input,
                     "GitLab at " + client.instance().key + " redirected the lookup of project " + id_or_path +
                         " more than " + std::to_string(kMaxMoves) + " times; a redirect loop?",
                     "too_many_redirects");
}

// ---- the rotation wrappers (the rest is support::GuardedProvider's), and the bodies it runs that
// have no file of their own ----

Result<RotationSupport> GitLabProvider::rotationSupport(const Credentials& credentials, const RotationRequest& request) {
    return guarded("checking whether the token can rotate", [&] { return doRotationSupport(credentials, request); });
}
Result<RotatedToken> GitLabProvider::rotateToken(const Credentials& credentials, const RotationRequest& request) {
    return guarded("rotating the token", [&] { return doRotateToken(credentials, request); });
}
Result<Repository> GitLabProvider::doGetRepository(const Credentials& credentials, const std::string& id_or_path) {
    auto api = client(credentials);
    if (!api) return api.error();
    auto project = fetchProject(api.value(), id_or_path);
    if (!project) return project.error();
    return project->repository;
}
Result<OAuthTokens> GitLabProvider::doExchangeCode(const std::string& base_url, const OAuthClient& client,
                                                   const std::string& code, const std::string& code_verifier) {
    if (code.empty()) return makeError(ErrorKind::invalid_input, "no OAuth authorization code was given", "bad_code");
    std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "authorization_code"},
                                                             {"code", code},
                                                             {"redirect_uri", client.redirect_uri}};
    if (!code_verifier.empty()) form.emplace_back("code_verifier", code_verifier);
    return tokenRequest(base_url, client, std::move(form), "exchanging the OAuth authorization code");
}
Result<OAuthTokens> GitLabProvider::doRefreshToken(const std::string& base_url, const OAuthClient& client,
                                                   const std::string& refresh_token) {
    if (refresh_token.empty()) {
        return makeError(ErrorKind::invalid_input, "no OAuth refresh token was given", "bad_refresh_token");
    }
    return tokenRequest(base_url, client,
                        {{"grant_type", "refresh_token"},
                         {"refresh_token", refresh_token},
                         {"redirect_uri", client.redirect_uri}},
                        "refreshing the OAuth token");
}

}  // namespace forgelink::gitlab

namespace forgelink::gitlab {

std::string GitLabProvider::commentWebUrl(const std::string& repository_web_url, const std::string& merge_request,
                                          const std::string& comment_id) const noexcept {
    // A merge request's page is <project>/-/merge_requests/<iid>; each note is anchored note_<id>.
    return support::textOrEmpty(
        [&] { return support::commentLink(repository_web_url, "/-/merge_requests/", merge_request, "note_", comment_id); });
}

std::string GitLabProvider::tokenPageUrl(const std::string& base_url, const std::vector<std::string>& scopes) const noexcept {
    return support::textOrEmpty([&]() -> std::string {
        auto instance = parseInstance(base_url);
        if (!instance) return {};
        if (scopes.empty()) return instance->tokenPageUrl();
        return instance->root + "/-/user_settings/personal_access_tokens?name=forgelink&scopes=" +
               support::encodeList(scopes);
    });
}

}  // namespace forgelink::gitlab

namespace {
// GitLab's token prefixes (personal/project/group access, OAuth application secret, deploy, runner
// authentication, pipeline trigger, CI job, feed, incoming mail, SCIM, agent): the host masks them
// in its logs.
const char* const kSecretTokenPrefixes[] = {"glpat-", "gloas-", "gldt-",   "glrt-",   "glptt-",   "glcbt-",
                                            "glft-",  "glimt-", "glsoat-", "glagent-", nullptr};
}  // namespace

FORGELINK_PLUGIN(forgelink::gitlab::GitLabProvider, "gitlab", "0.1.0",
                 FORGELINK_CAP_TOKEN_VALIDATION | FORGELINK_CAP_REPOSITORIES | FORGELINK_CAP_COMMIT_STATUS |
                     FORGELINK_CAP_REVIEW_COMMENT | FORGELINK_CAP_OAUTH_LOGIN | FORGELINK_CAP_WEB_LINKS |
                     FORGELINK_CAP_MERGE_REQUEST_HEAD | FORGELINK_CAP_TOKEN_ROTATION,
                 kSecretTokenPrefixes, "GitLab")
