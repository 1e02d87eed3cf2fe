// Projects and the one repository each reports to.
#include <map>

#include <forgelink/abi.h>
#include <forgelink/support/http_text.hpp>

#include "service/api_error.hpp"
#include "service/api_service.hpp"
#include "service/audit.hpp"
#include "service/credential_choice.hpp"
#include "service/etag.hpp"
#include "service/json_input.hpp"
#include "service/validation.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {
void checkRepositoryRef(const std::string& field, const std::string& value) {
    if (value.empty() || value.size() > 1024)
        throw badRequest("invalid_value", "field '" + field + "' must be a repository id or full path");
    for (unsigned char c : value)
        if (c < 0x20 || c == 0x7f)
            throw badRequest("invalid_value", "field '" + field + "' must not contain control characters");
}

// How the audit log names a project: its slug and id (the slug may be reused after a deletion).
std::string projectTarget(const store::Project& project) {
    return project.slug + " (project " + std::to_string(project.id) + ")";
}

// What a link event records, from linkView().
nlohmann::json linkDetails(const store::Project& project, const nlohmann::json& link) {
    return {{"project_id", project.id},
            {"provider", link.value("provider", "")},
            {"repository", link.value("full_path", "")},
            {"repository_id", link.value("repository_id", "")}};
}
}  // namespace

nlohmann::json ApiService::projectView(const store::Project& project) {
    auto team = store_.team(project.team_id);
    auto link = store_.repositoryLink(project.id);
    if (!link.ok() && link.error().kind != ErrorKind::not_found) throw fromStoreError(link.error());
    return service::projectView(project, team.ok() ? &team.value().slug : nullptr, link.ok() ? &link.value() : nullptr);
}

ApiService::ServingChoice ApiService::chooseServing(const store::Team& team, const std::string& provider_name,
                                                   Provider& provider, const std::string& id_or_path) {
    std::vector<store::ProviderSettings> mine;
    for (auto& s : orThrow(store_.listProviderSettings(team.id)))
        if (s.provider == provider_name) mine.push_back(std::move(s));
    if (mine.empty()) (void)credentialsFor(team, provider_name);  // 409 provider_not_connected

    // Each credential is asked at most once per request.
    std::map<std::string, Result<RepositoryPermissions>> asked;
    auto ask = [&](const store::ProviderSettings& s) -> const Result<RepositoryPermissions>& {
        auto it = asked.find(s.name);
        if (it == asked.end()) {
            const auto credentials = orThrow(store_.providerCredentials(team.id, provider_name, s.name));
            auto answer = provider.repositoryPermissions(credentials, id_or_path);
            if (!answer.ok()) noteProviderError(team, provider_name, answer.error(), s.name);
            it = asked.emplace(s.name, std::move(answer)).first;
        }
        return it->second;
    };

    // Which repository it is: asked first through the tokens bound to nothing (they see the most).
    std::vector<const store::ProviderSettings*> discovery;
    for (const auto& s : mine)
        if (!s.bound_to) discovery.push_back(&s);
    for (const auto& s : mine)
        if (s.bound_to) discovery.push_back(&s);
    std::optional<Repository> repository;
    for (const auto* s : discovery) {
        if (const auto& answer = ask(*s); answer.ok()) {
            repository = answer->repository;
            break;
        }
    }
    if (!repository) {
        const Error& first = asked.at(discovery.front()->name).error();
        if (mine.size() == 1) throw fromProviderError(first);  // one credential: its own answer, as ever
        const ApiError base = fromProviderError(first);
        std::string why;
        nlohmann::json considered = nlohmann::json::array();
        for (const auto* s : discovery) {
            const auto& message = asked.at(s->name).error().message;
            why += (why.empty() ? "" : "; ") + ("'" + s->name + "': " + message);
            considered.push_back({{"credential", s->name}, {"serves", false}, {"reason", message}});
        }
        throw ApiError(base.status(), base.code(),
                       "none of team '" + team.slug + "''s " + provider_name + " credentials can see '" + id_or_path +
                           "': " + why,
                       {{"kind", toString(first.kind)}, {"credentials", considered}});
    }

    ServingChoice choice;
    choice.considered = nlohmann::json::array();
    const auto ranked = rankCredentials(mine, repository->id, repository->full_path);
    for (const auto& s : ranked) {
        const auto& answer = ask(s);
        if (!choice.report) choice.report = answer.ok() ? answer.value() : RepositoryPermissions{*repository, {}, {}};
        std::string reason;
        if (choice.credential) {
            reason = "a more specific credential serves it";
        } else if (!answer.ok()) {
            reason = answer.error().message;
        } else if (!answer->post_status.allowed) {
            reason = answer->post_status.reason;
        } else {
            choice.credential = s;
            choice.report = answer.value();
            choice.credentials = orThrow(store_.providerCredentials(team.id, provider_name, s.name));
        }
        const bool serves = choice.credential && choice.credential->name == s.name;
        choice.considered.push_back({{"credential", s.name},
                                     {"description", describeCredential(s)},
                                     {"serves", serves},
                                     {"reason", serves ? nlohmann::json(nullptr) : nlohmann::json(reason)}});
    }
    for (const auto& s : mine) {
        std::string why;
        if (rankCredential(s, repository->id, repository->full_path, &why).tier > 0) continue;
        choice.considered.push_back(
            {{"credential", s.name}, {"description", describeCredential(s)}, {"serves", false}, {"reason", why}});
    }
    if (!choice.report) {
        // Every credential is bound elsewhere: the report of the one that saw it, nothing allowed.
        for (const auto* s : discovery)
            if (const auto& answer = asked.find(s->name); answer != asked.end() && answer->second.ok()) {
                choice.report = answer->second.value();
                break;
            }
        choice.report->post_status = {false, choice.considered.front()["reason"].get<std::string>()};
        choice.report->comment = {false, choice.report->post_status.reason};
    }
    return choice;
}

