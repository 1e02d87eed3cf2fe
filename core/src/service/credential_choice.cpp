#include "service/credential_choice.hpp"

#include <algorithm>

#include <forgelink/support/http_text.hpp>

namespace forgelink::service {

namespace {
bool boundToRepository(std::string_view kind) { return kind == "project" || kind == "repository"; }
bool boundToGroup(std::string_view kind) { return kind == "group" || kind == "organization"; }
}  // namespace

CredentialRank rankCredential(const store::ProviderSettings& credential, std::string_view repository_id,
                              std::string_view full_path, std::string* why) {
    if (!credential.bound_to) return {1, 0};
    const auto& bound = *credential.bound_to;
    // Forges compare paths without case (the shipped ones all do).
    const std::string path = support::asciiLower(full_path);
    const std::string bound_path = support::asciiLower(bound.full_path);
    if (boundToRepository(bound.kind)) {
        if ((!bound.id.empty() && bound.id == repository_id) || (!bound_path.empty() && bound_path == path))
            return {3, 0};
    } else if (boundToGroup(bound.kind)) {
        if (!bound_path.empty() && path.size() > bound_path.size() && path.compare(0, bound_path.size(), bound_path) == 0 &&
            path[bound_path.size()] == '/')
            return {2, static_cast<std::size_t>(std::count(bound_path.begin(), bound_path.end(), '/')) + 1};
    } else {
        return {1, 0};  // bound to something this rule does not know: let the forge say
    }
    if (why)
        *why = "it is bound to " + bound.kind + " " + (bound.full_path.empty() ? bound.id : bound.full_path) +
               ", which does not hold " + std::string(full_path.empty() ? repository_id : full_path);
    return {0, 0};
}

std::vector<store::ProviderSettings> rankCredentials(const std::vector<store::ProviderSettings>& credentials,
                                                     std::string_view repository_id, std::string_view full_path) {
    std::vector<std::pair<CredentialRank, const store::ProviderSettings*>> ranked;
    for (const auto& c : credentials) {
        const auto rank = rankCredential(c, repository_id, full_path);
        if (rank.tier > 0) ranked.emplace_back(rank, &c);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first > b.first;
        const bool a_active = a.second->status == store::ProviderStatus::active;
        const bool b_active = b.second->status == store::ProviderStatus::active;
        if (a_active != b_active) return a_active;
        const bool a_default = a.second->name == store::kDefaultCredential;
        const bool b_default = b.second->name == store::kDefaultCredential;
        if (a_default != b_default) return a_default;
        return a.second->name < b.second->name;
    });
    std::vector<store::ProviderSettings> out;
    for (const auto& [rank, c] : ranked) out.push_back(*c);
    return out;
}

std::string describeCredential(const store::ProviderSettings& credential) {
    std::string text(toString(credential.kind));
    text += " token";
    if (credential.bound_to)
        text += " of " + credential.bound_to->kind + " " +
                (credential.bound_to->full_path.empty() ? credential.bound_to->id : credential.bound_to->full_path);
    else if (!credential.identity.username.empty())
        text += " of " + credential.identity.username;
    return text;
}

}  // namespace forgelink::service
