// Every recorded GitLab answer in shared/fixtures/gitlab goes through the provider's JSON mapping
// (and the error catalog through its error mapping). A fixture added without a test here fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "api_client.hpp"
#include "json_mapping.hpp"

namespace forgelink::gitlab {
namespace {

using nlohmann::json;

json fixture(const std::string& name) {
    std::ifstream in(std::string(FORGELINK_GITLAB_FIXTURES) + "/" + name);
    if (!in) throw std::runtime_error("cannot read fixture " + name);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

HttpResponse exchangeResponse(const json& exchange) {
    HttpResponse r;
    r.status = exchange["response"]["status"].get<int>();
    for (const auto& [k, v] : exchange["response"]["headers"].items()) r.headers.emplace_back(k, v.get<std::string>());
    r.body = exchange["response"]["body"].dump();
    return r;
}

const std::string kInstance = "gitlab.example.com";

TEST(GitLabFixtures, UserBody) {
    auto user = parseUser(fixture("user_get.body.json"));
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_EQ(user->identity.id, "1");
    EXPECT_EQ(user->identity.username, "john_smith");
    EXPECT_EQ(user->identity.name, "John Smith");
    EXPECT_EQ(user->identity.web_url, "http://localhost:3000/john_smith");
    EXPECT_FALSE(user->identity.bot);
    EXPECT_FALSE(user->is_admin);
}

TEST(GitLabFixtures, UserExchangeFromGitLabCom) {
    auto ex = fixture("user_get.exchange.json");
    auto user = parseUser(ex["response"]["body"]);
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_EQ(user->identity.id, "92864");
    EXPECT_EQ(user->identity.username, "username");
    // The recording has no "bot" field (2019): tolerated, not a bot.
    EXPECT_FALSE(user->identity.bot);
    // RateLimit-Reset on a 200 is not a reason to wait, but it is readable.
    HttpResponse r = exchangeResponse(ex);
    ASSERT_NE(r.header("ratelimit-reset"), nullptr);
    EXPECT_EQ(*r.header("RateLimit-Limit"), "600");
}

TEST(GitLabFixtures, PersonalAccessTokenSelf) {
    auto t = parseAccessToken(fixture("personal_access_token_self.body.json"));
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->id, 1);
    EXPECT_EQ(t->name, "Test Token");
    EXPECT_EQ(t->scopes, std::vector<std::string>{"api"});
    EXPECT_EQ(t->user_id, 1);
    EXPECT_TRUE(t->active);
    EXPECT_FALSE(t->revoked);
    EXPECT_FALSE(t->expires_at.has_value());
    EXPECT_FALSE(t->access_level.has_value());
}

TEST(GitLabFixtures, PersonalAccessTokensList) {
    auto list = parseArray<AccessToken>(fixture("personal_access_tokens_list.doc.json"), "tokens", parseAccessToken);
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ(list->front().user_id, 3);
}

TEST(GitLabFixtures, ProjectAccessTokens) {
    auto created = parseAccessToken(fixture("project_access_token_create.body.json"));
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(created->user_id, 2453);
    EXPECT_EQ(created->access_level, 40);
    EXPECT_EQ(created->scopes.size(), 4u);

    auto list = parseArray<AccessToken>(fixture("project_access_tokens_list.body.json"), "tokens", parseAccessToken);
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ(list.value()[1].access_level, 30);
    EXPECT_EQ(roleFromAccessLevel(*list.value()[1].access_level), Role::write);
}

TEST(GitLabFixtures, GroupAccessToken) {
    auto t = parseAccessToken(fixture("group_access_token.body.json"));
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->user_id, 79);
    EXPECT_EQ(t->expires_at, "2024-06-18");
    EXPECT_EQ(t->access_level, 40);
}

TEST(GitLabFixtures, TokenAssociations) {
    auto a = parseTokenAssociations(fixture("pat_associations.doc.json"));
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_EQ(a->entries.size(), 3u);
    EXPECT_EQ(a->entries[0].kind, "group");
    EXPECT_EQ(a->entries[1].access_level, 50);
    EXPECT_EQ(a->entries[2].kind, "project");
    EXPECT_EQ(a->entries[2].id, "1337");
    EXPECT_EQ(a->entries[2].full_path, "Test/test-project");
    EXPECT_EQ(a->entries[2].access_level, 20);  // group_access_level; project level is null
}

TEST(GitLabFixtures, Project) {
    auto p = parseProject(fixture("project.body.json"), kInstance);
    ASSERT_TRUE(p) << p.error().message;
    const Repository& r = p->repository;
    EXPECT_EQ(r.instance, kInstance);
    EXPECT_EQ(r.id, "3");
    EXPECT_EQ(r.full_path, "diaspora/diaspora-project-site");
    EXPECT_EQ(r.name, "Diaspora Project Site");
    EXPECT_EQ(r.namespace_path, "diaspora");
    EXPECT_EQ(r.default_branch, "master");
    EXPECT_EQ(r.visibility, "private");
    EXPECT_FALSE(r.archived);
    EXPECT_TRUE(p->permissions_known);
    EXPECT_EQ(p->access_level, 10);
    EXPECT_EQ(r.role, Role::read);
    EXPECT_EQ(r.role_label, "Guest (10)");
}

// Everything parseProject makes of a project, as text, for comparing two parses.
std::string describe(const Result<Project>& p) {
    if (!p) return "error: " + p.error().message;
    const Repository& r = p->repository;
    std::ostringstream out;
    out << r.instance << '|' << r.id << '|' << r.full_path << '|' << r.name << '|' << r.namespace_path << '|'
        << r.web_url << '|' << r.default_branch << '|' << r.visibility << '|' << r.archived << '|'
        << static_cast<int>(r.role) << '|' << r.role_label << '|' << p->access_level << '|' << p->permissions_known
        << '|' << p->merge_requests_enabled << '|' << p->merge_requests_members_only;
    return out.str();
}

Result<Project> parsePruned(const json& entity) {
    auto pruned = support::parseSelected(entity.dump(), projectSelection());
    if (!pruned) return pruned.error();
    return parseProject(pruned.value(), kInstance);
}

// Listings parse projects through projectSelection(): whatever parseProject reads must be in it.
// Every member of a real project entity is changed in turn (and the nested ones the mapping
// reads); the full and the pruned parse must still agree, so a field read outside the selection
// shows up as a difference.
TEST(GitLabFixtures, ProjectSelectionHoldsEverythingParseProjectReads) {
    const json project = fixture("project.body.json");
    ASSERT_EQ(describe(parsePruned(project)), describe(parseProject(project, kInstance)));
    const auto variants = [](const json& v) {
        std::vector<json> out = {nullptr, json::object(), json::array(), "private", "disabled", 4242, true, false};
        if (v.is_boolean()) out.push_back(!v.get<bool>());
        if (v.is_string()) out.push_back(v.get<std::string>() + "-changed");
        if (v.is_number_integer()) out.push_back(v.get<long long>() + 17);
        return out;
    };
    std::size_t changed_outcomes = 0;
    const std::string original = describe(parseProject(project, kInstance));
    for (const auto& [key, value] : project.items()) {
        for (const auto& variant : variants(value)) {
            json mutated = project;
            mutated[key] = variant;
            const std::string full = describe(parseProject(mutated, kInstance));
            EXPECT_EQ(describe(parsePruned(mutated)), full) << "member \"" << key << "\" = " << variant.dump();
            if (full != original) ++changed_outcomes;
        }
    }
    for (const char* path : {"/namespace/full_path", "/permissions/project_access/access_level",
                             "/permissions/group_access"}) {
        json mutated = project;
        mutated[json::json_pointer(path)] = json{{"access_level", 50}};
        if (std::string(path) != "/permissions/group_access") mutated[json::json_pointer(path)] = 50;
        EXPECT_EQ(describe(parsePruned(mutated)), describe(parseProject(mutated, kInstance))) << path;
    }
    // The sweep reached the fields that matter (a mapping that reads nothing would pass otherwise).
    EXPECT_GT(changed_outcomes, 40u);
}

TEST(GitLabFixtures, Namespaces) {
    auto list = parseArray<Namespace>(fixture("namespaces_list.doc.json"), "namespaces", parseNamespace);
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->size(), 3u);
    EXPECT_EQ(list.value()[0].kind, "user");
    EXPECT_EQ(list.value()[0].parent_id, "");  // absent
    EXPECT_EQ(list.value()[1].parent_id, "");  // null
    EXPECT_EQ(list.value()[2].full_path, "foo/bar");
    EXPECT_EQ(list.value()[2].parent_id, "9");
}

