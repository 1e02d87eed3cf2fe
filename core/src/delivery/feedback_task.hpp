// The feedback task: what a build change enqueues (delivery/feedback_plan.hpp, with toJson) and the
// dispatcher reads (parse*Payload). The store keeps the payload opaque; this is its one writer and
// its one reader, so the stored format lives here alone. Rows already in a database were written in
// this same format (the JSON below has not changed): they read as they always did.
//
//  status  {"repository", "project_id", "state": BuildState name, "context", "target_url",
//           "description", "ref", "sha", "merge_request", "find_head"}
//          With "find_head" true and a "merge_request", the dispatcher also puts the status on the
//          merge request's head commit when it is not "sha" (Provider::getMergeRequest, once per
//          build: Store::recordMergeRequestHead), through a follow-up status task of that commit.
//          Payloads written before these two fields existed read as "" and false.
//  comment {"repository", "project_id", "merge_request", "sha"}
//          An empty "merge_request" asks the dispatcher to find the open merge requests of "sha"
//          (Provider::findMergeRequests) and to comment on each of them; such a task's key should
//          carry the sha (FeedbackKey{..., commit_sha = sha, context = "", comment, mr_number = ""})
//          so that different commits do not coalesce.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include <forgelink/result.hpp>
#include <forgelink/types.hpp>

namespace forgelink::delivery {

struct StatusPayload {
    std::string repository;
    std::int64_t project_id = 0;
    BuildState state = BuildState::queued;
    std::string context;
    std::string target_url;
    std::string description;
    std::string ref;
    std::string sha;
    std::string merge_request;  // the build's MR number, "" when it named none
    bool find_head = false;     // also post on the MR's head when it is another commit
};

struct CommentPayload {
    std::string repository;
    std::int64_t project_id = 0;
    std::string merge_request;  // empty: find the merge requests of `sha`
    std::string sha;
};

// invalid_input naming the field and what was expected when the payload is not of that shape.
Result<StatusPayload> parseStatusPayload(const nlohmann::json& payload);
Result<CommentPayload> parseCommentPayload(const nlohmann::json& payload);

nlohmann::json toJson(const StatusPayload& payload);
nlohmann::json toJson(const CommentPayload& payload);

}  // namespace forgelink::delivery
