// Forgelink's REST API (JSON under /api/v1), the forge login (/auth/...), /healthz and /metrics,
// and the web console's static files at every other path (console_assets.hpp), as one
// net::Handler to mount on an HttpServer.
//
// Threads: handle() runs on the server's worker threads and may block (store, plugin calls);
// it is thread-safe: the service keeps no per-request state in members.
// Lifetime: the store, registry, configuration, metrics and logger are borrowed and must outlive
// the service (and the server that calls it).
// Access: admins (a bearer token from admin.tokens_*) may do everything. People who logged in
// through a forge (the forgelink_session cookie) see only their own teams: members read, owners
// change. A team someone is not in answers 404, exactly like a team that does not exist.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/listing_bounds.hpp"
#include "common/log.hpp"
#include "config/config.hpp"
#include "net/http_server.hpp"
#include "net/metrics.hpp"
#include "plugin/registry.hpp"
#include "service/admin_tokens.hpp"
#include "service/api_error.hpp"
#include "service/console_assets.hpp"
#include "service/listing_cache.hpp"
#include "service/rate_limiter.hpp"
#include "service/router.hpp"
#include "service/token_rotation.hpp"
#include "store/store.hpp"

namespace forgelink::service {

struct ServiceOptions {
    std::chrono::hours session_ttl{24 * 14};
    std::chrono::minutes login_ttl{10};  // how long a started login may take
    // Rendered project listings kept in memory (bodies and tags; see ListingCache). A 1,000-project
    // listing is ~140 KB, so the default holds a few hundred busy teams; 0 turns the cache off.
    std::size_t listing_cache_bytes = std::size_t{32} << 20;
    // The built web console (server.console_dir); empty or missing: the API serves alone and
    // console paths answer "not built" (see ConsoleAssets).
    std::string console_dir;
    std::size_t console_cache_bytes = std::size_t{16} << 20;
    // The time token expiry is judged by (days_left, health, warnings, /metrics); tests inject one.
    // Default: the system clock.
    std::function<store::Timestamp()> clock;
    // Tests: where an on-demand rotation is cut short (token_rotation.hpp).
    std::function<RotationFault(RotationPoint)> rotation_fault;
};

struct ServiceDeps {
    store::Store& store;
    plugin::Registry& registry;
    const config::Config& config;
    net::Metrics& metrics;
    common::JsonLogger& log;
    AdminTokens admin_tokens;
};

class ApiService {
public:
    explicit ApiService(ServiceDeps deps, ServiceOptions options = {});
    // Swaps the operators' API tokens (serve's reload on SIGHUP); requests in flight finish
    // with whichever set they started with.
    void replaceAdminTokens(AdminTokens tokens);

    net::ServerResponse handle(const net::ServerRequest& request);
    // A handler bound to this service; the service must outlive the server using it.
    net::Handler handler();
    // Every (method, route template) the service answers.
    std::vector<std::pair<std::string, std::string>> routes() const { return router_.routes(); }

    static constexpr const char* kSessionCookie = "forgelink_session";
    // Set by /auth/{provider}/login, short-lived: the callback is accepted only from the browser
    // that carries it (login CSRF).
    static constexpr const char* kLoginCookie = "forgelink_login";
    // The header every state-changing request authenticated by the session cookie must carry,
    // with the session's csrf_token (GET /api/v1/session). Bearer tokens are exempt.
    static constexpr const char* kCsrfHeader = "X-CSRF-Token";
    // The CSRF token of a session: derived one-way from the session token, so it reveals nothing
    // of it, needs no storage, and every host sharing the store computes the same.
    static std::string csrfTokenFor(std::string_view session_token);

private:
    enum class Access { none, read, write };
    // Which scoped API tokens (api_tokens.hpp) a route takes: none (people and operators only),
    // reporter (tokens of either role: the build routes), admin (admin tokens: the team's settings).
    enum class TokenUse { none, reporter, admin };

