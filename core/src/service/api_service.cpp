#include "service/api_service.hpp"

#include <algorithm>
#include <chrono>

#include <forgelink/abi.h>
#include <forgelink/support/http_text.hpp>

#include <sodium.h>

#include "common/lease_owner.hpp"
#include "common/strings.hpp"
#include "secrets/digest.hpp"
#include "service/api_error.hpp"
#include "service/api_tokens.hpp"
#include "service/audit.hpp"
#include "service/login_page.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

constexpr const char* kRequests = "forgelink_http_requests_total";
constexpr const char* kLatency = "forgelink_http_request_duration_seconds";
constexpr const char* kRateLimited = "forgelink_http_rate_limited_total";
constexpr const char* kTokenDays = "forgelink_provider_token_days_until_expiry";
constexpr const char* kTokenValid = "forgelink_provider_token_valid";

// The methods the API knows. Anything else is answered 501 and counted as "other": a method is any
// token a client makes up, and each distinct label value would be a new series in /metrics.
std::string_view methodLabel(std::string_view method) {
    for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
        if (method == known) return known;
    return "other";
}

std::int64_t parseId(const std::string& text, const std::string& what) {
    const auto value = common::parseDigits(text);
    if (!value || *value <= 0) throw notFound("no " + what + " '" + text + "' (ids are positive integers)");
    return *value;
}

// The credential of an "Authorization: Bearer <token>" header; std::nullopt when there is no
// such header, "" when there is one in another scheme.
std::optional<std::string_view> bearerCredential(const net::ServerRequest& request) {
    const std::string* header = request.header("Authorization");
    if (header == nullptr) return std::nullopt;
    const std::string_view value = support::trimSpace(*header);
    if (value.size() <= 7 || !common::iequals(value.substr(0, 7), "Bearer ")) return std::string_view();
    return support::trimSpace(value.substr(7));
}

// The routes that start and finish a forge login (both spellings): they get their own, smaller
// budget (server.limits.login_requests_per_minute).
bool isLoginRoute(std::string_view route_template) {
    for (std::string_view login : {"/auth/{provider}/login", "/auth/{provider}/callback", "/api/v1/auth/{provider}/login",
                                   "/api/v1/auth/{provider}/callback"})
        if (route_template == login) return true;
    return false;
}

}  // namespace

ApiService::ApiService(ServiceDeps deps, ServiceOptions options)
    : store_(deps.store),
      registry_(deps.registry),
      config_(deps.config),
      metrics_(deps.metrics),
      log_(deps.log),
      admin_tokens_(std::move(deps.admin_tokens)),
      options_(options),
      listings_(options.listing_cache_bytes),
      api_limiter_(deps.config.server.limits.api_requests_per_minute),
      login_limiter_(deps.config.server.limits.login_requests_per_minute),
      console_(options.console_dir, options.console_cache_bytes),
      rotator_(store_, registry_, metrics_, log_, [&] {
          RotatorOptions rotator;
          rotator.owner = common::leaseOwner("api");
          rotator.clock = options.clock ? options.clock : store::nowTimestamp;
          rotator.fault = options.rotation_fault;
          return rotator;
      }()) {
    if (!options_.clock) options_.clock = store::nowTimestamp;
    metrics_.describe(kRequests, "counter", "HTTP requests answered, by method, route template and status");
    metrics_.describe(kLatency, "histogram", "HTTP request handling time in seconds, by method and route template");
    metrics_.describe(kTokenDays, "gauge", "Days until each of a team's provider tokens expires (negative: expired), by credential name");
    metrics_.describe(kTokenValid, "gauge", "1 while the forge accepts the team's provider token, 0 once it refused it");
    metrics_.describe(kRateLimited, "counter",
                      "Requests refused with 429 by the per-client rate limit, by limit (api, login)");
    addRoutes();
}

net::Handler ApiService::handler() {
    return [this](const net::ServerRequest& request) { return handle(request); };
}

