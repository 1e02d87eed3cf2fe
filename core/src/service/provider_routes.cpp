// A team's provider settings (the forge token Forgelink acts with) and browsing the forge with it.
#include <map>

#include <forgelink/abi.h>

#include "common/listing_bounds.hpp"
#include "common/strings.hpp"
#include "service/api_error.hpp"
#include "service/api_service.hpp"
#include "service/audit.hpp"
#include "service/credential_choice.hpp"
#include "service/json_input.hpp"
#include "service/token_health.hpp"
#include "service/token_rotation.hpp"
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

// The credential named in the path ('default' on the routes without one): 1 to 64 of a-z, 0-9,
// '-', '_', '.', starting with a letter or digit, so it reads well in a URL, a label and a log.
std::string credentialName(const PathParams& params) {
    auto it = params.find("credential");
    if (it == params.end()) return std::string(store::kDefaultCredential);
    const std::string& name = it->second;
    bool ok = !name.empty() && name.size() <= 64 && name[0] != '-' && name[0] != '_' && name[0] != '.';
    for (char c : name)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
    if (!ok)
        throw badRequest("invalid_value", "credential name '" + name +
                                              "' must be 1 to 64 of a-z, 0-9, '-', '_' and '.', starting with a letter "
                                              "or digit");
    return name;
}

// The 404 for a credential the team does not hold: named on the credential routes, else the
// provider's own (its 'default').
std::string noCredentialMessage(const store::Team& team, const std::string& provider, const PathParams& params) {
    if (params.count("credential"))
        return "team '" + team.slug + "' has no " + provider + " credential named '" + params.at("credential") + "'";
    return "team '" + team.slug + "' has no settings for provider '" + provider + "'";
}

bool forceParam(const net::ServerRequest& request) {
    const std::string* force = request.param("force");
    if (force == nullptr) return false;
    if (*force != "true" && *force != "false")
        throw badRequest("invalid_value", "query parameter 'force' must be true or false");
    return *force == "true";
}

nlohmann::json linkedRepositoryView(const store::ProjectWithLink& row) {
    return {{"project_id", row.project.id},
            {"project", row.project.slug},
            {"full_path", row.link->full_path},
            {"repository_id", row.link->repository_id}};
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
    // A token the host renews before it expires (an OAuth token lives two hours) is not "expiring".
    for (const auto& w : currentWarnings(s.warnings, renewedByRefresh(s) ? std::nullopt : s.expires_at, now))
        warnings.push_back({{"code", w.code}, {"message", w.message}});
    nlohmann::json view = {
        {"provider", s.provider},
        {"name", s.name},
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
    view["rotate"] = rotationView(s);
    // Saved with its refresh token (an OAuth token or an app's user token): the host renews it before
    // it expires. Saving the credential's token again without one ends that.
    view["refreshed_by_forgelink"] = renewedByRefresh(s);
    if (view["rotate"]["enabled"] == true && view["rotate"]["available"] == false)
        view["warnings"].push_back({{"code", "rotation_unavailable"},
                                    {"message", "rotation is enabled but cannot happen: " +
                                                    view["rotate"]["unavailable_reason"].get<std::string>()}});
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

bool ApiService::renewedByRefresh(const store::ProviderSettings& s) {
    auto refresh = store_.teamRefreshExpiry(s.team_id, s.provider, s.name);
    if (!refresh.ok() && refresh.error().kind != ErrorKind::not_found) throw fromStoreError(refresh.error());
    return refresh.ok();
}

nlohmann::json ApiService::providerHealth(const store::ProviderSettings& s, const nlohmann::json& paused) {
    std::optional<int> days;
    if (s.expires_at) days = daysUntil(*s.expires_at, options_.clock());
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
    // Renewed before it expires: its expiry is no reason to act (a refused renewal marks it invalid).
    if (days && *days <= kExpiringDays && !renewedByRefresh(s))
        return health("expiring",
                      "the token expires on " + *s.expires_at + (*days == 0 ? " (today)" : " (in " + std::to_string(*days) + (*days == 1 ? " day)" : " days)")),
                      tokenFix(s.provider, s.base_url, "create a new token before then and save it in the team's settings"));
    return health("valid", "", nullptr);
}

nlohmann::json ApiService::rotationView(const store::ProviderSettings& s) {
    const auto stored = store_.providerRotation(s.team_id, s.provider, s.name);
    const store::ProviderRotation r = stored ? stored.value() : store::ProviderRotation{};
    auto time = [](const std::optional<store::Timestamp>& at) {
        return at ? nlohmann::json(isoTime(*at)) : nlohmann::json(nullptr);
    };
    nlohmann::json view = {
        {"enabled", r.settings.enabled},
        {"days_before_expiry", r.settings.days_before_expiry},
        {"new_lifetime_days", r.settings.new_lifetime_days},
        // Unknown until the forge was asked (rotation enabled, or a rotation tried).
        {"available", r.availability_checked_at ? nlohmann::json(r.unavailable_reason.empty()) : nlohmann::json(nullptr)},
        {"unavailable_reason", r.unavailable_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.unavailable_reason)},
        {"state", std::string(store::toString(r.state))},
        {"due_on", nullptr},
        {"last_rotated_at", time(r.last_rotated_at)},
        {"last_failed_at", time(r.last_failed_at)},
        {"last_error", r.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.last_error)},
    };
    if (r.settings.enabled && s.expires_at) {
        const auto now = options_.clock();
        if (auto days = daysUntil(*s.expires_at, now))
            view["due_on"] = dateOf(now + std::chrono::days(*days - r.settings.days_before_expiry));
    }
    return view;
}

