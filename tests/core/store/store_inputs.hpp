// Inputs several store tests save: a team's credential of the "example" provider, and a link of a
// project to one of its repositories.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "store/records.hpp"

namespace forgelink::store::testing {

inline ProviderSettingsInput exampleCredential(std::int64_t team_id, std::string name, std::string token,
                                               Timestamp next_check_at, TokenKind kind = TokenKind::personal) {
    ProviderSettingsInput in;
    in.team_id = team_id;
    in.provider = "example";
    in.name = std::move(name);
    in.base_url = "https://forge.test";
    in.instance = "forge.test";
    in.token = std::move(token);
    in.kind = kind;
    in.identity = Identity{"7", "bot", "Bot", "", true};
    in.next_check_at = next_check_at;
    return in;
}

inline RepositoryLink exampleLink(std::int64_t project_id, std::string repository_id, std::string path) {
    return RepositoryLink{project_id, "example", "forge.test", std::move(repository_id), std::move(path),
                          "https://forge.test/x", "forgelink", {}, "default"};
}

}  // namespace forgelink::store::testing
