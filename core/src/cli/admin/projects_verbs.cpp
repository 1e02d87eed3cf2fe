// `forgelink admin projects ...`: projects and the one repository each reports to.
#include "cli/admin/admin_verbs.hpp"

namespace forgelink::cli::admin {

namespace {

const Option kProject{"project", "ID", "the project's id (see 'projects list')", true, true};

std::string projectPath(const Input& in) { return "/api/v1/projects/" + std::to_string(in.number("project").value_or(0)); }

bool isNumeric(const std::string& text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

void addProjectVerbs(VerbTable& table) {
    table.push_back({"projects", "list", "list a team's projects and the repository each reports to",
                     {{"team", "SLUG", "the team's slug", true}}, "forgelink admin projects list --team docs",
                     [](const Input& in) {
                         return ApiRequest{"GET", "/api/v1/teams/" + enc(in.text("team")) + "/projects", nullptr, ""};
                     },
                     itemsTable({{"ID", "id"},
                                 {"SLUG", "slug"},
                                 {"NAME", "name"},
                                 {"PROVIDER", "repository.provider"},
                                 {"REPOSITORY", "repository.full_path"}})});
    table.push_back({"projects", "show", "show a project and its repository link", {kProject},
                     "forgelink admin projects show --project 1",
                     [](const Input& in) { return ApiRequest{"GET", projectPath(in), nullptr, ""}; },
                     objectUnder("project")});
    table.push_back({"projects", "create",
                     "create a project, from a repository when --provider and --repository are given (it is linked "
                     "only if the team's token may post commit statuses there)",
                     {{"team", "SLUG", "the team's slug", true},
                      {"name", "NAME", "the project's name", true},
                      {"slug", "SLUG", "its slug (default: made from the name)"},
                      {"provider", "NAME", "the forge of the repository (with --repository)"},
                      {"repository", "ID_OR_PATH", "the repository's id or full path (with --provider)"}},
                     "forgelink admin projects create --team docs --name Widget --provider myforge --repository "
                     "acme/tools/widget",
                     [](const Input& in) {
                         nlohmann::json body = {{"name", in.text("name")}};
                         if (auto slug = in.optionalText("slug")) body["slug"] = *slug;
                         if (in.has("provider") != in.has("repository"))
                             throw UsageProblem("give --provider and --repository together, or neither");
                         if (auto repository = in.optionalText("repository"))
                             body["repository"] = {{"provider", in.text("provider")},
                                                   {isNumeric(*repository) ? "id" : "path", *repository}};
                         return ApiRequest{"POST", "/api/v1/teams/" + enc(in.text("team")) + "/projects", body, ""};
                     },
                     objectUnder("project")});
    table.push_back({"projects", "connect",
                     "link a project to a repository (refused when the team's token cannot post commit statuses there)",
                     {kProject,
                      {"provider", "NAME", "the forge of the repository", true},
                      {"repository", "ID_OR_PATH", "the repository's id or full path", true}},
                     "forgelink admin projects connect --project 1 --provider myforge --repository acme/tools/widget",
                     [](const Input& in) {
                         return ApiRequest{"PUT", projectPath(in) + "/repository",
                                           {{"provider", in.text("provider")}, {"repository", in.text("repository")}},
                                           ""};
                     },
                     objectUnder("project")});
    table.push_back({"projects", "disconnect", "unlink a project from its repository: its builds are reported nowhere",
                     {kProject}, "forgelink admin projects disconnect --project 1",
                     [](const Input& in) {
                         return ApiRequest{"DELETE", projectPath(in) + "/repository", nullptr,
                                           "disconnected project " + std::to_string(in.number("project").value_or(0)) +
                                               " from its repository"};
                     },
                     nullptr});
    table.push_back({"projects", "delete", "delete a project with its builds", {kProject},
                     "forgelink admin projects delete --project 1",
                     [](const Input& in) {
                         return ApiRequest{"DELETE", projectPath(in), nullptr,
                                           "deleted project " + std::to_string(in.number("project").value_or(0))};
                     },
                     nullptr});
}

}  // namespace forgelink::cli::admin