store::RotationSettings ApiService::readRotationSettings(const nlohmann::json& rotate, const store::RotationSettings& base) {
    ObjectReader reader(rotate, "rotate");
    reader.allowOnly({"enabled", "days_before_expiry", "new_lifetime_days"});
    store::RotationSettings settings = base;
    if (auto enabled = reader.optionalBool("enabled")) settings.enabled = *enabled;
    auto days = [&](const char* field, int& into) {
        if (auto value = reader.optionalInteger(field)) {
            if (*value < 1 || *value > 365)
                throw ApiError(400, "out_of_range",
                               "field '" + reader.path(field) + "' must be from 1 to 365 (days), got " + std::to_string(*value),
                               {{"field", reader.path(field)}});
            into = static_cast<int>(*value);
        }
    };
    days("days_before_expiry", settings.days_before_expiry);
    days("new_lifetime_days", settings.new_lifetime_days);
    if (settings.days_before_expiry >= settings.new_lifetime_days)
        throw ApiError(400, "invalid_value",
                       "field 'rotate.days_before_expiry' (" + std::to_string(settings.days_before_expiry) +
                           ") must be less than 'rotate.new_lifetime_days' (" + std::to_string(settings.new_lifetime_days) +
                           "): a new token would be due for rotation at once",
                       {{"field", "rotate.days_before_expiry"}});
    return settings;
}

