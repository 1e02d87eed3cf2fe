// Logging in through a forge (OAuth authorization code with PKCE S256), sessions and logout.
#include <sodium.h>

#include <forgelink/abi.h>
#include <forgelink/support/url.hpp>

#include "secrets/digest.hpp"
#include "secrets/sodium_runtime.hpp"
#include "service/api_error.hpp"
#include "service/api_service.hpp"
#include "service/console_assets.hpp"
#include "service/login_page.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

std::string base64(const unsigned char* data, std::size_t size, int variant) {
    std::string out(sodium_base64_ENCODED_LEN(size, variant), '\0');
    sodium_bin2base64(out.data(), out.size(), data, size, variant);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::string base64Url(const unsigned char* data, std::size_t size) {
    return base64(data, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

// The sign-in-failed page's look: the console's palette (web/src/styles.css), inline so the page
// needs nothing else the host serves, allowed by its hash in the page's own CSP (no
// 'unsafe-inline'; the page runs no script at all).
constexpr std::string_view kLoginPageStyle =
    "body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;"
    "background:#f6f8fa;color:#1f2328;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
    "main{max-width:34rem;margin:1.5rem;padding:1.75rem 2rem;background:#fff;border:1px solid #d8dee4;"
    "border-radius:8px;box-shadow:0 1px 3px rgba(31,35,40,.08)}"
    ".brand{margin:0 0 1rem;font-weight:600;color:#2f54eb;letter-spacing:.01em}"
    "h1{margin:0 0 .75rem;font-size:1.35rem}"
    ".why{margin:0 0 1rem;padding:.75rem 1rem;border-radius:8px;background:#fdecea;color:#b3261e}"
    ".code{margin:0 0 1.25rem;color:#59636e;font-size:.9rem}"
    "code{font:.85rem ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef2ff;padding:.1rem .3rem;border-radius:4px}"
    "a.button{display:inline-block;padding:.5rem 1rem;border-radius:8px;background:#2f54eb;color:#fff;"
    "text-decoration:none;font-weight:600}a.button:hover,a.button:focus{background:#1d39c4}";

const std::string& loginPageCsp() {
    static const std::string csp = [] {
        secrets::ensureSodium();
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(kLoginPageStyle.data()), kLoginPageStyle.size());
        return "default-src 'none'; style-src 'sha256-" + base64(digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL) +
               "'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }();
    return csp;
}

// RFC 7636: a 43-character verifier from 32 random bytes; the challenge is BASE64URL(SHA256(verifier)).
std::string newVerifier() {
    secrets::ensureSodium();
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    auto verifier = base64Url(bytes, sizeof bytes);
    sodium_memzero(bytes, sizeof bytes);
    return verifier;
}

std::string challengeFor(const std::string& verifier) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size());
    return base64Url(digest, sizeof digest);
}

// "https://host:8443/forge/" -> "host:8443/forge": the instance key users are stored under, the
// authority and path as configured (not lower-cased: keys already stored must still match). The
// configuration has checked base_url (absolute, no query or fragment).
std::string instanceOf(const std::string& base_url) {
    const support::UrlParts parts = support::splitUrl(base_url);
    std::string key = std::string(parts.authority) + std::string(parts.path);
    while (!key.empty() && key.back() == '/') key.pop_back();
    return key;
}

// Only paths on this host: an open redirect would let anyone bounce a fresh session elsewhere.
bool isLocalPath(const std::string& path) {
    if (path.empty() || path.front() != '/' || path.size() > 1024) return false;
    if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) return false;
    for (unsigned char c : path)
        if (c < 0x21 || c == 0x7f || c == '\\') return false;
    return true;
}

net::ServerResponse redirectTo(const std::string& location) {
    net::ServerResponse response;
    response.status = 302;
    response.headers = {{"Location", location}, {"Cache-Control", "no-store"}};
    return response;
}

std::string cookie(const std::string& value, bool secure, long max_age, const char* name = ApiService::kSessionCookie) {
    std::string text = std::string(name) + "=" + value + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age);
    if (secure) text += "; Secure";
    return text;
}