TEST(GitLabFixtures, CommitMergeRequests) {
    auto list = parseArray<MergeRequest>(fixture("commit_merge_requests.doc.json"), "merge requests", parseMergeRequest);
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->size(), 1u);
    const MergeRequest& mr = list->front();
    EXPECT_EQ(mr.id, "45");
    EXPECT_EQ(mr.number, "1");
    EXPECT_EQ(mr.state, "opened");
    EXPECT_EQ(mr.target_repository, "35");
    EXPECT_EQ(mr.source_branch, "test-branch");
    EXPECT_EQ(mr.head_sha, "af5b13261899fb2c0db30abdd0af8b07cb44fdc5");
}

TEST(GitLabFixtures, MergeRequest) {
    auto mr = parseMergeRequest(fixture("merge_request_get.body.json"));
    ASSERT_TRUE(mr) << mr.error().message;
    EXPECT_EQ(mr->number, "14656");
    EXPECT_EQ(mr->target_repository, "278964");
    EXPECT_EQ(mr->head_sha, "8e0b45049b6253b8984cde9241830d2851168142");
}

TEST(GitLabFixtures, Note) {
    auto n = parseNote(fixture("mr_note.body.json"));
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(n->id, 301);
    EXPECT_EQ(n->author_id, 1);
    EXPECT_EQ(n->body, "Comment for MR");
    EXPECT_FALSE(n->system);
}

