// Build feedback on GitLab: commit statuses (API-FACTS A10), the merge requests of a commit (A11)
// and Forgelink's one note per merge request (A12).
#include <algorithm>
#include <chrono>
#include <regex>

#include "gitlab_provider.hpp"

namespace forgelink::gitlab {
namespace {

constexpr int kNotesPerPage = 100;
constexpr int kMaxNotePages = 1000;

const char* gitlabState(BuildState state) {
    switch (state) {
        case BuildState::queued: return "pending";
        case BuildState::in_progress: return "running";
        case BuildState::no_changes:
        case BuildState::accepted:
        case BuildState::skipped: return "success";
        case BuildState::changes_detected:
        case BuildState::rejected:
        case BuildState::errored: return "failed";
        case BuildState::aborted: return "canceled";
    }
    return "failed";
}

bool isSha(std::string_view sha) {
    return support::isCommitSha(sha, support::ShaLength::abbreviated);
}

// GitLab's state machine names events and states: "Cannot transition status via :run from :running".
std::optional<std::string> transitionFrom(const std::string& message) {
    static const std::regex pattern("Cannot transition status via :([a-z_]+) from :([a-z_]+)");
    std::smatch m;
    if (!std::regex_search(message, m, pattern)) return std::nullopt;
    return m[2].str();
}

Error withAdvice(Error e, const std::string& project, const std::string& sha) {
    if (e.code == "forbidden") {
        e.message += ". Posting a status on " + project + " needs Developer (30), Maintainer (40) on protected branches";
    } else if (e.code == "commit_not_found") {
        e.message = "commit " + sha + " is not in project " + project + " on GitLab (" + e.message +
                    "); check the commit was pushed to that project, not only to a fork";
    } else if (e.code == "project_not_found") {
        e.message = "project " + project + " is not visible to the token (" + e.message +
                    "); check the project path and that the token's user (or bot) is still a member";
    }
    return e;
}

}  // namespace

Result<StatusResult> GitLabProvider::doPublishStatus(const Credentials& credentials, const StatusRequest& request) {
    if (request.repository.empty()) {
        return makeError(ErrorKind::invalid_input, "no project was given for the commit status", "bad_repository");
    }
    if (!isSha(request.sha)) {
        return makeError(ErrorKind::invalid_input,
                         "\"" + request.sha.substr(0, 80) + "\" is not a commit sha (expected 7 to 64 hex digits)",
                         "bad_sha");
    }
    auto api = client(credentials);
    if (!api) return api.error();
    const std::string state = gitlabState(request.state);
    nlohmann::json body = {{"state", state}, {"name", request.context.empty() ? "forgelink" : request.context}};
    if (!request.ref.empty()) body["ref"] = request.ref;
    if (!request.target_url.empty()) body["target_url"] = request.target_url;
    if (!request.description.empty()) {
        // GitLab stores at most 255 characters.
        body["description"] = request.description.size() > 255 ? request.description.substr(0, 252) + "..."
                                                                : request.description;
    }
    HttpRequest http = api->request("POST", "/projects/" + projectRef(request.repository) + "/statuses/" + request.sha);
    ApiClient::setJsonBody(http, body);
    // Repeating a status POST is harmless (a repeat is "Cannot transition", a final state makes a
    // new record): let the host retry it on connection failures and 5xx.
    http.retry = HttpRequest::Retry::always;
    // "Another update to this commit status is in progress": GitLab holds a lock briefly and
    // answers 409 without acting. The host retries it with its backoff.
    http.retry_statuses = {409};
    const std::string action = "posting commit status " + state + " on " + request.repository + "@" + request.sha;

    auto response = api->send(http);
    if (!response) return response.error();
    const HttpResponse& r = response.value();
    if (r.status == 200 || r.status == 201) {
        auto json = api->json(r, http.url, action);
        if (!json) return json.error();
        auto status = parseCommitStatus(json.value());
        if (!status) return status.error();
        return StatusResult{status->status, std::to_string(status->id), false};
    }
    if (r.status == 400) {
        const ErrorBody error = parseErrorBody(r);
        if (auto from = transitionFrom(error.text)) {
            // GitLab already shows this (or a state it will not leave for this one): done.
            return StatusResult{*from, "", true};
        }
    }
    Error e = withAdvice(errorFromResponse(api->instance(), r, action), request.repository, request.sha);
    if (r.status == 409) {
        e.message += " (still locked after the host's retries)";
        if (!e.retry_after) e.retry_after = std::chrono::seconds(5);
    }
    return e;
}

Result<std::vector<MergeRequest>> GitLabProvider::doFindMergeRequests(const Credentials& credentials,
                                                                      const std::string& repository,
                                                                      const std::string& sha) {
    if (!isSha(sha)) {
        return makeError(ErrorKind::invalid_input,
                         "\"" + sha.substr(0, 80) + "\" is not a commit sha (expected 7 to 64 hex digits)", "bad_sha");
    }
    auto api = client(credentials);
    if (!api) return api.error();
    std::string project_id = repository;
    if (!isNumericId(repository)) {
        auto project = fetchProject(api.value(), repository);
        if (!project) return project.error();
        project_id = project->repository.id;
    }
    std::vector<MergeRequest> out;
    for (int page = 1; page <= kMaxNotePages; ++page) {
        auto request = api->request("GET", "/projects/" + project_id + "/repository/commits/" + sha +
                                               "/merge_requests?" +
                                               encodeQuery({{"state", "opened"},
                                                            {"per_page", std::to_string(kNotesPerPage)},
                                                            {"page", std::to_string(page)}}));
        auto response = api->send(request);
        if (!response) return response.error();
        auto json = api->json(response.value(), request.url, "finding merge requests of " + repository + "@" + sha);
        if (!json) return withAdvice(json.error(), repository, sha);
        auto mrs = parseArray<MergeRequest>(json.value(), "merge requests", parseMergeRequest);
        if (!mrs) return mrs.error();
        for (auto& mr : mrs.value()) {
            // Older GitLab ignores state=; MRs from forks are listed in the target project only.
            if (mr.state == "opened" && mr.target_repository == project_id) out.push_back(std::move(mr));
        }
        const std::string* next = response.value().header("X-Next-Page");
        if (next == nullptr || next->empty() || mrs->empty()) break;
    }
    return out;
}

Result<MergeRequest> GitLabProvider::doGetMergeRequest(const Credentials& credentials, const std::string& repository,
                                                       const std::string& number) {
    if (repository.empty()) {
        return makeError(ErrorKind::invalid_input, "no project was given for the merge request", "bad_repository");
    }
    if (!isNumericId(number) || number == "0") {
        return makeError(ErrorKind::invalid_input, "\"" + number.substr(0, 40) + "\" is not a merge request number (iid)",
                         "bad_merge_request");
    }
    auto api = client(credentials);
    if (!api) return api.error();
    // GET /projects/:id/merge_requests/:iid (API-FACTS A12's MR): `sha` is the head of the source
    // branch, whatever commit a merged-results pipeline ran on.
    auto json = api->get("/projects/" + projectRef(repository) + "/merge_requests/" + number,
                         "reading merge request !" + number + " of " + repository);
    if (!json) {
        Error e = json.error();
        if (e.kind == ErrorKind::not_found)
            e.message = "merge request !" + number + " of " + repository + " is not on GitLab or not visible to the token (" +
                        e.message + ")";
        return e;
    }
    auto mr = parseMergeRequest(json.value());
    if (!mr) return mr.error();
    if (mr->head_sha.empty() || !isSha(mr->head_sha)) {
        return makeError(ErrorKind::internal,
                         "GitLab answered merge request !" + number + " of " + repository + " without a head commit (sha)",
                         "bad_response");
    }
    return mr;
}

namespace {

struct NoteScan {
    std::vector<Note> ours;  // our notes carrying the marker, lowest id first
};

}  // namespace

Result<CommentResult> GitLabProvider::doUpsertComment(const Credentials& credentials, const CommentRequest& request) {
    const std::string& marker = request.marker;
    if (auto checked = support::checkCommentMarker(marker); !checked) return checked.error();
    if (!isNumericId(request.merge_request)) {
        return makeError(ErrorKind::invalid_input,
                         "\"" + request.merge_request.substr(0, 40) + "\" is not a merge request number (iid)",
                         "bad_merge_request");
    }
    auto api_result = client(credentials);
    if (!api_result) return api_result.error();
    const ApiClient& api = api_result.value();
    auto user = me(api, credentials.token);
    if (!user) return user.error();
    const std::int64_t my_id = std::stoll(user->identity.id);
    const std::string full_body = marker + "\n" + request.body;
    const std::string notes = "/projects/" + projectRef(request.repository) + "/merge_requests/" +
                              request.merge_request + "/notes";
    const std::string where = "the note on merge request !" + request.merge_request + " of " + request.repository;

    auto ours = [&](const Note& n) { return n.author_id == my_id && !n.system && n.body.find(marker) != std::string::npos; };

    // Every page: the note may be anywhere in a long discussion.
    auto scan = [&]() -> Result<NoteScan> {
        NoteScan found;
        for (int page = 1; page <= kMaxNotePages; ++page) {
            auto req = api.request("GET", notes + "?" + encodeQuery({{"sort", "asc"},
                                                                     {"order_by", "created_at"},
                                                                     {"per_page", std::to_string(kNotesPerPage)},
                                                                     {"page", std::to_string(page)}}));
            auto response = api.send(req);
            if (!response) return response.error();
            auto json = api.json(response.value(), req.url, "reading the notes of merge request !" + request.merge_request);
            if (!json) return json.error();
            auto list = parseArray<Note>(json.value(), "notes", parseNote);
            if (!list) return list.error();
            for (auto& n : list.value()) {
                if (ours(n)) found.ours.push_back(std::move(n));
            }
            const std::string* next = response.value().header("X-Next-Page");
            if (next == nullptr || next->empty() || list->empty()) break;
            if (std::stoi(*next) <= page) {
                return makeError(ErrorKind::internal, "GitLab paginated the notes backwards; stopped to avoid a loop",
                                 "pagination_loop");
            }
        }
        std::sort(found.ours.begin(), found.ours.end(), [](const Note& a, const Note& b) { return a.id < b.id; });
        return found;
    };

    auto update = [&](const Note& note, CommentResult::Action if_changed) -> Result<CommentResult> {
        if (note.body == full_body) return CommentResult{CommentResult::Action::unchanged, std::to_string(note.id)};
        HttpRequest put = api.request("PUT", notes + "/" + std::to_string(note.id));
        ApiClient::setJsonBody(put, {{"body", full_body}});
        auto json = api.call(put, "updating " + where);
        if (!json) return json.error();
        return CommentResult{if_changed, std::to_string(note.id)};
    };

    auto remove = [&](std::int64_t id) -> Result<void> {
        auto response = api.send(api.request("DELETE", notes + "/" + std::to_string(id)));
        if (!response) return response.error();
        const int s = response.value().status;
        if ((s >= 200 && s < 300) || s == 404) return {};
        return errorFromResponse(api.instance(), response.value(), "deleting a duplicate of " + where);
    };

    bool hinted_note_gone = false;
    if (!request.known_comment_id.empty() && isNumericId(request.known_comment_id)) {
        auto req = api.request("GET", notes + "/" + request.known_comment_id);
        auto response = api.send(req);
        if (!response) return response.error();
        if (response.value().status == 404) {
            // Gone (deleted by someone, or the hint is stale); the listing below decides.
            hinted_note_gone = true;
        } else {
            auto json = api.json(response.value(), req.url, "reading " + where);
            if (!json) return json.error();
            auto note = parseNote(json.value());
            if (!note) return note.error();
            if (ours(note.value())) return update(note.value(), CommentResult::Action::updated);
            // Someone else's note, or ours without the marker: never touch it; find ours below.
        }
    }

    auto found = scan();
    if (!found) return found.error();
    if (!found->ours.empty()) {
        // Duplicates from an earlier race: keep the oldest.
        for (std::size_t i = 1; i < found->ours.size(); ++i) {
            auto removed = remove(found->ours[i].id);
            if (!removed) return removed.error();
        }
        return update(found->ours.front(), CommentResult::Action::updated);
    }

    HttpRequest post = api.request("POST", notes);
    ApiClient::setJsonBody(post, {{"body", full_body}});
    auto created_json = api.call(post, "creating " + where);
    if (!created_json) return created_json.error();
    auto created = parseNote(created_json.value());
    if (!created) return created.error();

    // Another worker may have created the same note meanwhile: the oldest wins, the others
    // delete what they created.
    auto after = scan();
    if (!after) return after.error();
    const CommentResult::Action action = hinted_note_gone ? CommentResult::Action::recreated : CommentResult::Action::created;
    if (after->ours.empty() || after->ours.front().id == created->id) {
        return CommentResult{action, std::to_string(created->id)};
    }
    auto removed = remove(created->id);
    if (!removed) return removed.error();
    log(LogLevel::info, "a concurrent upsert created " + where + " first; kept note " +
                            std::to_string(after->ours.front().id));
    return update(after->ours.front(), CommentResult::Action::updated);
}

}  // namespace forgelink::gitlab
