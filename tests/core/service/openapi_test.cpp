// docs/openapi.yaml against the running API: every route is documented and every documented
// operation is served; then a walk through every operation checks that each real answer has a
// documented status and a body with the documented required properties and types.
#include <yaml-cpp/yaml.h>

#include <forgelink/support/http_text.hpp>

#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

class OpenApi : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        spec_ = YAML::LoadFile(FORGELINK_OPENAPI_FILE);
    }

    YAML::Node resolve(YAML::Node node) const {
        while (node.IsMap() && node["$ref"]) {
            const auto ref = node["$ref"].as<std::string>();
            YAML::Node at = YAML::Clone(spec_);
            for (const auto& part : common::split(ref.substr(2), '/')) at = at[part];
            node = at;
        }
        return node;
    }

    void validate(const nlohmann::json& value, YAML::Node schema, const std::string& where,
                  std::vector<std::string>& errors) const {
        schema = resolve(schema);
        if (!schema || !schema.IsMap()) return;
        if (value.is_null() && schema["nullable"] && schema["nullable"].as<bool>()) return;
        if (schema["allOf"]) {
            for (const auto& part : schema["allOf"]) validate(value, part, where, errors);
            return;
        }
        if (schema["type"]) {
            const auto type = schema["type"].as<std::string>();
            const bool ok = (type == "object" && value.is_object()) || (type == "array" && value.is_array()) ||
                            (type == "string" && value.is_string()) ||
                            (type == "integer" && value.is_number_integer()) ||
                            (type == "number" && value.is_number()) || (type == "boolean" && value.is_boolean());
            if (!ok) {
                errors.push_back(where + ": expected " + type + ", got " + value.dump());
                return;
            }
        }
        if (schema["enum"] && value.is_string()) {
            bool found = false;
            for (const auto& e : schema["enum"]) found = found || e.as<std::string>() == value.get<std::string>();
            if (!found) errors.push_back(where + ": " + value.dump() + " is not in the documented enum");
        }
        if (value.is_object()) {
            if (schema["required"])
                for (const auto& r : schema["required"])
                    if (!value.contains(r.as<std::string>()))
                        errors.push_back(where + ": missing required property '" + r.as<std::string>() + "'");
            if (schema["properties"])
                for (const auto& p : schema["properties"]) {
                    const auto name = p.first.as<std::string>();
                    if (value.contains(name)) validate(value[name], p.second, where + "." + name, errors);
                }
        }
        if (value.is_array() && schema["items"])
            for (std::size_t i = 0; i < value.size(); ++i)
                validate(value[i], schema["items"], where + "[" + std::to_string(i) + "]", errors);
    }

    // Checks one real answer against the operation (method, path template).
    void check(const std::string& method, const std::string& route, const Reply& reply) {
        std::string lower = support::asciiLower(method);
        auto op = spec_["paths"][route][lower];
        ASSERT_TRUE(op) << method << " " << route << " is not documented";
        seen_.insert(method + " " + route);
        auto response = op["responses"][std::to_string(reply.status)];
        ASSERT_TRUE(response) << method << " " << route << " answered undocumented status " << reply.status << ": "
                              << reply.text;
        response = resolve(response);
        checkHeaders(method, route, reply, response);
        auto schema = response["content"]["application/json"]["schema"];
        if (!schema) return;
        ASSERT_FALSE(reply.body.is_discarded()) << method << " " << route << ": body is not JSON: " << reply.text;
        std::vector<std::string> errors;
        validate(reply.body, schema, "body", errors);
        for (const auto& e : errors) ADD_FAILURE() << method << " " << route << " " << reply.status << ": " << e;
    }

    // The contract's headers: each one the answer carries is documented on that response, and
    // each documented as required is there (Retry-After and Set-Cookie come only sometimes).
    void checkHeaders(const std::string& method, const std::string& route, const Reply& reply, YAML::Node response) {
        std::map<std::string, bool> documented;  // lower-case name -> required
        if (response["headers"])
            for (const auto& h : response["headers"]) {
                const auto header = resolve(h.second);
                documented[support::asciiLower(h.first.as<std::string>())] = header["required"] && header["required"].as<bool>();
            }
        for (const char* name : {"location", "retry-after", "www-authenticate", "etag", "set-cookie"}) {
            const bool sent = reply.headers.count(name) != 0;
            if (sent) {
                ++headers_checked_[name];
                EXPECT_TRUE(documented.count(name))
                    << method << " " << route << " " << reply.status << " sends " << name << " but does not document it";
            }
            if (documented.count(name) && documented[name]) {
                EXPECT_TRUE(sent) << method << " " << route << " " << reply.status << " documents " << name
                                  << " as always sent, but did not send it";
            }
        }
    }

    YAML::Node spec_;
    std::set<std::string> seen_;
    std::map<std::string, int> headers_checked_;
};

