// Teams and their members.
#include "service/api_error.hpp"
#include "service/api_service.hpp"
#include "service/audit.hpp"
#include "service/json_input.hpp"
#include "service/validation.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

std::int64_t userIdParam(const std::string& text) {
    std::int64_t value = 0;
    bool ok = !text.empty() && text.size() <= 18;
    for (char c : text) {
        ok = ok && c >= '0' && c <= '9';
        if (ok) value = value * 10 + (c - '0');
    }
    if (!ok || value <= 0) throw notFound("no member '" + text + "' (user ids are positive integers)");
    return value;
}

store::TeamRole roleField(const ObjectReader& body) {
    const auto text = body.requiredString("role");
    auto role = store::parseTeamRole(text);
    if (!role) throw badRequest("invalid_value", "field 'role' must be 'owner' or 'member', got '" + text + "'");
    return *role;
}

}  // namespace

// The one user whose forge username is `username` (on `provider` when given). Nobody: 422
// unknown_user; several (one name on two forges or two instances): 422 ambiguous_user naming
// each candidate's forge, so the caller can add "provider".
Result<store::User> ApiService::userNamed(const std::string& username, const std::string& provider) {
    auto candidates = orThrow(store_.usersNamed(username, provider));
    // One person with that name on two linked forges is one candidate.
    bool one_person = !candidates.empty();
    for (const auto& user : candidates) one_person = one_person && user.id == candidates.front().id;
    if (one_person) return store_.user(candidates.front().id);
    if (candidates.empty())
        throw unprocessable("unknown_user", "no user named '" + username + "'" +
                                                (provider.empty() ? "" : " on " + provider) +
                                                "; people become users by logging in once");
    if (candidates.size() > 1) {
        std::string forges;
        nlohmann::json listed = nlohmann::json::array();
        for (const auto& user : candidates) {
            forges += (forges.empty() ? "" : ", ") + user.provider + " (" + user.instance + ")";
            listed.push_back({{"user_id", user.id}, {"provider", user.provider}, {"instance", user.instance},
                              {"username", user.username}});
        }
        throw ApiError(422, "ambiguous_user",
                       "more than one user is named '" + username + "': on " + forges +
                           "; say which with 'provider'" + (provider.empty() ? "" : " or use 'user_id'"),
                       {{"candidates", listed}});
    }
    return std::move(candidates.front());
}

store::TeamMember ApiService::memberOf(const store::Team& team, std::int64_t user_id) {
    auto member = store_.teamMember(team.id, user_id);
    if (member.ok()) return std::move(member).value();
    if (member.error().kind != ErrorKind::not_found) throw fromStoreError(member.error());
    // The store's message carries internal ids; a person knows the username and the slug.
    auto user = store_.user(user_id);
    if (!user.ok()) {
        if (user.error().kind != ErrorKind::not_found) throw fromStoreError(user.error());
        throw notFound("no user " + std::to_string(user_id) + "; people become users by logging in once");
    }
    throw notFound(user.value().username + " is not a member of " + team.slug);
}

bool ApiService::mayCreateTeams(const Principal& who) const {
    // A team lets its owner point the host at any base URL its policy allows: who may make one is
    // the operator's choice (server.allow_user_team_creation), admins only by default. The session
    // view reads this too, so the console offers exactly what the API allows.
    return who.admin || (who.user_id > 0 && config_.server.allow_user_team_creation);
}

net::ServerResponse ApiService::createTeam(Call& call) {
    if (!mayCreateTeams(*call.principal))
        throw ApiError(403, "team_creation_disabled",
                       "only admins create teams on this host; an admin can create one and add you as its owner "
                       "(server.allow_user_team_creation is off)");
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"slug", "name"});
    const auto slug = body.requiredString("slug");
    checkSlug("slug", slug);
    const auto name = body.optionalString("name").value_or(slug);
    checkName("name", name);

    auto created = store_.createTeam(slug, name);
    if (!created.ok() && created.error().kind == ErrorKind::conflict)
        throw conflict("a team with slug '" + slug + "' already exists");
    auto team = orThrow(std::move(created));
    nlohmann::json view = teamView(team);
    // Whoever creates a team through a login owns it; admins create teams for others.
    if (!call.principal->admin) {
        auto member = store_.addTeamMember(team.id, call.principal->user_id, store::TeamRole::owner);
        if (!member.ok()) {
            (void)store_.deleteTeam(team.id);
            throw fromStoreError(member.error());
        }
        view["role"] = "owner";
    }
    audit(call, team.id, audit_action::team_created, team.slug, {{"slug", team.slug}, {"name", team.name}});
    auto response = jsonResponse(201, {{"team", view}});
    response.headers.emplace_back("Location", "/api/v1/teams/" + team.slug);
    return response;
}

net::ServerResponse ApiService::listTeams(Call& call) {
    nlohmann::json items = nlohmann::json::array();
    if (call.principal->admin) {
        for (const auto& team : orThrow(store_.listTeams())) items.push_back(teamView(team));
    } else {
        for (const auto& team : orThrow(store_.listTeamsOfUser(call.principal->user_id))) {
            auto view = teamView(team);
            if (auto member = store_.teamMember(team.id, call.principal->user_id); member.ok())
                view["role"] = std::string(store::toString(member.value().role));
            items.push_back(view);
        }
    }
    return jsonResponse(200, {{"items", items}});
}

