// `forgelink admin builds ...`: a build's state is what Forgelink reports to the forge.
#include "cli/admin/admin_verbs.hpp"

namespace forgelink::cli::admin {

namespace {

const Option kProject{"project", "ID", "the project's id (see 'projects list')", true, true};
const Option kBuild{"build", "ID", "the build's id (see 'builds list')", true, true};
const char* const kStates =
    "queued, in_progress, no_changes, changes_detected, accepted, rejected, skipped, errored or aborted";

std::vector<Option> statsOptions() {
    return {{"changed", "N", "screenshots that changed", false, true},
            {"added", "N", "screenshots added", false, true},
            {"removed", "N", "screenshots removed", false, true},
            {"unchanged", "N", "screenshots identical to the baseline", false, true},
            {"failures", "N", "screenshots that failed", false, true},
            {"retry-failures", "N", "screenshots that failed, then passed on a retry", false, true},
            {"ignored", "N", "screenshots left out of the comparison", false, true},
            {"url", "URL", "the build's page (http or https), linked from the status and the comment"}};
}

void addStats(const Input& in, nlohmann::json& body) {
    nlohmann::json stats = nlohmann::json::object();
    for (const char* name : {"changed", "added", "removed", "unchanged", "failures", "ignored"})
        if (auto value = in.number(name)) stats[name] = *value;
    if (auto value = in.number("retry-failures")) stats["retry_failures"] = *value;
    if (!stats.empty()) body["stats"] = stats;
    if (auto url = in.optionalText("url")) body["url"] = *url;
}

std::string buildsPath(const Input& in) {
    return "/api/v1/projects/" + std::to_string(in.number("project").value_or(0)) + "/builds";
}

// The build, then one line per feedback delivery (status on the commit, comment on the MR).
void printBuild(const nlohmann::json& body, std::ostream& out) {
    printObject(out, body["build"]);
    if (body.contains("deliveries")) {
        out << "\ndeliveries:\n";
        printTable(out, body["deliveries"],
                   {{"ID", "id"},
                    {"KIND", "kind"},
                    {"STATE", "state"},
                    {"CONTEXT", "context"},
                    {"MR", "merge_request"},
                    {"ATTEMPTS", "attempts"},
                    {"LAST_ERROR", "last_error"}});
    }
}

}  // namespace

void addBuildVerbs(VerbTable& table) {
    table.push_back({"builds", "list", "list a project's builds, newest first",
                     {kProject,
                      {"limit", "N", "at most N builds (1 to 100, default 20)", false, true},
                      {"before", "ID", "only builds older than this build id (the next page)", false, true}},
                     "forgelink admin builds list --project 1 --limit 5",
                     [](const Input& in) { return ApiRequest{"GET", buildsPath(in) + pageQuery(in), nullptr, ""}; },
                     itemsTable({{"ID", "id"},
                                 {"STATE", "state"},
                                 {"BRANCH", "branch"},
                                 {"COMMIT", "commit_sha"},
                                 {"MR", "merge_request"},
                                 {"UPDATED", "updated_at"}})});
    table.push_back({"builds", "show", "show a build and the delivery of its feedback to the forge", {kProject, kBuild},
                     "forgelink admin builds show --project 1 --build 1",
                     [](const Input& in) {
                         return ApiRequest{"GET", buildsPath(in) + "/" + std::to_string(in.number("build").value_or(0)),
                                           nullptr, ""};
                     },
                     printBuild});
    auto create = std::vector<Option>{kProject,
                                      {"commit", "SHA", "the commit built (40 hex digits)", true},
                                      {"branch", "NAME", "its branch", true},
                                      {"state", "STATE", std::string("the build's state: ") + kStates, true},
                                      {"mr", "N", "the merge request's number (iid), to keep one comment on it", false, true},
                                      {"head-sha", "SHA", "the merge request's head commit, when it differs from --commit"}};
    for (auto& option : statsOptions()) create.push_back(option);
    table.push_back({"builds", "create",
                     "record a build; its commit status and merge request comment are delivered to the forge",
                     create,
                     "forgelink admin builds create --project 1 --commit af5b13261899fb2c0db30abdd0af8b07cb44fdc5 "
                     "--branch feature --mr 1 --state in_progress",
                     [](const Input& in) {
                         nlohmann::json body = {{"commit_sha", in.text("commit")},
                                                {"branch", in.text("branch")},
                                                {"state", in.text("state")}};
                         if (auto mr = in.number("mr")) body["merge_request"] = *mr;
                         if (auto head = in.optionalText("head-sha")) body["head_sha"] = *head;
                         addStats(in, body);
                         return ApiRequest{"POST", buildsPath(in), body, ""};
                     },
                     printBuild});
    auto update = std::vector<Option>{kProject, kBuild,
                                      {"state", "STATE", std::string("the new state: ") + kStates, true}};
    for (auto& option : statsOptions()) update.push_back(option);
    table.push_back({"builds", "update",
                     "change a build's state (and stats, url); the forge's status and comment follow",
                     update,
                     "forgelink admin builds update --project 1 --build 1 --state changes_detected --changed 3",
                     [](const Input& in) {
                         nlohmann::json body = {{"state", in.text("state")}};
                         addStats(in, body);
                         return ApiRequest{"PATCH",
                                           buildsPath(in) + "/" + std::to_string(in.number("build").value_or(0)), body,
                                           ""};
                     },
                     printBuild});
}

}  // namespace forgelink::cli::admin
