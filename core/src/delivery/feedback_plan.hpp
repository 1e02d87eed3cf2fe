// What a build change asks the forges to show: the feedback tasks written with the build in one
// store transaction (Store::recordBuildChange), delivered later by the dispatcher.
//
// Task shapes (written with delivery/feedback_task.hpp, the one writer and reader of payloads):
//  - "status", one per linked repository and commit: on commit_sha, and on head_sha too when the
//    build gives one that differs (the merge request's head). Key: (provider, instance,
//    repository_id, sha, context, status, ""). Payload: {"repository": id, "project_id", "state":
//    BuildState name, "context", "target_url", "description", "ref": branch, "sha",
//    "merge_request": the build's MR number, "find_head"}. "find_head" is true on the commit's
//    task of a build that names its merge request but no head_sha: the dispatcher then asks the
//    forge for the MR's head and, when it is another commit, posts there too (delivery/feedback_task.hpp).
//  - "comment", one per merge request. Key: (provider, instance, repository_id, sha, "", comment,
//    mr_number): one waiting comment per MR and commit, whatever project asked, because the body
//    is rendered at delivery from the builds of every project linked to that repository.
//    Payload: {"repository": id, "project_id", "merge_request": number, "sha"}.
//    Only when the build names its merge request: the store refuses comment tasks without an MR
//    number, so finding the MRs of a commit is left to the dispatcher.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace forgelink::delivery {

// Argos-style commit-status text: "3 changed, 2 added — waiting for your decision",
// "No changes detected", "Build in progress…".
std::string statusDescription(BuildState state, const store::BuildStats& stats);
// The same for a build change: a change made by the build timeout reads
// "timed out: no result within 6 h".
std::string statusDescription(const store::BuildInput& build);

// The tasks for `build` reported to `link`. `comment` = config feedback.comment.
std::vector<store::NewFeedbackTask> planFeedbackTasks(std::int64_t team_id, const store::BuildInput& build,
                                                      const store::RepositoryLink& link, bool comment);

// `build` with the feedback tasks of its project's repository link, ready for
// Store::recordBuildChange; no tasks when the project is not connected (`connected` then false).
Result<store::BuildChange> planBuildChange(store::Store& store, const store::Project& project,
                                           const store::BuildInput& build, bool comment, bool* connected = nullptr);

}  // namespace forgelink::delivery