void ApiService::saveRotation(const Call& call, const store::Team& team, const std::string& provider,
                              const store::RotationSettings& settings, const Credentials& credentials,
                              const store::ProviderSettings& saved) {
    std::optional<std::string> reason = std::string();  // "" = it can rotate; none = not known
    if (settings.enabled) {
        // Said now, on save: where the forge or the token cannot rotate, the setting stays (it is
        // what the team wants) and the view says why nothing will happen, next to the expiry warning.
        auto unavailable = rotator_.unavailableReason(provider, credentials, saved);
        if (unavailable)
            reason = unavailable.value();
        else if (unavailable.error().kind == ErrorKind::transient || unavailable.error().kind == ErrorKind::rate_limited)
            reason.reset();  // the forge did not answer: the rotation itself finds out when it is due
        else
            reason = unavailable.error().message;
    } else {
        reason.reset();
    }
    const auto before = store_.providerRotation(team.id, provider, saved.name);
    orThrow(store_.saveRotationSettings(team.id, provider, saved.name, settings, reason));
    if (!before.ok() || before.value().settings != settings) {
        nlohmann::json details = {{"enabled", settings.enabled},
                                  {"days_before_expiry", settings.days_before_expiry},
                                  {"new_lifetime_days", settings.new_lifetime_days}};
        if (saved.name != store::kDefaultCredential) details["credential"] = saved.name;
        audit(call, team.id, audit_action::provider_rotation_set,
              saved.name == store::kDefaultCredential ? provider : provider + "/" + saved.name, std::move(details));
    }
    log_.log(LogLevel::info, "provider token rotation setting saved",
             {{"team", team.slug},
              {"provider", provider},
              {"credential", saved.name},
              {"enabled", settings.enabled ? "true" : "false"},
              {"days_before_expiry", std::to_string(settings.days_before_expiry)},
              {"new_lifetime_days", std::to_string(settings.new_lifetime_days)},
              {"unavailable_reason", reason.value_or("(not known)")}});
}

net::ServerResponse ApiService::patchProviderSettings(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto& name = call.param("provider");
    checkProviderName(name);
    const std::string credential = credentialName(call.params);
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"rotate"});
    if (!body.has("rotate")) throw badRequest("missing_field", "field 'rotate' is required (an object)");
    auto rotate = body.optionalObject("rotate");
    (void)rotate;
    auto settings = store_.providerSettings(team.id, name, credential);
    if (!settings.ok()) {
        if (settings.error().kind == ErrorKind::not_found) throw notFound(noCredentialMessage(team, name, call.params));
        throw fromStoreError(settings.error());
    }
    auto current = store_.providerRotation(team.id, name, credential);
    const auto base = current ? current->settings : store::RotationSettings{};
    const auto wanted = readRotationSettings(json["rotate"], base);
    saveRotation(call, team, name, wanted, credentialsFor(team, name, credential).credentials, settings.value());
    return jsonResponse(200,
                        {{"settings", providerSettingsView(orThrow(store_.providerSettings(team.id, name, credential)))}});
}

net::ServerResponse ApiService::rotateProviderToken(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto& name = call.param("provider");
    checkProviderName(name);
    const std::string credential = credentialName(call.params);
    if (!call.request.body.empty()) {
        const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
        ObjectReader(json).allowOnly({});
    }
    auto result = rotator_.rotateNow(team.id, name, credential, actorOf(call),
                                     clientAddress(call.request, config_.server.trusted_proxies));
    if (!result.ok()) {
        if (result.error().kind == ErrorKind::not_found) {
            providerFor(name, 0, "");
            throw notFound(noCredentialMessage(team, name, call.params));
        }
        if (result.error().kind == ErrorKind::conflict) throw ApiError(409, "rotation_in_progress", result.error().message);
        throw fromStoreError(result.error());
    }
    using O = RotationResult::Outcome;
    const auto& r = result.value();
    switch (r.outcome) {
        case O::rotated: {
            auto view = providerSettingsView(*r.settings);
            return jsonResponse(200, {{"settings", view}, {"rotation", {{"outcome", "rotated"}, {"message", r.message}}}});
        }
        case O::refused: throw unprocessable("rotation_refused", r.message);
        case O::unavailable: throw unprocessable("rotation_unavailable", r.message);
        case O::replaced: throw ApiError(409, "token_replaced", r.message);
        case O::lost: throw ApiError(502, "rotation_lost", r.message);
        case O::no_answer: throw ApiError(502, "forge_unavailable", r.message);
        case O::crashed: break;
    }
    throw ApiError(500, "internal", "the rotation stopped: " + r.message);
}

net::ServerResponse ApiService::listProviderSettings(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : orThrow(store_.listProviderSettings(team.id))) items.push_back(providerSettingsView(s));
    return jsonResponse(200, {{"items", items}});
}