TEST_F(OpenApi, EveryRouteIsDocumentedAndEveryDocumentedOperationIsServed) {
    std::set<std::string> served, documented;
    for (const auto& [method, route] : service_->routes()) served.insert(method + " " + route);
    for (const auto& path : spec_["paths"])
        for (const auto& op : path.second) {
            auto method = op.first.as<std::string>();
            if (method == "parameters") continue;
            for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            documented.insert(method + " " + path.first.as<std::string>());
        }
    for (const auto& s : served) EXPECT_TRUE(documented.count(s)) << s << " is served but not documented";
    for (const auto& d : documented) EXPECT_TRUE(served.count(d)) << d << " is documented but not served";
}

TEST_F(OpenApi, RealAnswersMatchTheDocument) {
    const std::string sha = "af5b13261899fb2c0db30abdd0af8b07cb44fdc5";
    check("GET", "/healthz", call("GET", "/healthz", nullptr, {}, false));
    check("GET", "/metrics", call("GET", "/metrics", nullptr, {}, false));
    check("GET", "/api/v1/teams", call("GET", "/api/v1/teams", nullptr, {}, false));
    check("POST", "/api/v1/teams", call("POST", "/api/v1/teams", {{"slug", "docs"}}));
    check("POST", "/api/v1/teams", call("POST", "/api/v1/teams", {{"slug", "docs"}}));
    check("POST", "/api/v1/teams", call("POST", "/api/v1/teams", {{"slug", "x"}, {"bad", 1}}));
    check("GET", "/api/v1/teams", call("GET", "/api/v1/teams"));
    check("GET", "/api/v1/teams/{team}", call("GET", "/api/v1/teams/docs"));
    check("GET", "/api/v1/teams/{team}", call("GET", "/api/v1/teams/none"));
    check("GET", "/api/v1/session", call("GET", "/api/v1/session"));
    check("GET", "/api/v1/auth/providers", call("GET", "/api/v1/auth/providers", nullptr, {}, false));
    check("DELETE", "/api/v1/session/identities/{provider}", call("DELETE", "/api/v1/session/identities/gitlab"));
    check("GET", "/api/v1/providers", call("GET", "/api/v1/providers"));

    std::int64_t user_id = 0;
    const auto session = loginUser("dora", &user_id);
    check("GET", "/api/v1/session", asUser(session, "GET", "/api/v1/session"));
    check("POST", "/api/v1/teams/{team}/members",
          call("POST", "/api/v1/teams/docs/members", {{"user_id", user_id}, {"role", "member"}}));
    check("GET", "/api/v1/teams/{team}/members", call("GET", "/api/v1/teams/docs/members"));
    check("PATCH", "/api/v1/teams/{team}/members/{user_id}",
          call("PATCH", "/api/v1/teams/docs/members/" + std::to_string(user_id), {{"role", "owner"}}));
    check("DELETE", "/api/v1/teams/{team}/members/{user_id}",
          call("DELETE", "/api/v1/teams/docs/members/" + std::to_string(user_id)));

    check("PUT", "/api/v1/teams/{team}/providers/{provider}",
          call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", "glpat-revoked-0000000000"}}));
    check("PUT", "/api/v1/teams/{team}/providers/{provider}",
          call("PUT", "/api/v1/teams/docs/providers/gitlab", {{"token", kBotToken}}));
    check("GET", "/api/v1/teams/{team}/providers/{provider}", call("GET", "/api/v1/teams/docs/providers/gitlab"));
    check("GET", "/api/v1/teams/{team}/providers", call("GET", "/api/v1/teams/docs/providers"));
    check("GET", "/api/v1/teams/{team}/providers/{provider}/namespaces",
          call("GET", "/api/v1/teams/docs/providers/gitlab/namespaces"));
    check("GET", "/api/v1/teams/{team}/providers/{provider}/repositories",
          call("GET", "/api/v1/teams/docs/providers/gitlab/repositories"));
    check("GET", "/api/v1/teams/{team}/providers/{provider}/repositories/{repository}/permissions",
          call("GET", "/api/v1/teams/docs/providers/gitlab/repositories/acme%2Ftools%2Fwidget/permissions"));
    const std::string credential = "/api/v1/teams/{team}/providers/{provider}/credentials/{credential}";
    check("PUT", credential,
          call("PUT", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group", {{"token", "glpat-group-token-000000"}}));
    check("PUT", credential, call("PUT", "/api/v1/teams/docs/providers/gitlab/credentials/Bad", {{"token", "x"}}));
    check("GET", credential, call("GET", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group"));
    check("GET", credential, call("GET", "/api/v1/teams/docs/providers/gitlab/credentials/nobody"));
    check("GET", "/api/v1/teams/{team}/providers/{provider}/credentials",
          call("GET", "/api/v1/teams/docs/providers/gitlab/credentials"));
    auto guide = call("POST", "/api/v1/teams/docs/projects",
                      {{"name", "Guide 2"}, {"repository", {{"provider", "gitlab"}, {"path", "acme/tools/widget"}}}});
    EXPECT_EQ(guide.status, 201) << guide.text;

    check("GET", "/api/v1/teams/{team}/notifications", call("GET", "/api/v1/teams/docs/notifications"));
    check("PUT", "/api/v1/teams/{team}/notifications",
          call("PUT", "/api/v1/teams/docs/notifications", {{"webhook_url", "http://127.0.0.1:9/hook"}}));
    check("PUT", "/api/v1/teams/{team}/notifications",
          call("PUT", "/api/v1/teams/docs/notifications",
               {{"webhook_url", "https://hooks.example.com/services/T0/B0/abcdefghijkl"}}));
    check("GET", "/api/v1/teams/{team}/notifications", call("GET", "/api/v1/teams/docs/notifications"));
    {
        auto team = store_->findTeamBySlug("docs");
        ASSERT_TRUE(team.ok());
        store::NewNotice notice;
        notice.team_id = team->id;
        notice.provider = "gitlab";
        notice.kind = store::NoticeKind::token_expiring;
        notice.dedupe_key = "openapi";
        notice.text = "the token expires in 7 days";
        notice.details = {{"days_left", 7}, {"threshold_days", 7}};
        ASSERT_TRUE(store_->recordNotice(notice).ok());
    }
    check("GET", "/api/v1/teams/{team}/notices", call("GET", "/api/v1/teams/docs/notices?limit=5"));
    check("GET", "/api/v1/teams/{team}/notices", call("GET", "/api/v1/teams/docs/notices?limit=0"));
    check("DELETE", "/api/v1/teams/{team}/notifications", call("DELETE", "/api/v1/teams/docs/notifications"));
    check("DELETE", "/api/v1/teams/{team}/notifications", call("DELETE", "/api/v1/teams/docs/notifications"));

    auto created = call("POST", "/api/v1/teams/docs/projects",
                        {{"name", "Guide"}, {"repository", {{"provider", "gitlab"}, {"path", "acme/tools/widget"}}}});
    check("POST", "/api/v1/teams/{team}/projects", created);
    const auto id = std::to_string(created.body["project"]["id"].get<std::int64_t>());
    check("GET", "/api/v1/teams/{team}/projects", call("GET", "/api/v1/teams/docs/projects"));
    check("GET", "/api/v1/projects/{project}", call("GET", "/api/v1/projects/" + id));
    auto build = call("POST", "/api/v1/projects/" + id + "/builds",
                      {{"commit_sha", sha}, {"branch", "feature"}, {"merge_request", 1}, {"state", "in_progress"}});
    check("POST", "/api/v1/projects/{project}/builds", build);
    const auto build_id = std::to_string(build.body["build"]["id"].get<std::int64_t>());
    check("POST", "/api/v1/projects/{project}/builds",
          call("POST", "/api/v1/projects/" + id + "/builds", {{"commit_sha", "x"}}));
    check("PATCH", "/api/v1/projects/{project}/builds/{build}",
          call("PATCH", "/api/v1/projects/" + id + "/builds/" + build_id, {{"state", "no_changes"}}));
    check("GET", "/api/v1/projects/{project}/builds/{build}", call("GET", "/api/v1/projects/" + id + "/builds/" + build_id));
    check("GET", "/api/v1/projects/{project}/builds", call("GET", "/api/v1/projects/" + id + "/builds"));
    check("DELETE", "/api/v1/projects/{project}/repository", call("DELETE", "/api/v1/projects/" + id + "/repository"));
    check("PUT", "/api/v1/projects/{project}/repository",
          call("PUT", "/api/v1/projects/" + id + "/repository", {{"provider", "gitlab"}, {"repository", "100"}}));
    check("DELETE", "/api/v1/projects/{project}", call("DELETE", "/api/v1/projects/" + id));

    for (const char* prefix : {"/auth", "/api/v1/auth"}) {
        const std::string p = prefix;
        auto start = call("GET", p + "/gitlab/login", nullptr, {}, false);
        check("GET", p + "/{provider}/login", start);
        auto approved = sim::httpRequest("GET", start.header("location"));
        const auto back = approved.header("location");
        check("GET", p + "/{provider}/callback",
              call("GET", p + "/gitlab/callback" + back.substr(back.find('?')), nullptr, {}, false));
        check("GET", p + "/{provider}/callback", call("GET", p + "/gitlab/callback?state=x", nullptr, {}, false));
        check("POST", p + "/logout", call("POST", p + "/logout", nullptr, {}, false));
    }
    // Token rotation: the setting (and a mistyped one), then a rotation on demand (the store then
    // holds the rotated token, which the rest of the walk uses).
    check("PATCH", "/api/v1/teams/{team}/providers/{provider}",
          call("PATCH", "/api/v1/teams/docs/providers/gitlab", {{"rotate", {{"enabled", true}, {"days_before_expiry", 10}}}}));
    check("PATCH", "/api/v1/teams/{team}/providers/{provider}",
          call("PATCH", "/api/v1/teams/docs/providers/gitlab", {{"rotate", {{"enabled", "yes"}}}}));
    auto rotated = call("POST", "/api/v1/teams/docs/providers/gitlab/rotate");
    EXPECT_EQ(rotated.status, 200) << rotated.text;
    check("POST", "/api/v1/teams/{team}/providers/{provider}/rotate", rotated);
    check("POST", "/api/v1/teams/{team}/providers/{provider}/rotate", call("POST", "/api/v1/teams/docs/providers/nothing/rotate"));
    // A named credential's setting and rotation: the group token cannot rotate on this GitLab
    // (17.5: group tokens need 17.9), which is a documented 422.
    check("PATCH", credential,
          call("PATCH", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group", {{"rotate", {{"enabled", true}}}}));
    check("PATCH", credential,
          call("PATCH", "/api/v1/teams/docs/providers/gitlab/credentials/nobody", {{"rotate", {{"enabled", true}}}}));
    const std::string credential_rotate = credential + "/rotate";
    check("POST", credential_rotate, call("POST", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group/rotate"));
    check("POST", credential_rotate, call("POST", "/api/v1/teams/docs/providers/gitlab/credentials/nobody/rotate"));
    // The forge rate limiting Forgelink: 503 with Retry-After (on every route that asks the forge).
    sim_->faults({{"route", "GET /api/v4/projects"}, {"burst_429", 20}, {"retry_after", 600}});
    auto limited = call("GET", "/api/v1/teams/docs/providers/gitlab/repositories");
    sim_->clearFaults();
    EXPECT_EQ(limited.status, 503) << limited.text;
    EXPECT_FALSE(limited.header("retry-after").empty()) << limited.text;
    check("GET", "/api/v1/teams/{team}/providers/{provider}/repositories", limited);
    check("GET", "/api/v1/teams/{team}/providers/{provider}", call("GET", "/api/v1/teams/docs/providers/gitlab", nullptr,
                                                                  {{"Authorization", "Bearer wrong"}}, false));

    check("DELETE", "/api/v1/teams/{team}/providers/{provider}", call("DELETE", "/api/v1/teams/docs/providers/gitlab"));
    auto token = call("POST", "/api/v1/teams/docs/tokens", {{"name", "ci"}, {"role", "reporter"}, {"expires_in_days", 30}});
    check("POST", "/api/v1/teams/{team}/tokens", token);
    check("POST", "/api/v1/teams/{team}/tokens", call("POST", "/api/v1/teams/docs/tokens", {{"name", "ci"}, {"role", "reporter"}}));
    check("POST", "/api/v1/teams/{team}/tokens", call("POST", "/api/v1/teams/docs/tokens", {{"name", "x"}, {"role", "boss"}}));
    check("GET", "/api/v1/teams/{team}/tokens", call("GET", "/api/v1/teams/docs/tokens"));
    // A reporter token on a route it may not use, and on one it may.
    const std::string secret = token.body.value("secret", "");
    check("GET", "/api/v1/teams/{team}/providers",
          call("GET", "/api/v1/teams/docs/providers", nullptr, {{"Authorization", "Bearer " + secret}}, false));
    check("DELETE", "/api/v1/teams/{team}/tokens/{token_id}",
          call("DELETE", "/api/v1/teams/docs/tokens/" + std::to_string(token.body["token"].value("id", std::int64_t{0}))));
    check("DELETE", "/api/v1/teams/{team}/tokens/{token_id}", call("DELETE", "/api/v1/teams/docs/tokens/999"));
    check("GET", "/api/v1/teams/{team}/audit", call("GET", "/api/v1/teams/docs/audit?limit=2"));
    check("GET", "/api/v1/teams/{team}/audit", call("GET", "/api/v1/teams/docs/audit?limit=0"));
    // 'default' is gone: the group token is the last that reaches "Guide 2"'s repository.
    check("DELETE", credential, call("DELETE", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group"));
    check("DELETE", credential, call("DELETE", "/api/v1/teams/docs/providers/gitlab/credentials/acme-group?force=true"));
    check("DELETE", "/api/v1/teams/{team}", call("DELETE", "/api/v1/teams/docs"));

    // The walk saw each contract header at least once.
    for (const char* name : {"location", "retry-after", "www-authenticate", "etag", "set-cookie"})
        EXPECT_GT(headers_checked_[name], 0) << "no answer in the walk carried " << name;

    // The walk reached every documented operation.
    for (const auto& [method, route] : service_->routes())
        EXPECT_TRUE(seen_.count(method + " " + route)) << method << " " << route << " was not exercised";
}

}  // namespace
}  // namespace forgelink::service::testing
