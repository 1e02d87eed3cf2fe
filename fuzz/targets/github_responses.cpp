// The GitHub plugin's reading of GitHub's answers (plugins/github/json_mapping.hpp, api_client.hpp):
// users, organizations, repositories, pull requests, comments, commit statuses, OAuth tokens (and
// OAuth errors answered with 200), and error answers of every status. Input: a response
// (fuzz_http.hpp). Each mapping gives a value or an Error with a message, never a crash.
#include <string>

#include <nlohmann/json.hpp>

#include "api_client.hpp"
#include "fuzz_http.hpp"
#include "fuzz_target.hpp"
#include "json_mapping.hpp"

namespace {
template <class R>
void expectMessage(const R& result) {
    if (!result.ok()) FUZZ_CHECK(!result.error().message.empty(), "an Error without a message");
}
}  // namespace

FORGELINK_FUZZ_TARGET(github_responses) {
    using namespace forgelink;
    using namespace forgelink::github;
    const auto response = fuzz::readResponse(fuzz::asText(data, size));
    static const Instance instance = parseInstance("https://github.com").value();

    const auto body = parseErrorBody(response);
    (void)looksLikeHtml(response);
    (void)hasGitHubHeaders(response);
    const auto error = errorFromResponse(instance, response, "fuzzing");
    FUZZ_CHECK(!error.message.empty(), "errorFromResponse gave no message");
    (void)notGitHubApi(instance, "https://api.github.com/user", body.text);

    const nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
    if (j.is_discarded()) return 0;
    const auto mapAll = [&](const nlohmann::json& v) {
        expectMessage(parseUser(v));
        expectMessage(parseOrganization(v));
        expectMessage(parseRepository(v, instance.key));
        expectMessage(parsePull(v));
        expectMessage(parseComment(v));
        expectMessage(parseCommitStatus(v));
        expectMessage(parseOAuthToken(v, 1'700'000'000));
        if (v.is_object() && v.contains("permissions")) (void)roleFromPermissions(v["permissions"]);
        (void)roleFromPermissions(v);
    };
    mapAll(j);
    if (j.is_array()) {
        for (const auto& item : j) mapAll(item);
        expectMessage(parseArray<Repo>(j, "repositories", [&](const nlohmann::json& v) { return parseRepository(v, instance.key); }));
        expectMessage(parseArray<Comment>(j, "comments", [](const nlohmann::json& v) { return parseComment(v); }));
    }
    return 0;
}