void ApiService::checkRefreshToken(const std::string& provider, const std::string& base_url,
                                   const std::string& refresh_token) {
    if (!common::isValidToken(refresh_token))
        throw badRequest("invalid_value", "field 'refresh_token' must be 1 to " + std::to_string(common::kMaxTokenLength) +
                                              " printable ASCII characters (no spaces, control characters or non-ASCII)");
    // The forge accepts a refresh token only from the application it was issued to: the host's
    // OAuth app of this forge (the one people log in with), on that forge.
    const auto it = config_.providers.find(provider);
    if (it == config_.providers.end() || !it->second.oauth)
        throw badRequest("refresh_not_configured",
                         "field 'refresh_token' needs the host's OAuth app for " + provider + " (providers." + provider +
                             ".oauth in the configuration): Forgelink renews the token with it, and the token must "
                             "have been issued to that app");
    auto trimmed = [](std::string url) {
        while (!url.empty() && url.back() == '/') url.pop_back();
        return url;
    };
    if (trimmed(base_url) != trimmed(it->second.base_url))
        throw badRequest("refresh_not_configured",
                         "field 'refresh_token' works only on the forge of the host's OAuth app (providers." + provider +
                             ".base_url, " + it->second.base_url + "); this credential is at " + base_url);
}

net::ServerResponse ApiService::putProviderSettings(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto& name = call.param("provider");
    checkProviderName(name);
    const std::string credential = credentialName(call.params);
    auto& provider = providerFor(name, FORGELINK_CAP_TOKEN_VALIDATION, "token validation");

    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"token", "base_url", "refresh_token", "rotate"});
    // Read before the forge is asked, so a mistyped setting costs no forge call.
    auto current_rotation = store_.providerRotation(team.id, name, credential);
    std::optional<store::RotationSettings> rotation;
    if (body.has("rotate")) {
        (void)body.optionalObject("rotate");
        rotation = readRotationSettings(json["rotate"], current_rotation ? current_rotation->settings : store::RotationSettings{});
    } else if (current_rotation && current_rotation->settings.enabled) {
        rotation = current_rotation->settings;  // kept for the new token, and its ability checked again
    }
    Credentials credentials;
    credentials.token = body.requiredString("token");
    const auto refresh_token = body.optionalString("refresh_token");
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
    if (refresh_token) checkRefreshToken(name, credentials.base_url, *refresh_token);

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

    // OAuth tokens (kind oauth) and app user tokens (kind app) come with a refresh token.
    if (refresh_token && info->kind != TokenKind::oauth && info->kind != TokenKind::app)
        throw badRequest("invalid_value", "field 'refresh_token' goes with an OAuth token (kind oauth, or an app's "
                                          "user token, kind app); this token is of kind " +
                                              std::string(toString(info->kind)) + " and is not renewed by refreshing");
    auto input = settingsFromCheck(info.value());
    input.team_id = team.id;
    input.provider = name;
    input.name = credential;
    input.base_url = credentials.base_url;
    input.token = credentials.token;
    input.next_check_at = nextCheckAt(options_.clock(), std::chrono::hours(config_.tokens.check_every_hours));
    auto before = store_.providerSettings(team.id, name, credential);
    if (!before.ok() && before.error().kind != ErrorKind::not_found) throw fromStoreError(before.error());
    auto saved = orThrow(store_.saveProviderSettings(input));
    // The refresh token goes with this access token; a token saved without one is not renewed.
    if (refresh_token) {
        store::TeamTokenRefresh refresh;
        refresh.team_id = team.id;
        refresh.provider = name;
        refresh.name = credential;
        refresh.access_token = credentials.token;
        refresh.refresh_token = *refresh_token;  // expiry unknown: renewed at the next pass, which learns it
        orThrow(store_.saveTeamRefreshToken(refresh));
    } else {
        orThrow(store_.deleteTeamRefreshToken(team.id, name, credential));
    }
    {
        nlohmann::json details = {{"base_url", saved.base_url},
                                  {"token_last4", saved.token_last4},
                                  {"kind", std::string(toString(saved.kind))},
                                  {"identity", saved.identity.username}};
        if (before.ok()) details["previous_token_last4"] = before.value().token_last4;
        if (refresh_token) details["refreshed_by_forgelink"] = true;
        if (credential != store::kDefaultCredential) details["credential"] = credential;
        audit(call, team.id, before.ok() ? audit_action::provider_token_replaced : audit_action::provider_token_saved,
              credential == store::kDefaultCredential ? name : name + "/" + credential, std::move(details));
    }
    if (rotation) saveRotation(call, team, name, *rotation, credentials, saved);
    auto resumed = orThrow(store_.resumeTasksForTeam(team.id, name, store::nowTimestamp()));
    const auto now_serves = serveWithCredential(team, saved);
    log_.log(LogLevel::info, "provider token saved",
             {{"team", team.slug},
              {"provider", name},
              {"credential", credential},
              {"resumed_tasks", std::to_string(resumed)},
              {"now_serves", std::to_string(now_serves.size())}});

    auto view = providerSettingsView(saved);
    view["resumed_deliveries"] = resumed;
    view["now_serves"] = now_serves;
    return jsonResponse(200, {{"settings", view}});
}