nlohmann::json ApiService::linkProject(const store::Team& team, const store::Project& project,
                                       const std::string& provider_name, const std::string& id_or_path) {
    auto& provider = providerFor(provider_name, FORGELINK_CAP_REPOSITORIES, "linking repositories");
    auto choice = chooseServing(team, provider_name, provider, id_or_path);
    const auto& permissions = *choice.report;
    const std::string where =
        permissions.repository.full_path.empty() ? id_or_path : permissions.repository.full_path;
    if (!choice.credential) {
        if (choice.considered.size() == 1)
            throw unprocessable("cannot_post_status", "the team's " + provider_name +
                                                          " token cannot post commit statuses on " + where + ": " +
                                                          permissions.post_status.reason);
        std::string why;
        for (const auto& c : choice.considered)
            why += (why.empty() ? "" : "; ") + ("'" + c["credential"].get<std::string>() + "': " + c["reason"].get<std::string>());
        throw ApiError(422, "cannot_post_status",
                       "no " + provider_name + " credential of team '" + team.slug + "' can post commit statuses on " +
                           where + ": " + why,
                       {{"credentials", choice.considered}});
    }
    const auto& credentials = choice.credentials;
    Repository repository = permissions.repository;
    if (repository.id.empty()) {
        auto found = provider.getRepository(credentials, id_or_path);
        if (!found.ok()) throw fromProviderError(found.error());
        repository = found.value();
    }
    if (repository.instance.empty()) repository.instance = choice.credential->instance;

    // Several projects on one repository need distinct status names, or each would overwrite
    // the other's status on the same commit.
    std::string context = config_.feedback.status_context;
    for (const auto& other : orThrow(store_.findLinksToRepository(provider_name, repository.instance, repository.id))) {
        if (other.project_id != project.id) {
            context += "/" + project.slug;
            break;
        }
    }

    store::RepositoryLink link;
    link.project_id = project.id;
    link.provider = provider_name;
    link.instance = repository.instance;
    link.repository_id = repository.id;
    link.full_path = repository.full_path;
    link.web_url = repository.web_url;
    link.status_context = context;
    link.credential = choice.credential->name;
    auto stored = orThrow(store_.linkRepository(link));
    // The team's other projects on the same repository are served by the same credential.
    for (const auto& other : orThrow(store_.findLinksToRepository(provider_name, repository.instance, repository.id))) {
        if (other.project_id == project.id || other.credential == link.credential) continue;
        if (auto owner = store_.project(other.project_id); owner.ok() && owner.value().team_id == team.id)
            orThrow(store_.setLinkCredential(other.project_id, link.credential));
    }

    nlohmann::json warnings = nlohmann::json::array();
    if (!permissions.comment.allowed)
        warnings.push_back({{"code", "cannot_comment"},
                            {"message", "merge request comments will fail: " + permissions.comment.reason}});
    if (repository.archived)
        warnings.push_back({{"code", "archived"}, {"message", "the repository is archived"}});
    // A path that is not the repository's own: the forge followed a rename or transfer. The
    // link holds the id and the current path; say so, or the old path looks like it still works.
    const bool by_id = !id_or_path.empty() && id_or_path.find_first_not_of("0123456789") == std::string::npos;
    if (!by_id && !repository.full_path.empty() && support::asciiLower(id_or_path) != support::asciiLower(repository.full_path))
        warnings.push_back({{"code", "repository_moved"},
                            {"message", "'" + id_or_path + "' has moved: the forge followed it to '" +
                                            repository.full_path + "', which the project is now linked to"}});
    return {{"link", linkView(stored)}, {"warnings", warnings}};
}

