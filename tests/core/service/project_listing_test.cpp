// GET /api/v1/teams/{team}/projects is served from a cache of rendered listings validated by the
// store's list version: the cached answer is byte-for-byte the fresh rendering, every write that
// changes the listing is seen by the next request (on this host or another on the same
// database), conditional GETs answer 304, and the cache stays within its bound.
#include <sqlite3.h>

#include "sqlite/raw_sql.hpp"

#include "service/etag.hpp"
#include "service/listing_cache.hpp"
#include "service/views.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

using forgelink::testing::rawExec;

class ProjectListing : public ServiceTest {
protected:
    std::string dbPath() const { return (dir_ / "forgelink.db").string(); }

    // What the listing must be, rendered straight from the store without any cache.
    std::string fresh(const std::string& team_slug) {
        auto team = store_->findTeamBySlug(team_slug);
        EXPECT_TRUE(team.ok());
        auto rows = store_->listProjectsWithLinks(team.value().id);
        EXPECT_TRUE(rows.ok());
        std::string body;
        JsonWriter out(body);
        out.beginObject().key("items").beginArray();
        for (const auto& row : rows.value())
            writeProjectView(out, row.project, &team.value().slug, row.link ? &*row.link : nullptr);
        out.endArray().endObject();
        return body;
    }

    std::string list(const std::string& team_slug) {
        auto reply = call("GET", "/api/v1/teams/" + team_slug + "/projects");
        EXPECT_EQ(reply.status, 200) << reply.text;
        return reply.text;
    }

    // Primes the cache, runs `write`, and checks the next answer is the new fresh rendering.
    template <class F>
    void expectSeen(const std::string& team_slug, const char* what, F write) {
        const std::string before = list(team_slug);
        ASSERT_EQ(list(team_slug), before) << "the cached answer drifted before " << what;
        write();
        const std::string after = list(team_slug);
        EXPECT_NE(after, before) << what << " was not seen: the stale listing was served";
        EXPECT_EQ(after, fresh(team_slug)) << "after " << what;
    }

    // A second host: its own store connection pool and service on the same database file.
    struct Host {
        std::unique_ptr<store::SqliteStore> store;
        net::Metrics metrics;
        std::ostringstream log;
        std::unique_ptr<common::JsonLogger> logger;
        std::unique_ptr<ApiService> service;
        std::unique_ptr<net::HttpServer> server;
        ~Host() {
            if (server) server->stop();
        }
    };
    std::unique_ptr<Host> secondHost(ServiceOptions options = {}) {
        auto host = std::make_unique<Host>();
        auto opened = store::SqliteStore::open(dbPath(), box_);
        EXPECT_TRUE(opened.ok()) << opened.error().message;
        host->store = std::move(opened).value();
        host->logger = std::make_unique<common::JsonLogger>("host2", &host->log, LogLevel::warn);
        host->service = std::make_unique<ApiService>(
            ServiceDeps{*host->store, *registry_, config_, host->metrics, *host->logger,
                        AdminTokens::fromText(kAdminToken)},
            options);
        net::ServerOptions server_options;
        server_options.workers = 2;
        host->server = net::makeHttpServer(server_options, host->service->handler());
        host->server->start();
        return host;
    }
    Reply callOn(Host& host, const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
        return callAt(host.server->baseUrl(), method, path, body, std::move(headers));
    }

    void createProject(const std::string& team, const std::string& slug) {
        auto reply = call("POST", "/api/v1/teams/" + team + "/projects", {{"name", "Project " + slug}, {"slug", slug}});
        ASSERT_EQ(reply.status, 201) << reply.text;
    }
};

