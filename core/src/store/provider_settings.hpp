// Provider settings: a team's named forge credentials (tokens sealed at rest) and which of them
// serves each linked repository. The contract every Store method keeps is in store/store.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <forgelink/result.hpp>

#include "store/records.hpp"

namespace forgelink::store {

class ProviderSettingsStore {
public:
    virtual ~ProviderSettingsStore() = default;

    // ---- provider settings: a team's named credentials per provider ----------------------
    // Each is keyed by (team, provider, name); `credential` defaults to kDefaultCredential, the
    // one a team has when it never named any. not_found names the team, provider and credential.
    // Inserts or replaces input.name's; a saved token makes it active again (invalid fields cleared).
    virtual Result<ProviderSettings> saveProviderSettings(const ProviderSettingsInput& input) = 0;
    virtual Result<ProviderSettings> providerSettings(std::int64_t team_id, std::string_view provider,
                                                      std::string_view credential = kDefaultCredential) = 0;
    // Every credential of the team, ordered by provider, then 'default' first, then by name.
    virtual Result<std::vector<ProviderSettings>> listProviderSettings(std::int64_t team_id) = 0;
    // base_url and the opened token, for calling the provider.
    virtual Result<Credentials> providerCredentials(std::int64_t team_id, std::string_view provider,
                                                    std::string_view credential = kDefaultCredential) = 0;
    // The forge rejected the token: status invalid with a reason (invalid_notified_at cleared
    // when the reason changes, so people hear about a new problem), and its re-check due at once
    // so the maintenance loop confirms it through the checks a save makes.
    virtual Result<void> markProviderInvalid(std::int64_t team_id, std::string_view provider, std::string_view reason,
                                             std::string_view credential = kDefaultCredential) = 0;
    virtual Result<void> markProviderInvalidNotified(std::int64_t team_id, std::string_view provider, Timestamp at,
                                                     std::string_view credential = kDefaultCredential) = 0;
    virtual Result<void> deleteProviderSettings(std::int64_t team_id, std::string_view provider,
                                                std::string_view credential = kDefaultCredential) = 0;
    // The credential that serves this repository for the team's feedback: the one named on the
    // team's link to it (the oldest link when several projects link it), with its token opened.
    // not_found, code not_linked when no project of the team links the repository, code
    // credential_removed when the credential the link names is gone (the message says which).
    virtual Result<NamedCredentials> servingCredentials(std::int64_t team_id, std::string_view provider,
                                                        std::string_view instance,
                                                        std::string_view repository_id) = 0;
    // The team's repository links served by the credential, ordered by project slug.
    virtual Result<std::vector<ProjectWithLink>> linksServedBy(std::int64_t team_id, std::string_view provider,
                                                               std::string_view credential) = 0;
    // Makes `credential` serve the project's link (the link must exist: not_found otherwise).
    virtual Result<RepositoryLink> setLinkCredential(std::int64_t project_id, std::string_view credential) = 0;
};

// True when the team holds an active credential of `provider` other than `except`: one token
// refused then stops only the repositories it serves, not the team's whole feedback to that forge.
inline Result<bool> hasOtherActiveCredential(ProviderSettingsStore& store, std::int64_t team_id, std::string_view provider,
                                             std::string_view except) {
    auto all = store.listProviderSettings(team_id);
    if (!all) return all.error();
    for (const auto& c : all.value())
        if (c.provider == provider && c.name != except && c.status == ProviderStatus::active) return true;
    return false;
}

}  // namespace forgelink::store