    struct Principal {
        bool admin = false;
        std::int64_t user_id = 0;
        std::string session_token;  // set when the session cookie authenticated the request
        // For an admin token: "sha256:" and the first 8 hex digits of its digest, which names the
        // token in the audit log without giving any of it away.
        std::string operator_fingerprint;
        // Set when a team's scoped API token authenticated the request: only its team (and its
        // project, when it has one) exists for it.
        std::optional<store::ApiToken> api_token;
    };

    // One request on its way through a route.
    struct Call {
        const net::ServerRequest& request;
        PathParams params;
        std::optional<Principal> principal;  // set for routes that require authentication
        const std::string& param(const std::string& name) const { return params.at(name); }
    };

    using RouteFn = std::function<net::ServerResponse(Call&)>;
    struct Route {
        Access access = Access::read;  // none = no authentication needed
        RouteFn fn;
        TokenUse tokens = TokenUse::none;
    };

    void addRoutes();
    void route(const std::string& method, const std::string& pattern, Access access, RouteFn fn,
               TokenUse tokens = TokenUse::none);
    // The scoped token a Bearer value names, if it is one and valid (last use recorded, at most
    // once a minute per token); nullopt otherwise.
    std::optional<store::ApiToken> scopedToken(std::string_view bearer);
    // 403 unless the route takes the principal's scoped token (no-op for people and operators).
    void checkTokenUse(const Principal& who, const Route& route, const std::string& route_template) const;
    net::ServerResponse dispatch(const net::ServerRequest& request, std::string& route_template);
    std::optional<Principal> authenticate(const net::ServerRequest& request);
    std::optional<std::string> sessionToken(const net::ServerRequest& request) const;
    // The 401 for a request that authenticate() refused, saying which credential failed:
    // none sent, an admin token rejected (invalid_token), a session expired (session_expired).
    ApiError unauthenticated(const net::ServerRequest& request) const;
    std::optional<std::string> cookieValue(const net::ServerRequest& request, std::string_view name) const;
    // 403 csrf_token_missing / csrf_token_invalid unless a cookie-authenticated state-changing
    // request carries the session's CSRF token.
    void checkCsrf(const net::ServerRequest& request, const Principal& who) const;
    // Who the caller is, for the audit log (a user's name is read from the store).
    store::AuditActor actorOf(const Call& call);
    // Records a change of `team`'s settings made by this call (audit.hpp): who, from where, what.
    void audit(const Call& call, std::int64_t team_id, std::string_view action, std::string target,
               nlohmann::json details = nlohmann::json::object());
    // 429 rate_limited (with limit and retry_after_seconds) when the client's budget for the API or
    // the login routes is spent. The client is the audit log's address (clientAddress: the
    // X-Forwarded-For hop of a trusted proxy); requests with a valid admin token are not counted.
    void checkRateLimit(const net::ServerRequest& request, std::string_view route_template);
    // Whether the caller may create teams (admins always; people as the configuration allows).
    bool mayCreateTeams(const Principal& who) const;

    // Access checks. A team (or project) the caller may not see is 404; seen but not writable 403.
    store::Team teamFor(const Call& call, const std::string& slug, Access need);
    store::Project projectFor(const Call& call, const std::string& id_text, Access need);
    void checkTeamAccess(const Call& call, const store::Team& team, Access need, const std::string& what);
    Provider& providerFor(const std::string& name, std::uint64_t capability, const char* capability_name);
    // The named credential's token (empty: 'default', or else the first the team has for the
    // provider). 409 provider_not_connected when the team has none; 404 for an unknown name.
    store::NamedCredentials credentialsFor(const store::Team& team, const std::string& provider,
                                           const std::string& credential = "");
    // The forge refused the team's token: remember it so people see why feedback stopped.
    void noteProviderError(const store::Team& team, const std::string& provider, const Error& error,
                           const std::string& credential = std::string(store::kDefaultCredential));