TEST_F(ProjectListing, CachedAnswerIsTheUncachedRendering) {
    createTeam("core");
    connectGitlab("core");
    createLinkedProject("core", "widget");
    for (int i = 0; i < 5; ++i) createProject("core", "p" + std::to_string(i));
    const std::string first = list("core");
    const std::string second = list("core");
    EXPECT_EQ(first, fresh("core"));
    EXPECT_EQ(second, first);
    // And the same as a host that keeps no cache at all.
    ServiceOptions uncached;
    uncached.listing_cache_bytes = 0;
    auto other = secondHost(uncached);
    auto reply = callOn(*other, "GET", "/api/v1/teams/core/projects");
    EXPECT_EQ(reply.text, first);
    const auto parsed = nlohmann::json::parse(first);
    ASSERT_EQ(parsed["items"].size(), 6u);
    EXPECT_EQ(parsed["items"][5]["repository"]["full_path"], "acme/tools/widget");
}

TEST_F(ProjectListing, TheSecondAnswerComesFromTheCache) {
    // A change the version does not announce (its trigger removed) stays invisible: proof that
    // the listing was not read again. Every real write path does announce itself (next test).
    createTeam("core");
    createProject("core", "api");
    const std::string cached = list("core");
    rawExec(dbPath(), "DROP TRIGGER projects_list_update; UPDATE projects SET name = 'Silently renamed'");
    EXPECT_EQ(list("core"), cached);
    EXPECT_NE(fresh("core"), cached);
}

TEST_F(ProjectListing, EveryWriteThatChangesTheListingIsSeenAtOnce) {
    createTeam("core");
    connectGitlab("core");
    createProject("core", "keep");
    std::int64_t id = 0;
    expectSeen("core", "creating a project", [&] { createProject("core", "api"); });
    expectSeen("core", "creating a linked project", [&] { id = createLinkedProject("core", "widget"); });
    const auto sid = std::to_string(id);
    expectSeen("core", "unlinking its repository",
               [&] { ASSERT_EQ(call("DELETE", "/api/v1/projects/" + sid + "/repository").status, 204); });
    expectSeen("core", "linking a repository", [&] {
        auto r = call("PUT", "/api/v1/projects/" + sid + "/repository",
                      {{"provider", "gitlab"}, {"repository", "acme/tools/widget"}});
        ASSERT_EQ(r.status, 200) << r.text;
    });
    expectSeen("core", "renaming a project (store)", [&] { ASSERT_TRUE(store_->renameProject(id, "Renamed").ok()); });
    expectSeen("core", "re-linking to another repository (store)", [&] {
        auto link = store_->repositoryLink(id).value();
        link.repository_id = "101";
        link.full_path = "acme/libs/lib-core";
        ASSERT_TRUE(store_->linkRepository(link).ok());
    });
    expectSeen("core", "deleting a project",
               [&] { ASSERT_EQ(call("DELETE", "/api/v1/projects/" + sid).status, 204); });
    // No API renames a team's slug, but the listing names it: a direct edit must not leave it stale.
    expectSeen("core", "changing the team's slug in the database", [&] {
        rawExec(dbPath(), "UPDATE teams SET slug = 'kernel' WHERE slug = 'core'");
        rawExec(dbPath(), "UPDATE teams SET slug = 'core' WHERE slug = 'kernel'");
        rawExec(dbPath(), "UPDATE projects SET slug = 'kept' WHERE slug = 'keep'");
    });
}

TEST_F(ProjectListing, ADeletedTeamsListingIsNotServedForANewTeam) {
    createTeam("old");
    createProject("old", "api");
    ASSERT_NE(list("old").find("\"api\""), std::string::npos);
    ASSERT_EQ(call("DELETE", "/api/v1/teams/old").status, 204);
    EXPECT_EQ(call("GET", "/api/v1/teams/old/projects").status, 404);
    createTeam("new");  // SQLite gives it the old team's id
    EXPECT_EQ(list("new"), R"({"items":[]})");
}