bool isLoginNonce(const std::string& text) {
    if (text.size() != 64) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string htmlEscape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace

const config::OAuthConfig& ApiService::oauthFor(const std::string& provider) const {
    auto it = config_.providers.find(provider);
    if (it == config_.providers.end() || !it->second.oauth || it->second.base_url.empty())
        throw notFound("login through '" + provider + "' is not configured (providers." + provider +
                       ".oauth and base_url)");
    return *it->second.oauth;
}

net::ServerResponse ApiService::startLogin(Call& call) {
    const auto& name = call.param("provider");
    const auto& oauth = oauthFor(name);
    auto& provider = providerFor(name, FORGELINK_CAP_OAUTH_LOGIN, "OAuth login");
    // ?link=1: a signed-in person adds this forge's account to their user instead of signing in.
    std::int64_t link_user_id = 0;
    if (const auto* link = call.request.param("link")) {
        if (*link != "1" && *link != "true")
            throw badRequest("invalid_value", "query parameter 'link' must be 1 (or left out)");
        auto who = authenticate(call.request);
        if (!who || who->session_token.empty())
            throw ApiError(401, "unauthorized",
                           "linking a " + name + " account needs you signed in (the forgelink_session cookie): sign in "
                           "first, then link it from your account page");
        link_user_id = who->user_id;
    }
    std::string redirect = "/";
    if (const auto* wanted = call.request.param("redirect")) {
        if (!isLocalPath(*wanted))
            throw badRequest("invalid_value", "query parameter 'redirect' must be a path on this host, like /teams");
        redirect = *wanted;
    }
    // One nonce per browser, reused while it lives, so two logins started in two tabs both work.
    std::string nonce = cookieValue(call.request, kLoginCookie).value_or("");
    if (!isLoginNonce(nonce)) nonce = secrets::randomHex(32);
    store::OAuthState state;
    state.browser_binding = secrets::sha256Hex(nonce);
    state.link_user_id = link_user_id;
    state.state = secrets::randomHex(24);
    state.provider = name;
    state.code_verifier = newVerifier();
    state.redirect = redirect;
    state.expires_at = store::nowTimestamp() + std::chrono::duration_cast<std::chrono::milliseconds>(options_.login_ttl);
    orThrow(store_.saveOAuthState(state));

    AuthorizeRequest request;
    request.client = {oauth.client_id, oauth.client_secret, oauth.redirect_uri};
    request.state = state.state;
    request.code_challenge = challengeFor(state.code_verifier);
    auto url = provider.authorizeUrl(config_.providers.at(name).base_url, request);
    if (!url.ok()) throw fromProviderError(url.error());
    auto response = redirectTo(url.value());
    const bool secure = oauth.redirect_uri.rfind("https://", 0) == 0;
    response.headers.emplace_back(
        "Set-Cookie", cookie(nonce, secure, static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(options_.login_ttl).count()),
                             kLoginCookie));
    return response;
}

net::ServerResponse ApiService::finishLogin(Call& call) {
    try {
        return completeLogin(call);
    } catch (const ApiError& e) {
        // A browser lands here from the forge: it gets a page a person can read, with a way on.
        if (auto page = loginErrorPage(call.request, e)) return std::move(*page);
        throw;
    }
}

std::optional<net::ServerResponse> loginErrorPage(const net::ServerRequest& request, const ApiError& e) {
    const std::string* accept = request.header("Accept");
    if (accept == nullptr || accept->find("text/html") == std::string::npos) return std::nullopt;
    net::ServerResponse response;
    response.status = e.status();
    response.headers = {{"Content-Type", "text/html; charset=utf-8"}, {"Cache-Control", "no-store"}};
    response.body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>Forgelink: sign-in failed</title><style>" +
                    std::string(kLoginPageStyle) +
                    "</style></head>\n<body><main>\n<p class=\"brand\">Forgelink</p>\n<h1>Sign-in failed</h1>\n"
                    "<p class=\"why\" role=\"alert\">" +
                    htmlEscape(e.message()) + "</p>\n<p class=\"code\">Error code: <code>" + htmlEscape(e.code()) +
                    "</code></p>\n<p><a class=\"button\" href=\"/\">Back to Forgelink</a></p>\n</main></body></html>\n";
    response.headers.emplace_back("Content-Security-Policy", loginPageCsp());
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "same-origin");
    addRetryAfter(response, e);
    return response;
}

