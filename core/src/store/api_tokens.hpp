// A team's scoped API tokens (only a lookup key and a digest are stored). The contract every
// Store method keeps is in store/store.hpp.
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

class ApiTokenStore {
public:
    virtual ~ApiTokenStore() = default;

    // ---- scoped API tokens ---------------------------------------------------------------
    // conflict (already_exists) when the team has a token of that name; invalid_input when the
    // team or project does not exist or the project is another team's.
    virtual Result<ApiToken> createApiToken(const ApiTokenInput& input) = 0;
    // The token with this lookup key, expired or not (the caller compares the digest and the
    // expiry); not_found when there is none (never made, or revoked).
    virtual Result<ApiToken> findApiToken(std::string_view lookup_key) = 0;
    // The team's tokens, by name.
    virtual Result<std::vector<ApiToken>> listApiTokens(std::int64_t team_id) = 0;
    // Deletes the team's token and returns it; not_found when the team has no such token.
    virtual Result<ApiToken> revokeApiToken(std::int64_t team_id, std::int64_t token_id) = 0;
    // Sets last_used_at to `at` unless it is already later than `at - min_interval`, so a burst
    // of requests writes once: returns whether it wrote.
    virtual Result<bool> touchApiToken(std::int64_t token_id, Timestamp at, std::chrono::milliseconds min_interval) = 0;
};

}  // namespace forgelink::store
