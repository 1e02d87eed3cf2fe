// Builds: each change is written with its feedback tasks in one transaction (the outbox); the
// dispatcher delivers them. The API answers 202: accepted, delivered later.
#include "common/strings.hpp"
#include <forgelink/abi.h>

#include "delivery/comment_body.hpp"
#include "service/api_error.hpp"
#include "service/api_service.hpp"
#include "delivery/feedback_plan.hpp"
#include "service/json_input.hpp"
#include "service/validation.hpp"
#include "service/views.hpp"

namespace forgelink::service {

namespace {

BuildState stateField(const ObjectReader& body) {
    const auto text = body.requiredString("state");
    auto state = parseBuildState(text);
    if (!state)
        throw badRequest("invalid_value", "field 'state' must be one of " +
                                              delivery::buildStateNames(delivery::BuildStates::all) + "; got '" +
                                              text + "'");
    return *state;
}

void readStats(const ObjectReader& body, store::BuildStats& stats) {
    auto object = body.optionalObject("stats");
    if (!object) return;
    object->allowOnly({"changed", "added", "removed", "unchanged", "failures", "retry_failures", "ignored"});
    auto field = [&](const char* name, std::int64_t& out) {
        if (auto value = object->optionalInteger(name)) {
            if (*value < 0 || *value > 1000000000)
                throw badRequest("invalid_value", "field '" + object->path(name) + "' must be an integer from 0 to 1000000000");
            out = *value;
        }
    };
    field("changed", stats.changed);
    field("added", stats.added);
    field("removed", stats.removed);
    field("failures", stats.failures);
    field("unchanged", stats.unchanged);
    field("retry_failures", stats.retry_failures);
    field("ignored", stats.ignored);
}

std::int64_t buildIdParam(const std::string& text) {
    const auto value = common::parseDigits(text);
    if (!value || *value <= 0) throw notFound("no build '" + text + "' (ids are positive integers)");
    return *value;
}

nlohmann::json taskView(const store::FeedbackTask& task, const std::optional<std::string>& comment_id) {
    nlohmann::json view = {
        {"id", task.id},
        {"kind", std::string(store::toString(task.key.kind))},
        {"provider", task.key.provider},
        {"instance", task.key.instance},
        {"repository_id", task.key.repository_id},
        {"state", std::string(store::toString(task.state))},
        {"attempts", task.attempts},
        {"last_error", task.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(task.last_error)},
        {"next_attempt_at", task.state == store::TaskState::pending ? nlohmann::json(isoTime(task.next_attempt_at))
                                                                    : nlohmann::json(nullptr)},
        {"build_version", task.build_version},
        {"updated_at", isoTime(task.updated_at)},
    };
    if (task.key.kind == store::FeedbackKind::status) {
        view["context"] = task.key.context;
        view["sha"] = task.key.commit_sha;
        view["status_posted"] = task.state == store::TaskState::done;
        if (task.result.is_object() && task.result.contains("forge_state")) view["forge_state"] = task.result["forge_state"];
    } else {
        view["merge_request"] = task.key.mr_number;
        view["comment_id"] = comment_id ? nlohmann::json(*comment_id) : nlohmann::json(nullptr);
    }
    return view;
}

}  // namespace

nlohmann::json ApiService::deliveriesView(std::int64_t build_id) {
    nlohmann::json items = nlohmann::json::array();
    // The web page of a comment comes from the plugin (the core knows no forge's URL shapes),
    // built from the repository's page as the project's link knows it.
    std::optional<store::RepositoryLink> link;
    if (auto build = store_.build(build_id); build.ok())
        if (auto found = store_.repositoryLink(build.value().project_id); found.ok()) link = found.value();
    auto commentUrl = [&](const store::FeedbackTask& task, const std::string& mr, const std::string& comment_id) {
        if (!link || link->provider != task.key.provider || link->repository_id != task.key.repository_id || mr.empty() ||
            comment_id.empty())
            return nlohmann::json(nullptr);
        const auto* info = registry_.info(task.key.provider);
        Provider* provider = registry_.provider(task.key.provider);
        if (provider == nullptr || info == nullptr || (info->capabilities & FORGELINK_CAP_WEB_LINKS) == 0)
            return nlohmann::json(nullptr);
        const std::string url = provider->commentWebUrl(link->web_url, mr, comment_id);
        return url.empty() ? nlohmann::json(nullptr) : nlohmann::json(url);
    };
    for (const auto& task : orThrow(store_.listTasksOfBuild(build_id))) {
        std::optional<std::string> comment_id;
        if (task.key.kind == store::FeedbackKind::comment) {
            if (task.result.is_object() && task.result.contains("comment_id") && task.result["comment_id"].is_string())
                comment_id = task.result["comment_id"].get<std::string>();
            else if (auto known = store_.knownCommentId(task.key.provider, task.key.instance, task.key.repository_id,
                                                        task.key.mr_number);
                     known.ok())
                comment_id = known.value();
        }
        auto view = taskView(task, comment_id);
        if (task.key.kind == store::FeedbackKind::status) {
            const std::string target = task.payload.is_object() ? task.payload.value("target_url", "") : "";
            view["target_url"] = target.empty() ? nlohmann::json(nullptr) : nlohmann::json(target);
        } else {
            view["comment_url"] = comment_id ? commentUrl(task, task.key.mr_number, *comment_id) : nlohmann::json(nullptr);
            // A build that named no merge request: the comments on every open one of its commit.
            nlohmann::json comments = nlohmann::json::array();
            if (task.result.is_object() && task.result.contains("comments") && task.result["comments"].is_array())
                for (const auto& c : task.result["comments"]) {
                    const std::string mr = c.value("merge_request", ""), id = c.value("comment_id", "");
                    comments.push_back({{"merge_request", mr}, {"comment_id", id}, {"comment_url", commentUrl(task, mr, id)}});
                }
            view["comments"] = comments;
            if (view["comment_url"].is_null() && !comments.empty()) view["comment_url"] = comments[0]["comment_url"];
        }
        items.push_back(view);
    }
    return items;
}

net::ServerResponse ApiService::recordBuild(const store::Project& project, const store::BuildInput& input) {
    bool connected = false;
    auto change = delivery::planBuildChange(store_, project, input, config_.feedback.comment, &connected);
    if (!change.ok()) throw fromStoreError(change.error());
    auto recorded = orThrow(store_.recordBuildChange(change.value()));
    nlohmann::json answer = {{"build", buildView(recorded.build)}, {"deliveries", deliveriesView(recorded.build.id)}};
    if (!connected)
        answer["warnings"] = nlohmann::json::array(
            {{{"code", "no_repository"},
              {"message", "the project is not connected to a repository: nothing will be reported to a forge"}}});
    else
        answer["warnings"] = nlohmann::json::array();
    auto response = jsonResponse(202, answer);
    response.headers.emplace_back("Location", "/api/v1/projects/" + std::to_string(project.id) + "/builds/" +
                                                  std::to_string(recorded.build.id));
    return response;
}

net::ServerResponse ApiService::createBuild(Call& call) {
    auto project = projectFor(call, call.param("project"), Access::write);
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"commit_sha", "branch", "merge_request", "head_sha", "state", "stats", "url"});
    store::BuildInput input;
    input.project_id = project.id;
    input.commit_sha = checkSha("commit_sha", body.requiredString("commit_sha"));
    input.branch = body.requiredString("branch");
    checkRef("branch", input.branch);
    if (auto mr = body.optionalInteger("merge_request")) {
        if (*mr <= 0) throw badRequest("invalid_value", "field 'merge_request' must be a positive integer");
        input.mr_number = std::to_string(*mr);
    }
    if (auto head = body.optionalString("head_sha")) input.head_sha = checkSha("head_sha", *head);
    input.state = stateField(body);
    readStats(body, input.stats);
    if (auto url = body.optionalString("url")) {
        checkHttpUrl("url", *url);
        input.url = *url;
    }
    return recordBuild(project, input);
}

