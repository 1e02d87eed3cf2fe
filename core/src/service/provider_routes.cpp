// A team's provider settings (the forge token Forgelink acts with) and browsing the forge with it.
#include <forgelink/abi.h>

#include "common/listing_bounds.hpp"
#include "common/strings.hpp"
#include "service/api_error.hpp"
#include "service/api_service.hpp"
#include "service/audit.hpp"
#include "service/json_input.hpp"
#include "service/token_health.hpp"
#include "service/validation.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

// Only the listed query parameters are understood; anything else is a typo worth reporting.
void allowOnlyParams(const net::ServerRequest& request, std::initializer_list<std::string_view> known) {
    for (const auto& [name, value] : request.query) {
        bool found = false;
        for (auto k : known) found = found || k == name;
        if (!found) {
            std::string list;
            for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
            throw badRequest("unknown_parameter", "unknown query parameter '" + name + "'; expected only: " + list);
        }
    }
}

std::string paramOr(const net::ServerRequest& request, const std::string& name, std::string fallback = {}) {
    const std::string* value = request.param(name);
    return value == nullptr ? fallback : *value;
}

void checkProviderName(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 64;
    for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
    if (!ok) throw notFound("no provider '" + name + "'");
}

// The REST API's listing cursor, "fl1.PAGES.ITEMS.PROVIDER_CURSOR": the provider's own cursor and
// how far the listing has gone, so forge.max_listing_pages / max_listing_items hold across requests
// (the console and `forgelink admin ... --all` follow next_cursor until it is null).
struct ListingCursor {
    std::size_t pages = 0;
    std::size_t items = 0;
    std::string provider;
};

ListingCursor readListingCursor(const std::string& text) {
    ListingCursor cursor;
    if (text.empty()) return cursor;
    auto refuse = [] {
        return badRequest("bad_cursor", "query parameter 'cursor' is not a cursor this listing issued (its next_cursor); "
                                        "start the listing again without it");
    };
    if (text.rfind("fl1.", 0) != 0) throw refuse();
    std::size_t at = 4;
    for (std::size_t* field : {&cursor.pages, &cursor.items}) {
        const auto dot = text.find('.', at);
        if (dot == std::string::npos || dot == at || dot - at > 12) throw refuse();
        std::size_t value = 0;
        for (std::size_t i = at; i < dot; ++i) {
            if (text[i] < '0' || text[i] > '9') throw refuse();
            value = value * 10 + static_cast<std::size_t>(text[i] - '0');
        }
        *field = value;
        at = dot + 1;
    }
    cursor.provider = text.substr(at);
    if (cursor.provider.empty()) throw refuse();
    return cursor;
}

nlohmann::json nextListingCursor(const common::ListingCounter& counter, const std::string& provider_cursor) {
    if (provider_cursor.empty()) return nullptr;
    return "fl1." + std::to_string(counter.pages()) + "." + std::to_string(counter.items()) + "." + provider_cursor;
}

}  // namespace

common::ListingBounds ApiService::listingBounds() const noexcept {
    common::ListingBounds bounds;
    bounds.max_pages = config_.forge.max_listing_pages;
    bounds.max_items = config_.forge.max_listing_items;
    return bounds;
}

nlohmann::json ApiService::providerSettingsView(const store::ProviderSettings& s) {
    const auto now = options_.clock();
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& w : currentWarnings(s.warnings, s.expires_at, now))
        warnings.push_back({{"code", w.code}, {"message", w.message}});
    nlohmann::json view = {
        {"provider", s.provider},
        {"base_url", s.base_url},
        {"instance", s.instance},
        {"kind", std::string(toString(s.kind))},
        {"identity", identityView(s.identity)},
        {"scopes", s.scopes},
        {"expires_at", s.expires_at ? nlohmann::json(*s.expires_at) : nlohmann::json(nullptr)},
        {"days_left", nullptr},
        {"warnings", warnings},
        {"status", std::string(store::toString(s.status))},
        {"invalid_reason", s.status == store::ProviderStatus::invalid ? nlohmann::json(s.invalid_reason)
                                                                      : nlohmann::json(nullptr)},
        {"token_last4", s.token_last4},
        {"updated_at", isoTime(s.updated_at)},
        {"checked_at", s.checked_at ? nlohmann::json(isoTime(*s.checked_at)) : nlohmann::json(nullptr)},
        {"next_check_at", isoTime(s.next_check_at)},
        {"role", s.role ? nlohmann::json(std::string(toString(*s.role))) : nlohmann::json(nullptr)},
        {"role_label", s.role_label},
        {"bound_to", s.bound_to ? nlohmann::json{{"kind", s.bound_to->kind}, {"id", s.bound_to->id},
                                                 {"full_path", s.bound_to->full_path}}
                                : nlohmann::json(nullptr)},
    };
    if (s.expires_at)
        if (auto days = daysUntil(*s.expires_at, now)) view["days_left"] = *days;
    auto pause = store_.feedbackPause(s.team_id, s.provider);
    view["feedback_paused"] = pause.ok() && pause.value() ? nlohmann::json(*pause.value()) : nlohmann::json(nullptr);
    view["health"] = providerHealth(s, view["feedback_paused"]);
    return view;
}

