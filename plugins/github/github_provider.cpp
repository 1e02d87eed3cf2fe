#include "github_provider.hpp"

#include <charconv>
#include <stdexcept>

#include "forgelink/plugin.hpp"

namespace forgelink::github {
namespace {

// GitHub's words for what each public method does (support::GuardedProvider).
constexpr support::BoundaryWords kWords{
    .forge = "GitHub",
    .find_merge_requests = "finding pull requests",
    .upsert_comment = "writing a pull request comment",
    .get_merge_request = "reading a pull request",
};

constexpr auto kUserCacheTtl = std::chrono::minutes(10);

Transport& requireTransport(HostServices& host) {
    if (host.transport == nullptr) throw std::invalid_argument("the host gave the GitHub provider no transport");
    return *host.transport;
}

WritePacing pacingFrom(const std::map<std::string, std::string>& options) {
    WritePacing o;
    auto read = [&](const char* key, int& out) {
        auto it = options.find(key);
        if (it == options.end()) return;
        int v = 0;
        auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
        if (ec != std::errc() || p != it->second.data() + it->second.size() || v <= 0) {
            throw std::invalid_argument(std::string("providers.github.options.") + key +
                                        " must be a positive integer, got \"" + it->second + "\"");
        }
        out = v;
    };
    read("writes_per_minute", o.per_minute);
    read("write_burst", o.burst);
    if (o.per_minute > 80) {
        throw std::invalid_argument("providers.github.options.writes_per_minute must be at most 80 (GitHub's content "
                                    "creation limit), got " + std::to_string(o.per_minute));
    }
    if (o.burst > o.per_minute) o.burst = o.per_minute;
    return o;
}

}  // namespace

Result<RepoRef> parseRepoRef(const std::string& id_or_path) {
    RepoRef ref;
    if (isNumericId(id_or_path)) {
        ref.id = id_or_path;
        return ref;
    }
    auto slash = id_or_path.find('/');
    auto valid = [](std::string_view part, bool owner) {
        if (part.empty() || part.size() > 100) return false;
        for (char c : part) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      (!owner && (c == '_' || c == '.'));
            if (!ok) return false;
        }
        return owner || (part != "." && part != "..");
    };
    if (slash == std::string::npos || id_or_path.find('/', slash + 1) != std::string::npos ||
        !valid(std::string_view(id_or_path).substr(0, slash), true) ||
        !valid(std::string_view(id_or_path).substr(slash + 1), false)) {
        return makeError(ErrorKind::invalid_input,
                         "\"" + id_or_path.substr(0, 120) +
                             "\" is not a GitHub repository: expected owner/name (letters, digits, '-', and in the "
                             "name '_' and '.') or a numeric repository id",
                         "bad_repository");
    }
    ref.full_name = id_or_path;
    return ref;
}

std::string encodeCursor(const ListCursor& cursor) {
    return "gh1." + std::to_string(cursor.last_page) + "." + cursor.next_url;
}

Result<ListCursor> decodeCursor(const std::string& text) {
    auto bad = [&] {
        return makeError(ErrorKind::invalid_input,
                         "the listing cursor \"" + text.substr(0, 60) +
                             "\" was not made by the GitHub provider; pass back Page::next_cursor unchanged, or \"\" "
                             "for the first page",
                         "bad_cursor");
    };
    if (text.rfind("gh1.", 0) != 0) return bad();
    auto dot = text.find('.', 4);
    if (dot == std::string::npos) return bad();
    ListCursor c;
    auto [p, ec] = std::from_chars(text.data() + 4, text.data() + dot, c.last_page);
    if (ec != std::errc() || p != text.data() + dot || c.last_page < 0) return bad();
    c.next_url = text.substr(dot + 1);
    if (c.next_url.empty()) return bad();
    return c;
}

std::string truncateUtf8(std::string_view text, std::size_t max_code_points) {
    // First make it valid UTF-8 (code point by code point), counting as we go.
    std::vector<std::string> points;
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool ok = len > 0 && i + len <= text.size();
        for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
        if (ok && len == 2) ok = c >= 0xC2;                                          // overlong
        if (ok && len == 3) {
            auto c1 = static_cast<unsigned char>(text[i + 1]);
            ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);           // overlong, surrogates
        }
        if (ok && len == 4) {
            auto c1 = static_cast<unsigned char>(text[i + 1]);
            ok = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
        }
        if (ok) {
            points.emplace_back(text.substr(i, len));
            i += len;
        } else {
            points.emplace_back("\xEF\xBF\xBD");
            i += 1;
        }
    }
    std::string out;
    if (points.size() <= max_code_points) {
        for (auto& p : points) out += p;
        return out;
    }
    if (max_code_points == 0) return out;
    for (std::size_t i = 0; i + 1 < max_code_points; ++i) out += points[i];
    out += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
    return out;
}

