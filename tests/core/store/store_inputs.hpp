// Inputs several store tests save: a team's credential of the "example" provider, and a link of a
// project to one of its repositories; and a fixture with a team to save credentials for, over the
// contract fixture or the SQLite one.
#pragma once

#include <chrono>
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

template <class Base>
class CredentialsFixture : public Base {
protected:
    void SetUp() override {
        Base::SetUp();
        if (this->IsSkipped() || this->HasFatalFailure()) return;
        team_ = this->must(this->store_->createTeam("core", "Core"));
    }

    ProviderSettingsInput credential(std::string name, std::string token, TokenKind kind = TokenKind::personal) {
        using namespace std::chrono_literals;
        return exampleCredential(team_.id, std::move(name), std::move(token), this->now() + 24h, kind);
    }

    Team team_;
};

}  // namespace forgelink::store::testing