void ApiService::route(const std::string& method, const std::string& pattern, Access access, RouteFn fn,
                       TokenUse tokens) {
    router_.add(method, pattern, Route{access, std::move(fn), tokens});
}

void ApiService::addRoutes() {
    auto bind = [this](net::ServerResponse (ApiService::*fn)(Call&)) {
        return [this, fn](Call& call) { return (this->*fn)(call); };
    };
    const auto R = Access::read, W = Access::write, N = Access::none;
    route("GET", "/healthz", N, bind(&ApiService::healthz));
    route("GET", "/metrics", N, bind(&ApiService::metrics));

    route("GET", "/auth/{provider}/login", N, bind(&ApiService::startLogin));
    route("GET", "/auth/{provider}/callback", N, bind(&ApiService::finishLogin));
    route("POST", "/auth/logout", N, bind(&ApiService::logout));
    // The same under /api/v1, so a redirect_uri registered either way works (the example config
    // uses /api/v1/auth/<provider>/callback).
    route("GET", "/api/v1/auth/{provider}/login", N, bind(&ApiService::startLogin));
    route("GET", "/api/v1/auth/{provider}/callback", N, bind(&ApiService::finishLogin));
    route("POST", "/api/v1/auth/logout", N, bind(&ApiService::logout));
    route("GET", "/api/v1/session", R, bind(&ApiService::currentSession));
    route("GET", "/api/v1/auth/providers", N, bind(&ApiService::loginProviders));
    route("DELETE", "/api/v1/session/identities/{provider}", R, bind(&ApiService::unlinkIdentity));
    route("GET", "/api/v1/providers", R, bind(&ApiService::listProviders));

    // Scoped API tokens: reporter (builds) and admin (the team's settings, never its tokens,
    // its deletion or another team); everything else refuses them with 403.
    const auto Rep = TokenUse::reporter, Adm = TokenUse::admin;
    route("POST", "/api/v1/teams", R, bind(&ApiService::createTeam));  // who may: checked inside
    route("GET", "/api/v1/teams", R, bind(&ApiService::listTeams));
    route("GET", "/api/v1/teams/{team}", R, bind(&ApiService::showTeam), Adm);
    route("DELETE", "/api/v1/teams/{team}", W, bind(&ApiService::deleteTeam));
    route("GET", "/api/v1/teams/{team}/members", R, bind(&ApiService::listMembers), Adm);
    route("POST", "/api/v1/teams/{team}/members", W, bind(&ApiService::addMember), Adm);
    route("PATCH", "/api/v1/teams/{team}/members/{user_id}", W, bind(&ApiService::changeMember), Adm);
    route("DELETE", "/api/v1/teams/{team}/members/{user_id}", W, bind(&ApiService::removeMember), Adm);
    route("GET", "/api/v1/teams/{team}/audit", R, bind(&ApiService::listAudit), Adm);
    route("POST", "/api/v1/teams/{team}/tokens", W, bind(&ApiService::createApiToken));
    route("GET", "/api/v1/teams/{team}/tokens", W, bind(&ApiService::listApiTokens));
    route("DELETE", "/api/v1/teams/{team}/tokens/{token_id}", W, bind(&ApiService::revokeApiToken));

    route("GET", "/api/v1/teams/{team}/providers", R, bind(&ApiService::listProviderSettings), Adm);
    route("PUT", "/api/v1/teams/{team}/providers/{provider}", W, bind(&ApiService::putProviderSettings), Adm);
    route("GET", "/api/v1/teams/{team}/providers/{provider}", R, bind(&ApiService::showProviderSettings), Adm);
    route("DELETE", "/api/v1/teams/{team}/providers/{provider}", W, bind(&ApiService::deleteProviderSettings), Adm);
    route("GET", "/api/v1/teams/{team}/providers/{provider}/credentials", R, bind(&ApiService::listCredentials), Adm);
    route("PUT", "/api/v1/teams/{team}/providers/{provider}/credentials/{credential}", W,
          bind(&ApiService::putProviderSettings), Adm);
    route("GET", "/api/v1/teams/{team}/providers/{provider}/credentials/{credential}", R,
          bind(&ApiService::showProviderSettings), Adm);
    route("DELETE", "/api/v1/teams/{team}/providers/{provider}/credentials/{credential}", W,
          bind(&ApiService::deleteProviderSettings), Adm);
    route("PATCH", "/api/v1/teams/{team}/providers/{provider}", W, bind(&ApiService::patchProviderSettings), Adm);
    route("PATCH", "/api/v1/teams/{team}/providers/{provider}/credentials/{credential}", W,
          bind(&ApiService::patchProviderSettings), Adm);
    route("POST", "/api/v1/teams/{team}/providers/{provider}/rotate", W, bind(&ApiService::rotateProviderToken), Adm);
    route("POST", "/api/v1/teams/{team}/providers/{provider}/credentials/{credential}/rotate", W,
          bind(&ApiService::rotateProviderToken), Adm);
    route("GET", "/api/v1/teams/{team}/providers/{provider}/namespaces", R, bind(&ApiService::browseNamespaces), Adm);
    route("GET", "/api/v1/teams/{team}/providers/{provider}/repositories", R, bind(&ApiService::browseRepositories),
          Adm);
    route("GET", "/api/v1/teams/{team}/providers/{provider}/repositories/{repository}/permissions", R,
          bind(&ApiService::repositoryPermissions), Adm);

    route("GET", "/api/v1/teams/{team}/notices", R, bind(&ApiService::listNotices), Adm);
    route("GET", "/api/v1/teams/{team}/notifications", R, bind(&ApiService::showNotifications), Adm);
    route("PUT", "/api/v1/teams/{team}/notifications", W, bind(&ApiService::putNotifications), Adm);
    route("DELETE", "/api/v1/teams/{team}/notifications", W, bind(&ApiService::deleteNotifications), Adm);

    route("POST", "/api/v1/teams/{team}/projects", W, bind(&ApiService::createProject), Adm);
    route("GET", "/api/v1/teams/{team}/projects", R, bind(&ApiService::listProjects), Adm);
    route("GET", "/api/v1/projects/{project}", R, bind(&ApiService::showProject), Rep);
    route("DELETE", "/api/v1/projects/{project}", W, bind(&ApiService::deleteProject), Adm);
    route("PUT", "/api/v1/projects/{project}/repository", W, bind(&ApiService::connectRepository), Adm);
    route("DELETE", "/api/v1/projects/{project}/repository", W, bind(&ApiService::disconnectRepository), Adm);

    route("POST", "/api/v1/projects/{project}/builds", W, bind(&ApiService::createBuild), Rep);
    route("GET", "/api/v1/projects/{project}/builds", R, bind(&ApiService::listBuilds), Rep);
    route("GET", "/api/v1/projects/{project}/builds/{build}", R, bind(&ApiService::showBuild), Rep);
    route("PATCH", "/api/v1/projects/{project}/builds/{build}", W, bind(&ApiService::updateBuild), Rep);
}