std::string_view githubState(BuildState state) noexcept {
    switch (state) {
        case BuildState::queued:
        case BuildState::in_progress: return "pending";
        case BuildState::no_changes:
        case BuildState::accepted:
        case BuildState::skipped: return "success";
        case BuildState::changes_detected:
        case BuildState::rejected: return "failure";
        case BuildState::errored: return "error";
        // GitHub's commit statuses have no "canceled" state (only error, failure, pending,
        // success): an aborted build did not finish, which "error" says without blaming the change.
        case BuildState::aborted: return "error";
    }
    return "error";
}

GitHubProvider::GitHubProvider(HostServices& host) : GitHubProvider(host, pacingFrom(host.options)) {}

GitHubProvider::GitHubProvider(HostServices& host, WritePacing pacing)
    : support::GuardedProvider(kWords), host_(host), transport_(requireTransport(host)), pacing_(pacing) {}

void GitHubProvider::log(LogLevel level, const std::string& message) const {
    if (host_.logger != nullptr) host_.logger->log(level, message);
}

Result<ApiClient> GitHubProvider::client(const Credentials& credentials) const {
    auto instance = parseInstance(credentials.base_url);
    if (!instance) return instance.error();
    if (credentials.token.empty()) {
        return makeError(ErrorKind::unauthorized, "no GitHub token was given for " + instance->key, "missing_token");
    }
    for (char c : credentials.token) {
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
            return makeError(ErrorKind::invalid_input,
                             "the GitHub token for " + instance->key +
                                 " contains spaces or control characters; paste the token alone",
                             "bad_token");
        }
    }
    Instance chosen = std::move(instance).value();
    if (!chosen.origin_api_root.empty()) {
        // Which of HOST/api/v3 and HOST is the API: GET /user on the first, then the second
        // (tools such as octokit take the API root, which may be the origin). Asked once per
        // base URL; a network failure decides nothing.
        std::optional<std::string> known;
        {
            std::lock_guard lock(mutex_);
            if (auto it = api_roots_.find(credentials.base_url); it != api_roots_.end()) known = it->second;
        }
        if (!known) {
            auto answersAsGitHub = [&](const std::string& root) -> std::optional<bool> {
                Instance probe = chosen;
                probe.api_root = root;
                ApiClient api(transport_, probe, credentials.token);
                auto r = api.send(api.request("GET", api.apiUrl("/user")));
                if (!r) return std::nullopt;
                return r->status != 404 && !looksLikeHtml(r.value()) && hasGitHubHeaders(r.value());
            };
            auto v3 = answersAsGitHub(chosen.api_root);
            if (v3 && !*v3) {
                if (auto origin = answersAsGitHub(chosen.origin_api_root); origin && *origin) known = chosen.origin_api_root;
                else if (origin) known = chosen.api_root;
            } else if (v3) {
                known = chosen.api_root;
            }
            if (known) {
                std::lock_guard lock(mutex_);
                api_roots_[credentials.base_url] = *known;
            }
        }
        if (known) chosen.api_root = *known;
    }
    return ApiClient(transport_, std::move(chosen), credentials.token);
}

Result<User> GitHubProvider::me(const ApiClient& api, const Credentials& credentials) {
    const std::string key = sha256Hex(api.instance().key + "\n" + credentials.token);
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        auto it = users_.find(key);
        if (it != users_.end() && now - it->second.fetched < kUserCacheTtl) return it->second.user;
    }
    auto j = api.get("/user", "reading the token's user (GET /user)");
    if (!j) return j.error();
    auto user = parseUser(j.value());
    if (!user) return user.error();
    std::lock_guard lock(mutex_);
    if (users_.size() > 4096) users_.clear();
    users_[key] = CachedUser{user.value(), now};
    return user;
}

Result<Repo> GitHubProvider::fetchRepository(const ApiClient& api, const std::string& id_or_path) const {
    auto ref = parseRepoRef(id_or_path);
    if (!ref) return ref.error();
    std::string path = ref->id.empty() ? "/repos/" + ref->full_name : "/repositories/" + ref->id;
    auto j = api.get(path, "reading repository " + id_or_path);
    if (!j) return j.error();
    return parseRepository(j.value(), api.instance().key);
}