TEST(GitLabFixtures, NotesListExchange) {
    auto ex = fixture("mr_notes_list.exchange.json");
    HttpResponse r = exchangeResponse(ex);
    auto list = parseArray<Note>(json::parse(r.body), "notes", parseNote);
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->size(), 15u);
    EXPECT_EQ(list->front().id, 166211215);
    EXPECT_EQ(std::count_if(list->begin(), list->end(), [](const Note& n) { return n.system; }), 11);
    // One page: X-Next-Page is present and empty, and the Link header has first/last only.
    ASSERT_NE(r.header("X-Next-Page"), nullptr);
    EXPECT_TRUE(r.header("X-Next-Page")->empty());
    EXPECT_EQ(linkTarget(r, "next"), "");
    EXPECT_NE(linkTarget(r, "last").find("page=1&per_page=20"), std::string::npos);
    EXPECT_EQ(queryParam(linkTarget(r, "first"), "id"), "gitlab-org/gitlab-foss");
}

TEST(GitLabFixtures, CommitStatus) {
    auto s = parseCommitStatus(fixture("commit_status.body.json"));
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->id, 78919);
    EXPECT_EQ(s->status, "failed");
    EXPECT_EQ(s->name, "extci");
    EXPECT_EQ(s->ref, "cccct");
}

TEST(GitLabFixtures, OAuthTokens) {
    auto doc = parseOAuthToken(fixture("oauth_token.doc.json"), 0);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->token_type, "bearer");
    EXPECT_FALSE(doc->refresh_token.empty());
    EXPECT_EQ(doc->expires_at, 1607635748 + 7200);  // created_at + expires_in

    // Older GitLab: no expires_in, so no expiry is invented.
    auto old = parseOAuthToken(fixture("oauth_token.body.json"), 1700000000);
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_FALSE(old->expires_at.has_value());
    EXPECT_EQ(old->scopes, std::vector<std::string>{"api"});
}

TEST(GitLabFixtures, Version) {
    auto v = parseVersion(fixture("version.doc.json"));
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->version, "8.13.0-pre");
    EXPECT_EQ(v->revision, "4e963fe");
}

// A rotation answers with the token entity plus `token` (API-FACTS: "token only on create/rotate"),
// the shape of the recorded create answer. GitLab has already acted: only a missing token is an error.
TEST(GitLabFixtures, RotatedToken) {
    auto created = fixture("project_access_token_create.body.json");
    auto t = parseRotatedToken(created);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->token, "2UsevZE1x1ZdFZW4MNzH");
    EXPECT_FALSE(t->expires_at);  // null: no expiry
    created["expires_at"] = "2027-03-01";
    EXPECT_EQ(parseRotatedToken(created)->expires_at, "2027-03-01");
    created["expires_at"] = 20270301;  // an expiry of another shape is unknown, the token kept
    ASSERT_TRUE(parseRotatedToken(created));
    EXPECT_FALSE(parseRotatedToken(created)->expires_at);
    for (const nlohmann::json& token : {nlohmann::json(""), nlohmann::json(nullptr), nlohmann::json(42)}) {
        created["token"] = token;
        auto refused = parseRotatedToken(created);
        ASSERT_FALSE(refused) << token.dump();
        EXPECT_NE(refused.error().message.find("token"), std::string::npos) << refused.error().message;
    }
    created.erase("token");
    EXPECT_FALSE(parseRotatedToken(created));
    EXPECT_FALSE(parseRotatedToken(nlohmann::json::array()));
}