net::ServerResponse ApiService::showTeam(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    nlohmann::json view = teamView(team);
    nlohmann::json providers = nlohmann::json::array();
    nlohmann::json alerts = nlohmann::json::array();
    for (const auto& settings : orThrow(store_.listProviderSettings(team.id))) {
        // Listed by provider, several credentials of one provider next to each other.
        if (providers.empty() || providers.back() != settings.provider) providers.push_back(settings.provider);
        auto pause = store_.feedbackPause(team.id, settings.provider);
        auto health = providerHealth(settings, pause.ok() && pause.value() ? nlohmann::json(*pause.value()) : nlohmann::json(nullptr));
        if (health["state"] != "valid") {
            health["provider"] = settings.provider;
            health["credential"] = settings.name;
            alerts.push_back(health);
        }
    }
    view["providers"] = providers;
    // What the console's banner shows on every page of the team.
    view["alerts"] = alerts;
    view["projects"] = orThrow(store_.listProjects(team.id)).size();
    return jsonResponse(200, {{"team", view}});
}

net::ServerResponse ApiService::deleteTeam(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    orThrow(store_.deleteTeam(team.id));
    // Its gauges (token expiry, validity, paused feedback) would otherwise linger until restart.
    metrics_.removeSeries({{"team", team.slug}});
    return noContent();
}

net::ServerResponse ApiService::listMembers(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& member : orThrow(store_.listTeamMembers(team.id))) items.push_back(memberView(member));
    return jsonResponse(200, {{"items", items}});
}

net::ServerResponse ApiService::addMember(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"user_id", "username", "provider", "role"});
    const auto user_id = body.optionalInteger("user_id");
    const auto username = body.optionalString("username");
    const auto provider = body.optionalString("provider");
    if (user_id && username)
        throw badRequest("invalid_value", "give either 'user_id' or 'username' (with an optional 'provider'), not both");
    if (!user_id && !username)
        throw badRequest("missing_field",
                         "field 'user_id' (an integer) or 'username' (a forge username) is required");
    if (provider && !username) throw badRequest("invalid_value", "field 'provider' goes with 'username', not 'user_id'");
    if (username && username->empty()) throw badRequest("invalid_value", "field 'username' must not be empty");
    const auto role = roleField(body);
    auto user = username ? userNamed(*username, provider.value_or("")) : store_.user(*user_id);
    if (!user.ok()) {
        if (user.error().kind == ErrorKind::not_found && user_id)
            throw unprocessable("unknown_user", "no user " + std::to_string(*user_id) +
                                                    "; people become users by logging in once");
        throw fromStoreError(user.error());
    }
    auto added = store_.addTeamMember(team.id, user.value().id, role);
    if (!added.ok() && added.error().kind == ErrorKind::conflict)
        throw conflict(user.value().username + " is already a member of " + team.slug);
    auto member = orThrow(std::move(added));
    audit(call, team.id, audit_action::member_added, member.username,
          {{"user_id", member.user_id}, {"role", std::string(store::toString(member.role))}});
    return jsonResponse(201, {{"member", memberView(member)}});
}

net::ServerResponse ApiService::changeMember(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto user_id = userIdParam(call.param("user_id"));
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"role"});
    const auto role = roleField(body);
    auto current = memberOf(team, user_id);
    if (current.role == store::TeamRole::owner && role != store::TeamRole::owner) {
        std::size_t owners = 0;
        for (const auto& m : orThrow(store_.listTeamMembers(team.id))) owners += m.role == store::TeamRole::owner;
        if (owners <= 1) throw conflict("a team keeps at least one owner: make someone else owner first");
    }
    auto member = orThrow(store_.setTeamMemberRole(team.id, user_id, role));
    if (current.role != role)
        audit(call, team.id, audit_action::member_role_changed, member.username,
              {{"user_id", user_id},
               {"from", std::string(store::toString(current.role))},
               {"to", std::string(store::toString(role))}});
    return jsonResponse(200, {{"member", memberView(member)}});
}

net::ServerResponse ApiService::removeMember(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto user_id = userIdParam(call.param("user_id"));
    auto current = memberOf(team, user_id);
    if (current.role == store::TeamRole::owner) {
        std::size_t owners = 0;
        for (const auto& m : orThrow(store_.listTeamMembers(team.id))) owners += m.role == store::TeamRole::owner;
        if (owners <= 1) throw conflict("a team keeps at least one owner: make someone else owner first");
    }
    auto removed = store_.removeTeamMember(team.id, user_id);
    if (!removed.ok() && removed.error().kind == ErrorKind::not_found)
        throw notFound(current.username + " is not a member of " + team.slug);
    orThrow(std::move(removed));
    audit(call, team.id, audit_action::member_removed, current.username,
          {{"user_id", user_id}, {"role", std::string(store::toString(current.role))}});
    return noContent();
}

net::ServerResponse ApiService::listAudit(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    const auto page = readPageQuery(call.request, 50, 200);
    // One more than asked tells whether an older page exists.
    auto events = orThrow(store_.listAuditEvents(team.id, page.limit + 1, page.before));
    const bool more = events.size() > page.limit;
    if (more) events.pop_back();
    nlohmann::json items = nlohmann::json::array();
    for (const auto& event : events) items.push_back(auditEventView(event));
    return jsonResponse(200, {{"items", items},
                              {"next_before", more ? nlohmann::json(events.back().id) : nlohmann::json(nullptr)}});
}

}  // namespace forgelink::service