net::ServerResponse ApiService::completeLogin(Call& call) {
    const auto& name = call.param("provider");
    const auto& oauth = oauthFor(name);
    auto& provider = providerFor(name, FORGELINK_CAP_OAUTH_LOGIN, "OAuth login");
    if (const auto* error = call.request.param("error")) {
        // The forge's error code is a fixed word ("access_denied"); its description is not echoed.
        std::string code;
        for (char c : error->substr(0, 64)) code += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
        throw ApiError(400, "login_refused", "the forge did not authorise the login: " + code);
    }
    const auto* code = call.request.param("code");
    const auto* state_text = call.request.param("state");
    if (code == nullptr || code->empty() || state_text == nullptr || state_text->empty())
        throw badRequest("missing_parameter", "the login callback needs the query parameters 'code' and 'state'");

    auto state = store_.consumeOAuthState(*state_text, store::nowTimestamp());
    if (!state.ok()) {
        if (state.error().kind == ErrorKind::not_found)
            throw badRequest("login_expired", "this login is unknown, expired or already used: start again at /auth/" +
                                                  name + "/login");
        throw fromStoreError(state.error());
    }
    if (state.value().provider != name)
        throw badRequest("login_expired", "this login was started for another provider: start again");
    // Login CSRF: only the browser that started this login may finish it. Without the check,
    // anyone could send a victim to a callback URL carrying the sender's own code and sign the
    // victim in as the sender. The state is spent either way.
    const auto nonce = cookieValue(call.request, kLoginCookie);
    if (!nonce)
        throw badRequest("login_cookie_missing",
                         "this browser did not start this login (its forgelink_login cookie is missing: cookies "
                         "blocked, or the link came from elsewhere); start again at /auth/" + name + "/login");
    const std::string binding = secrets::sha256Hex(*nonce);
    const std::string& expected = state.value().browser_binding;
    if (expected.size() != binding.size() || sodium_memcmp(expected.data(), binding.data(), binding.size()) != 0)
        throw badRequest("login_cookie_mismatch",
                         "this login was started in another browser (or before an upgrade); start again at /auth/" +
                             name + "/login");

    const std::string& base_url = config_.providers.at(name).base_url;
    OAuthClient client{oauth.client_id, oauth.client_secret, oauth.redirect_uri};
    auto tokens = provider.exchangeCode(base_url, client, *code, state.value().code_verifier);
    if (!tokens.ok()) throw fromProviderError(tokens.error());
    auto identity = provider.currentUser(Credentials{base_url, tokens->access_token});
    if (!identity.ok()) throw fromProviderError(identity.error());

    store::UserProfile profile{name, instanceOf(base_url), identity->id, identity->username, identity->name};
    if (state.value().link_user_id > 0) return finishLinking(call, state.value(), profile, tokens.value());
    auto user = orThrow(store_.upsertUser(profile));
    saveLoginTokens(user.id, name, tokens.value());

    const std::string session = secrets::randomHex(32);
    const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl);
    orThrow(store_.createSession(session, user.id, store::nowTimestamp() + ttl));
    log_.log(LogLevel::info, "login", {{"provider", name}, {"user_id", std::to_string(user.id)}});

    const bool secure = oauth.redirect_uri.rfind("https://", 0) == 0;
    auto response = redirectTo(state.value().redirect.empty() ? "/" : state.value().redirect);
    response.headers.emplace_back("Set-Cookie",
                                  cookie(session, secure, static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(ttl).count())));
    return response;
}

void ApiService::saveLoginTokens(std::int64_t user_id, const std::string& provider, const OAuthTokens& tokens) {
    store::UserTokens user_tokens;
    user_tokens.user_id = user_id;
    user_tokens.provider = provider;
    user_tokens.access_token = tokens.access_token;
    user_tokens.refresh_token = tokens.refresh_token;
    if (tokens.expires_at) user_tokens.expires_at = store::fromUnixMillis(*tokens.expires_at * 1000);
    user_tokens.updated_at = store::nowTimestamp();
    orThrow(store_.saveUserTokens(user_tokens));
}

net::ServerResponse ApiService::finishLinking(Call& call, const store::OAuthState& state, const store::UserProfile& profile,
                                              const OAuthTokens& tokens) {
    // Still the same person in this browser: a session that ended (or changed hands) in between
    // must not receive the account.
    auto who = authenticate(call.request);
    if (!who || who->session_token.empty() || who->user_id != state.link_user_id)
        throw badRequest("link_session_changed",
                         "you are no longer signed in as the user who started linking this " + profile.provider +
                             " account; sign in and link it again");
    auto linked = store_.linkIdentity(state.link_user_id, profile);
    if (!linked.ok()) {
        const auto& error = linked.error();
        if (error.kind == ErrorKind::conflict && (error.code == "identity_taken" || error.code == "provider_linked"))
            throw ApiError(409, error.code, error.message);
        throw fromStoreError(error);
    }
    saveLoginTokens(state.link_user_id, profile.provider, tokens);
    log_.log(LogLevel::info, "identity linked",
             {{"provider", profile.provider}, {"user_id", std::to_string(state.link_user_id)}});
    return redirectTo(state.redirect.empty() ? "/" : state.redirect);
}

