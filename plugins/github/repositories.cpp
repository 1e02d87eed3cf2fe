// Namespaces (the user and their organizations), repositories (with the token's role), and what
// the token may do on one repository.
//
// Search is applied here, after GitHub answers: GitHub's listing endpoints have no name filter
// (the search API has one, but with its own rate limit of 30/min and no permissions object).
// A page may therefore hold fewer items than GitHub sent, or none while more pages follow.
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

bool matchesSearch(const std::string& search, std::initializer_list<std::string_view> fields) {
    if (search.empty()) return true;
    std::string needle = lower(search);
    return std::any_of(fields.begin(), fields.end(),
                       [&](std::string_view f) { return lower(f).find(needle) != std::string::npos; });
}

constexpr int kPerPage = 100;

}  // namespace

Result<Page<Namespace>> GitHubProvider::doListNamespaces(const Credentials& credentials, const NamespaceQuery& query,
                                                         const std::string& cursor) {
    if (!cursor.empty()) {
        return makeError(ErrorKind::invalid_input, "the namespace listing has a single page; pass \"\" as the cursor",
                         "bad_cursor");
    }
    auto api = client(credentials);
    if (!api) return api.error();
    auto user = me(api.value(), credentials);
    if (!user) return user.error();
    Page<Namespace> page;
    Namespace self;
    self.id = user->identity.id;
    self.kind = "user";
    self.path = user->identity.username;
    self.full_path = self.path;
    self.name = user->identity.name;
    self.web_url = user->identity.web_url;
    if (matchesSearch(query.search, {self.path, self.name})) page.items.push_back(self);

    auto orgs = api->getAll("/user/orgs?per_page=100", "listing the user's organizations (GET /user/orgs)");
    if (!orgs) return orgs.error();
    for (std::size_t i = 0; i < orgs->size(); ++i) {
        auto org = parseOrganization(orgs.value()[i]);
        if (!org) {
            Error e = org.error();
            e.message = "organizations[" + std::to_string(i) + "]: " + e.message;
            return e;
        }
        if (org->web_url.empty()) org->web_url = api->instance().web_root + "/" + org->path;
        if (matchesSearch(query.search, {org->path, org->name})) page.items.push_back(std::move(org).value());
    }
    page.total = page.items.size();
    return page;
}

