// The audit log over the API: every change of a team's settings is recorded with who, when, from
// where and what (never the secret), listed newest first in pages to the team's members only,
// and purged after audit.retention_days.

#include "service/audit.hpp"
#include "service/maintenance.hpp"
#include "database_bytes.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

using namespace std::chrono_literals;

class AuditLog : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        owner_ = loginUser("alice", &owner_id_);
        member_ = loginUser("bob", &member_id_);
        outsider_ = loginUser("carol", &outsider_id_);
        createTeam("team-a");
        createTeam("team-b");
        const auto a = store_->findTeamBySlug("team-a").value().id;
        const auto b = store_->findTeamBySlug("team-b").value().id;
        ASSERT_TRUE(store_->addTeamMember(a, owner_id_, store::TeamRole::owner).ok());
        ASSERT_TRUE(store_->addTeamMember(b, outsider_id_, store::TeamRole::owner).ok());
    }

    nlohmann::json events(const std::string& team, const std::string& query = "") {
        auto reply = call("GET", "/api/v1/teams/" + team + "/audit" + query);
        EXPECT_EQ(reply.status, 200) << reply.text;
        return reply.body;
    }
    // The newest event with this action, or null.
    nlohmann::json newest(const std::string& team, const std::string& action) {
        const auto page = events(team, "?limit=200");
        for (const auto& item : page["items"])
            if (item["action"] == action) return item;
        return nullptr;
    }

    std::string owner_, member_, outsider_;
    std::int64_t owner_id_ = 0, member_id_ = 0, outsider_id_ = 0;
};

TEST_F(AuditLog, TeamCreatedByAnOperatorNamesTheTokenByItsFingerprint) {
    auto created = newest("team-a", "team.created");
    ASSERT_FALSE(created.is_null());
    EXPECT_EQ(created["actor"]["kind"], "operator");
    const std::string name = created["actor"]["name"];
    EXPECT_EQ(name.rfind("operator sha256:", 0), 0u) << name;
    EXPECT_EQ(name.size(), std::string("operator sha256:").size() + 8);
    EXPECT_EQ(name.find(kAdminToken), std::string::npos);
    EXPECT_EQ(created["client_address"], "127.0.0.1");
    EXPECT_EQ(created["target"], "team-a");
    EXPECT_TRUE(created["actor"]["user_id"].is_null());
}

TEST_F(AuditLog, ProviderTokenSavedReplacedAndRemovedWithoutTheSecret) {
    const std::string first = kBotToken;
    auto put = asUser(owner_, "PUT", "/api/v1/teams/team-a/providers/gitlab", {{"token", first}});
    ASSERT_EQ(put.status, 200) << put.text;
    auto saved = newest("team-a", "provider_token.saved");
    ASSERT_FALSE(saved.is_null());
    EXPECT_EQ(saved["actor"]["kind"], "user");
    EXPECT_EQ(saved["actor"]["name"], "alice");
    EXPECT_EQ(saved["actor"]["user_id"], owner_id_);
    EXPECT_EQ(saved["target"], "gitlab");
    EXPECT_EQ(saved["details"]["token_last4"], first.substr(first.size() - 4));
    EXPECT_FALSE(saved["details"].contains("previous_token_last4"));

    ASSERT_EQ(asUser(owner_, "PUT", "/api/v1/teams/team-a/providers/gitlab", {{"token", first}}).status, 200);
    auto replaced = newest("team-a", "provider_token.replaced");
    ASSERT_FALSE(replaced.is_null());
    EXPECT_EQ(replaced["details"]["previous_token_last4"], first.substr(first.size() - 4));

    ASSERT_EQ(asUser(owner_, "DELETE", "/api/v1/teams/team-a/providers/gitlab").status, 204);
    auto removed = newest("team-a", "provider_token.removed");
    ASSERT_FALSE(removed.is_null());
    EXPECT_EQ(removed["target"], "gitlab");

    // Never the token: not in any answer, not in the database file, not in the log.
    EXPECT_EQ(all_responses_.find(first), std::string::npos);
    EXPECT_EQ(databaseBytes(dir_ / "forgelink.db").find(first), std::string::npos);
    EXPECT_EQ(logText().find(first), std::string::npos);
}

TEST_F(AuditLog, MembersAndProjectsAreRecorded) {
    connectGitlab("team-a");
    auto add = asUser(owner_, "POST", "/api/v1/teams/team-a/members", {{"user_id", member_id_}, {"role", "member"}});
    ASSERT_EQ(add.status, 201) << add.text;
    ASSERT_EQ(asUser(owner_, "PATCH", "/api/v1/teams/team-a/members/" + std::to_string(member_id_), {{"role", "owner"}})
                  .status,
              200);
    ASSERT_EQ(asUser(owner_, "DELETE", "/api/v1/teams/team-a/members/" + std::to_string(member_id_)).status, 204);
    const auto project = createLinkedProject("team-a", "guide");
    ASSERT_EQ(asUser(owner_, "DELETE", "/api/v1/projects/" + std::to_string(project) + "/repository").status, 204);
    ASSERT_EQ(asUser(owner_, "PUT", "/api/v1/projects/" + std::to_string(project) + "/repository",
                     {{"provider", "gitlab"}, {"repository", "acme/tools/widget"}})
                  .status,
              200);
    ASSERT_EQ(asUser(owner_, "DELETE", "/api/v1/projects/" + std::to_string(project)).status, 204);

    auto added = newest("team-a", "member.added");
    ASSERT_FALSE(added.is_null());
    EXPECT_EQ(added["target"], "bob");
    EXPECT_EQ(added["details"]["role"], "member");
    EXPECT_EQ(added["actor"]["name"], "alice");
    auto promoted = newest("team-a", "member.role_changed");
    ASSERT_FALSE(promoted.is_null());
    EXPECT_EQ(promoted["details"]["from"], "member");
    EXPECT_EQ(promoted["details"]["to"], "owner");
    EXPECT_FALSE(newest("team-a", "member.removed").is_null());

    const std::string target = "guide (project " + std::to_string(project) + ")";
    EXPECT_EQ(newest("team-a", "project.created")["target"], target);
    auto linked = newest("team-a", "project.linked");
    ASSERT_FALSE(linked.is_null());
    EXPECT_EQ(linked["details"]["repository"], "acme/tools/widget");
    EXPECT_EQ(linked["details"]["provider"], "gitlab");
    EXPECT_EQ(newest("team-a", "project.unlinked")["details"]["repository"], "acme/tools/widget");
    EXPECT_EQ(newest("team-a", "project.deleted")["target"], target);
    // Two links: at creation and after the unlink.
    std::size_t links = 0;
    const auto all = events("team-a", "?limit=200");
    for (const auto& item : all["items"]) links += item["action"] == "project.linked";
    EXPECT_EQ(links, 2u);
    // team-b saw none of it.
    const auto other = events("team-b");
    for (const auto& item : other["items"]) EXPECT_EQ(item["action"], "team.created");
}

