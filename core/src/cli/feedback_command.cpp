#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_code.hpp"
#include "cli/json_output.hpp"
#include "cli/provider_session.hpp"
#include "common/strings.hpp"

namespace forgelink::cli {

namespace {
const char* kStates = "queued, in_progress, no_changes, changes_detected, accepted, rejected, skipped, errored, aborted";
}

int runFeedback(const Args& args) {
    const CommandHelp help{
        "feedback",
        "--provider NAME [--base-url URL] (--token-env VAR | --token-file PATH) --repo PATH --sha SHA\n"
        "       --state STATE [--ref BRANCH] [--context C] [--target-url U] [--description D]\n"
        "       [--comment-file F [--mr NUMBER ...]] [--json]",
        std::string("Publishes a build state as a commit status. With --comment-file, also creates or updates\n"
                    "Forgelink's one comment on each merge request of the commit (found through the forge,\n"
                    "or the --mr numbers given); the comment carries the hidden marker\n"
                    "forgelink:instance=<server.instance_id from --config, else \"cli\">.\n"
                    "STATE is one of: ") + kStates + ".",
        "  forgelink feedback --provider myforge --base-url https://forge.example.com --token-env FORGE_TOKEN \\\n"
        "      --repo group/project --sha 4f2a... --state accepted --comment-file summary.md"};
    po::options_description options("Options");
    addProviderOptions(options);
    options.add_options()
        ("repo", po::value<std::string>()->required()->value_name("PATH"), "repository id or full path")
        ("sha", po::value<std::string>()->required()->value_name("SHA"), "the commit")
        ("state", po::value<std::string>()->required()->value_name("STATE"), "the build state")
        ("ref", po::value<std::string>()->value_name("BRANCH"), "the branch, when the forge wants one")
        ("context", po::value<std::string>()->value_name("C"),
         "status name (default: feedback.status_context from --config, else \"forgelink\")")
        ("target-url", po::value<std::string>()->value_name("U"), "link shown with the status")
        ("description", po::value<std::string>()->value_name("D"), "short text shown with the status")
        ("comment-file", po::value<std::string>()->value_name("F"), "Markdown body of the merge request comment")
        ("mr", po::value<std::vector<std::string>>()->composing()->value_name("NUMBER"),
         "comment on this merge request instead of looking them up (repeatable)");
    po::variables_map values;
    int code = 0;
    if (!parseCommandLine(args, help, options, values, code)) return code;

    const auto state_text = values["state"].as<std::string>();
    const auto state = parseBuildState(state_text);
    if (!state) return usageError(help.name, "--state: unknown build state '" + state_text + "'; expected one of: " + kStates);
    if (values.count("mr") && !values.count("comment-file"))
        return usageError(help.name, "--mr only says where to comment: give --comment-file too");

    std::string comment_body;
    if (values.count("comment-file")) {
        try {
            comment_body = readFile(values["comment-file"].as<std::string>());
        } catch (const std::exception& e) {
            std::cerr << "forgelink feedback: " << common::escapeControls(e.what()) << "\n";
            return exit_invalid_input;
        }
    }

    auto session = ProviderSession::open(values, help.name, code);
    if (!session) return code;
    if (!session->supports(FORGELINK_CAP_COMMIT_STATUS, "commit statuses", code)) return code;
    if (values.count("comment-file") && !session->supports(FORGELINK_CAP_REVIEW_COMMENT, "merge request comments", code))
        return code;
    const config::Config* config = session->config();

    StatusRequest status;
    status.repository = values["repo"].as<std::string>();
    status.sha = values["sha"].as<std::string>();
    status.state = *state;
    status.context = values.count("context") ? values["context"].as<std::string>()
                     : config                ? config->feedback.status_context
                                             : "forgelink";
    if (values.count("ref")) status.ref = values["ref"].as<std::string>();
    if (values.count("target-url")) status.target_url = values["target-url"].as<std::string>();
    if (values.count("description")) status.description = values["description"].as<std::string>();

    auto published = session->provider().publishStatus(session->credentials(), status);
    if (!published.ok()) return session->report(published.error());
    nlohmann::json out = {{"ok", true},
                          {"provider", session->name()},
                          {"status",
                           {{"context", status.context},
                            {"state", std::string(toString(status.state))},
                            {"forge_state", published->forge_state},
                            {"status_id", published->status_id},
                            {"already_current", published->already_current}}},
                          {"comments", nlohmann::json::array()}};
    if (!session->json())
        std::cout << "status " << common::escapeControls(status.context) << " on " << common::escapeControls(status.repository) << "@" << common::escapeControls(status.sha)
                  << ": " << common::escapeControls(published->forge_state) << (published->already_current ? " (already current)" : "") << "\n";

    if (values.count("comment-file")) {
        std::vector<std::string> numbers;
        if (values.count("mr")) {
            numbers = values["mr"].as<std::vector<std::string>>();
        } else {
            auto found = session->provider().findMergeRequests(session->credentials(), status.repository, status.sha);
            if (!found.ok()) return session->report(found.error(), {{"status", out["status"]}});
            for (const auto& mr : found.value()) numbers.push_back(mr.number);
            if (numbers.empty() && !session->json())
                std::cout << "no open merge request has this commit; no comment written\n";
        }
        const std::string instance = config && !config->server.instance_id.empty() ? config->server.instance_id : "cli";
        int worst = exit_ok;
        for (const auto& number : numbers) {
            CommentRequest request;
            request.repository = status.repository;
            request.merge_request = number;
            request.marker = commentMarker(instance);
            request.body = comment_body;
            auto comment = session->provider().upsertComment(session->credentials(), request);
            if (comment.ok()) {
                out["comments"].push_back({{"merge_request", number},
                                           {"ok", true},
                                           {"action", std::string(toString(comment->action))},
                                           {"comment_id", comment->comment_id}});
                if (!session->json())
                    std::cout << "comment on !" << common::escapeControls(number) << ": " << toString(comment->action) << " (id "
                              << common::escapeControls(comment->comment_id) << ")\n";
            } else {
                out["ok"] = false;
                out["comments"].push_back({{"merge_request", number}, {"ok", false}, {"error", toJson(comment.error())}});
                if (!session->json()) printErrorText(help.name, session->name(), comment.error());
                worst = std::max(worst, exitCodeFor(comment.error().kind));
            }
        }
        if (session->json()) printJson(std::cout, out);
        return worst;
    }
    if (session->json()) printJson(std::cout, out);
    return exit_ok;
}

}  // namespace forgelink::cli