Result<std::string> GitHubProvider::fullNameOf(const ApiClient& api, const std::string& id_or_path) const {
    auto ref = parseRepoRef(id_or_path);
    if (!ref) return ref.error();
    if (!ref->full_name.empty()) return ref->full_name;
    auto repo = fetchRepository(api, id_or_path);
    if (!repo) return repo.error();
    return repo->repository.full_path;
}

void GitHubProvider::pace(HttpRequest& request, const ApiClient& api, const Credentials& credentials) const {
    request.pacing.key = sha256Hex(api.instance().key + "\n" + credentials.token);
    request.pacing.per_minute = pacing_.per_minute;
    request.pacing.burst = pacing_.burst;
}

Error GitHubProvider::heldBack(Error error, const ApiClient& api, std::string_view what) const {
    if (error.code != "write_paced") return error;
    error.message = "Forgelink holds back " + std::string(what) + " on " + api.instance().key +
                    ": this token already made " + std::to_string(pacing_.per_minute) +
                    " writes in the last minute (GitHub's content creation limit); retry later";
    return error;
}

// ---- the bodies the boundary (support::GuardedProvider) runs that have no file of their own ----

Result<Repository> GitHubProvider::doGetRepository(const Credentials& c, const std::string& id_or_path) {
    auto api = client(c);
    if (!api) return api.error();
    auto repo = fetchRepository(api.value(), id_or_path);
    if (!repo) return repo.error();
    return repo->repository;
}
Result<OAuthTokens> GitHubProvider::doExchangeCode(const std::string& base_url, const OAuthClient& client,
                                                   const std::string& code, const std::string& code_verifier) {
    if (code.empty()) return makeError(ErrorKind::invalid_input, "the OAuth callback carried no code", "missing_code");
    std::vector<std::pair<std::string, std::string>> form = {{"code", code}};
    if (!client.redirect_uri.empty()) form.emplace_back("redirect_uri", client.redirect_uri);
    if (!code_verifier.empty()) form.emplace_back("code_verifier", code_verifier);
    return tokenRequest(base_url, client, std::move(form), "exchanging the OAuth code");
}
Result<OAuthTokens> GitHubProvider::doRefreshToken(const std::string& base_url, const OAuthClient& client,
                                                   const std::string& refresh_token) {
    if (refresh_token.empty()) {
        return makeError(ErrorKind::invalid_input,
                         "there is no refresh token: GitHub issues one only to GitHub Apps with expiring user "
                         "tokens; log in again",
                         "missing_refresh_token");
    }
    return tokenRequest(base_url, client, {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}},
                        "refreshing the OAuth token");
}
Result<Identity> GitHubProvider::doCurrentUser(const Credentials& c) {
    auto api = client(c);
    if (!api) return api.error();
    auto user = me(api.value(), c);
    if (!user) return user.error();
    return user->identity;
}

std::string GitHubProvider::commentWebUrl(const std::string& repository_web_url, const std::string& merge_request,
                                          const std::string& comment_id) const noexcept {
    // Forgelink comments on a pull request's conversation (an issue comment): anchored issuecomment-<id>.
    return support::textOrEmpty(
        [&] { return support::commentLink(repository_web_url, "/pull/", merge_request, "issuecomment-", comment_id); });
}

std::string GitHubProvider::tokenPageUrl(const std::string& base_url, const std::vector<std::string>& scopes) const noexcept {
    return support::textOrEmpty([&]() -> std::string {
        auto instance = parseInstance(base_url);
        if (!instance) return {};
        if (scopes.empty()) return instance->tokenPageUrl();
        return instance->web_root + "/settings/tokens/new?scopes=" + support::encodeList(scopes) +
               "&description=forgelink";
    });
}

}  // namespace forgelink::github

namespace {
// GitHub's token prefixes (fine-grained personal, classic personal, OAuth, user-to-server,
// server-to-server, refresh): the host masks them in its logs.
const char* const kSecretTokenPrefixes[] = {"github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", nullptr};
}  // namespace

FORGELINK_PLUGIN(forgelink::github::GitHubProvider, "github", "1.0.0",
                 FORGELINK_CAP_TOKEN_VALIDATION | FORGELINK_CAP_REPOSITORIES | FORGELINK_CAP_COMMIT_STATUS |
                     FORGELINK_CAP_REVIEW_COMMENT | FORGELINK_CAP_OAUTH_LOGIN | FORGELINK_CAP_WEB_LINKS |
                     FORGELINK_CAP_MERGE_REQUEST_HEAD,
                 kSecretTokenPrefixes, "GitHub")