Result<Page<Repository>> GitHubProvider::doListRepositories(const Credentials& credentials, const RepositoryQuery& query,
                                                            const std::string& cursor_text) {
    auto api_result = client(credentials);
    if (!api_result) return api_result.error();
    const ApiClient& api = api_result.value();

    ListCursor cursor;
    if (cursor_text.empty()) {
        std::string path;
        if (query.namespace_path.empty()) {
            path = "/user/repos?affiliation=owner,collaborator,organization_member&sort=full_name&per_page=" +
                   std::to_string(kPerPage);
        } else {
            auto user = me(api, credentials);
            if (!user) return user.error();
            if (lower(query.namespace_path) == lower(user->identity.username)) {
                path = "/user/repos?affiliation=owner&sort=full_name&per_page=" + std::to_string(kPerPage);
            } else {
                auto ref = parseRepoRef(query.namespace_path + "/x");
                if (!ref || isNumericId(query.namespace_path)) {
                    return makeError(ErrorKind::invalid_input,
                                     "\"" + query.namespace_path.substr(0, 100) +
                                         "\" is not a GitHub organization or user name",
                                     "bad_namespace");
                }
                path = "/orgs/" + query.namespace_path + "/repos?type=all&sort=full_name&per_page=" +
                       std::to_string(kPerPage);
            }
        }
        cursor.next_url = api.apiUrl(path);
    } else {
        auto decoded = decodeCursor(cursor_text);
        if (!decoded) return decoded.error();
        cursor = decoded.value();
        if (!api.isApiUrl(cursor.next_url)) {
            return makeError(ErrorKind::invalid_input,
                             "the listing cursor points outside the GitHub API of " + api.instance().key +
                                 "; it belongs to another instance",
                             "bad_cursor");
        }
    }

    const std::string action = query.namespace_path.empty() ? std::string("listing the token's repositories")
                                                            : "listing the repositories of " + query.namespace_path;
    std::vector<HttpResponse> answers;
    auto first = api.send(api.request("GET", cursor.next_url));
    if (!first) return first.error();
    if (first->status == 404 && !query.namespace_path.empty()) {
        Error e = errorFromResponse(api.instance(), first.value(), action);
        e.message = "GitHub at " + api.instance().key + " knows no organization \"" + query.namespace_path +
                    "\" visible to this token (404); other users' repositories appear in the full listing when the "
                    "token's user collaborates on them";
        return e;
    }
    answers.push_back(first.value());
    // Pages after this one, fetched together when GitHub said where the listing ends.
    std::string next = linkTarget(first.value(), "next");
    std::string last = linkTarget(first.value(), "last");
    if (!last.empty()) {
        if (auto lp = queryParam(last, "page")) cursor.last_page = std::atoll(lp->c_str());
    }
    std::size_t concurrency = std::max<std::size_t>(1, query.concurrency);
    if (concurrency > 1 && !next.empty() && cursor.last_page > 0 && api.isApiUrl(next)) {
        auto np = queryParam(next, "page");
        long long from = np ? std::atoll(np->c_str()) : 0;
        if (from > 0) {
            std::vector<HttpRequest> batch;
            for (long long p = from; p <= cursor.last_page && batch.size() + 1 < concurrency; ++p) {
                batch.push_back(api.request("GET", withQueryParam(next, "page", std::to_string(p))));
            }
            auto results = api.sendAll(batch, concurrency);
            for (auto& res : results) {
                if (!res) return res.error();
                answers.push_back(res.value());
            }
            long long after = from + static_cast<long long>(batch.size());
            next = after <= cursor.last_page ? withQueryParam(next, "page", std::to_string(after)) : std::string();
        }
    }

    Page<Repository> page;
    for (const HttpResponse& answer : answers) {
        auto j = api.json(answer, action);
        if (!j) return j.error();
        auto repos = parseArray<Repo>(j.value(), "repositories",
                                      [&](const nlohmann::json& item) { return parseRepository(item, api.instance().key); });
        if (!repos) return repos.error();
        for (Repo& repo : repos.value()) {
            Repository& r = repo.repository;
            if (r.archived && !query.include_archived) continue;
            // Without a permissions object the token can at least read what it was shown.
            Role role = repo.permissions_known ? r.role : Role::read;
            if (role < query.min_role) continue;
            if (!matchesSearch(query.search, {r.name, r.full_path})) continue;
            page.items.push_back(std::move(r));
        }
    }
    if (!next.empty()) {
        if (!api.isApiUrl(next)) {
            return makeError(ErrorKind::invalid_input,
                             "GitHub at " + api.instance().key + " sent a next-page link outside its API while " + action,
                             "unexpected_response");
        }
        cursor.next_url = next;
        page.next_cursor = encodeCursor(cursor);
    }
    return page;
}