nlohmann::json ApiService::serveWithCredential(const store::Team& team, const store::ProviderSettings& saved) {
    std::map<std::string, store::ProviderSettings> others;
    for (auto& s : orThrow(store_.listProviderSettings(team.id)))
        if (s.provider == saved.provider) others.emplace(s.name, std::move(s));
    nlohmann::json moved = nlohmann::json::array();
    for (const auto& row : orThrow(store_.listProjectsWithLinks(team.id))) {
        if (!row.link || row.link->provider != saved.provider || row.link->instance != saved.instance ||
            row.link->credential == saved.name)
            continue;
        const auto mine = rankCredential(saved, row.link->repository_id, row.link->full_path);
        const auto current = others.find(row.link->credential);
        const CredentialRank theirs = current == others.end()
                                          ? CredentialRank{}
                                          : rankCredential(current->second, row.link->repository_id, row.link->full_path);
        if (mine <= theirs) continue;
        orThrow(store_.setLinkCredential(row.project.id, saved.name));
        auto view = linkedRepositoryView(row);
        view["was"] = row.link->credential;
        moved.push_back(view);
    }
    return moved;
}

net::ServerResponse ApiService::showProviderSettings(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto& name = call.param("provider");
    checkProviderName(name);
    const std::string credential = credentialName(call.params);
    auto settings = store_.providerSettings(team.id, name, credential);
    if (!settings.ok()) {
        if (settings.error().kind == ErrorKind::not_found) {
            providerFor(name, 0, "");  // an unknown provider says so, with the loaded ones
            if (credential != store::kDefaultCredential)
                throw notFound("team '" + team.slug + "' has no " + name + " credential named '" + credential + "'");
            throw notFound("team '" + team.slug + "' has no settings for provider '" + name + "'");
        }
        throw fromStoreError(settings.error());
    }
    auto view = providerSettingsView(settings.value());
    if (call.params.count("credential")) {
        nlohmann::json serves = nlohmann::json::array();
        for (const auto& row : orThrow(store_.linksServedBy(team.id, name, credential)))
            serves.push_back(linkedRepositoryView(row));
        view["serves"] = serves;
    }
    return jsonResponse(200, {{"settings", view}});
}

net::ServerResponse ApiService::listCredentials(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto& name = call.param("provider");
    checkProviderName(name);
    providerFor(name, 0, "");
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : orThrow(store_.listProviderSettings(team.id))) {
        if (s.provider != name) continue;
        auto view = providerSettingsView(s);
        nlohmann::json serves = nlohmann::json::array();
        for (const auto& row : orThrow(store_.linksServedBy(team.id, name, s.name))) serves.push_back(linkedRepositoryView(row));
        view["serves"] = serves;
        items.push_back(view);
    }
    return jsonResponse(200, {{"items", items}});
}

