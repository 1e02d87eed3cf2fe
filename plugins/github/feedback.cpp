// Feedback on GitHub: commit statuses, the open pull requests of a commit, and Forgelink's one
// comment on a pull request (an issue comment, kept up to date in place).
#include <algorithm>
#include <cctype>

#include "github_provider.hpp"

namespace forgelink::github {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool isSha(std::string_view sha) {
    return support::isCommitSha(sha, support::ShaLength::full);
}

Error badSha(const std::string& sha) {
    return makeError(ErrorKind::invalid_input,
                     "\"" + sha.substr(0, 80) + "\" is not a commit SHA: expected 40 (or 64) hexadecimal digits",
                     "bad_sha");
}

// GitHub may hand back a body with CRLF line ends for what was sent with LF.
std::string normalized(std::string_view body) {
    std::string out;
    out.reserve(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
        out.push_back(body[i]);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

constexpr std::size_t kMaxDescription = 140;    // GitHub refuses longer status descriptions
constexpr std::size_t kMaxCommentChars = 65536;  // GitHub's limit on a comment body

}  // namespace

Result<StatusResult> GitHubProvider::doPublishStatus(const Credentials& credentials, const StatusRequest& request) {
    auto api_result = client(credentials);
    if (!api_result) return api_result.error();
    const ApiClient& api = api_result.value();
    if (!isSha(request.sha)) return badSha(request.sha);
    auto full_name = fullNameOf(api, request.repository);
    if (!full_name) return full_name.error();

    const std::string state(githubState(request.state));
    const std::string context = request.context.empty() ? std::string("forgelink") : request.context;
    const std::string description = truncateUtf8(request.description, kMaxDescription);
    const std::string where = "commit " + request.sha.substr(0, 12) + " of " + full_name.value();

    // GitHub keeps every status ever posted (at most 1,000 per commit and context) and has no
    // state machine: skip a post that would change nothing the forge shows.
    auto existing = api.get("/repos/" + full_name.value() + "/commits/" + request.sha + "/statuses?per_page=100",
                            "reading the statuses of " + where);
    if (!existing) {
        Error e = existing.error();
        // A token that may not even read statuses may not write them: name what the write needs.
        if (e.code == "permission_missing") {
            e.missing_scopes = {"statuses=write"};
            e.message += "; posting statuses needs Commit statuses: write";
        }
        return e;
    }
    if (existing->is_array()) {
        for (const auto& item : existing.value()) {
            auto s = parseCommitStatus(item);
            if (!s || lower(s->context) != lower(context)) continue;
            // Newest first: the first match is what GitHub shows for this context.
            if (s->state == state && s->description == description && s->target_url == request.target_url) {
                StatusResult same;
                same.forge_state = state;
                same.already_current = true;
                return same;
            }
            break;
        }
    }

    nlohmann::json body = {{"state", state}, {"context", context}};
    if (!request.target_url.empty()) body["target_url"] = request.target_url;
    if (!description.empty()) body["description"] = description;
    HttpRequest post = api.request("POST", api.apiUrl("/repos/" + full_name.value() + "/statuses/" + request.sha));
    ApiClient::setJsonBody(post, body);
    pace(post, api, credentials);
    auto created = api.call(post, "posting commit status " + state + " (" + context + ") on " + where);
    if (!created) return heldBack(created.error(), api, "a commit status");
    auto status = parseCommitStatus(created.value());
    if (!status) return status.error();
    StatusResult out;
    out.forge_state = status->state;
    out.status_id = std::to_string(status->id);
    return out;
}

Result<std::vector<MergeRequest>> GitHubProvider::doFindMergeRequests(const Credentials& credentials,
                                                                      const std::string& repository,
                                                                      const std::string& sha) {
    auto api_result = client(credentials);
    if (!api_result) return api_result.error();
    const ApiClient& api = api_result.value();
    if (!isSha(sha)) return badSha(sha);
    auto ref = parseRepoRef(repository);
    if (!ref) return ref.error();
    auto full_name = fullNameOf(api, repository);
    if (!full_name) return full_name.error();

    auto items = api.getAll("/repos/" + full_name.value() + "/commits/" + sha + "/pulls?per_page=100",
                            "listing the pull requests of commit " + sha.substr(0, 12) + " in " + full_name.value());
    if (!items) return items.error();
    std::vector<Pull> open;
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto pull = parsePull(items.value()[i]);
        if (!pull) {
            Error e = pull.error();
            e.message = "pulls[" + std::to_string(i) + "]: " + e.message;
            return e;
        }
        if (pull->merge_request.state == "open") open.push_back(std::move(pull).value());
    }
    // Only pull requests into this repository: a fork's PR that carries the commit targets the
    // fork's parent, which is another repository's business.
    std::string repo_id = ref->id;
    std::vector<MergeRequest> out;
    auto matches = [&](const Pull& p) {
        if (!repo_id.empty()) return p.merge_request.target_repository == repo_id;
        return lower(p.base_full_name) == lower(full_name.value());
    };
    bool all_match = std::all_of(open.begin(), open.end(), matches);
    if (!all_match && repo_id.empty()) {
        // The name may be an old one (a renamed repository): compare ids instead.
        auto repo = fetchRepository(api, full_name.value());
        if (!repo) return repo.error();
        repo_id = repo->repository.id;
    }
    for (auto& p : open) {
        if (matches(p)) out.push_back(std::move(p.merge_request));
    }
    return out;
}

Result<MergeRequest> GitHubProvider::doGetMergeRequest(const Credentials& credentials, const std::string& repository,
                                                       const std::string& number) {
    if (!isNumericId(number) || number == "0") {
        return makeError(ErrorKind::invalid_input, "\"" + number.substr(0, 40) + "\" is not a pull request number",
                         "bad_merge_request");
    }
    auto api_result = client(credentials);
    if (!api_result) return api_result.error();
    const ApiClient& api = api_result.value();
    auto full_name = fullNameOf(api, repository);
    if (!full_name) return full_name.error();
    // GET /repos/{owner}/{repo}/pulls/{number}: head.sha is the commit the pull request shows;
    // a CI build of refs/pull/N/merge ran on another one.
    auto json = api.get("/repos/" + full_name.value() + "/pulls/" + number,
                        "reading pull request #" + number + " of " + full_name.value());
    if (!json) {
        Error e = json.error();
        if (e.kind == ErrorKind::not_found)
            e.message = "pull request #" + number + " of " + full_name.value() +
                        " is not on GitHub or not visible to the token (" + e.message + ")";
        return e;
    }
    auto pull = parsePull(json.value());
    if (!pull) return pull.error();
    if (!isSha(pull->merge_request.head_sha)) {
        return makeError(ErrorKind::internal,
                         "GitHub answered pull request #" + number + " of " + full_name.value() + " without a head commit sha",
                         "bad_response");
    }
    return pull->merge_request;
}

Result<CommentResult> GitHubProvider::doUpsertComment(const Credentials& credentials, const CommentRequest& request) {
    auto api_result = client(credentials);
    if (!api_result) return api_result.error();
    const ApiClient& api = api_result.value();

    const std::string& marker = request.marker;
    if (auto checked = support::checkCommentMarker(marker); !checked) return checked.error();
    if (!isNumericId(request.merge_request) || request.merge_request == "0") {
        return makeError(ErrorKind::invalid_input,
                         "\"" + request.merge_request.substr(0, 40) + "\" is not a pull request number",
                         "bad_merge_request");
    }
    // GitHub refuses bodies over 65,536 characters; a cut body still says what it can.
    const std::string full_body = marker + "\n" + truncateUtf8(request.body, kMaxCommentChars - marker.size() - 1);
    auto full_name = fullNameOf(api, request.repository);
    if (!full_name) return full_name.error();
    auto user = me(api, credentials);
    if (!user) return user.error();
    const std::int64_t my_id = user->id;
    const std::string repo_path = "/repos/" + full_name.value();
    const std::string pr = full_name.value() + "#" + request.merge_request;
    auto ours = [&](const Comment& c) { return c.user_id == my_id && c.body.find(marker) != std::string::npos; };

    // Ours on the PR, oldest (lowest id) first.
    auto listOurs = [&]() -> Result<std::vector<Comment>> {
        auto items = api.getAll(repo_path + "/issues/" + request.merge_request + "/comments?per_page=100",
                                "listing the comments of " + pr, 1000);
        if (!items) {
            Error e = items.error();
            // A token that may not even read the comments may not write them: name what the write needs.
            if (e.code == "permission_missing") {
                e.missing_scopes = {"pull_requests=write"};
                e.message += "; Forgelink's comment needs Pull requests: write (or Issues: write)";
            }
            return e;
        }
        std::vector<Comment> found;
        for (const auto& item : items.value()) {
            auto c = parseComment(item);
            if (!c) return c.error();
            if (ours(c.value())) found.push_back(std::move(c).value());
        }
        std::sort(found.begin(), found.end(), [](const Comment& a, const Comment& b) { return a.id < b.id; });
        return found;
    };
    auto create = [&]() -> Result<Comment> {
        HttpRequest post = api.request("POST", api.apiUrl(repo_path + "/issues/" + request.merge_request + "/comments"));
        ApiClient::setJsonBody(post, {{"body", full_body}});
        pace(post, api, credentials);
        auto j = api.call(post, "commenting on " + pr);
        if (!j) return heldBack(j.error(), api, "a pull request comment");
        return parseComment(j.value());
    };
    // Ok(true) = updated, Ok(false) = the comment is gone (404).
    auto update = [&](std::int64_t id) -> Result<bool> {
        HttpRequest patch = api.request("PATCH", api.apiUrl(repo_path + "/issues/comments/" + std::to_string(id)));
        ApiClient::setJsonBody(patch, {{"body", full_body}});
        pace(patch, api, credentials);
        auto response = api.send(patch);
        if (!response) return heldBack(response.error(), api, "a pull request comment");
        if (response->status == 404) return false;
        auto j = api.json(response.value(), "updating Forgelink's comment " + std::to_string(id) + " on " + pr);
        if (!j) return j.error();
        return true;
    };
    auto removeDuplicates = [&](const std::vector<Comment>& found) -> Result<void> {
        for (std::size_t i = 1; i < found.size(); ++i) {
            auto response = api.send(
                api.request("DELETE", api.apiUrl(repo_path + "/issues/comments/" + std::to_string(found[i].id))));
            if (!response) return response.error();
            if (response->status != 204 && response->status != 404) {
                return errorFromResponse(api.instance(), response.value(),
                                         "removing duplicate comment " + std::to_string(found[i].id) + " on " + pr);
            }
            log(LogLevel::info, "removed duplicate Forgelink comment " + std::to_string(found[i].id) + " on " + pr);
        }
        return {};
    };
    // Creates ours, then makes sure a concurrent upsert did not create a second one: the oldest
    // stays, the others go, and the one that stays carries this body.
    auto createOnce = [&](CommentResult::Action action) -> Result<CommentResult> {
        auto created = create();
        if (!created) return created.error();
        auto found = listOurs();
        if (!found) return found.error();
        CommentResult result{action, std::to_string(created->id)};
        if (found->size() > 1) {
            if (auto removed = removeDuplicates(found.value()); !removed) return removed.error();
            const Comment& kept = found->front();
            result.comment_id = std::to_string(kept.id);
            if (normalized(kept.body) != normalized(full_body)) {
                auto updated = update(kept.id);
                if (!updated) return updated.error();
            }
        }
        return result;
    };

    // The hint first: one GET instead of listing every comment.
    if (!request.known_comment_id.empty() && isNumericId(request.known_comment_id)) {
        auto response = api.send(api.request("GET", api.apiUrl(repo_path + "/issues/comments/" + request.known_comment_id)));
        if (!response) return response.error();
        if (response->status != 404) {
            auto j = api.json(response.value(), "reading Forgelink's comment " + request.known_comment_id + " on " + pr);
            if (!j) return j.error();
            auto c = parseComment(j.value());
            if (!c) return c.error();
            const std::string* issue_url = nullptr;
            if (j->contains("issue_url") && j.value()["issue_url"].is_string()) issue_url = &j.value()["issue_url"].get_ref<const std::string&>();
            bool same_pr = issue_url == nullptr ||
                           (issue_url->size() > request.merge_request.size() + 8 &&
                            issue_url->substr(issue_url->size() - request.merge_request.size() - 8) ==
                                "/issues/" + request.merge_request);
            if (ours(c.value()) && same_pr) {
                if (normalized(c->body) == normalized(full_body)) {
                    return CommentResult{CommentResult::Action::unchanged, std::to_string(c->id)};
                }
                auto updated = update(c->id);
                if (!updated) return updated.error();
                if (updated.value()) return CommentResult{CommentResult::Action::updated, std::to_string(c->id)};
            }
            // Not ours, another PR's, or gone meanwhile: look for ours on the PR below.
        }
    }

    auto found = listOurs();
    if (!found) return found.error();
    if (found->empty()) {
        return createOnce(request.known_comment_id.empty() ? CommentResult::Action::created
                                                           : CommentResult::Action::recreated);
    }
    if (found->size() > 1) {
        if (auto removed = removeDuplicates(found.value()); !removed) return removed.error();
    }
    const Comment& kept = found->front();
    if (normalized(kept.body) == normalized(full_body)) {
        return CommentResult{CommentResult::Action::unchanged, std::to_string(kept.id)};
    }
    auto updated = update(kept.id);
    if (!updated) return updated.error();
    if (updated.value()) return CommentResult{CommentResult::Action::updated, std::to_string(kept.id)};
    // Deleted between listing and updating: recreate, once.
    return createOnce(CommentResult::Action::recreated);
}

}  // namespace forgelink::github
