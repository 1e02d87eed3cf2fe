// The isolation matrix (issue 19), driven by docs/openapi.yaml so that a route added there is
// covered without touching this file: for every documented operation on a team's or a project's
// resources, a member, an owner and scoped tokens of team A ask for team B's (by slug and by id)
// and get 403 or 404, never data; a project's token gets the same from its team's other project;
// a reporter token changes nothing but builds. A path parameter this file does not know fails the
// test, so a new kind of resource must be taught here.
#include <yaml-cpp/yaml.h>

#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

struct Operation {
    std::string method;  // upper case
    std::string path;    // the template
};

class Isolation : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        const YAML::Node spec = YAML::LoadFile(FORGELINK_OPENAPI_FILE);
        for (const auto& path : spec["paths"])
            for (const auto& op : path.second) {
                auto method = op.first.as<std::string>();
                if (method == "parameters") continue;
                for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                operations_.push_back({method, path.first.as<std::string>()});
            }

        // Team A: alice owns it, bob is a member, two projects; tokens of each kind.
        owner_ = loginUser("alice", &owner_id_);
        member_ = loginUser("bob", &member_id_);
        createTeam("team-a");
        const auto a = store_->findTeamBySlug("team-a").value().id;
        ASSERT_TRUE(store_->addTeamMember(a, owner_id_, store::TeamRole::owner).ok());
        ASSERT_TRUE(store_->addTeamMember(a, member_id_, store::TeamRole::member).ok());
        connectGitlab("team-a");
        a_project_ = createLinkedProject("team-a", "guide");
        a_second_ = createLinkedProject("team-a", "second");
        a_build_ = recordBuild(a_project_);
        a_second_build_ = recordBuild(a_second_);
        reporter_ = tokenOf("team-a", "reporter", "reporter");
        admin_token_ = tokenOf("team-a", "admin", "admin");
        project_token_ = tokenOf("team-a", "project-admin", "admin", a_project_);
        project_reporter_ = tokenOf("team-a", "project-reporter", "reporter", a_project_);

        // Team B: its own owner, project, build, token; names that must never show up in A's answers.
        std::int64_t b_owner_id = 0;
        (void)loginUser("zed-of-team-b", &b_owner_id);
        b_owner_id_ = b_owner_id;
        ASSERT_EQ(call("POST", "/api/v1/teams", {{"slug", "team-b"}, {"name", "Secretive B"}}).status, 201);
        const auto b = store_->findTeamBySlug("team-b").value().id;
        ASSERT_TRUE(store_->addTeamMember(b, b_owner_id_, store::TeamRole::owner).ok());
        connectGitlab("team-b");
        b_project_ = createLinkedProject("team-b", "b-secret-project");
        b_build_ = recordBuild(b_project_, "b-secret-branch");
        auto made = call("POST", "/api/v1/teams/team-b/tokens", {{"name", "b-secret-token"}, {"role", "admin"}});
        ASSERT_EQ(made.status, 201) << made.text;
        b_token_id_ = made.body["token"]["id"].get<std::int64_t>();
    }

    std::int64_t recordBuild(std::int64_t project, const std::string& branch = "main") {
        auto reply = call("POST", "/api/v1/projects/" + std::to_string(project) + "/builds",
                          {{"commit_sha", std::string(40, 'b')}, {"branch", branch}, {"state", "queued"}});
        EXPECT_EQ(reply.status, 202) << reply.text;
        return reply.body["build"].value("id", std::int64_t{0});
    }
    std::string tokenOf(const std::string& team, const std::string& name, const std::string& role,
                        std::int64_t project = 0) {
        nlohmann::json body = {{"name", name}, {"role", role}};
        if (project) body["project_id"] = project;
        auto reply = call("POST", "/api/v1/teams/" + team + "/tokens", body);
        EXPECT_EQ(reply.status, 201) << reply.text;
        return reply.body.value("secret", "");
    }

    // The concrete path of `op` on the resources given; "" with a failure for an unknown parameter.
    std::string concrete(const Operation& op, const std::map<std::string, std::string>& values) {
        std::string out;
        for (const auto& segment : common::split(op.path.substr(1), '/')) {
            out += "/";
            if (segment.size() > 2 && segment.front() == '{') {
                const auto name = segment.substr(1, segment.size() - 2);
                auto it = values.find(name);
                if (it == values.end()) {
                    ADD_FAILURE() << op.method << " " << op.path << ": path parameter '" << name
                                  << "' is unknown to the isolation matrix; teach it which resource of team B to ask for";
                    return "";
                }
                out += it->second;
            } else {
                out += segment;
            }
        }
        return out;
    }
    // Whether the route concerns a team's or a project's resources.
    static bool scoped(const Operation& op) {
        return op.path.find("{team}") != std::string::npos || op.path.find("{project}") != std::string::npos;
    }
    // A body that would pass validation, so a refusal can only come from the access check.
    static nlohmann::json bodyFor(const Operation& op) {
        if (op.method == "GET" || op.method == "DELETE") return nullptr;
        const std::string key = op.method + " " + op.path;
        if (key == "POST /api/v1/teams/{team}/members") return {{"username", "alice"}, {"role", "owner"}};
        if (key == "PATCH /api/v1/teams/{team}/members/{user_id}") return {{"role", "member"}};
        if (key == "PUT /api/v1/teams/{team}/providers/{provider}") return {{"token", kBotToken}};
        if (key == "PUT /api/v1/teams/{team}/providers/{provider}/credentials/{credential}")
            return {{"token", kBotToken}};
        if (key == "PATCH /api/v1/teams/{team}/providers/{provider}" ||
            key == "PATCH /api/v1/teams/{team}/providers/{provider}/credentials/{credential}")
            return {{"rotate", {{"enabled", true}}}};
        if (key == "POST /api/v1/teams/{team}/projects") return {{"name", "Intruder"}};
        if (key == "PUT /api/v1/projects/{project}/repository") return {{"provider", "gitlab"}, {"repository", "acme/tools/widget"}};
        if (key == "POST /api/v1/projects/{project}/builds")
            return {{"commit_sha", std::string(40, 'c')}, {"branch", "intruder"}, {"state", "queued"}};
        if (key == "PATCH /api/v1/projects/{project}/builds/{build}") return {{"state", "rejected"}};
        if (key == "POST /api/v1/teams/{team}/tokens") return {{"name", "intruder"}, {"role", "admin"}};
        return nlohmann::json::object();
    }
    Reply ask(const std::string& who, const Operation& op, const std::string& path) {
        const auto body = bodyFor(op);
        if (who == owner_ || who == member_) return asUser(who, op.method, path, body);
        return call(op.method, path, body, {{"Authorization", "Bearer " + who}}, false);
    }
    // Team B's resources by slug and by id.
    std::map<std::string, std::string> teamB() const {
        return {{"team", "team-b"},
                {"project", std::to_string(b_project_)},
                {"build", std::to_string(b_build_)},
                {"user_id", std::to_string(b_owner_id_)},
                {"token_id", std::to_string(b_token_id_)},
                {"provider", "gitlab"},
                {"credential", "default"},
                {"repository", "acme%2Ftools%2Fwidget"}};
    }
    std::map<std::string, std::string> teamA(std::int64_t project, std::int64_t build) const {
        return {{"team", "team-a"},
                {"project", std::to_string(project)},
                {"build", std::to_string(build)},
                {"user_id", std::to_string(member_id_)},
                {"token_id", "1"},
                {"provider", "gitlab"},
                {"credential", "default"},
                {"repository", "acme%2Ftools%2Fwidget"}};
    }
    void expectNothingOfB(const Reply& reply, const std::string& what) {
        EXPECT_TRUE(reply.status == 403 || reply.status == 404) << what << " answered " << reply.status << ": " << reply.text;
        for (const char* marker : {"Secretive B", "b-secret-project", "b-secret-branch", "b-secret-token", "zed-of-team-b"})
            EXPECT_EQ(reply.text.find(marker), std::string::npos) << what << " leaked '" << marker << "': " << reply.text;
    }

    std::vector<Operation> operations_;
    std::string owner_, member_, reporter_, admin_token_, project_token_, project_reporter_;
    std::int64_t owner_id_ = 0, member_id_ = 0, b_owner_id_ = 0, b_token_id_ = 0;
    std::int64_t a_project_ = 0, a_second_ = 0, a_build_ = 0, a_second_build_ = 0, b_project_ = 0, b_build_ = 0;
};