TEST_F(AuditLog, ListedNewestFirstInPagesToMembersOnly) {
    connectGitlab("team-a");
    connectGitlab("team-a");
    connectGitlab("team-a");  // team.created, saved, replaced, replaced
    auto first = events("team-a", "?limit=3");
    ASSERT_EQ(first["items"].size(), 3u);
    EXPECT_EQ(first["items"][0]["action"], "provider_token.replaced");
    ASSERT_TRUE(first["next_before"].is_number_integer());
    EXPECT_EQ(first["next_before"], first["items"][2]["id"]);
    auto second = events("team-a", "?limit=3&before=" + std::to_string(first["next_before"].get<std::int64_t>()));
    ASSERT_EQ(second["items"].size(), 1u);
    EXPECT_EQ(second["items"][0]["action"], "team.created");
    EXPECT_TRUE(second["next_before"].is_null());

    EXPECT_EQ(asUser(owner_, "GET", "/api/v1/teams/team-a/audit").status, 200);
    EXPECT_EQ(asUser(outsider_, "GET", "/api/v1/teams/team-a/audit").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/teams/team-a/audit?limit=0").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/teams/team-a/audit?limit=201").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/teams/team-a/audit?page=2").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/teams/nope/audit").status, 404);
}

TEST_F(AuditLog, ForwardedForIsBelievedOnlyFromATrustedProxy) {
    // Not configured: the header is the client's word and is ignored.
    ASSERT_EQ(call("PUT", "/api/v1/teams/team-a/providers/gitlab", {{"token", kBotToken}},
                   {{"X-Forwarded-For", "203.0.113.9"}})
                  .status,
              200);
    EXPECT_EQ(newest("team-a", "provider_token.saved")["client_address"], "127.0.0.1");

    config_.server.trusted_proxies = {"127.0.0.0/8"};
    startServer();
    // The address the trusted proxy appended (rightmost), not what the client put before it.
    ASSERT_EQ(call("PUT", "/api/v1/teams/team-a/providers/gitlab", {{"token", kBotToken}},
                   {{"X-Forwarded-For", "198.51.100.1, 203.0.113.9"}})
                  .status,
              200);
    EXPECT_EQ(newest("team-a", "provider_token.replaced")["client_address"], "203.0.113.9");
}

TEST(ClientAddress, TrustedProxiesAndForwardedFor) {
    net::ServerRequest request;
    request.remote_address = "10.0.0.5";
    request.headers = {{"X-Forwarded-For", "198.51.100.7, 192.0.2.1"}, {"x-forwarded-for", "10.0.0.4"}};
    EXPECT_EQ(clientAddress(request, {}), "10.0.0.5");
    EXPECT_EQ(clientAddress(request, {"10.9.9.9"}), "10.0.0.5");  // the peer is not a trusted proxy
    // Both proxies trusted: the nearest untrusted hop.
    EXPECT_EQ(clientAddress(request, {"10.0.0.0/24"}), "192.0.2.1");
    EXPECT_EQ(clientAddress(request, {"10.0.0.0/24", "192.0.2.1"}), "198.51.100.7");
    request.headers = {{"X-Forwarded-For", "198.51.100.7, not-an-address"}};
    EXPECT_EQ(clientAddress(request, {"10.0.0.0/24"}), "10.0.0.5");  // garbage is never taken
    request.headers = {};
    EXPECT_EQ(clientAddress(request, {"10.0.0.0/24"}), "10.0.0.5");
}

TEST_F(AuditLog, MaintenancePurgesEventsPastRetention) {
    connectGitlab("team-a");
    config_.audit.retention_days = 30;
    MaintenanceOptions o;
    o.owner = "host-a";
    o.clock = [] { return store::nowTimestamp() + std::chrono::hours(24 * 29); };
    auto kept = Maintenance(MaintenanceDeps{*store_, *registry_, config_, metrics_, *logger_}, o).runOnce();
    EXPECT_EQ(kept.audit_events_purged, 0);
    EXPECT_EQ(events("team-a")["items"].size(), 2u);
    o.clock = [] { return store::nowTimestamp() + std::chrono::hours(24 * 31); };
    auto later = Maintenance(MaintenanceDeps{*store_, *registry_, config_, metrics_, *logger_}, o).runOnce();
    EXPECT_EQ(later.audit_events_purged, 3);  // both teams' team.created and team-a's token
    EXPECT_TRUE(events("team-a")["items"].empty());
}

}  // namespace
}  // namespace forgelink::service::testing
