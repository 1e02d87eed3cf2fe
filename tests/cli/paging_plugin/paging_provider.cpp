// A test double for the CLI: the "paging" provider serves fixed namespaces and repositories two
// per page (so the CLI must follow cursors), accepts statuses, finds merge requests !7 and !9
// for commit "abc", and refuses to comment on !13. It echoes the comment marker in comment_id so
// tests can see which marker the CLI sent. No network: it never uses the transport.
#include <forgelink/plugin.hpp>

#include <string>
#include <vector>

namespace {

using namespace forgelink;

constexpr const char* kAcceptedToken = "good-token";

Error refusedToken() {
    return makeError(ErrorKind::unauthorized, "the paging provider accepts only its fixed test token", "token_unknown");
}

template <class T>
Page<T> pageOf(const std::vector<T>& all, const std::string& cursor) {
    const std::size_t start = cursor.empty() ? 0 : std::stoul(cursor);
    Page<T> page;
    for (std::size_t i = start; i < all.size() && i < start + 2; ++i) page.items.push_back(all[i]);
    if (start + 2 < all.size()) page.next_cursor = std::to_string(start + 2);
    page.total = all.size();
    return page;
}

class PagingProvider final : public Provider {
public:
    explicit PagingProvider(HostServices&) {}

    Result<Page<Namespace>> listNamespaces(const Credentials& credentials, const NamespaceQuery& query,
                                           const std::string& cursor) override {
        if (credentials.token != kAcceptedToken) return refusedToken();
        std::vector<Namespace> all;
        for (const char* path : {"alpha", "beta", "gamma"}) {
            if (std::string(path).find(query.search) == std::string::npos) continue;
            Namespace ns;
            ns.id = path;
            ns.kind = "group";
            ns.path = ns.full_path = ns.name = path;
            all.push_back(ns);
        }
        return pageOf(all, cursor);
    }

    Result<Page<Repository>> listRepositories(const Credentials& credentials, const RepositoryQuery& query,
                                              const std::string& cursor) override {
        if (credentials.token != kAcceptedToken) return refusedToken();
        std::vector<Repository> all;
        int id = 0;
        for (const char* path : {"alpha/one", "alpha/two", "beta/three", "beta/four", "gamma/five"}) {
            Repository r;
            r.id = std::to_string(++id);
            r.full_path = path;
            r.namespace_path = r.full_path.substr(0, r.full_path.find('/'));
            r.name = r.full_path.substr(r.full_path.find('/') + 1);
            r.role = id == 5 ? Role::read : Role::maintain;
            r.visibility = "private";
            if (!query.namespace_path.empty() && r.namespace_path != query.namespace_path) continue;
            if (r.full_path.find(query.search) == std::string::npos) continue;
            if (r.role < query.min_role) continue;
            all.push_back(r);
        }
        return pageOf(all, cursor);
    }

    Result<StatusResult> publishStatus(const Credentials& credentials, const StatusRequest& request) override {
        if (credentials.token != kAcceptedToken) return refusedToken();
        if (request.repository == "missing/repo")
            return makeError(ErrorKind::not_found, "repository missing/repo not found", "repository_not_found");
        StatusResult result;
        result.forge_state = std::string(toString(request.state)) + "@" + request.context;
        result.status_id = "s-" + request.sha;
        return result;
    }

    Result<std::vector<MergeRequest>> findMergeRequests(const Credentials& credentials, const std::string&,
                                                        const std::string& sha) override {
        if (credentials.token != kAcceptedToken) return refusedToken();
        std::vector<MergeRequest> found;
        if (sha == "abc") {
            for (const char* number : {"7", "9"}) {
                MergeRequest mr;
                mr.number = number;
                mr.head_sha = sha;
                found.push_back(mr);
            }
        }
        return found;
    }

    Result<CommentResult> upsertComment(const Credentials& credentials, const CommentRequest& request) override {
        if (credentials.token != kAcceptedToken) return refusedToken();
        if (request.merge_request == "13")
            return makeError(ErrorKind::forbidden, "cannot comment on !13", "role_too_low");
        CommentResult result;
        result.action = request.body.empty() ? CommentResult::Action::unchanged : CommentResult::Action::created;
        result.comment_id = request.marker + "#" + request.merge_request;
        return result;
    }
};

}  // namespace

FORGELINK_PLUGIN(PagingProvider, "paging", "0.1.0",
                 FORGELINK_CAP_REPOSITORIES | FORGELINK_CAP_COMMIT_STATUS | FORGELINK_CAP_REVIEW_COMMENT)