nlohmann::json ApiService::tokenFix(const std::string& provider, const std::string& base_url, const std::string& message,
                                    const std::vector<std::string>& scopes) {
    std::string url;
    const auto* info = registry_.info(provider);
    if (Provider* p = registry_.provider(provider); p != nullptr && info != nullptr && (info->capabilities & FORGELINK_CAP_WEB_LINKS))
        url = p->tokenPageUrl(base_url, scopes);
    return {{"message", message}, {"url", url.empty() ? nlohmann::json(nullptr) : nlohmann::json(url)}};
}

nlohmann::json ApiService::providerHealth(const store::ProviderSettings& s, const nlohmann::json& paused) {
    std::optional<int> days;
    if (s.expires_at) days = daysUntil(*s.expires_at, options_.clock());
    const std::string put = "PUT /api/v1/teams/{team}/providers/" + s.provider;
    auto health = [&](const char* state, const std::string& reason, nlohmann::json fix) {
        return nlohmann::json{{"state", state},
                              {"reason", reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(reason)},
                              {"days_left", days ? nlohmann::json(*days) : nlohmann::json(nullptr)},
                              {"fix", std::move(fix)}};
    };
    if (s.status == store::ProviderStatus::invalid)
        return health("invalid", "the forge no longer accepts the token: " + s.invalid_reason,
                      tokenFix(s.provider, s.base_url, "create a new token and save it in the team's settings; deliveries resume then"));
    if (days && *days < 0)
        return health("invalid", "the token expired on " + *s.expires_at,
                      tokenFix(s.provider, s.base_url, "create a new token and save it in the team's settings"));
    if (!paused.is_null())
        return health("invalid", "feedback is paused: " + paused.get<std::string>(),
                      tokenFix(s.provider, s.base_url, "save a working token in the team's settings; deliveries resume then"));
    if (days && *days <= kExpiringDays)
        return health("expiring",
                      "the token expires on " + *s.expires_at + (*days == 0 ? " (today)" : " (in " + std::to_string(*days) + (*days == 1 ? " day)" : " days)")),
                      tokenFix(s.provider, s.base_url, "create a new token before then and save it in the team's settings"));
    return health("valid", "", nullptr);
}

net::ServerResponse ApiService::listProviderSettings(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : orThrow(store_.listProviderSettings(team.id))) items.push_back(providerSettingsView(s));
    return jsonResponse(200, {{"items", items}});
}