// The catalog's cases, in order, with what Forgelink must make of them.
TEST(GitLabFixtures, ErrorCatalog) {
    struct Expect {
        const char* case_start;
        ErrorKind kind;
        const char* code;
    };
    const std::vector<Expect> expected = {
        {"missing or unknown token", ErrorKind::unauthorized, "token_unknown"},
        {"expired token", ErrorKind::unauthorized, "token_expired"},
        {"revoked token", ErrorKind::unauthorized, "token_revoked"},
        {"token lacks required scope", ErrorKind::missing_scope, "missing_scope"},
        {"authenticated but role too low", ErrorKind::forbidden, "forbidden"},
        {"project does not exist", ErrorKind::not_found, "project_not_found"},
        {"commit sha unknown", ErrorKind::not_found, "commit_not_found"},
        {"no branch contains the commit", ErrorKind::not_found, "ref_not_found"},
        {"repeat same state running->running", ErrorKind::invalid_input, "bad_request"},
        {"repeat pending->pending", ErrorKind::invalid_input, "bad_request"},
        {"invalid/missing state param", ErrorKind::invalid_input, "bad_request"},
        {"concurrent update of same commit status", ErrorKind::conflict, "conflict"},
        {"target_url not http(s)", ErrorKind::invalid_input, "bad_request"},
        {"OAuth token used on /personal_access_tokens/self", ErrorKind::invalid_input, "bad_request"},
        {"note id not found", ErrorKind::not_found, "not_found"},
        {"editing another user's note", ErrorKind::forbidden, "forbidden"},
        {"unknown API route", ErrorKind::not_found, "route_not_found"},
        {"Rack::Attack throttle", ErrorKind::rate_limited, "rate_limited"},
        {"application rate limit", ErrorKind::rate_limited, "rate_limited"},
        {"offset pagination beyond instance max offset", ErrorKind::invalid_input, "bad_request"},
    };
    auto catalog = fixture("errors.catalog.json");
    ASSERT_EQ(catalog.size(), expected.size());
    auto instance = parseInstance("https://gitlab.example.com");
    ASSERT_TRUE(instance);
    for (std::size_t i = 0; i < catalog.size(); ++i) {
        const auto& entry = catalog[i];
        const std::string name = entry["case"].get<std::string>();
        ASSERT_EQ(name.rfind(expected[i].case_start, 0), 0u) << "catalog entry " << i << " is now: " << name;
        HttpResponse r;
        r.status = entry["status"].get<int>();
        for (const auto& [k, v] : entry["headers"].items()) r.headers.emplace_back(k, v.get<std::string>());
        r.body = entry["body"].is_string() ? entry["body"].get<std::string>() : entry["body"].dump();
        if (r.status == 429 && entry["body"].is_string()) r.headers.emplace_back("Content-Type", "text/plain");
        Error e = errorFromResponse(instance.value(), r, "testing");
        EXPECT_EQ(e.kind, expected[i].kind) << name << ": " << e.message;
        EXPECT_EQ(e.code, expected[i].code) << name << ": " << e.message;
        EXPECT_EQ(e.http_status, r.status) << name;
        EXPECT_FALSE(e.message.empty());
        if (e.kind == ErrorKind::missing_scope) {
            EXPECT_EQ(e.missing_scopes, std::vector<std::string>{"api"});
            EXPECT_NE(e.message.find(instance->tokenPageUrl()), std::string::npos) << e.message;
        }
        if (e.kind == ErrorKind::rate_limited && r.header("Retry-After")) {
            ASSERT_TRUE(e.retry_after.has_value()) << name;
            EXPECT_EQ(std::to_string(e.retry_after->count()), *r.header("Retry-After"));
        }
        // GitLab's own words travel in the message for the ones that say something specific.
        if (e.code == "conflict") {
            EXPECT_NE(e.message.find("Another update"), std::string::npos) << e.message;
        }
    }
}