net::ServerResponse ApiService::createProject(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::write);
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"name", "slug", "repository"});
    const auto name = body.requiredString("name");
    checkName("name", name);
    std::string slug;
    if (auto given = body.optionalString("slug")) {
        slug = *given;
        checkSlug("slug", slug);
    } else {
        slug = slugFrom(name);
        if (slug.empty())
            throw badRequest("missing_field", "field 'slug' is required: no slug can be made from the name");
    }
    std::optional<std::pair<std::string, std::string>> repository;
    if (auto repo = body.optionalObject("repository")) {
        repo->allowOnly({"provider", "id", "path"});
        const auto provider = repo->requiredString("provider");
        auto id = repo->optionalString("id");
        auto path = repo->optionalString("path");
        if (id.has_value() == path.has_value())
            throw badRequest("missing_field", "field 'repository' needs exactly one of 'repository.id' and 'repository.path'");
        const std::string ref = id ? *id : *path;
        checkRepositoryRef(id ? "repository.id" : "repository.path", ref);
        repository.emplace(provider, ref);
        // Fail before creating anything when the provider cannot link at all.
        providerFor(provider, FORGELINK_CAP_REPOSITORIES, "linking repositories");
        (void)credentialsFor(team, provider);
    }

    auto made = store_.createProject(team.id, slug, name);
    if (!made.ok() && made.error().kind == ErrorKind::conflict)
        throw conflict("team " + team.slug + " already has a project with slug '" + slug + "'");
    auto project = orThrow(std::move(made));
    nlohmann::json answer;
    nlohmann::json link;
    if (repository) {
        try {
            auto linked = linkProject(team, project, repository->first, repository->second);
            answer["warnings"] = linked["warnings"];
            link = linked["link"];
        } catch (...) {
            // "Continue with <forge>" is one step: a project whose repository was refused is not kept.
            (void)store_.deleteProject(project.id);
            throw;
        }
    }
    audit(call, team.id, audit_action::project_created, projectTarget(project),
          {{"project_id", project.id}, {"slug", project.slug}, {"name", project.name}});
    if (!link.is_null())
        audit(call, team.id, audit_action::project_linked, projectTarget(project), linkDetails(project, link));
    answer["project"] = projectView(project);
    if (!answer.contains("warnings"))
        answer["warnings"] = nlohmann::json::array(
            {{{"code", "unlinked"},
              {"message", "the project is not connected to a repository: its builds are reported to no forge until "
                          "it is (PUT /api/v1/projects/" + std::to_string(project.id) + "/repository)"}}});
    auto response = jsonResponse(201, answer);
    response.headers.emplace_back("Location", "/api/v1/projects/" + std::to_string(project.id));
    return response;
}