TEST_F(ProjectListing, TwoHostsOnOneDatabaseSeeEachOthersWrites) {
    createTeam("core");
    createProject("core", "api");
    auto b = secondHost();
    const std::string on_a = list("core");
    ASSERT_EQ(callOn(*b, "GET", "/api/v1/teams/core/projects").text, on_a);  // both have it cached now

    auto created = callOn(*b, "POST", "/api/v1/teams/core/projects", {{"name", "Web"}, {"slug", "web"}});
    ASSERT_EQ(created.status, 201) << created.text;
    const std::string after = list("core");
    EXPECT_NE(after, on_a) << "host A served its cached listing after host B wrote";
    EXPECT_EQ(after, fresh("core"));

    const auto id = std::to_string(created.body["project"]["id"].get<std::int64_t>());
    ASSERT_EQ(call("DELETE", "/api/v1/projects/" + id).status, 204);  // and the other way round
    EXPECT_EQ(callOn(*b, "GET", "/api/v1/teams/core/projects").text, on_a);
}

TEST_F(ProjectListing, ConditionalGetAnswers304UntilTheListingChanges) {
    createTeam("core");
    createProject("core", "api");
    auto first = call("GET", "/api/v1/teams/core/projects");
    ASSERT_EQ(first.status, 200);
    const std::string etag = first.header("etag");
    ASSERT_EQ(etag, strongEtag(first.text));
    ASSERT_EQ(etag.front(), '"');
    EXPECT_EQ(first.header("cache-control"), "private, no-cache");

    auto same = call("GET", "/api/v1/teams/core/projects", nullptr, {{"If-None-Match", etag}});
    EXPECT_EQ(same.status, 304);
    EXPECT_EQ(same.text, "");
    EXPECT_EQ(same.header("etag"), etag);
    EXPECT_EQ(call("GET", "/api/v1/teams/core/projects", nullptr, {{"If-None-Match", "\"other\", W/" + etag}}).status,
              304);
    EXPECT_EQ(call("GET", "/api/v1/teams/core/projects", nullptr, {{"If-None-Match", "*"}}).status, 304);
    EXPECT_EQ(call("GET", "/api/v1/teams/core/projects", nullptr, {{"If-None-Match", "\"other\""}}).status, 200);
    // The access check comes first: no 304 (nor anything else) for a caller who may not see it.
    EXPECT_EQ(call("GET", "/api/v1/teams/core/projects", nullptr, {{"If-None-Match", etag}}, false).status, 401);

    createProject("core", "web");
    auto changed = call("GET", "/api/v1/teams/core/projects", nullptr, {{"If-None-Match", etag}});
    EXPECT_EQ(changed.status, 200);
    EXPECT_NE(changed.header("etag"), etag);
    EXPECT_EQ(changed.text, fresh("core"));

    // Another host renders the same bytes, so it gives the same tag: a client moved between hosts
    // behind one load balancer still revalidates.
    auto b = secondHost();
    auto elsewhere = callOn(*b, "GET", "/api/v1/teams/core/projects", nullptr, {{"If-None-Match", changed.header("etag")}});
    EXPECT_EQ(elsewhere.status, 304);
}

TEST_F(ProjectListing, HeadHasTheTagButNoBody) {
    createTeam("core");
    createProject("core", "api");
    auto got = call("GET", "/api/v1/teams/core/projects");
    auto head = call("HEAD", "/api/v1/teams/core/projects");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.text, "");
    EXPECT_EQ(head.header("etag"), got.header("etag"));
}

TEST(IfNoneMatch, ReadsTheHeaderAsTheRfcSays) {
    const std::string tag = "\"abc\"";
    EXPECT_TRUE(ifNoneMatchHits("\"abc\"", tag));
    EXPECT_TRUE(ifNoneMatchHits("  W/\"abc\" ", tag));
    EXPECT_TRUE(ifNoneMatchHits("\"x\", \"abc\"", tag));
    EXPECT_TRUE(ifNoneMatchHits("*", tag));
    EXPECT_FALSE(ifNoneMatchHits("\"abcd\"", tag));
    EXPECT_FALSE(ifNoneMatchHits("abc", tag));
    EXPECT_FALSE(ifNoneMatchHits("\"x\" \"abc\"", tag)) << "a list needs commas";
    EXPECT_FALSE(ifNoneMatchHits("\"abc", tag));
    EXPECT_FALSE(ifNoneMatchHits("", tag));
    EXPECT_NE(strongEtag("a"), strongEtag("b"));
    EXPECT_EQ(strongEtag("a"), strongEtag("a"));
}