// A fixture added to shared/ without a parsing test here fails this one.
TEST(GitLabFixtures, EveryFixtureHasAParsingTest) {
    const std::set<std::string> tested = {
        "commit_merge_requests.doc.json", "commit_status.body.json", "errors.catalog.json",
        "group_access_token.body.json", "merge_request_get.body.json", "mr_note.body.json",
        "mr_notes_list.exchange.json", "namespaces_list.doc.json", "oauth_token.body.json",
        "oauth_token.doc.json", "pat_associations.doc.json", "personal_access_token_self.body.json",
        "personal_access_tokens_list.doc.json", "project.body.json", "project_access_token_create.body.json",
        "project_access_tokens_list.body.json", "user_get.body.json", "user_get.exchange.json",
        "version.doc.json"};
    std::set<std::string> on_disk;
    for (const auto& entry : std::filesystem::directory_iterator(FORGELINK_GITLAB_FIXTURES)) {
        if (entry.path().extension() == ".json") on_disk.insert(entry.path().filename().string());
    }
    ASSERT_FALSE(on_disk.empty());
    for (const auto& name : on_disk) EXPECT_TRUE(tested.count(name)) << name << " has no parsing test";
}

TEST(GitLabMapping, RequiredFieldsAreNamed) {
    auto no_id = parseUser(json{{"username", "x"}});
    ASSERT_FALSE(no_id);
    EXPECT_EQ(no_id.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(no_id.error().code, "unexpected_response");
    EXPECT_NE(no_id.error().message.find("user: field \"id\" is missing"), std::string::npos) << no_id.error().message;

    auto bad_scopes = parseAccessToken(json{{"id", 1}, {"user_id", 2}, {"scopes", "api"}});
    ASSERT_FALSE(bad_scopes);
    EXPECT_NE(bad_scopes.error().message.find("\"scopes\" is string, expected a list of strings"), std::string::npos)
        << bad_scopes.error().message;

    auto bad_path = parseProject(json{{"id", 5}, {"path_with_namespace", 7}}, kInstance);
    ASSERT_FALSE(bad_path);
    EXPECT_NE(bad_path.error().message.find("path_with_namespace"), std::string::npos);

    auto not_object = parseNote(json::array());
    ASSERT_FALSE(not_object);
    EXPECT_NE(not_object.error().message.find("note object was expected"), std::string::npos);

    auto list = parseArray<Note>(json::array({json{{"id", 1}, {"body", "a"}, {"author", {{"id", 2}}}}, json{{"id", 2}}}),
                                 "notes", parseNote);
    ASSERT_FALSE(list);
    EXPECT_NE(list.error().message.find("notes[1]"), std::string::npos) << list.error().message;
}

TEST(GitLabMapping, OptionalFieldsMayBeNullOrAbsent) {
    auto p = parseProject(json{{"id", 9}, {"path_with_namespace", "a/b/c"}, {"default_branch", nullptr},
                               {"namespace", nullptr}},
                          kInstance);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->repository.namespace_path, "a/b");
    EXPECT_EQ(p->repository.default_branch, "");
    EXPECT_FALSE(p->permissions_known);
    EXPECT_EQ(p->repository.role, Role::none);
}

TEST(GitLabMapping, EffectiveRoleIsTheStrongerOfProjectAndGroupAccess) {
    auto p = parseProject(json{{"id", 9},
                               {"path_with_namespace", "a/b"},
                               {"permissions", {{"project_access", nullptr}, {"group_access", {{"access_level", 30}}}}}},
                          kInstance);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->access_level, 30);
    EXPECT_EQ(p->repository.role, Role::write);
    EXPECT_EQ(p->repository.role_label, "Developer (30)");
}

TEST(GitLabMapping, RolesAndAccessLevels) {
    EXPECT_EQ(accessLevelFor(Role::write), 30);
    EXPECT_EQ(accessLevelFor(Role::read), 10);
    EXPECT_EQ(accessLevelFor(Role::maintain), 40);
    EXPECT_EQ(accessLevelFor(Role::admin), 50);
    EXPECT_EQ(accessLevelFor(Role::none), 0);
    EXPECT_EQ(roleFromAccessLevel(15), Role::read);
    EXPECT_EQ(roleFromAccessLevel(20), Role::read);
    EXPECT_EQ(roleFromAccessLevel(40), Role::maintain);
    EXPECT_EQ(roleFromAccessLevel(5), Role::none);
    EXPECT_EQ(accessLevelLabel(20), "Reporter (20)");
}

}  // namespace
}  // namespace forgelink::gitlab
