// The operators' API tokens (config admin.tokens_env / admin.tokens_file, one token per line).
// Only their SHA-256 digests are kept in memory after loading; a presented token is hashed and
// compared with every digest in constant time, so neither timing nor a memory dump gives one away.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <forgelink/result.hpp>

#include "config/config.hpp"

namespace forgelink::service {

class AdminTokens {
public:
    AdminTokens() = default;
    // Tokens from text: one per line, blank lines and lines starting with '#' ignored.
    static AdminTokens fromText(std::string_view text);
    // From the configuration; invalid_input naming the variable or file when it cannot be read
    // or holds no token. No admin section = no admin tokens (not an error).
    static Result<AdminTokens> fromConfig(const config::AdminConfig& admin);

    bool empty() const noexcept { return digests_.empty(); }
    std::size_t size() const noexcept { return digests_.size(); }
    bool matches(std::string_view token) const;

private:
    std::vector<std::array<unsigned char, 32>> digests_;
};

}  // namespace forgelink::service
