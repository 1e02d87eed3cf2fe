#include "delivery/feedback_plan.hpp"

#include "delivery/comment_body.hpp"
#include "delivery/feedback_task.hpp"

namespace forgelink::delivery {

namespace {

std::string failuresText(std::int64_t failures) {
    return std::to_string(failures) + (failures == 1 ? " failure" : " failures");
}

}  // namespace

std::string statusDescription(BuildState state, const store::BuildStats& stats) {
    const std::string counts = changesText(stats, ChangeCounts::changes);
    switch (state) {
        case BuildState::queued: return "Build queued";
        case BuildState::in_progress: return "Build in progress\u2026";
        case BuildState::no_changes:
            return stats.unchanged > 0 ? std::to_string(stats.unchanged) + " unchanged \u2014 no changes detected"
                                       : std::string("No changes detected");
        case BuildState::changes_detected:
            return (counts.empty() ? std::string("Changes detected") : counts) + " \u2014 waiting for your decision";
        case BuildState::accepted: return counts.empty() ? "Changes accepted" : counts + " \u2014 accepted";
        case BuildState::rejected: return counts.empty() ? "Changes rejected" : counts + " \u2014 rejected";
        case BuildState::skipped: return "Build skipped";
        case BuildState::errored:
            return stats.failures > 0 ? "Build failed: " + failuresText(stats.failures) : std::string("Build failed");
        case BuildState::aborted: return "Build aborted";
    }
    return "Build failed";
}

std::string statusDescription(const store::BuildInput& build) {
    if (build.timed_out_after_seconds) return timedOutText(*build.timed_out_after_seconds);
    return statusDescription(build.state, build.stats);
}

std::vector<store::NewFeedbackTask> planFeedbackTasks(std::int64_t team_id, const store::BuildInput& build,
                                                      const store::RepositoryLink& link, bool comment) {
    std::vector<store::NewFeedbackTask> tasks;
    const std::string& sha = build.head_sha.empty() ? build.commit_sha : build.head_sha;

    // A status belongs on the commit the merge request shows. The build's own commit gets one;
    // when the caller names the MR's head and it is another commit (a merged-results pipeline, a
    // build of the merge commit), that commit gets one too; when it names only the MR, the
    // dispatcher finds the head through the forge.
    auto statusOn = [&](const std::string& commit, bool find_head) {
        store::NewFeedbackTask status;
        status.team_id = team_id;
        status.key = {link.provider, link.instance, link.repository_id, commit, link.status_context,
                      store::FeedbackKind::status, ""};
        StatusPayload payload;
        payload.repository = link.repository_id;
        payload.project_id = link.project_id;
        payload.state = build.state;
        payload.context = link.status_context;
        payload.target_url = build.url;
        payload.description = statusDescription(build);
        payload.ref = build.branch;
        payload.sha = commit;
        payload.merge_request = build.mr_number;
        payload.find_head = find_head;
        status.payload = toJson(payload);
        tasks.push_back(std::move(status));
    };
    statusOn(build.commit_sha, !build.mr_number.empty() && build.head_sha.empty());
    if (!build.head_sha.empty() && build.head_sha != build.commit_sha) statusOn(build.head_sha, false);

    // Waiting comment tasks coalesce per (repository, commit, MR); the body is rendered at
    // delivery, so the newest task always shows every current build. A build that names no
    // merge request gets a comment task with an empty MR number: the dispatcher then asks the
    // forge for the open merge requests of the commit and comments on each.
    if (comment) {
        store::NewFeedbackTask note;
        note.team_id = team_id;
        note.key = {link.provider, link.instance, link.repository_id, sha, "", store::FeedbackKind::comment,
                    build.mr_number};
        note.payload = toJson(CommentPayload{link.repository_id, link.project_id, build.mr_number, sha});
        tasks.push_back(std::move(note));
    }
    return tasks;
}

Result<store::BuildChange> planBuildChange(store::Store& store, const store::Project& project,
                                           const store::BuildInput& build, bool comment, bool* connected) {
    store::BuildChange change;
    change.build = build;
    auto link = store.repositoryLink(project.id);
    if (connected != nullptr) *connected = link.ok();
    if (link.ok()) {
        change.tasks = planFeedbackTasks(project.team_id, build, link.value(), comment);
    } else if (link.error().kind != ErrorKind::not_found) {
        return link.error();
    }
    return change;
}

}  // namespace forgelink::delivery