CachedListing entry(std::int64_t version, std::size_t bytes) {
    return CachedListing{version, std::make_shared<const std::string>(bytes, 'x'), "\"t\""};
}

TEST(ListingCacheTest, FindsOnlyTheExactVersion) {
    ListingCache cache(1 << 20);
    cache.put(1, entry(5, 100));
    ASSERT_TRUE(cache.find(1, 5).has_value());
    EXPECT_EQ(cache.find(1, 5)->body->size(), 100u);
    EXPECT_FALSE(cache.find(1, 6).has_value());
    EXPECT_FALSE(cache.find(1, 4).has_value());
    EXPECT_FALSE(cache.find(2, 5).has_value());
    // A slower request that read an older version does not replace the newer entry.
    cache.put(1, entry(4, 100));
    EXPECT_TRUE(cache.find(1, 5).has_value());
    cache.put(1, entry(6, 200));
    EXPECT_FALSE(cache.find(1, 5).has_value());
    EXPECT_TRUE(cache.find(1, 6).has_value());
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(cache.bytes(), 200u + 3 + ListingCache::kEntryOverhead);
}

TEST(ListingCacheTest, EvictsTheLeastRecentlyUsedToStayWithinItsBound) {
    const std::size_t each = 1000 + 3 + ListingCache::kEntryOverhead;
    ListingCache cache(3 * each);
    for (std::int64_t team = 1; team <= 3; ++team) cache.put(team, entry(1, 1000));
    EXPECT_EQ(cache.size(), 3u);
    ASSERT_TRUE(cache.find(1, 1).has_value());  // 1 is now the most recently used; 2 the least
    cache.put(4, entry(1, 1000));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_LE(cache.bytes(), cache.maxBytes());
    EXPECT_FALSE(cache.find(2, 1).has_value());
    EXPECT_TRUE(cache.find(1, 1).has_value());
    EXPECT_TRUE(cache.find(3, 1).has_value());
    EXPECT_TRUE(cache.find(4, 1).has_value());
    // Many teams: memory stays bounded whatever their number.
    for (std::int64_t team = 10; team < 10'010; ++team) cache.put(team, entry(1, 1000));
    EXPECT_LE(cache.bytes(), cache.maxBytes());
    EXPECT_EQ(cache.size(), 3u);
    // A body bigger than the whole bound is not kept, and pushes nothing out.
    cache.put(99, entry(1, 10 * each));
    EXPECT_FALSE(cache.find(99, 1).has_value());
    EXPECT_EQ(cache.size(), 3u);
}

TEST_F(ProjectListing, ServiceCacheHoldsNoMoreThanItsBound) {
    // Five teams of 30 projects each through a host whose cache fits about two of them: every
    // answer is still right, and the cache evicted (a re-read of the first team is correct).
    ServiceOptions small;
    small.listing_cache_bytes = 2 * 4096;
    auto b = secondHost(small);
    for (int t = 0; t < 5; ++t) {
        auto team = store_->createTeam("t" + std::to_string(t), "Team");
        ASSERT_TRUE(team.ok());
        for (int p = 0; p < 30; ++p)
            ASSERT_TRUE(store_->createProject(team.value().id, "p" + std::to_string(p), "Project " + std::to_string(p)).ok());
    }
    for (int t = 0; t < 5; ++t) {
        const std::string team = "t" + std::to_string(t);
        auto reply = callOn(*b, "GET", "/api/v1/teams/" + team + "/projects");
        ASSERT_GT(reply.text.size(), 3000u) << "the premise: each listing is a large part of the bound";
        EXPECT_EQ(reply.text, fresh(team));
    }
    // t0 was evicted: a change the version does not announce IS seen, since the listing is re-read.
    rawExec(dbPath(), "DROP TRIGGER projects_list_update; UPDATE projects SET name = 'Silently renamed'");
    EXPECT_EQ(callOn(*b, "GET", "/api/v1/teams/t0/projects").text, fresh("t0"));
}

}  // namespace
}  // namespace forgelink::service::testing