net::ServerResponse ApiService::putProviderSettings(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto& name = call.param("provider");
    checkProviderName(name);
    auto& provider = providerFor(name, FORGELINK_CAP_TOKEN_VALIDATION, "token validation");

    const auto json = parseJsonBody(call.request);
    ObjectReader body(json);
    body.allowOnly({"token", "base_url"});
    Credentials credentials;
    credentials.token = body.requiredString("token");
    // Checked before any plugin sees it: a CR/LF would inject headers into every forge request,
    // a NUL or ESC only failed later as a misleading 502. The value is never echoed.
    if (!common::isValidToken(credentials.token))
        throw badRequest("invalid_value", "field 'token' must be 1 to " + std::to_string(common::kMaxTokenLength) +
                                              " printable ASCII characters (no spaces, control characters or "
                                              "non-ASCII); forge tokens are like that");
    if (auto base_url = body.optionalString("base_url")) {
        credentials.base_url = *base_url;
    } else if (auto it = config_.providers.find(name); it != config_.providers.end()) {
        credentials.base_url = it->second.base_url;
    }
    if (credentials.base_url.empty())
        throw badRequest("missing_field", "field 'base_url' is required: the configuration sets no providers." + name +
                                              ".base_url");
    checkHttpUrl("base_url", credentials.base_url);

    auto info = provider.validateToken(credentials);
    if (!info.ok()) {
        auto refusal = fromProviderError(info.error());
        const auto kind = info.error().kind;
        if (kind == ErrorKind::unauthorized || kind == ErrorKind::forbidden || kind == ErrorKind::missing_scope) {
            // Each cause with its fix: where to make a token that would pass.
            nlohmann::json details = refusal.details().is_null() ? nlohmann::json::object() : refusal.details();
            const std::string what = kind == ErrorKind::missing_scope ? "create a token with the missing scopes"
                                     : kind == ErrorKind::forbidden   ? "create a token whose user has a high enough role"
                                                                      : "create a new token";
            details["fix"] = tokenFix(name, credentials.base_url, what + " and save it here", info.error().missing_scopes);
            throw ApiError(refusal.status(), refusal.code(), refusal.message(), details);
        }
        throw refusal;
    }

    auto input = settingsFromCheck(info.value());
    input.team_id = team.id;
    input.provider = name;
    input.base_url = credentials.base_url;
    input.token = credentials.token;
    input.next_check_at = nextCheckAt(options_.clock(), std::chrono::hours(config_.tokens.check_every_hours));
    auto before = store_.providerSettings(team.id, name);
    if (!before.ok() && before.error().kind != ErrorKind::not_found) throw fromStoreError(before.error());
    auto saved = orThrow(store_.saveProviderSettings(input));
    {
        nlohmann::json details = {{"base_url", saved.base_url},
                                  {"token_last4", saved.token_last4},
                                  {"kind", std::string(toString(saved.kind))},
                                  {"identity", saved.identity.username}};
        if (before.ok()) details["previous_token_last4"] = before.value().token_last4;
        audit(call, team.id, before.ok() ? audit_action::provider_token_replaced : audit_action::provider_token_saved,
              name, std::move(details));
    }
    auto resumed = orThrow(store_.resumeTasksForTeam(team.id, name, store::nowTimestamp()));
    log_.log(LogLevel::info, "provider token saved",
             {{"team", team.slug}, {"provider", name}, {"resumed_tasks", std::to_string(resumed)}});

    auto view = providerSettingsView(saved);
    view["resumed_deliveries"] = resumed;
    return jsonResponse(200, {{"settings", view}});
}

net::ServerResponse ApiService::showProviderSettings(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto& name = call.param("provider");
    checkProviderName(name);
    auto settings = store_.providerSettings(team.id, name);
    if (!settings.ok()) {
        if (settings.error().kind == ErrorKind::not_found) {
            providerFor(name, 0, "");  // an unknown provider says so, with the loaded ones
            throw notFound("team '" + team.slug + "' has no settings for provider '" + name + "'");
        }
        throw fromStoreError(settings.error());
    }
    return jsonResponse(200, {{"settings", providerSettingsView(settings.value())}});
}

net::ServerResponse ApiService::deleteProviderSettings(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto& name = call.param("provider");
    checkProviderName(name);
    auto done = store_.deleteProviderSettings(team.id, name);
    if (!done.ok()) {
        if (done.error().kind == ErrorKind::not_found)
            throw notFound("team '" + team.slug + "' has no settings for provider '" + name + "'");
        throw fromStoreError(done.error());
    }
    audit(call, team.id, audit_action::provider_token_removed, name);
    // Disconnected: no token left whose expiry or validity a gauge could report.
    metrics_.removeSeries({{"team", team.slug}, {"provider", name}});
    return noContent();
}

