// One of each secret the store seals (a team's forge token, a user's login tokens, a PKCE
// verifier, a notification webhook), saved through the interface: the contract tests of keys and
// rekeying and the SQLite tests of the file's bytes both fill a store with them.
#pragma once

#include <chrono>

#include "store/store.hpp"

namespace forgelink::store::testing {

template <class Base>
class SecretsFixture : public Base {
protected:
    static constexpr const char* kToken = "glpat-SuperSecretTokenValue0001";
    static constexpr const char* kAccess = "gho_AccessTokenValueShouldNotLeak";
    static constexpr const char* kRefresh = "RefreshTokenValueShouldNotLeak";
    static constexpr const char* kVerifier = "PkceVerifierValueShouldNotLeak";
    static constexpr const char* kWebhook = "https://hooks.slack.test/services/T0/B0/WebhookSecretShouldNotLeak";

    void fillSecrets() {
        using namespace std::chrono_literals;
        team_ = this->must(this->store_->createTeam("core", "Core"));
        ProviderSettingsInput in;
        in.team_id = team_.id;
        in.provider = "example";
        in.base_url = "https://forge.test";
        in.instance = "forge.test";
        in.token = kToken;
        this->must(this->store_->saveProviderSettings(in));
        user_ = this->must(this->store_->upsertUser({"example", "forge.test", "1", "alice", ""}));
        this->must(this->store_->saveUserTokens({user_.id, "example", kAccess, kRefresh, this->now() + 1h, {}}));
        this->must(this->store_->saveOAuthState({"st", "example", kVerifier, "/", this->now() + 10min}));
        this->must(this->store_->saveNotificationSettings(team_.id, kWebhook));
    }

    Team team_;
    User user_;
};

}  // namespace forgelink::store::testing
