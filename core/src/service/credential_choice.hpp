// Which of a team's credentials (for one provider) serves a repository: the most specific one that
// can report to it. A token bound to the repository itself (a project access token, a
// token for one repository) is the most specific, then a token of the nearest enclosing group or
// organization, then a token bound to nothing (a personal token, an OAuth token): it reaches what
// its user reaches. A token bound to another project or group cannot report to the repository.
//
// Pure functions over stored facts (no forge calls): the service checks with the forge, in this
// order, which of the candidates may post a status.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"

namespace forgelink::service {

struct CredentialRank {
    int tier = 0;            // 3 the repository's own, 2 an enclosing group, 1 unbound; 0 cannot report
    std::size_t depth = 0;   // for tier 2: segments of the group's path (the nearest group is deepest)
    auto operator<=>(const CredentialRank&) const = default;
};

// How specific `credential` is for the repository (id and full path as the forge names them).
// `why` (when given) receives, for tier 0, a sentence saying what the token is bound to instead.
CredentialRank rankCredential(const store::ProviderSettings& credential, std::string_view repository_id,
                              std::string_view full_path, std::string* why = nullptr);

// The credentials that can report to the repository, most specific first; among equals the
// active before the invalid, then 'default', then by name. Tier-0 ones are left out.
std::vector<store::ProviderSettings> rankCredentials(const std::vector<store::ProviderSettings>& credentials,
                                                     std::string_view repository_id, std::string_view full_path);

// What the credential is, for a person: "group token of acme/a", "personal token of bot-user".
std::string describeCredential(const store::ProviderSettings& credential);

}  // namespace forgelink::service