net::ServerResponse ApiService::browseNamespaces(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto& name = call.param("provider");
    checkProviderName(name);
    allowOnlyParams(call.request, {"search", "cursor"});
    auto& provider = providerFor(name, FORGELINK_CAP_REPOSITORIES, "browsing repositories");
    const auto credentials = credentialsFor(team, name);
    NamespaceQuery query;
    query.search = paramOr(call.request, "search");
    const auto cursor = readListingCursor(paramOr(call.request, "cursor"));
    common::ListingCounter counter(listingBounds(), "the namespace listing of provider " + name,
                                   "query parameter search", cursor.pages, cursor.items);
    if (auto too_long = counter.beforePage()) throw fromProviderError(*too_long);
    auto page = provider.listNamespaces(credentials, query, cursor.provider);
    if (!page.ok()) {
        noteProviderError(team, name, page.error());
        throw fromProviderError(page.error());
    }
    if (auto too_long = counter.afterPage(page->items.size())) throw fromProviderError(*too_long);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& ns : page->items) items.push_back(namespaceView(ns));
    return jsonResponse(200, {{"items", items},
                              {"next_cursor", nextListingCursor(counter, page->next_cursor)},
                              {"total", page->total ? nlohmann::json(*page->total) : nlohmann::json(nullptr)}});
}

net::ServerResponse ApiService::browseRepositories(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto& name = call.param("provider");
    checkProviderName(name);
    allowOnlyParams(call.request, {"search", "namespace", "cursor", "min_role", "include_archived"});
    auto& provider = providerFor(name, FORGELINK_CAP_REPOSITORIES, "browsing repositories");
    RepositoryQuery query;
    query.search = paramOr(call.request, "search");
    query.namespace_path = paramOr(call.request, "namespace");
    query.concurrency = 1;  // browsing: one forge page per API page
    if (const auto* role = call.request.param("min_role")) {
        bool found = false;
        for (auto r : {Role::read, Role::triage, Role::write, Role::maintain, Role::admin})
            if (toString(r) == *role) query.min_role = r, found = true;
        if (!found)
            throw badRequest("invalid_value",
                             "query parameter 'min_role' must be one of read, triage, write, maintain, admin");
    }
    if (const auto* archived = call.request.param("include_archived")) {
        if (*archived != "true" && *archived != "false")
            throw badRequest("invalid_value", "query parameter 'include_archived' must be true or false");
        query.include_archived = *archived == "true";
    }
    const auto credentials = credentialsFor(team, name);
    const auto cursor = readListingCursor(paramOr(call.request, "cursor"));
    common::ListingCounter counter(listingBounds(), "the repository listing of provider " + name,
                                   "query parameters namespace or search", cursor.pages, cursor.items);
    if (auto too_long = counter.beforePage()) throw fromProviderError(*too_long);
    auto page = provider.listRepositories(credentials, query, cursor.provider);
    if (!page.ok()) {
        noteProviderError(team, name, page.error());
        throw fromProviderError(page.error());
    }
    if (auto too_long = counter.afterPage(page->items.size())) throw fromProviderError(*too_long);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& repository : page->items) items.push_back(repositoryView(repository));
    return jsonResponse(200, {{"items", items},
                              {"next_cursor", nextListingCursor(counter, page->next_cursor)},
                              {"total", page->total ? nlohmann::json(*page->total) : nlohmann::json(nullptr)}});
}

net::ServerResponse ApiService::repositoryPermissions(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto& name = call.param("provider");
    checkProviderName(name);
    allowOnlyParams(call.request, {});
    auto& provider = providerFor(name, FORGELINK_CAP_REPOSITORIES, "repository permission reports");
    const auto credentials = credentialsFor(team, name);
    auto permissions = provider.repositoryPermissions(credentials, call.param("repository"));
    if (!permissions.ok()) {
        noteProviderError(team, name, permissions.error());
        if (permissions.error().kind == ErrorKind::not_found)
            throw ApiError(404, permissions.error().code.empty() ? "not_found" : permissions.error().code,
                           permissions.error().message);
        throw fromProviderError(permissions.error());
    }
    auto permission = [](const Permission& p) { return nlohmann::json{{"allowed", p.allowed}, {"reason", p.reason}}; };
    return jsonResponse(200, {{"repository", repositoryView(permissions->repository)},
                              {"post_status", permission(permissions->post_status)},
                              {"comment", permission(permissions->comment)}});
}

}  // namespace forgelink::service
