// The GitLab plugin's reading of GitLab's answers (plugins/gitlab/json_mapping.hpp, api_client.hpp):
// users, tokens (personal/project/group, associations, OAuth), projects (whole and selected, as
// listings parse them), groups, namespaces, members, merge requests, notes, commit statuses,
// versions, rotated tokens, and error answers of every status. Input: a response (fuzz_http.hpp). Each mapping
// gives a value or an Error with a message, never a crash or an escaping exception.
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

FORGELINK_FUZZ_TARGET(gitlab_responses) {
    using namespace forgelink;
    using namespace forgelink::gitlab;
    const auto response = fuzz::readResponse(fuzz::asText(data, size));
    static const Instance instance = parseInstance("https://gitlab.example.com/sub").value();

    // Error answers: whatever the body, a message a person can act on, never GitLab's raw bytes
    // beyond an excerpt.
    const auto body = parseErrorBody(response);
    (void)looksLikeHtml(response);
    (void)retryAfter(response);
    (void)linkTarget(response, "next");
    const auto error = errorFromResponse(instance, response, "fuzzing");
    FUZZ_CHECK(!error.message.empty(), "errorFromResponse gave no message");
    (void)notGitLabApi(instance, "https://gitlab.example.com/sub/api/v4/user", body.text);

    // The mappings, on the whole document and on each element of an array.
    const nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
    if (j.is_discarded()) return 0;
    const auto mapAll = [&](const nlohmann::json& v) {
        expectMessage(parseUser(v));
        expectMessage(parseAccessToken(v));
        expectMessage(parseTokenAssociations(v));
        expectMessage(parseOAuthTokenInfo(v));
        expectMessage(parseProject(v, instance.key));
        expectMessage(parseGroup(v));
        expectMessage(parseNamespace(v));
        expectMessage(parseMember(v));
        expectMessage(parseMergeRequest(v));
        expectMessage(parseNote(v));
        expectMessage(parseCommitStatus(v));
        expectMessage(parseOAuthToken(v, 1'700'000'000));
        expectMessage(parseVersion(v));
        expectMessage(parseRotatedToken(v));
    };
    mapAll(j);
    if (j.is_array()) {
        for (const auto& item : j) mapAll(item);
        expectMessage(parseArray<Project>(j, "projects", [&](const nlohmann::json& v) { return parseProject(v, instance.key); }));
        expectMessage(parseArray<Note>(j, "notes", [](const nlohmann::json& v) { return parseNote(v); }));
    }
    // Listings read pages through the selection: the selected document maps the same way. (Not
    // with a NUL byte: nlohmann ends the text there, parseSelected refuses it; see json_select.)
    if (response.body.find('\0') != std::string::npos) return 0;
    const auto selected = support::parseSelected(response.body, projectSelection());
    FUZZ_CHECK(selected.ok(), "parseSelected refused what nlohmann accepted");
    const auto whole = parseArray<Project>(j, "projects", [&](const nlohmann::json& v) { return parseProject(v, instance.key); });
    const auto pruned =
        parseArray<Project>(selected.value(), "projects", [&](const nlohmann::json& v) { return parseProject(v, instance.key); });
    FUZZ_CHECK(whole.ok() == pruned.ok(), "projectSelection() drops a member parseProject reads");
    return 0;
}