net::ServerResponse ApiService::handle(const net::ServerRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    std::string route_template;
    net::ServerResponse response;
    const std::string method(methodLabel(request.method));
    try {
        if (method == "other") {
            // Not echoed: the method is the client's text, up to the server's header limit.
            throw ApiError(501, "not_implemented",
                           "this host does not support the request method; use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
        }
        response = dispatch(request, route_template);
    } catch (const ApiError& e) {
        if (!e.logReason().empty())
            log_.log(e.status() >= 500 ? LogLevel::error : LogLevel::warn, "request failed",
                     {{"route", route_template}, {"status", std::to_string(e.status())}, {"reason", e.logReason()}});
        response = errorResponse(e.status(), e.code(), e.message(), e.details());
        // RFC 6750 3.1: a token that was sent and refused is error="invalid_token".
        if (e.status() == 401)
            response.headers.emplace_back("WWW-Authenticate", e.code() == "invalid_token"
                                                                  ? "Bearer realm=\"forgelink\", error=\"invalid_token\""
                                                                  : "Bearer realm=\"forgelink\"");
        addRetryAfter(response, e);
    } catch (const std::exception& e) {
        // The text may come from anywhere (a library, a bug): it goes to the log, redacted, not to the client.
        log_.log(LogLevel::error, "request failed", {{"route", route_template}, {"reason", e.what()}});
        response = errorResponse(500, "internal", "an internal error occurred; see the server log");
    }

    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Unknown paths share one label so scanners cannot blow up the metric's cardinality.
    const std::string label = route_template.empty() ? "unmatched" : route_template;
    // Every label has a bounded set of values: seven methods and "other", the route templates and
    // "unmatched", and the status codes the service answers.
    metrics_.increment(kRequests, {{"method", method}, {"route", label}, {"status", std::to_string(response.status)}});
    metrics_.observe(kLatency, {{"method", method}, {"route", label}}, seconds);
    // The route template, never the path or query: those may carry ids of other people's things or codes.
    log_.log(response.status >= 500 ? LogLevel::error : LogLevel::info, "request",
             {{"method", method},
              {"route", label},
              {"status", std::to_string(response.status)},
              {"duration_ms", std::to_string(static_cast<long long>(seconds * 1000.0 + 0.5))}});
    return response;
}

net::ServerResponse ApiService::dispatch(const net::ServerRequest& request, std::string& route_template) {
    auto match = router_.match(request.method, request.raw_path.empty() ? request.path : request.raw_path);
    route_template = match.route;
    try {
        checkRateLimit(request, match.route);
    } catch (const ApiError& e) {
        // A person who pressed "Continue with ..." once too often reads why, on a page.
        if (isLoginRoute(match.route))
            if (auto page = loginErrorPage(request, e)) return std::move(*page);
        throw;
    }
    if (match.target == nullptr && match.allowed.empty() && isConsolePath(request.path)) {
        // Everything the API does not own is the console's: its files, or index.html for the
        // routes the app resolves in the browser.
        route_template = "console";
        if (request.method == "GET" || request.method == "HEAD") return console_.serve(request);
        const std::string allow = Router<Route>::allowHeader({"GET"});
        if (request.method == "OPTIONS") {
            net::ServerResponse response;
            response.status = 204;
            response.headers.emplace_back("Allow", allow);
            addConsoleSecurityHeaders(response);
            return response;
        }
        auto response = errorResponse(405, "method_not_allowed",
                                      "the console's pages answer GET and HEAD only; the API is under /api/v1");
        response.headers.emplace_back("Allow", allow);
        addConsoleSecurityHeaders(response);
        return response;
    }
    if (match.target == nullptr) {
        if (!match.allowed.empty()) {
            const std::string allow = Router<Route>::allowHeader(match.allowed);
            // OPTIONS (RFC 9110 9.3.7): what the resource answers, for any caller; it reveals no
            // more than a 405 would.
            if (request.method == "OPTIONS") {
                net::ServerResponse response;
                response.status = 204;
                response.headers.emplace_back("Allow", allow);
                return response;
            }
            auto response = errorResponse(405, "method_not_allowed",
                                          request.method + " is not allowed on " + match.route + "; allowed: " + allow);
            response.headers.emplace_back("Allow", allow);
            return response;
        }
        throw notFound("no route for " + request.method + " " + request.path);
    }
    Call call{request, std::move(match.params), std::nullopt};
    if (match.target->access != Access::none) {
        call.principal = authenticate(request);
        if (!call.principal) throw unauthenticated(request);
        checkCsrf(request, *call.principal);
        checkTokenUse(*call.principal, *match.target, match.route);
    }
    return match.target->fn(call);
}

void ApiService::checkRateLimit(const net::ServerRequest& request, std::string_view route_template) {
    const std::string_view path = request.path;
    const bool login = isLoginRoute(route_template);
    if (!login && !path.starts_with("/api/") && !path.starts_with("/auth/")) return;  // console, /healthz, /metrics
    if (!login) {
        // A valid admin token is the operator's own credential: its automation is not throttled, and
        // a flood from an address the operator shares (a NAT, a proxy) cannot lock the operator out.
        // A wrong token is counted like any request, so guessing one is limited too.
        if (auto token = bearerCredential(request); token && !token->empty() && isAdminToken(*token)) return;
    }
    RateLimiter& limiter = login ? login_limiter_ : api_limiter_;
    const auto wait = limiter.take(rateLimitKey(clientAddress(request, config_.server.trusted_proxies)));
    if (!wait) return;
    const char* limit = login ? "login" : "api";
    const std::string key = login ? "server.limits.login_requests_per_minute" : "server.limits.api_requests_per_minute";
    metrics_.increment(kRateLimited, {{"limit", limit}});
    throw ApiError(429, "rate_limited",
                   "too many requests from this address: at most " + std::to_string(limiter.perMinute()) +
                       " a minute " + (login ? "on the login routes" : "on the API") + " (" + key + "); retry in " +
                       std::to_string(wait->count()) + " s",
                   {{"limit", key}, {"limit_per_minute", limiter.perMinute()}, {"retry_after_seconds", wait->count()}});
}

void addRetryAfter(net::ServerResponse& response, const ApiError& e) {
    if ((e.status() == 503 || e.status() == 429) && e.details().contains("retry_after_seconds"))
        response.headers.emplace_back("Retry-After", std::to_string(e.details()["retry_after_seconds"].get<long>()));
}

ApiError ApiService::unauthenticated(const net::ServerRequest& request) const {
    // Say which credential failed: "authentication required" for a token that was sent and
    // refused sends people looking for a missing header instead of a wrong token.
    if (const std::string* header = request.header("Authorization")) {
        std::string_view value = support::trimSpace(*header);
        if (value.size() <= 7 || !common::iequals(value.substr(0, 7), "Bearer "))
            return ApiError(401, "unauthorized",
                            "the Authorization header must be 'Bearer <admin token>' or 'Bearer <API token>' (no other scheme is accepted)");
        if (looksLikeApiToken(support::trimSpace(value.substr(7))))
            return ApiError(401, "invalid_token",
                            "the API token was rejected: it is not one of this server's, was revoked, or has expired "
                            "(a team owner lists the team's tokens at GET /api/v1/teams/<team>/tokens)");
        return ApiError(401, "invalid_token",
                        "the admin token was rejected: it is not one of this server's admin tokens "
                        "(admin.tokens_env or admin.tokens_file of its configuration)");
    }
    if (sessionToken(request))
        return ApiError(401, "session_expired",
                        "your session has expired or was ended; log in again through /auth/<provider>/login");
    return ApiError(401, "unauthorized",
                    "authentication required: send Authorization: Bearer <admin token>, or log in through "
                    "/auth/<provider>/login");
}

std::optional<std::string> ApiService::sessionToken(const net::ServerRequest& request) const {
    return cookieValue(request, kSessionCookie);
}

std::optional<std::string> ApiService::cookieValue(const net::ServerRequest& request, std::string_view cookie) const {
    for (const auto& [name, value] : request.headers) {
        if (!common::iequals(name, "Cookie")) continue;
        for (const auto& part : common::split(value, ';')) {
            auto pair = support::trimSpace(part);
            auto eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            if (support::trimSpace(pair.substr(0, eq)) == cookie) {
                std::string token(support::trimSpace(pair.substr(eq + 1)));
                if (!token.empty()) return token;
            }
        }
    }
    return std::nullopt;
}

void ApiService::replaceAdminTokens(AdminTokens tokens) {
    std::unique_lock lock(admin_tokens_mutex_);
    admin_tokens_ = std::move(tokens);
}

bool ApiService::isAdminToken(std::string_view token) const {
    std::shared_lock lock(admin_tokens_mutex_);
    return admin_tokens_.matches(token);
}

bool ApiService::haveAdminTokens() const {
    std::shared_lock lock(admin_tokens_mutex_);
    return !admin_tokens_.empty();
}

std::optional<ApiService::Principal> ApiService::authenticate(const net::ServerRequest& request) {
    if (const auto bearer = bearerCredential(request)) {
        // A bearer credential that is wrong is a 401, even if a valid cookie came along:
        // mixing two identities in one request is a client bug worth surfacing.
        if (bearer->empty()) return std::nullopt;
        const std::string_view token = *bearer;
        if (looksLikeApiToken(token)) {
            auto scoped = scopedToken(token);
            if (!scoped) return std::nullopt;
            Principal who;
            who.api_token = std::move(scoped);
            return who;
        }
        if (!isAdminToken(token)) return std::nullopt;
        return Principal{true, 0, {}, "sha256:" + secrets::sha256Hex(token).substr(0, 8), std::nullopt};
    }
    if (auto token = sessionToken(request)) {
        auto session = store_.findSession(*token, store::nowTimestamp());
        if (!session.ok()) {
            if (session.error().kind == ErrorKind::not_found) return std::nullopt;
            throw fromStoreError(session.error());
        }
        return Principal{false, session.value().user_id, *token, {}, std::nullopt};
    }
    return std::nullopt;
}

std::optional<store::ApiToken> ApiService::scopedToken(std::string_view bearer) {
    auto key = apiTokenLookupKey(bearer);
    if (!key) return std::nullopt;
    auto found = store_.findApiToken(*key);
    if (!found.ok()) {
        if (found.error().kind == ErrorKind::not_found) return std::nullopt;
        throw fromStoreError(found.error());
    }
    store::ApiToken token = std::move(found).value();
    if (!apiTokenMatches(bearer, token.secret_digest)) return std::nullopt;
    const auto now = options_.clock();
    if (token.expires_at && *token.expires_at <= now) return std::nullopt;
    // The last use, written at most once a minute per token: a CI job's burst of requests is one write.
    constexpr auto kEvery = std::chrono::minutes(1);
    if (!token.last_used_at || *token.last_used_at <= now - kEvery) {
        const auto steady = std::chrono::steady_clock::now();
        bool write = false;
        {
            std::lock_guard lock(token_use_mutex_);
            auto [it, inserted] = token_use_written_.try_emplace(token.id, steady);
            if (inserted || steady - it->second >= kEvery) {
                it->second = steady;
                write = true;
            }
        }
        if (write) {
            // A failed write costs only the figure; the request goes on.
            if (auto touched = store_.touchApiToken(token.id, now, kEvery); !touched.ok())
                log_.log(LogLevel::warn, "could not record an API token's use",
                         {{"token_id", std::to_string(token.id)}, {"reason", touched.error().message}});
        }
    }
    return token;
}

void ApiService::checkTokenUse(const Principal& who, const Route& route, const std::string& route_template) const {
    if (!who.api_token) return;
    const auto& token = *who.api_token;
    if (route.tokens == TokenUse::none)
        throw forbidden("scoped API tokens cannot use " + route_template +
                        "; it needs a person's session or an operator's admin token");
    if (route.tokens == TokenUse::admin && token.role != store::ApiTokenRole::admin)
        throw forbidden("API token '" + token.name + "' is a reporter token: it may record and read builds, not " +
                        route_template + " (that needs an admin token)");
}

store::AuditActor ApiService::actorOf(const Call& call) {
    if (!call.principal) return systemActor();
    const Principal& who = *call.principal;
    if (who.api_token) return {store::ActorKind::token, 0, who.api_token->id, who.api_token->name};
    if (who.admin) return {store::ActorKind::operator_token, 0, 0, "operator " + who.operator_fingerprint};
    auto user = store_.user(who.user_id);
    return {store::ActorKind::user, who.user_id, 0,
            user.ok() ? user.value().username : "user " + std::to_string(who.user_id)};
}

void ApiService::audit(const Call& call, std::int64_t team_id, std::string_view action, std::string target,
                       nlohmann::json details) {
    store::AuditEventInput event;
    event.team_id = team_id;
    event.actor = actorOf(call);
    event.client_address = clientAddress(call.request, config_.server.trusted_proxies);
    event.action = std::string(action);
    event.target = std::move(target);
    event.details = std::move(details);
    recordAudit(store_, log_, event);
}

std::string ApiService::csrfTokenFor(std::string_view session_token) {
    return secrets::sha256Hex("forgelink-csrf\n" + std::string(session_token));
}

void ApiService::checkCsrf(const net::ServerRequest& request, const Principal& who) const {
    if (who.session_token.empty()) return;  // a bearer token: no browser sends it on its own
    const auto& m = request.method;
    if (m == "GET" || m == "HEAD" || m == "OPTIONS") return;
    const std::string* sent = request.header(kCsrfHeader);
    if (sent == nullptr || support::trimSpace(*sent).empty())
        throw ApiError(403, "csrf_token_missing",
                       std::string("this request changes something and is authenticated by the session cookie: send "
                                   "the header ") +
                           kCsrfHeader + " with the csrf_token of GET /api/v1/session");
    const std::string expected = csrfTokenFor(who.session_token);
    const std::string_view given = support::trimSpace(*sent);
    if (given.size() != expected.size() || sodium_memcmp(given.data(), expected.data(), expected.size()) != 0)
        throw ApiError(403, "csrf_token_invalid",
                       std::string("the ") + kCsrfHeader +
                           " header does not match this session; read csrf_token again from GET /api/v1/session");
}

void ApiService::checkTeamAccess(const Call& call, const store::Team& team, Access need, const std::string& what) {
    const Principal& who = *call.principal;
    if (who.admin) return;
    if (who.api_token) {
        // Another team's things do not exist for a team's token; its role was checked with the route.
        if (who.api_token->team_id != team.id) throw notFound(what);
        return;
    }
    auto member = store_.teamMember(team.id, who.user_id);
    if (!member.ok()) {
        if (member.error().kind == ErrorKind::not_found) throw notFound(what);
        throw fromStoreError(member.error());
    }
    if (need == Access::write && member.value().role != store::TeamRole::owner)
        throw forbidden("only owners of team '" + team.slug + "' may change it; you are a member");
}

store::Team ApiService::teamFor(const Call& call, const std::string& slug, Access need) {
    const std::string missing = "no team '" + slug + "'";
    auto team = store_.findTeamBySlug(slug);
    if (!team.ok()) {
        if (team.error().kind == ErrorKind::not_found) throw notFound(missing);
        throw fromStoreError(team.error());
    }
    checkTeamAccess(call, team.value(), need, missing);
    if (const auto& token = call.principal->api_token; token && token->project_id != 0)
        throw forbidden("API token '" + token->name + "' is limited to project " + std::to_string(token->project_id) +
                        "; the team's own routes need a token of the whole team");
    return team.value();
}

store::Project ApiService::projectFor(const Call& call, const std::string& id_text, Access need) {
    const std::int64_t id = parseId(id_text, "project");
    const std::string missing = "no project " + id_text;
    auto project = store_.project(id);
    if (!project.ok()) {
        if (project.error().kind == ErrorKind::not_found) throw notFound(missing);
        throw fromStoreError(project.error());
    }
    auto team = orThrow(store_.team(project.value().team_id));
    checkTeamAccess(call, team, need, missing);
    // Another project of the team does not exist for a project's token.
    if (const auto& token = call.principal->api_token; token && token->project_id != 0 && token->project_id != id)
        throw notFound(missing);
    return project.value();
}

Provider& ApiService::providerFor(const std::string& name, std::uint64_t capability, const char* capability_name) {
    Provider* provider = registry_.provider(name);
    if (provider == nullptr) {
        std::vector<std::string> names;
        for (const auto& info : registry_.plugins()) names.push_back(info.name);
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        throw ApiError(404, "unknown_provider",
                       "no provider '" + name + "' is loaded; loaded providers: " + (list.empty() ? "none" : list),
                       {{"loaded", names}});
    }
    const auto* info = registry_.info(name);
    if (capability != 0 && (info == nullptr || (info->capabilities & capability) == 0))
        throw unprocessable("unsupported", "provider '" + name + "' does not support " + capability_name);
    return *provider;
}

store::NamedCredentials ApiService::credentialsFor(const store::Team& team, const std::string& provider,
                                                  const std::string& credential) {
    std::string name = credential.empty() ? std::string(store::kDefaultCredential) : credential;
    if (credential.empty()) {
        // Without a name: 'default', or else the team's first credential of that provider.
        const auto all = orThrow(store_.listProviderSettings(team.id));
        const auto first = std::find_if(all.begin(), all.end(), [&](const auto& s) { return s.provider == provider; });
        if (first != all.end()) name = first->name;
    }
    auto credentials = store_.providerCredentials(team.id, provider, name);
    if (!credentials.ok()) {
        if (credentials.error().kind == ErrorKind::not_found) {
            if (!credential.empty())
                throw notFound("team '" + team.slug + "' has no " + provider + " credential named '" + credential + "'");
            throw ApiError(409, "provider_not_connected",
                           "team '" + team.slug + "' has no token for provider '" + provider +
                               "'; set one with PUT /api/v1/teams/" + team.slug + "/providers/" + provider);
        }
        throw fromStoreError(credentials.error());
    }
    return {name, std::move(credentials).value()};
}

void ApiService::noteProviderError(const store::Team& team, const std::string& provider, const Error& error,
                                   const std::string& credential) {
    if (error.kind != ErrorKind::unauthorized) return;
    auto marked = store_.markProviderInvalid(team.id, provider, error.message, credential);
    if (!marked.ok())
        log_.log(LogLevel::warn, "could not mark provider settings invalid",
                 {{"team", team.slug}, {"provider", provider}, {"credential", credential}, {"reason", marked.error().message}});
}

net::ServerResponse ApiService::healthz(Call&) {
    nlohmann::json plugins = nlohmann::json::array();
    for (const auto& info : registry_.plugins()) plugins.push_back(info.name);
    return jsonResponse(200, {{"status", "ok"}, {"plugins", plugins}});
}

net::ServerResponse ApiService::metrics(Call& call) {
    // Metrics name teams: with admin tokens configured, only admins may scrape them.
    if (haveAdminTokens()) {
        auto who = authenticate(call.request);
        if (!who || !who->admin) {
            if (call.request.header("Authorization") != nullptr) throw unauthenticated(call.request);
            throw ApiError(401, "unauthorized", "/metrics needs Authorization: Bearer <admin token>");
        }
    }
    const auto now = options_.clock();
    if (auto teams = store_.listTeams(); teams.ok()) {
        // Rebuilt from the store on every scrape: a team deleted or a provider disconnected
        // (through any host sharing the store) leaves no series behind.
        std::map<net::Labels, double> valid, days_left;
        for (const auto& team : teams.value()) {
            auto settings = store_.listProviderSettings(team.id);
            if (!settings.ok()) continue;
            for (const auto& s : settings.value()) {
                // A credential other than 'default' is told apart by a credential label; the
                // default keeps the series it had before credentials were named.
                net::Labels labels{{"team", team.slug}, {"provider", s.provider}};
                if (s.name != store::kDefaultCredential) labels.emplace("credential", s.name);
                valid[labels] = s.status == store::ProviderStatus::active ? 1 : 0;
                if (s.expires_at)
                    if (auto days = daysUntil(*s.expires_at, now)) days_left[labels] = *days;
            }
        }
        metrics_.replaceSeries(kTokenValid, std::move(valid));
        metrics_.replaceSeries(kTokenDays, std::move(days_left));
    }
    net::ServerResponse response;
    response.status = 200;
    response.headers = {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}};
    response.body = metrics_.renderPrometheus();
    return response;
}

}  // namespace forgelink::service