net::ServerResponse ApiService::updateBuild(Call& call) {
    auto project = projectFor(call, call.param("project"), Access::write);
    const auto build_id = buildIdParam(call.param("build"));
    const auto json = parseJsonBody(call.request, config_.server.limits.max_json_depth);
    ObjectReader body(json);
    body.allowOnly({"state", "stats", "url"});
    auto build = store_.build(build_id);
    if (!build.ok() || build.value().project_id != project.id) {
        if (!build.ok() && build.error().kind != ErrorKind::not_found) throw fromStoreError(build.error());
        throw notFound("no build " + std::to_string(build_id) + " in project " + std::to_string(project.id));
    }
    const auto& current = build.value();
    const BuildState next = stateField(body);
    // The host ended this build for lack of a result: its result is still welcome (the forge then
    // shows the truth), but it cannot go back to running, which the next pass would end again.
    if (current.timed_out_at && !isFinal(next))
        throw ApiError(409, "build_timed_out",
                       "build " + std::to_string(current.id) + " was ended at " + isoTime(*current.timed_out_at) + " (" +
                           delivery::timedOutText(current.timed_out_after_seconds) +
                           "); send its result instead: one of " +
                           delivery::buildStateNames(delivery::BuildStates::final_));
    // Two updates racing on one build: the second is told, instead of silently winning (changeOf
    // sets the expected version to the one read above).
    store::BuildInput input = store::changeOf(current, next);
    readStats(body, input.stats);
    if (auto url = body.optionalString("url")) {
        checkHttpUrl("url", *url);
        input.url = *url;
    }
    return recordBuild(project, input);
}

net::ServerResponse ApiService::showBuild(Call& call) {
    auto project = projectFor(call, call.param("project"), Access::read);
    const auto build_id = buildIdParam(call.param("build"));
    auto build = store_.build(build_id);
    if (!build.ok() || build.value().project_id != project.id) {
        if (!build.ok() && build.error().kind != ErrorKind::not_found) throw fromStoreError(build.error());
        throw notFound("no build " + std::to_string(build_id) + " in project " + std::to_string(project.id));
    }
    return jsonResponse(200, {{"build", buildView(build.value())}, {"deliveries", deliveriesView(build_id)}});
}

net::ServerResponse ApiService::listBuilds(Call& call) {
    auto project = projectFor(call, call.param("project"), Access::read);
    const auto page = readPageQuery(call.request, 20, 100);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& build : orThrow(store_.listBuilds(project.id, page.limit, page.before))) items.push_back(buildView(build));
    return jsonResponse(200, {{"items", items}});
}

}  // namespace forgelink::service
