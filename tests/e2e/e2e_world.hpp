// The simulated forge world of tests/e2e/scenarios/e2e-world.yaml: its tokens, commits and
// merge requests, and small readers of forge-sim's state.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forgelink::e2e {

inline const std::string kGitlabBot = "glpat-e2e-bot-api-00001234";
inline const std::string kGitlabRevoked = "glpat-e2e-revoked-0000000";
inline const std::string kGitlabExpired = "glpat-e2e-expired-0000000";
inline const std::string kGitlabReadUser = "glpat-e2e-read-user-00000";
inline const std::string kGithubAlice = "ghp_e2eAliceRepo0000000000000000000005678";
inline const std::string kGithubExpired = "ghp_e2eExpired00000000000000000000000000";
inline const std::string kGithubReadUser = "ghp_e2eReadUser0000000000000000000000000";

inline const std::string kFeatureSha = "af5b13261899fb2c0db30abdd0af8b07cb44fdc5";  // MR !1 of acme/tools/widget
inline const std::string kGithubFixSha = "7b2f1e4a9c3d5e6f708192a3b4c5d6e7f8091a2b";  // PR #7 of acme/widget
inline const std::string kMarker = "<!-- forgelink:instance=e2e -->";

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// One merge request of a multi-build run (crash_restart_test, postgres_hosts_test): the build's
// final state, what the forge shows for it, and how the comment names it.
struct Mr {
    int iid;
    std::string sha;
    std::string final_state;  // Forgelink's
    std::string forge_state;  // what GitLab shows for it
    std::string label;        // how the comment names it
    long long build = 0;
};

// The "forgelink" statuses forge-sim holds for a GitLab commit (all of them, oldest first).
inline std::vector<nlohmann::json> gitlabStatuses(const nlohmann::json& state, const std::string& sha) {
    std::vector<nlohmann::json> out;
    for (const auto& s : state["gitlab"]["statuses"])
        if (s["sha"] == sha && s["name"] == "forgelink") out.push_back(s);
    return out;
}

// The notes of MR !iid on project 100 that carry Forgelink's marker.
inline std::vector<nlohmann::json> gitlabMarkedNotes(const nlohmann::json& state, int iid) {
    std::vector<nlohmann::json> out;
    for (const auto& n : state["gitlab"]["notes"])
        if (n["project_id"] == 100 && n["mr_iid"] == iid &&
            n["body"].get<std::string>().find(kMarker) != std::string::npos)
            out.push_back(n);
    return out;
}

}  // namespace forgelink::e2e