// What removing a credential does to the repositories it serves: each goes to the most specific
// of the team's other credentials that covers it, or loses its feedback when none does.
ApiService::RemovalPlan ApiService::planRemoval(const store::Team& team, const std::string& provider,
                                                const std::string& credential) {
    std::vector<store::ProviderSettings> rest;
    for (auto& s : orThrow(store_.listProviderSettings(team.id)))
        if (s.provider == provider && s.name != credential) rest.push_back(std::move(s));
    RemovalPlan plan;
    plan.moved = nlohmann::json::array();
    plan.lost = nlohmann::json::array();
    for (const auto& row : orThrow(store_.linksServedBy(team.id, provider, credential))) {
        std::vector<store::ProviderSettings> candidates;
        for (const auto& s : rest)
            if (s.instance == row.link->instance) candidates.push_back(s);
        const auto ranked = rankCredentials(candidates, row.link->repository_id, row.link->full_path);
        auto view = linkedRepositoryView(row);
        if (ranked.empty()) {
            plan.lost.push_back(view);
        } else {
            view["credential"] = ranked.front().name;
            plan.moves.emplace_back(row.project.id, ranked.front().name);
            plan.moved.push_back(view);
        }
    }
    return plan;
}

void ApiService::applyRemoval(const store::Team& team, const std::string& provider, const std::string& credential,
                              const RemovalPlan& plan) {
    for (const auto& [project_id, next] : plan.moves) orThrow(store_.setLinkCredential(project_id, next));
    // No token left under that name whose expiry or validity a gauge could report.
    net::Labels labels{{"team", team.slug}, {"provider", provider}};
    if (credential != store::kDefaultCredential) labels.emplace("credential", credential);
    metrics_.removeSeries(labels);
}

net::ServerResponse ApiService::deleteProviderSettings(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto& name = call.param("provider");
    checkProviderName(name);
    const bool named = call.params.count("credential") > 0;
    const std::string credential = credentialName(call.params);
    allowOnlyParams(call.request, named ? std::initializer_list<std::string_view>{"force"}
                                        : std::initializer_list<std::string_view>{});
    const bool force = named && forceParam(call.request);
    auto exists = store_.providerSettings(team.id, name, credential);
    if (!exists.ok()) {
        if (exists.error().kind != ErrorKind::not_found) throw fromStoreError(exists.error());
        if (named) throw notFound("team '" + team.slug + "' has no " + name + " credential named '" + credential + "'");
        throw notFound("team '" + team.slug + "' has no settings for provider '" + name + "'");
    }
    const auto plan = planRemoval(team, name, credential);
    // The named route refuses to cut repositories off without ?force=true; the route without a
    // name removes 'default' as it always did (its callers expect nothing else).
    if (named && !plan.lost.empty() && !force) {
        std::string list;
        for (const auto& r : plan.lost)
            list += (list.empty() ? "" : ", ") + r["full_path"].get<std::string>() + " (project " +
                    r["project"].get<std::string>() + ")";
        throw ApiError(409, "credential_in_use",
                       "credential '" + credential + "' of team '" + team.slug + "' serves " +
                           std::to_string(plan.lost.size()) +
                           (plan.lost.size() == 1 ? " repository" : " repositories") +
                           " that no other credential can report to, which would lose feedback: " + list +
                           "; add a credential that reaches them first, or remove it anyway with ?force=true",
                       {{"lost_feedback", plan.lost}, {"moved", plan.moved}});
    }
    auto done = store_.deleteProviderSettings(team.id, name, credential);
    if (!done.ok()) {
        if (done.error().kind == ErrorKind::not_found)
            throw notFound("team '" + team.slug + "' has no " + name + " credential named '" + credential + "'");
        throw fromStoreError(done.error());
    }
    audit(call, team.id, audit_action::provider_token_removed,
          credential == store::kDefaultCredential ? name : name + "/" + credential);
    applyRemoval(team, name, credential, plan);
    log_.log(LogLevel::info, "provider token removed",
             {{"team", team.slug},
              {"provider", name},
              {"credential", credential},
              {"moved", std::to_string(plan.moved.size())},
              {"lost_feedback", std::to_string(plan.lost.size())}});
    if (!named) return noContent();
    return jsonResponse(200, {{"removed", {{"provider", name}, {"name", credential}}},
                              {"moved", plan.moved},
                              {"lost_feedback", plan.lost}});
}

