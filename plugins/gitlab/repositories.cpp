// Namespaces, projects and what the token may do on them (API-FACTS A8, A9).
//
// Project listings are ordered by id ascending so that the cursor can carry the highest id seen:
// anything at or below it is a duplicate (pages shift when projects come and go), and keyset
// pagination can resume from it. Offset pages are fetched in windows, `concurrency` in flight, each
// parsed as it arrives (reading only the members the mapping uses), also when GitLab omits the
// totals (above 10,000 results): then until a page says there is no next one. Keyset
// pagination, one page after another, only serves what offset pages cannot: past GitLab's offset
// limit (50,000 rows), or after the listing shifted under us.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <functional>
#include <optional>
#include <set>
#include <system_error>
#include <thread>

#include "gitlab_provider.hpp"

namespace forgelink::gitlab {
namespace {

constexpr int kPerPage = 100;
constexpr std::size_t kMaxConcurrency = 16;
// Offset pages per call: this many rounds of `concurrency` pages, so that a full listing waits
// on few call boundaries (each ends when its slowest page is parsed) while a caller still sees
// progress every few hundred milliseconds.
constexpr std::size_t kRoundsPerCall = 8;
// GitLab answers 405 to offset pages past 50,000 rows on keyset-capable resources (API-FACTS A9);
// page * per_page <= 50,000 is within the limit however the instance counts the boundary.
constexpr long long kLastOffsetPage = 50000 / kPerPage;

std::optional<long long> headerNumber(const HttpResponse& r, std::string_view name) {
    const std::string* h = r.header(name);
    if (h == nullptr) return std::nullopt;
    long long v = 0;
    auto [ptr, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
    if (ec != std::errc() || ptr == h->data()) return std::nullopt;
    return v;
}

// X-Next-Page (empty on the last page) or, where GitLab sends no such header, a rel="next" link.
bool hasNextPage(const HttpResponse& r) {
    if (const std::string* next = r.header("X-Next-Page"); next != nullptr && !next->empty()) return true;
    return !linkTarget(r, "next").empty();
}

// 405 "Offset pagination has a maximum allowed offset of N ... use keyset pagination".
bool offsetRefused(const HttpResponse& r) {
    if (r.status != 405) return false;
    const ErrorBody body = parseErrorBody(r);
    return body.text.find("maximum allowed offset") != std::string::npos ||
           body.text.find("keyset pagination") != std::string::npos;
}

struct ListingPlan {
    std::string path;  // "/projects" or "/groups/<path>/projects"
    std::vector<std::pair<std::string, std::string>> params;
    std::string query_hash;
};

// A namespace of one segment is a top-level group or a user's personal namespace; GitLab lists
// them through different routes. Groups are asked first; a cursor says which one it continues.
bool mayBeUserNamespace(const RepositoryQuery& query) {
    return !query.namespace_path.empty() && query.namespace_path.find('/') == std::string::npos;
}

ListingPlan planListing(const RepositoryQuery& query, bool user_namespace = false) {
    ListingPlan plan;
    if (user_namespace) {
        // The user's personal projects; GitLab takes the username as :user_id here.
        plan.path = "/users/" + projectRef(query.namespace_path) + "/projects";
    } else if (query.namespace_path.empty()) {
        plan.path = "/projects";
        // Only what the token's user is a member of; without it GitLab lists every public and
        // internal project of the instance (a project token would see all of them too).
        plan.params.emplace_back("membership", "true");
    } else {
        plan.path = "/groups/" + projectRef(query.namespace_path) + "/projects";
        plan.params.emplace_back("include_subgroups", "true");
    }
    if (int level = accessLevelFor(query.min_role); level > 0) {
        plan.params.emplace_back("min_access_level", std::to_string(level));
    }
    if (!query.include_archived) plan.params.emplace_back("archived", "false");
    if (!query.search.empty()) plan.params.emplace_back("search", query.search);
    // Not simple=true: the permissions block (the token's role) is only in the full entity.
    plan.params.emplace_back("order_by", "id");
    plan.params.emplace_back("sort", "asc");
    plan.params.emplace_back("per_page", std::to_string(kPerPage));
    plan.query_hash = sha256Hex(std::string(user_namespace ? "user\n" : "") + query.namespace_path + "\n" + query.search + "\n" +
                                std::to_string(static_cast<int>(query.min_role)) + "\n" +
                                (query.include_archived ? "1" : "0"))
                          .substr(0, 16);
    return plan;
}

std::string withParams(const ListingPlan& plan, std::vector<std::pair<std::string, std::string>> extra) {
    auto params = plan.params;
    params.insert(params.end(), extra.begin(), extra.end());
    return plan.path + "?" + encodeQuery(params);
}

// One listing answer, parsed: its projects (ids checked numeric) and what its headers say.
struct ProjectPage {
    std::vector<Repository> projects;
    std::vector<long long> ids;  // projects[i]'s id as a number
    bool more = false;           // the answer says there is a next page
    std::optional<long long> total;
};

// Parses one answer of a project listing, reading only the members the mapping uses.
Result<ProjectPage> parseProjectPage(const ApiClient& api, const HttpResponse& response, const std::string& url,
                                     const std::string& action) {
    auto body = api.json(response, url, action, projectSelection());
    if (!body) return body.error();
    auto projects = parseArray<Project>(body.value(), "projects", [&](const nlohmann::json& j) {
        return parseProject(j, api.instance().key);
    });
    if (!projects) return projects.error();
    ProjectPage out;
    out.projects.reserve(projects->size());
    out.ids.reserve(projects->size());
    for (auto& p : projects.value()) {
        long long id = 0;
        const std::string& text = p.repository.id;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        if (ec != std::errc() || ptr != text.data() + text.size()) {
            return makeError(ErrorKind::internal,
                             "GitLab at " + api.instance().key + " listed a project whose id \"" + text.substr(0, 40) +
                                 "\" is not a number (" + ApiClient::pathOf(url) + ")",
                             "bad_response");
        }
        out.ids.push_back(id);
        out.projects.push_back(std::move(p.repository));
    }
    out.more = hasNextPage(response);
    out.total = headerNumber(response, "X-Total");
    return out;
}

// One offset page of a window: parsed, refused past the instance's offset limit, or an error.
struct OffsetPage {
    Result<ProjectPage> parsed = makeError(ErrorKind::internal, "the page was not fetched", "not_fetched");
    bool offset_refused = false;
    HttpResponse response;  // kept for its parser
    std::thread parser;
};

// Pages first..last, `lanes` requests in flight: each lane fetches the next page nobody took yet,
// hands the answer to a parser thread of its own and goes straight on to the next request, so
// parsing (about 2 ms a page) never sits between two requests of a lane nor after the window's
// waiting. Whether to go on is read from the answer's status and headers alone: a page that ends
// the listing (no next page), fails, or is refused stops the lanes from taking pages after it;
// pages already in flight past it are dropped. The result holds every page up to the first such
// one, in order, parsed.
std::vector<OffsetPage> fetchOffsetPages(const ApiClient& api, const ListingPlan& plan, const std::string& action,
                                         long long first, long long last, std::size_t lanes) {
    const auto count = static_cast<std::size_t>(last - first + 1);
    std::vector<OffsetPage> pages(count);
    std::atomic<long long> next{first};
    std::atomic<long long> stop{last};  // no page after this one is needed
    const auto stopAt = [&](long long number) {
        long long current = stop.load();
        while (number < current && !stop.compare_exchange_weak(current, number)) {
        }
    };
    const auto parse = [&api, &action](OffsetPage& slot, const std::string& url) {
        try {
            slot.parsed = parseProjectPage(api, slot.response, url, action);
        } catch (const std::exception& e) {
            // Nothing may throw across the plugin boundary; out of memory is the known case.
            slot.parsed = makeError(ErrorKind::internal, std::string("listing projects failed: ") + e.what());
        }
        slot.response = HttpResponse();
    };
    const auto lane = [&] {
        for (long long number = next++; number <= stop.load(); number = next++) {
            OffsetPage& slot = pages[static_cast<std::size_t>(number - first)];
            try {
                auto request = api.request("GET", withParams(plan, {{"page", std::to_string(number)}}));
                auto response = api.send(request);
                if (!response) {
                    slot.parsed = response.error();
                    stopAt(number);
                    continue;
                }
                slot.response = std::move(response).value();
                if (offsetRefused(slot.response)) {
                    slot.offset_refused = true;
                    stopAt(number);
                    continue;
                }
                // An error answer (parsed into its Error below) or the last page: nothing after it.
                if (slot.response.status < 200 || slot.response.status >= 300 || !hasNextPage(slot.response)) {
                    stopAt(number);
                }
                try {
                    slot.parser = std::thread(parse, std::ref(slot), request.url);
                } catch (const std::system_error&) {
                    parse(slot, request.url);  // no thread to spare: parse here
                }
            } catch (const std::exception& e) {
                slot.parsed = makeError(ErrorKind::internal, std::string("listing projects failed: ") + e.what());
                stopAt(number);
            }
        }
    };
    const std::size_t threads = std::min(lanes, count);
    std::vector<std::thread> helpers;
    helpers.reserve(threads - 1);
    for (std::size_t i = 1; i < threads; ++i) {
        try {
            helpers.emplace_back(lane);
        } catch (const std::system_error&) {
            break;  // no more threads: fewer lanes, same pages
        }
    }
    lane();
    for (auto& t : helpers) t.join();
    for (auto& slot : pages) {
        if (slot.parser.joinable()) slot.parser.join();
    }
    pages.resize(static_cast<std::size_t>(stop.load() - first + 1));
    return pages;
}

}  // namespace

Result<Page<Namespace>> GitLabProvider::doListNamespaces(const Credentials& credentials, const NamespaceQuery& query,
                                                         const std::string& cursor) {
    auto api = client(credentials);
    if (!api) return api.error();
    long long page = 1;
    if (!cursor.empty()) {
        auto [ptr, ec] = std::from_chars(cursor.data() + std::min<std::size_t>(4, cursor.size()),
                                         cursor.data() + cursor.size(), page);
        if (cursor.rfind("gln.", 0) != 0 || ec != std::errc() || ptr != cursor.data() + cursor.size() || page < 2) {
            return makeError(ErrorKind::invalid_input,
                             "the namespace cursor \"" + cursor.substr(0, 40) +
                                 "\" was not issued by the GitLab provider; start again with an empty cursor",
                             "bad_cursor");
        }
    }
    std::vector<std::pair<std::string, std::string>> params = {{"per_page", std::to_string(kPerPage)},
                                                               {"page", std::to_string(page)}};
    if (!query.search.empty()) params.emplace_back("search", query.search);
    auto request = api->request("GET", "/namespaces?" + encodeQuery(params));
    auto response = api->send(request);
    if (!response) return response.error();
    auto body = api->json(response.value(), request.url, "listing namespaces");
    if (!body) return body.error();
    auto items = parseArray<Namespace>(body.value(), "namespaces", parseNamespace);
    if (!items) return items.error();
    Page<Namespace> out;
    out.items = std::move(items).value();
    if (auto total = headerNumber(response.value(), "X-Total")) out.total = static_cast<std::uint64_t>(*total);
    if (auto next = headerNumber(response.value(), "X-Next-Page")) {
        if (*next <= page) {
            return makeError(ErrorKind::internal,
                             "GitLab at " + api->instance().key + " paginated namespaces backwards (page " +
                                 std::to_string(page) + " says the next is " + std::to_string(*next) +
                                 "); stopped to avoid a loop",
                             "pagination_loop");
        }
        if (!out.items.empty()) out.next_cursor = "gln." + std::to_string(*next);
    }
    return out;
}

Result<Page<Repository>> GitLabProvider::doListRepositories(const Credentials& credentials,
                                                            const RepositoryQuery& query, const std::string& cursor) {
    auto api_result = client(credentials);
    if (!api_result) return api_result.error();
    const ApiClient& api = api_result.value();
    ListingPlan plan = planListing(query);
    const std::size_t concurrency = std::clamp<std::size_t>(query.concurrency, 1, kMaxConcurrency);
    std::string action = query.namespace_path.empty() ? std::string("listing projects")
                                                      : "listing projects of group " + query.namespace_path;

    Page<Repository> page;
    ListCursor state;
    state.query_hash = plan.query_hash;
    const auto listUserNamespace = [&] {
        plan = planListing(query, true);
        action = "listing projects of user " + query.namespace_path;
        state.query_hash = plan.query_hash;
    };

    // Appends the projects of one parsed answer that were not listed yet; returns how many.
    auto take = [&](ProjectPage& parsed) {
        std::size_t fresh = 0;
        page.items.reserve(page.items.size() + parsed.projects.size());
        for (std::size_t i = 0; i < parsed.projects.size(); ++i) {
            if (parsed.ids[i] <= state.last_id) continue;  // listed already: pages shifted under us
            state.last_id = parsed.ids[i];
            page.items.push_back(std::move(parsed.projects[i]));
            ++fresh;
        }
        if (parsed.total) page.total = static_cast<std::uint64_t>(*parsed.total);
        return fresh;
    };

    // Keyset pages from state.last_id on, up to `concurrency` of them (each needs the one before).
    auto keysetPages = [&](std::size_t pages) -> Result<Page<Repository>> {
        state.mode = ListCursor::Mode::keyset;
        for (std::size_t i = 0; i < pages; ++i) {
            const long long after = state.last_id;
            auto request = api.request("GET", withParams(plan, {{"pagination", "keyset"},
                                                                {"id_after", std::to_string(after)}}));
            auto response = api.send(request);
            if (!response) return response.error();
            auto parsed = parseProjectPage(api, response.value(), request.url, action);
            if (!parsed) return parsed.error();
            const std::size_t fresh = take(parsed.value());
            const std::string next = linkTarget(response.value(), "next");
            if (next.empty()) return std::move(page);  // the end: no rel="next"
            if (fresh == 0) {
                return makeError(ErrorKind::internal,
                                 "GitLab at " + api.instance().key + " keeps answering the keyset page after id " +
                                     std::to_string(after) + " without new projects; stopped to avoid a loop",
                                 "pagination_loop");
            }
            if (auto next_after = queryParam(next, "id_after")) {
                long long n = 0;
                auto [ptr, ec] = std::from_chars(next_after->data(), next_after->data() + next_after->size(), n);
                if (ec != std::errc() || n <= after) {
                    return makeError(ErrorKind::internal,
                                     "GitLab at " + api.instance().key + " sent a next link that does not advance (id_after " +
                                         *next_after + " after " + std::to_string(after) + "); stopped to avoid a loop",
                                     "pagination_loop");
                }
            }
        }
        page.next_cursor = encodeCursor(state);
        return std::move(page);
    };

    if (cursor.empty()) {
        // Page 1 alone: a small listing stays one request, and its headers say how to go on.
        auto request = api.request("GET", withParams(plan, {{"page", "1"}}));
        auto response = api.send(request);
        if (!response) return response.error();
        if (response->status == 404 && mayBeUserNamespace(query)) {
            // No such group: a user's namespace (forgelink namespaces lists both kinds).
            listUserNamespace();
            request = api.request("GET", withParams(plan, {{"page", "1"}}));
            response = api.send(request);
            if (!response) return response.error();
            if (response->status == 404) {
                return makeError(ErrorKind::not_found,
                                 "GitLab at " + api.instance().key + " has no group or user namespace \"" +
                                     query.namespace_path +
                                     "\" that the token's user can see (asked /groups/:path/projects, then "
                                     "/users/:username/projects); 'forgelink namespaces' lists those it can",
                                 "namespace_not_found");
            }
        }
        auto parsed = parseProjectPage(api, response.value(), request.url, action);
        if (!parsed) return parsed.error();
        take(parsed.value());
        if (!parsed->more) return page;  // one page only
        state.mode = ListCursor::Mode::offset;
        state.next_page = 2;
        // Above 10,000 results GitLab omits the totals: total_pages 0 walks offset pages blind.
        state.total_pages = headerNumber(response.value(), "X-Total-Pages").value_or(0);
        page.next_cursor = encodeCursor(state);
        return page;
    }

    auto decoded = decodeCursor(cursor);
    if (!decoded) return decoded.error();
    if (decoded->query_hash != plan.query_hash && mayBeUserNamespace(query) &&
        decoded->query_hash == planListing(query, true).query_hash) {
        listUserNamespace();
    }
    if (decoded->query_hash != plan.query_hash) {
        return makeError(ErrorKind::invalid_input,
                         "this listing cursor belongs to another query (search, namespace, role or archived changed); "
                         "start again with an empty cursor",
                         "bad_cursor");
    }
    state = decoded.value();
    if (state.mode == ListCursor::Mode::keyset) return keysetPages(concurrency);

    // Offset mode: a window of up to kRoundsPerCall x concurrency pages, `concurrency` in flight,
    // merged in order. With the total known the window stops at the last page; without it
    // ("blind") it runs on until a page says there is no next one, which costs at most
    // concurrency - 1 answers past the end.
    const auto keysetFromHere = [&] {
        // Whatever shifted or was refused, keyset from the highest id seen lists every project above
        // it exactly once.
        state.mode = ListCursor::Mode::keyset;
        page.next_cursor = encodeCursor(state);
        return std::move(page);
    };
    const long long first = state.next_page;
    const long long window = static_cast<long long>(concurrency == 1 ? 1 : concurrency * kRoundsPerCall);
    long long last = first + window - 1;
    if (state.total_pages > 0) last = std::min(last, state.total_pages);
    last = std::min(last, kLastOffsetPage);
    if (first > last) return keysetPages(concurrency);
    std::vector<OffsetPage> fetched = fetchOffsetPages(api, plan, action, first, last, concurrency);
    for (std::size_t i = 0; i < fetched.size(); ++i) {
        OffsetPage& slot = fetched[i];
        // An error anywhere ends the listing with that error, never with a silently short list.
        if (!slot.parsed) return slot.parsed.error();
        // The instance's offset limit may be lower than 50,000 (self-managed): past it, keyset.
        if (slot.offset_refused) return keysetFromHere();
        ProjectPage& parsed = slot.parsed.value();
        take(parsed);
        const long long number = first + static_cast<long long>(i);
        if (!parsed.more) {
            // The end; before the counted last page it means the listing shrank while we paged.
            if (state.total_pages > 0 && number < state.total_pages) return keysetFromHere();
            return page;
        }
        if (parsed.projects.size() < static_cast<std::size_t>(kPerPage)) return keysetFromHere();  // short yet "more": shifted
    }
    // Every page of the window had a next one.
    if (state.total_pages > 0 && last >= state.total_pages) return keysetFromHere();  // more than counted
    if (last >= kLastOffsetPage) return keysetFromHere();
    state.next_page = last + 1;
    page.next_cursor = encodeCursor(state);
    return page;
}

Result<RepositoryPermissions> GitLabProvider::doRepositoryPermissions(const Credentials& credentials,
                                                                      const std::string& id_or_path) {
    auto api = client(credentials);
    if (!api) return api.error();
    auto project = fetchProject(api.value(), id_or_path);
    if (!project) return project.error();
    int level = project->access_level;
    auto user = me(api.value(), credentials.token);
    if (!user) return user.error();
    if (level == 0) {
        // The permissions block is missing for some callers (admins); the membership is the truth.
        auto member = api->get("/projects/" + project->repository.id + "/members/all/" + user->identity.id,
                               "reading the token user's membership");
        if (member) {
            if (auto parsed = parseMember(member.value())) level = parsed->access_level;
        } else if (member.error().kind != ErrorKind::not_found) {
            return member.error();
        }
    }
    RepositoryPermissions out;
    out.repository = project->repository;
    out.repository.role = roleFromAccessLevel(level);
    out.repository.role_label = accessLevelLabel(level);
    const std::string where = "on " + project->repository.full_path;
    const std::string role = user->identity.username + "'s role " + where + " is " + accessLevelLabel(level);
    const bool admin = user->is_admin;

    if (project->repository.archived) {
        const std::string why = project->repository.full_path +
                                " is archived and GitLab refuses every write to it (statuses and comments); "
                                "unarchive it under Settings > General > Advanced, or unlink it";
        out.post_status = {false, why};
        out.comment = {false, why};
        return out;
    }

    if (level >= kDeveloper || admin) {
        out.post_status = {true, (admin && level < kDeveloper ? user->identity.username + " is an administrator"
                                                              : role) +
                                     "; posting commit statuses needs Developer (30), and Maintainer (40) when the "
                                     "branch is protected"};
    } else {
        out.post_status = {false, role + "; posting commit statuses needs at least Developer (30): raise the role "
                                         "(or use a token whose user has it)"};
    }

    if (!project->merge_requests_enabled) {
        out.comment = {false, "merge requests are disabled " + where + " (Settings > General > Visibility)"};
    } else if (admin) {
        out.comment = {true, user->identity.username + " is an administrator"};
    } else if (project->repository.visibility == "private" || project->merge_requests_members_only) {
        // Guests do not see merge requests of private projects (or of members-only MR features).
        if (level >= kReporter) {
            out.comment = {true, role + "; commenting on merge requests here needs Reporter (20): merge requests "
                                        "are visible to project members only"};
        } else {
            out.comment = {false, role + "; merge requests " + where +
                                      " are visible to project members from Reporter (20) up, and only those may "
                                      "comment: raise the role to Reporter or higher"};
        }
    } else {
        out.comment = {true, "any signed-in user may comment on merge requests of a " +
                                 project->repository.visibility + " project; " + role};
    }
    return out;
}

}  // namespace forgelink::gitlab
