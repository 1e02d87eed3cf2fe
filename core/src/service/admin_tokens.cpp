#include "service/admin_tokens.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <sodium.h>

#include <forgelink/support/http_text.hpp>

#include "common/strings.hpp"
#include "secrets/sodium_runtime.hpp"

namespace forgelink::service {

namespace {
std::array<unsigned char, 32> digestOf(std::string_view token) {
    std::array<unsigned char, 32> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()), token.size());
    return digest;
}
}  // namespace

AdminTokens AdminTokens::fromText(std::string_view text) {
    secrets::ensureSodium();
    AdminTokens tokens;
    for (const auto& line : common::split(text, '\n')) {
        auto token = support::trimSpace(line);
        if (token.empty() || token.front() == '#') continue;
        tokens.digests_.push_back(digestOf(token));
    }
    return tokens;
}

Result<AdminTokens> AdminTokens::fromConfig(const config::AdminConfig& admin) {
    if (!admin.tokens_env.empty()) {
        const char* value = std::getenv(admin.tokens_env.c_str());
        if (value == nullptr)
            return makeError(ErrorKind::invalid_input,
                             "admin.tokens_env names environment variable " + admin.tokens_env + ", which is not set",
                             "admin_tokens_missing");
        auto tokens = fromText(value);
        if (tokens.empty())
            return makeError(ErrorKind::invalid_input,
                             "environment variable " + admin.tokens_env + " holds no admin token",
                             "admin_tokens_empty");
        return tokens;
    }
    if (!admin.tokens_file.empty()) {
        std::ifstream in(admin.tokens_file);
        if (!in)
            return makeError(ErrorKind::invalid_input, "cannot read admin.tokens_file " + admin.tokens_file,
                             "admin_tokens_missing");
        std::ostringstream text;
        text << in.rdbuf();
        auto tokens = fromText(text.str());
        if (tokens.empty())
            return makeError(ErrorKind::invalid_input, "admin.tokens_file " + admin.tokens_file + " holds no token",
                             "admin_tokens_empty");
        return tokens;
    }
    return AdminTokens{};
}

bool AdminTokens::matches(std::string_view token) const {
    if (token.empty()) return false;
    const auto presented = digestOf(token);
    bool found = false;
    // No early exit: every digest is compared whatever the outcome.
    for (const auto& digest : digests_) found |= sodium_memcmp(digest.data(), presented.data(), digest.size()) == 0;
    return found;
}

}  // namespace forgelink::service