TEST_F(Isolation, TheMatrixCoversEveryTeamAndProjectRoute) {
    std::size_t covered = 0;
    for (const auto& op : operations_) covered += scoped(op);
    EXPECT_GE(covered, 25u) << "docs/openapi.yaml lost its team and project routes?";
    // Team B's resources are real: the operator reaches each GET of the matrix (so a 404 below is
    // the access check, not a wrong path).
    for (const auto& op : operations_) {
        if (!scoped(op) || op.method != "GET") continue;
        const auto path = concrete(op, teamB());
        if (path.empty()) continue;
        auto reply = call("GET", path);
        EXPECT_EQ(reply.status, 200) << "operator GET " << path << ": " << reply.text;
    }
}

TEST_F(Isolation, NobodyOfTeamAReachesTeamB) {
    const std::vector<std::pair<std::string, std::string>> principals = {
        {"member", member_}, {"owner", owner_}, {"reporter token", reporter_}, {"admin token", admin_token_},
        {"project token", project_token_}};
    for (const auto& op : operations_) {
        if (!scoped(op)) continue;
        const auto path = concrete(op, teamB());
        if (path.empty()) continue;
        for (const auto& [name, who] : principals) expectNothingOfB(ask(who, op, path), name + " " + op.method + " " + path);
    }
    // Nothing of B changed.
    const auto b = store_->findTeamBySlug("team-b");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b.value().name, "Secretive B");
    EXPECT_TRUE(store_->teamMember(b.value().id, b_owner_id_).ok());
    EXPECT_TRUE(store_->providerSettings(b.value().id, "gitlab").ok());
    EXPECT_EQ(store_->providerRotation(b.value().id, "gitlab", "default").error().kind, ErrorKind::not_found)
        << "no rotation setting or claim was made for team B";
    EXPECT_TRUE(store_->project(b_project_).ok());
    EXPECT_TRUE(store_->repositoryLink(b_project_).ok());
    EXPECT_EQ(store_->build(b_build_).value().state, BuildState::queued);
    EXPECT_EQ(store_->listBuilds(b_project_, 10).value().size(), 1u);
    EXPECT_EQ(store_->listApiTokens(b.value().id).value().size(), 1u);
    EXPECT_EQ(store_->listTeamMembers(b.value().id).value().size(), 1u);
    // Listings of everyone's teams show A only (tokens may not list teams at all).
    for (const auto& who : {owner_, member_}) {
        auto teams = asUser(who, "GET", "/api/v1/teams");
        EXPECT_EQ(teams.text.find("team-b"), std::string::npos) << teams.text;
    }
    for (const auto& who : {reporter_, admin_token_}) EXPECT_EQ(call("GET", "/api/v1/teams", nullptr, {{"Authorization", "Bearer " + who}}, false).status, 403);
}