net::ServerResponse ApiService::unlinkIdentity(Call& call) {
    if (call.principal->admin)
        throw badRequest("not_a_person", "an admin token has no forge accounts; sign in as a person to manage yours");
    const auto& provider = call.param("provider");
    auto done = store_.unlinkIdentity(call.principal->user_id, provider);
    if (!done.ok()) {
        const auto& error = done.error();
        if (error.kind == ErrorKind::conflict && error.code == "last_identity") throw ApiError(409, error.code, error.message);
        if (error.kind == ErrorKind::not_found) throw notFound("no " + provider + " account is linked to you");
        throw fromStoreError(error);
    }
    log_.log(LogLevel::info, "identity unlinked", {{"provider", provider}, {"user_id", std::to_string(call.principal->user_id)}});
    return noContent();
}

net::ServerResponse ApiService::logout(Call& call) {
    // Ending someone's live session is a state change like any other: a page elsewhere must not
    // be able to sign people out. A dead or absent cookie has nothing to protect.
    if (auto who = authenticate(call.request); who && !who->session_token.empty()) checkCsrf(call.request, *who);
    if (auto token = sessionToken(call.request)) {
        auto done = store_.deleteSession(*token);
        if (!done.ok() && done.error().kind != ErrorKind::not_found) throw fromStoreError(done.error());
    }
    bool secure = false;
    for (const auto& [name, provider] : config_.providers)
        secure = secure || (provider.oauth && provider.oauth->redirect_uri.rfind("https://", 0) == 0);
    auto response = noContent();
    response.headers.emplace_back("Set-Cookie", cookie("", secure, 0));
    return response;
}

net::ServerResponse ApiService::currentSession(Call& call) {
    if (call.principal->admin)
        return jsonResponse(200, {{"admin", true},
                                  {"user", nullptr},
                                  {"teams", nlohmann::json::array()},
                                  {"can_create_teams", true}});
    auto user = orThrow(store_.user(call.principal->user_id));
    nlohmann::json identities = nlohmann::json::array();
    for (const auto& identity : orThrow(store_.userIdentities(user.id))) {
        const auto* info = registry_.info(identity.provider);
        identities.push_back({{"provider", identity.provider},
                              {"display_name", info != nullptr ? info->display_name : identity.provider},
                              {"instance", identity.instance},
                              {"username", identity.username},
                              {"name", identity.name},
                              {"linked_at", isoTime(identity.linked_at)}});
    }
    nlohmann::json teams = nlohmann::json::array();
    for (const auto& team : orThrow(store_.listTeamsOfUser(user.id))) {
        auto view = teamView(team);
        if (auto member = store_.teamMember(team.id, user.id); member.ok())
            view["role"] = std::string(store::toString(member.value().role));
        teams.push_back(view);
    }
    return jsonResponse(200, {{"admin", false},
                              {"user",
                               {{"id", user.id},
                                {"provider", user.provider},
                                {"instance", user.instance},
                                {"username", user.username},
                                {"name", user.name},
                               {"identities", identities}}},
                              {"teams", teams},
                              {"can_create_teams", mayCreateTeams(*call.principal)},
                              {"csrf_token", csrfTokenFor(call.principal->session_token)}});
}

net::ServerResponse ApiService::listProviders(Call&) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& info : registry_.plugins()) {
        auto configured = config_.providers.find(info.name);
        const bool has_config = configured != config_.providers.end();
        items.push_back({{"name", info.name},
                         {"display_name", info.display_name.empty() ? info.name : info.display_name},
                         {"capabilities", plugin::capabilityNames(info.capabilities)},
                         {"default_base_url", has_config && !configured->second.base_url.empty()
                                                  ? nlohmann::json(configured->second.base_url)
                                                  : nlohmann::json(nullptr)},
                         {"login", has_config && configured->second.oauth && !configured->second.base_url.empty() &&
                                       (info.capabilities & FORGELINK_CAP_OAUTH_LOGIN) != 0}});
    }
    return jsonResponse(200, {{"items", items}});
}

net::ServerResponse ApiService::loginProviders(Call&) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& [name, provider] : config_.providers) {
        if (!provider.oauth || provider.base_url.empty()) continue;
        const auto* info = registry_.info(name);
        if (info == nullptr || (info->capabilities & FORGELINK_CAP_OAUTH_LOGIN) == 0) continue;
        items.push_back({{"name", name},
                         {"display_name", info->display_name.empty() ? name : info->display_name},
                         {"login_url", "/auth/" + name + "/login"}});
    }
    return jsonResponse(200, {{"items", items}});
}

}  // namespace forgelink::service