template <class Fetch, class View>
net::ServerResponse ApiService::browsePage(Call& call, const store::Team& team, const std::string& provider,
                                           const store::NamedCredentials& used, const std::string& listing,
                                           const std::string& narrowing, Fetch&& fetch, View&& view) {
    const auto cursor = readListingCursor(paramOr(call.request, "cursor"));
    common::ListingCounter counter(listingBounds(), listing + provider, narrowing, cursor.pages, cursor.items);
    if (auto too_long = counter.beforePage()) throw fromProviderError(*too_long);
    auto page = fetch(cursor.provider);
    if (!page.ok()) {
        noteProviderError(team, provider, page.error(), used.name);
        throw fromProviderError(page.error());
    }
    if (auto too_long = counter.afterPage(page->items.size())) throw fromProviderError(*too_long);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& item : page->items) items.push_back(view(item));
    return jsonResponse(200, {{"items", items},
                              {"next_cursor", nextListingCursor(counter, page->next_cursor)},
                              {"total", page->total ? nlohmann::json(*page->total) : nlohmann::json(nullptr)}});
}

net::ServerResponse ApiService::browseNamespaces(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto& name = call.param("provider");
    checkProviderName(name);
    allowOnlyParams(call.request, {"search", "cursor", "credential"});
    auto& provider = providerFor(name, FORGELINK_CAP_REPOSITORIES, "browsing repositories");
    const auto used = credentialsFor(team, name, paramOr(call.request, "credential"));
    NamespaceQuery query;
    query.search = paramOr(call.request, "search");
    return browsePage(
        call, team, name, used, "the namespace listing of provider ", "query parameter search",
        [&](const std::string& cursor) { return provider.listNamespaces(used.credentials, query, cursor); },
        [](const Namespace& ns) { return namespaceView(ns); });
}

net::ServerResponse ApiService::browseRepositories(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto& name = call.param("provider");
    checkProviderName(name);
    allowOnlyParams(call.request, {"search", "namespace", "cursor", "min_role", "include_archived", "credential"});
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
    const auto used = credentialsFor(team, name, paramOr(call.request, "credential"));
    return browsePage(
        call, team, name, used, "the repository listing of provider ", "query parameters namespace or search",
        [&](const std::string& cursor) { return provider.listRepositories(used.credentials, query, cursor); },
        [](const Repository& repository) { return repositoryView(repository); });
}

net::ServerResponse ApiService::repositoryPermissions(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto& name = call.param("provider");
    checkProviderName(name);
    allowOnlyParams(call.request, {});
    auto& provider = providerFor(name, FORGELINK_CAP_REPOSITORIES, "repository permission reports");
    std::optional<ServingChoice> choice;
    try {
        choice = chooseServing(team, name, provider, call.param("repository"));
    } catch (const ApiError& refused) {
        // The forge does not show the repository: this report's 404 (linking answers 422).
        const auto& details = refused.details();
        if (details.is_object() && details.value("kind", "") == "not_found")
            throw ApiError(404, refused.code(), refused.message(), details);
        throw;
    }
    const auto& permissions = *choice->report;
    auto permission = [](const Permission& p) { return nlohmann::json{{"allowed", p.allowed}, {"reason", p.reason}}; };
    return jsonResponse(200, {{"repository", repositoryView(permissions.repository)},
                              {"post_status", permission(permissions.post_status)},
                              {"comment", permission(permissions.comment)},
                              {"credential", choice->credential ? nlohmann::json(choice->credential->name)
                                                                : nlohmann::json(nullptr)},
                              {"credentials", choice->considered}});
}

}  // namespace forgelink::service