CachedListing ApiService::projectListing(std::int64_t team_id) {
    // One indexed read per request instead of stepping 1,000 joined rows and writing 140 KB of
    // JSON (perf: three quarters of the request). The version lives in the database, so a write
    // through another host sharing it is seen by the very next request here.
    const auto version = orThrow(store_.projectListVersion(team_id));
    if (auto hit = listings_.find(team_id, version)) return std::move(*hit);
    const auto listing = orThrow(store_.projectListing(team_id));
    auto body = std::make_shared<std::string>();
    body->reserve(64 + listing.rows.size() * 400);
    JsonWriter out(*body);
    out.beginObject().key("items").beginArray();
    for (const auto& row : listing.rows)
        writeProjectView(out, row.project, &listing.team_slug, row.link ? &*row.link : nullptr);
    out.endArray().endObject();
    CachedListing rendered{listing.version, std::move(body), ""};
    rendered.etag = strongEtag(*rendered.body);
    listings_.put(team_id, rendered);
    return rendered;
}

net::ServerResponse ApiService::listProjects(Call& call) {
    auto team = teamFor(call, call.param("team"), Access::read);
    auto listing = projectListing(team.id);
    net::ServerResponse response;
    // Revalidate every time (no-cache), and only in the caller's own cache (private: the answer
    // depends on who asks); a 304 comes after the access check, so it tells nobody anything new.
    response.headers = {{"ETag", listing.etag}, {"Cache-Control", "private, no-cache"}};
    const std::string* condition = call.request.header("If-None-Match");
    if (condition != nullptr && ifNoneMatchHits(*condition, listing.etag)) {
        response.status = 304;
        return response;
    }
    response.status = 200;
    response.headers.emplace_back("Content-Type", "application/json");
    response.shared_body = std::move(listing.body);
    return response;
}

net::ServerResponse ApiService::showProject(Call& call) {
    auto project = projectFor(call, call.param("project"), Access::read);
    return jsonResponse(200, {{"project", projectView(project)}});
}

net::ServerResponse ApiService::deleteProject(Call& call) {
    auto project = projectFor(call, call.param("project"), Access::write);
    orThrow(store_.deleteProject(project.id));
    audit(call, project.team_id, audit_action::project_deleted, projectTarget(project),
          {{"project_id", project.id}, {"slug", project.slug}});
    return noContent();
}

net::ServerResponse ApiService::connectRepository(Call& call) {
    auto project = projectFor(call, call.param("project"), Access::write);
    auto team = orThrow(store_.team(project.team_id));
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"provider", "repository"});
    const auto provider = body.requiredString("provider");
    const auto repository = body.requiredString("repository");
    checkRepositoryRef("repository", repository);
    auto linked = linkProject(team, project, provider, repository);
    audit(call, team.id, audit_action::project_linked, projectTarget(project), linkDetails(project, linked["link"]));
    return jsonResponse(200, {{"project", projectView(project)}, {"warnings", linked["warnings"]}});
}

net::ServerResponse ApiService::disconnectRepository(Call& call) {
    auto project = projectFor(call, call.param("project"), Access::write);
    auto was = store_.repositoryLink(project.id);
    auto done = store_.unlinkRepository(project.id);
    if (!done.ok()) {
        if (done.error().kind == ErrorKind::not_found)
            throw notFound("project " + std::to_string(project.id) + " is not connected to a repository");
        throw fromStoreError(done.error());
    }
    nlohmann::json details = {{"project_id", project.id}};
    if (was.ok()) {
        details["provider"] = was.value().provider;
        details["repository"] = was.value().full_path;
        details["repository_id"] = was.value().repository_id;
    }
    audit(call, project.team_id, audit_action::project_unlinked, projectTarget(project), std::move(details));
    return noContent();
}

}  // namespace forgelink::service