    // ---- routes, one file per resource ----
    net::ServerResponse healthz(Call& call);
    net::ServerResponse metrics(Call& call);
    // team_routes.cpp
    net::ServerResponse createTeam(Call& call);
    net::ServerResponse listTeams(Call& call);
    net::ServerResponse showTeam(Call& call);
    net::ServerResponse deleteTeam(Call& call);
    net::ServerResponse listMembers(Call& call);
    net::ServerResponse addMember(Call& call);
    net::ServerResponse changeMember(Call& call);
    net::ServerResponse removeMember(Call& call);
    net::ServerResponse listAudit(Call& call);
    // token_routes.cpp
    net::ServerResponse createApiToken(Call& call);
    net::ServerResponse listApiTokens(Call& call);
    net::ServerResponse revokeApiToken(Call& call);
    // The member, or 404 "<username> is not a member of <team>" (never the store's internal ids).
    store::TeamMember memberOf(const store::Team& team, std::int64_t user_id);
    Result<store::User> userNamed(const std::string& username, const std::string& provider);
    // provider_routes.cpp
    net::ServerResponse listProviderSettings(Call& call);
    net::ServerResponse putProviderSettings(Call& call);
    net::ServerResponse showProviderSettings(Call& call);
    net::ServerResponse deleteProviderSettings(Call& call);
    net::ServerResponse listCredentials(Call& call);
    // After `saved` was saved: the team's links it is more specific for than their credential
    // (credential_choice.hpp) are served by it from now on. Returns those, as the API shows them.
    nlohmann::json serveWithCredential(const store::Team& team, const store::ProviderSettings& saved);
    // A refresh_token given with a credential: well-formed, and renewable with the host's OAuth app of
    // that forge (providers.NAME.oauth, the credential on providers.NAME.base_url). 400 otherwise.
    void checkRefreshToken(const std::string& provider, const std::string& base_url, const std::string& refresh_token);
    // What removing a credential does to the repositories it serves (see planRemoval).
    struct RemovalPlan {
        std::vector<std::pair<std::int64_t, std::string>> moves;  // project id -> next credential
        nlohmann::json moved;                                     // the same, as the API shows them
        nlohmann::json lost;                                      // those no other credential covers
    };
    RemovalPlan planRemoval(const store::Team& team, const std::string& provider, const std::string& credential);
    void applyRemoval(const store::Team& team, const std::string& provider, const std::string& credential,
                      const RemovalPlan& plan);
    net::ServerResponse browseNamespaces(Call& call);
    net::ServerResponse browseRepositories(Call& call);
    net::ServerResponse repositoryPermissions(Call& call);
    net::ServerResponse patchProviderSettings(Call& call);
    net::ServerResponse rotateProviderToken(Call& call);
    // The `rotate` member of a PUT or PATCH body, over what is stored (defaults when nothing is).
    store::RotationSettings readRotationSettings(const nlohmann::json& rotate, const store::RotationSettings& base);
    // Saves the setting of `saved`'s credential with what the forge says of the token's ability
    // to rotate; a changed setting is recorded in the audit log.
    void saveRotation(const Call& call, const store::Team& team, const std::string& provider,
                      const store::RotationSettings& settings, const Credentials& credentials,
                      const store::ProviderSettings& saved);
    nlohmann::json rotationView(const store::ProviderSettings& settings);
    nlohmann::json providerSettingsView(const store::ProviderSettings& settings);
    // valid / expiring (30 days or less) / invalid, with the reason and what to do: for the team banner.
    nlohmann::json providerHealth(const store::ProviderSettings& settings, const nlohmann::json& paused);
    // The credential was saved with its refresh token: the host renews it before it expires.
    bool renewedByRefresh(const store::ProviderSettings& settings);
    // {"message", "url"}: where to make a token that works (the plugin's token page, when it has one).
    nlohmann::json tokenFix(const std::string& provider, const std::string& base_url, const std::string& message,
                            const std::vector<std::string>& scopes = {});
    // notice_routes.cpp
    net::ServerResponse listNotices(Call& call);
    net::ServerResponse showNotifications(Call& call);
    net::ServerResponse putNotifications(Call& call);
    net::ServerResponse deleteNotifications(Call& call);
    // project_routes.cpp
    net::ServerResponse createProject(Call& call);
    net::ServerResponse listProjects(Call& call);
    net::ServerResponse showProject(Call& call);
    net::ServerResponse deleteProject(Call& call);
    net::ServerResponse connectRepository(Call& call);
    net::ServerResponse disconnectRepository(Call& call);
    // Checks the token may post statuses there, then links; returns the link and any warnings.
    // Which of the team's credentials serves a repository (credential_choice.hpp), after asking
    // the forge, most specific first, which of them may post a status there. Throws the forge's
    // refusal when no credential can see the repository at all.
    struct ServingChoice {
        std::optional<store::ProviderSettings> credential;  // none: no credential can report to it
        Credentials credentials;                            // the serving credential's token
        std::optional<RepositoryPermissions> report;        // its report (or the most specific one's)
        nlohmann::json considered;                          // every credential's verdict, for people
    };
    ServingChoice chooseServing(const store::Team& team, const std::string& provider_name, Provider& provider,
                                const std::string& id_or_path);
    nlohmann::json linkProject(const store::Team& team, const store::Project& project, const std::string& provider,
                               const std::string& id_or_path);
    nlohmann::json projectView(const store::Project& project);
    // The team's listing as of the store's current list version: from listings_ when it holds
    // that version, else read (version and rows in one transaction), rendered and kept.
    CachedListing projectListing(std::int64_t team_id);
    // build_routes.cpp
    net::ServerResponse createBuild(Call& call);
    net::ServerResponse updateBuild(Call& call);
    net::ServerResponse showBuild(Call& call);
    net::ServerResponse listBuilds(Call& call);
    net::ServerResponse recordBuild(const store::Project& project, const store::BuildInput& input);
    nlohmann::json deliveriesView(std::int64_t build_id);
    // login_routes.cpp
    net::ServerResponse startLogin(Call& call);
    net::ServerResponse finishLogin(Call& call);
    net::ServerResponse completeLogin(Call& call);
    net::ServerResponse finishLinking(Call& call, const store::OAuthState& state, const store::UserProfile& profile,
                                      const OAuthTokens& tokens);
    void saveLoginTokens(std::int64_t user_id, const std::string& provider, const OAuthTokens& tokens);
    net::ServerResponse logout(Call& call);
    net::ServerResponse currentSession(Call& call);
    net::ServerResponse loginProviders(Call& call);
    net::ServerResponse unlinkIdentity(Call& call);
    net::ServerResponse listProviders(Call& call);
    const config::OAuthConfig& oauthFor(const std::string& provider) const;
    common::ListingBounds listingBounds() const noexcept;
    // One page of a forge listing for the browse routes (provider_routes.cpp): the request's
    // cursor and the listing bounds ("<listing><provider>", narrowed by `narrowing`), `fetch(cursor)`
    // for the provider's page (its error noted against `used`), each item shown as `view(item)`.
    template <class Fetch, class View>
    net::ServerResponse browsePage(Call& call, const store::Team& team, const std::string& provider,
                                   const store::NamedCredentials& used, const std::string& listing,
                                   const std::string& narrowing, Fetch&& fetch, View&& view);

    store::Store& store_;
    plugin::Registry& registry_;
    const config::Config& config_;
    net::Metrics& metrics_;
    common::JsonLogger& log_;
    mutable std::shared_mutex admin_tokens_mutex_;
    AdminTokens admin_tokens_;  // under admin_tokens_mutex_: replaceAdminTokens() swaps it
    bool isAdminToken(std::string_view token) const;
    // When each scoped token's last use was last written by this process: a burst of requests
    // writes once (the store also skips a write within the minute, across hosts).
    std::mutex token_use_mutex_;
    std::map<std::int64_t, std::chrono::steady_clock::time_point> token_use_written_;
    bool haveAdminTokens() const;
    ServiceOptions options_;
    Router<Route> router_;
    ListingCache listings_;
    RateLimiter api_limiter_;
    RateLimiter login_limiter_;
    ConsoleAssets console_;
    TokenRotator rotator_;  // on-demand rotations (POST .../rotate)
};

}  // namespace forgelink::service