Result<RepositoryPermissions> GitHubProvider::doRepositoryPermissions(const Credentials& credentials,
                                                                      const std::string& id_or_path) {
    auto api_result = client(credentials);
    if (!api_result) return api_result.error();
    const ApiClient& api = api_result.value();
    auto ref = parseRepoRef(id_or_path);
    if (!ref) return ref.error();
    std::string path = ref->id.empty() ? "/repos/" + ref->full_name : "/repositories/" + ref->id;
    auto response = api.send(api.request("GET", api.apiUrl(path)));
    if (!response) return response.error();
    auto j = api.json(response.value(), "reading repository " + id_or_path);
    if (!j) return j.error();
    auto repo = parseRepository(j.value(), api.instance().key);
    if (!repo) return repo.error();

    RepositoryPermissions out;
    out.repository = repo->repository;
    const Role role = repo->repository.role;
    const std::string& name = out.repository.full_path;
    auto scopes = parseScopes(response->headers);
    // Fine-grained and App user tokens have permissions, not scopes (see tokens.cpp).
    if (credentials.token.rfind("github_pat_", 0) == 0 || credentials.token.rfind("ghu_", 0) == 0) scopes.reset();

    if (!repo->permissions_known) {
        out.post_status = {false, "GitHub did not say what the token's user may do on " + name +
                                      " (no permissions object); posting statuses needs push access"};
        out.comment = {false, "GitHub did not say what the token's user may do on " + name};
        return out;
    }

    // What the user may do (the role), then what the token may do (scopes or permissions).
    if (role >= Role::write) {
        out.post_status = {true, "the token's user has " + std::string(roleLabel(role)) + " access to " + name};
    } else {
        out.post_status = {false, "posting commit statuses needs push access; the token's user has " +
                                      std::string(roleLabel(role)) + " access to " + name +
                                      ": ask an admin of the repository for write access"};
    }
    if (role >= Role::read) {
        out.comment = {true, "anyone who can read " + name + " may comment on its pull requests"};
    } else {
        out.comment = {false, "the token's user cannot read " + name};
    }

    if (scopes) {
        const bool repo_scope = std::find(scopes->begin(), scopes->end(), "repo") != scopes->end();
        const bool status_scope = repo_scope || std::find(scopes->begin(), scopes->end(), "repo:status") != scopes->end();
        const bool public_scope = repo_scope || std::find(scopes->begin(), scopes->end(), "public_repo") != scopes->end();
        if (out.post_status.allowed && !status_scope) {
            out.post_status = {false, "the token lacks scope repo (or repo:status) to post commit statuses: " +
                                          api.instance().tokenPageUrl()};
        }
        if (out.comment.allowed && !(repo_scope || (public_scope && !repo->is_private))) {
            out.comment = {false, std::string("the token lacks scope repo") +
                                      (repo->is_private ? " (public_repo does not reach private repositories)" : "") +
                                      " to comment: " + api.instance().tokenPageUrl()};
        }
        return out;
    }

    // Fine-grained PAT or App token: its own permissions are invisible; probe them with reads
    // that change nothing. A read refused with "Resource not accessible" means the permission is
    // absent altogether (write implies read); a read that works leaves write unknown.
    auto probe = [&](const std::string& probe_path) -> std::optional<std::string> {
        auto answer = api.send(api.request("GET", api.apiUrl(probe_path)));
        if (!answer || answer->status != 403) return std::nullopt;
        if (parseErrorBody(answer.value()).text.find("Resource not accessible") == std::string::npos) return std::nullopt;
        // Alternatives ("issues=read; pull_requests=read") are either-or; within one, all are needed.
        std::string need;
        for (const auto& alt : parseAcceptedPermissions(answer->headers)) {
            std::string all;
            for (const auto& p : alt) all += (all.empty() ? "" : " and ") + permissionLabel(p);
            need += (need.empty() ? "" : " or ") + all;
        }
        return need.empty() ? std::string("the permission") : need;
    };
    const std::string base = "/repos/" + name;
    if (out.post_status.allowed) {
        std::string ref_name = out.repository.default_branch.empty() ? "HEAD" : out.repository.default_branch;
        if (auto missing = probe(base + "/commits/" + urlEncode(ref_name) + "/statuses?per_page=1")) {
            out.post_status = {false, "the token may not touch commit statuses on " + name + " (GitHub wants " +
                                          *missing + "): give it Commit statuses: write for this repository"};
        } else {
            out.post_status.reason += "; the token's own Commit statuses permission is unknown until the first write "
                                      "(fine-grained and App tokens do not expose it)";
        }
    }
    if (out.comment.allowed) {
        auto issues = probe(base + "/issues?per_page=1");
        auto pulls = issues ? probe(base + "/pulls?per_page=1") : std::nullopt;
        if (issues && pulls) {
            out.comment = {false, "the token may not read issues or pull requests on " + name + " (GitHub wants " +
                                      *issues + " or " + *pulls +
                                      "): give it Pull requests: write (or Issues: write) for this repository"};
        } else {
            out.comment.reason += "; commenting needs the token's Pull requests: write or Issues: write, which is "
                                  "unknown until the first write";
        }
    }
    return out;
}

}  // namespace forgelink::github