TEST_F(Isolation, AProjectTokenReachesNoOtherProjectOfItsTeam) {
    for (const auto& who : {project_token_, project_reporter_}) {
        for (const auto& op : operations_) {
            if (op.path.find("{project}") == std::string::npos) continue;
            const auto path = concrete(op, teamA(a_second_, a_second_build_));
            if (path.empty()) continue;
            auto reply = ask(who, op, path);
            EXPECT_TRUE(reply.status == 403 || reply.status == 404) << op.method << " " << path << ": " << reply.text;
            EXPECT_EQ(reply.text.find("\"second\""), std::string::npos) << op.method << " " << path << ": " << reply.text;
        }
    }
    EXPECT_TRUE(store_->project(a_second_).ok());
    EXPECT_TRUE(store_->repositoryLink(a_second_).ok());
    EXPECT_EQ(store_->listBuilds(a_second_, 10).value().size(), 1u);
}

TEST_F(Isolation, AReporterTokenChangesNothingButBuilds) {
    for (const auto& who : {reporter_, project_reporter_}) {
        for (const auto& op : operations_) {
            if (!scoped(op) || op.method == "GET") continue;
            if (op.path.find("/builds") != std::string::npos) continue;  // what a reporter is for
            const auto path = concrete(op, teamA(a_project_, a_build_));
            if (path.empty()) continue;
            auto reply = ask(who, op, path);
            EXPECT_EQ(reply.status, 403) << op.method << " " << path << ": " << reply.text;
        }
    }
    const auto a = store_->findTeamBySlug("team-a");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(store_->listTeamMembers(a.value().id).value().size(), 2u);
    EXPECT_TRUE(store_->providerSettings(a.value().id, "gitlab").ok());
    EXPECT_EQ(store_->listProjects(a.value().id).value().size(), 2u);
    EXPECT_TRUE(store_->repositoryLink(a_project_).ok());
    EXPECT_EQ(store_->listApiTokens(a.value().id).value().size(), 4u);
    // And the builds it is for work.
    auto reply = call("POST", "/api/v1/projects/" + std::to_string(a_project_) + "/builds",
                      {{"commit_sha", std::string(40, 'd')}, {"branch", "main"}, {"state", "queued"}},
                      {{"Authorization", "Bearer " + reporter_}}, false);
    EXPECT_EQ(reply.status, 202) << reply.text;
}

}  // namespace
}  // namespace forgelink::service::testing
