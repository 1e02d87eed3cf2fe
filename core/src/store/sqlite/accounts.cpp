// The SQLite side of accounts: users and their linked forge identities, sessions (only a digest of
// the token), pending OAuth logins, and a user's own OAuth tokens (sealed).
#include "store/sqlite/sqlite_store.hpp"

#include "secrets/digest.hpp"
#include "store/seal_labels.hpp"
#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

// ---- users -----------------------------------------------------------------------------------

Result<User> SqliteStore::upsertUser(const UserProfile& p) {
    return guarded("saving user", [&]() -> Result<User> {
        requireText(p.provider, "provider");
        requireText(p.instance, "instance");
        requireText(p.forge_user_id, "forge user id");
        requireText(p.username, "username");
        auto c = pool_.acquire();
        Transaction tx(*c);
        // Whose identity is it? Refresh its names (and the user's, when it is the identity shown).
        Statement owner = c->prepare(
            "UPDATE user_identities SET username = ?4, name = ?5 "
            "WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3 RETURNING user_id");
        owner.bind(1, p.provider).bind(2, p.instance).bind(3, p.forge_user_id).bind(4, p.username).bind(5, p.name);
        std::int64_t user_id = 0;
        if (owner.step()) {
            user_id = owner.int64(0);
            owner.run();
            c->prepare("UPDATE users SET username = ?5, name = ?6 "
                       "WHERE id = ?1 AND provider = ?2 AND instance = ?3 AND forge_user_id = ?4")
                .bind(1, user_id)
                .bind(2, p.provider)
                .bind(3, p.instance)
                .bind(4, p.forge_user_id)
                .bind(5, p.username)
                .bind(6, p.name)
                .run();
        } else {
            owner.run();
            const auto at = toUnixMillis(now());
            user_id = one<std::int64_t>(
                c->prepare("INSERT INTO users (provider, instance, forge_user_id, username, name, created_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id")
                    .bind(1, p.provider)
                    .bind(2, p.instance)
                    .bind(3, p.forge_user_id)
                    .bind(4, p.username)
                    .bind(5, p.name)
                    .bind(6, at),
                [](const Statement& s) { return s.int64(0); }, ErrorKind::internal, "saving user returned no row");
            c->prepare("INSERT INTO user_identities (user_id, provider, instance, forge_user_id, username, name, linked_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .bind(1, user_id)
                .bind(2, p.provider)
                .bind(3, p.instance)
                .bind(4, p.forge_user_id)
                .bind(5, p.username)
                .bind(6, p.name)
                .bind(7, at)
                .run();
        }
        User user = one<User>(c->prepare(sql({"SELECT ", kUserColumns, " FROM users WHERE id = ?1"})).bind(1, user_id),
                              readUser, ErrorKind::internal, "saving user: the user vanished");
        tx.commit();
        return user;
    });
}

Result<UserIdentity> SqliteStore::linkIdentity(std::int64_t user_id, const UserProfile& p) {
    return guarded("linking an identity to user " + std::to_string(user_id), [&]() -> Result<UserIdentity> {
        requireId(user_id, "user id");
        requireText(p.provider, "provider");
        requireText(p.instance, "instance");
        requireText(p.forge_user_id, "forge user id");
        requireText(p.username, "username");
        auto c = pool_.acquire();
        Transaction tx(*c);
        Statement exists = c->prepare("SELECT 1 FROM users WHERE id = ?1");
        exists.bind(1, user_id);
        if (!exists.step()) raise(ErrorKind::not_found, "user " + std::to_string(user_id) + " does not exist", "not_found");
        exists.run();
        Statement owner = c->prepare(
            "SELECT user_id FROM user_identities WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3");
        owner.bind(1, p.provider).bind(2, p.instance).bind(3, p.forge_user_id);
        if (owner.step()) {
            const std::int64_t holder = owner.int64(0);
            owner.run();
            if (holder != user_id)
                raise(ErrorKind::conflict,
                      "the " + p.provider + " account " + p.username + " at " + p.instance +
                          " already belongs to another Forgelink user; sign in with it and unlink it there first",
                      "identity_taken");
            c->prepare("UPDATE user_identities SET username = ?4, name = ?5 "
                       "WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3")
                .bind(1, p.provider)
                .bind(2, p.instance)
                .bind(3, p.forge_user_id)
                .bind(4, p.username)
                .bind(5, p.name)
                .run();
        } else {
            owner.run();
            Statement other = c->prepare("SELECT username, instance FROM user_identities WHERE user_id = ?1 AND provider = ?2");
            other.bind(1, user_id).bind(2, p.provider);
            if (other.step()) {
                const std::string linked = other.text(0) + " at " + other.text(1);
                other.run();
                raise(ErrorKind::conflict,
                      "you already linked the " + p.provider + " account " + linked +
                          "; unlink it first to link another",
                      "provider_linked");
            }
            other.run();
            c->prepare("INSERT INTO user_identities (user_id, provider, instance, forge_user_id, username, name, linked_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .bind(1, user_id)
                .bind(2, p.provider)
                .bind(3, p.instance)
                .bind(4, p.forge_user_id)
                .bind(5, p.username)
                .bind(6, p.name)
                .bind(7, toUnixMillis(now()))
                .run();
        }
        UserIdentity identity = one<UserIdentity>(
            c->prepare(sql({"SELECT ", kIdentityColumns,
                            " FROM user_identities WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3"}))
                .bind(1, p.provider)
                .bind(2, p.instance)
                .bind(3, p.forge_user_id),
            readIdentity, ErrorKind::internal, "linking: the identity vanished");
        tx.commit();
        return identity;
    });
}

Result<std::vector<UserIdentity>> SqliteStore::userIdentities(std::int64_t user_id) {
    return guarded("reading a user's identities", [&]() -> Result<std::vector<UserIdentity>> {
        auto c = pool_.acquire();
        return all<UserIdentity>(
            c->prepare(sql({"SELECT ", kIdentityColumns, " FROM user_identities WHERE user_id = ?1 ORDER BY linked_at, provider"}))
                .bind(1, user_id),
            readIdentity);
    });
}

Result<void> SqliteStore::unlinkIdentity(std::int64_t user_id, std::string_view provider) {
    return guarded("unlinking an identity", [&]() -> Result<void> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        auto identities = all<UserIdentity>(
            c->prepare(sql({"SELECT ", kIdentityColumns, " FROM user_identities WHERE user_id = ?1 ORDER BY linked_at, provider"}))
                .bind(1, user_id),
            readIdentity);
        const UserIdentity kept = identityKeptAfterUnlink(identities, provider);
        c->prepare("DELETE FROM user_identities WHERE user_id = ?1 AND provider = ?2").bind(1, user_id).bind(2, provider).run();
        c->prepare("DELETE FROM user_tokens WHERE user_id = ?1 AND provider = ?2").bind(1, user_id).bind(2, provider).run();
        // The user is shown by an identity they still have.
        c->prepare("UPDATE users SET provider = ?2, instance = ?3, forge_user_id = ?4, username = ?5, name = ?6 "
                   "WHERE id = ?1 AND provider = ?7")
            .bind(1, user_id)
            .bind(2, kept.provider)
            .bind(3, kept.instance)
            .bind(4, kept.forge_user_id)
            .bind(5, kept.username)
            .bind(6, kept.name)
            .bind(7, provider)
            .run();
        tx.commit();
        return {};
    });
}

Result<User> SqliteStore::user(std::int64_t user_id) {
    return guarded("reading user", [&]() -> Result<User> {
        auto c = pool_.acquire();
        return one<User>(c->prepare(sql({"SELECT ", kUserColumns, " FROM users WHERE id = ?1"})).bind(1, user_id), readUser,
                         ErrorKind::not_found, "user " + std::to_string(user_id) + " does not exist");
    });
}

Result<User> SqliteStore::findUser(std::string_view provider, std::string_view instance, std::string_view forge_user_id) {
    return guarded("finding user", [&]() -> Result<User> {
        auto c = pool_.acquire();
        return one<User>(c->prepare(sql({"SELECT ", kUserColumns,
                                         " FROM users WHERE id = (SELECT user_id FROM user_identities "
                                         "WHERE provider = ?1 AND instance = ?2 AND forge_user_id = ?3)"}))
                             .bind(1, provider)
                             .bind(2, instance)
                             .bind(3, forge_user_id),
                         readUser, ErrorKind::not_found,
                         "no user " + std::string(forge_user_id) + " from " + std::string(provider) + " at " +
                             std::string(instance));
    });
}

Result<std::vector<User>> SqliteStore::usersNamed(std::string_view username, std::string_view provider) {
    return guarded("finding users by username", [&]() -> Result<std::vector<User>> {
        auto c = pool_.acquire();
        return all<User>(c->prepare("SELECT u.id, i.provider, i.instance, i.forge_user_id, i.username, i.name, u.created_at"
                                    " FROM user_identities i JOIN users u ON u.id = i.user_id"
                                    " WHERE i.username = ?1 COLLATE NOCASE AND (?2 = '' OR i.provider = ?2)"
                                    " ORDER BY i.provider, i.instance, u.id")
                             .bind(1, username)
                             .bind(2, provider),
                         readUser);
    });
}

// ---- sessions --------------------------------------------------------------------------------

Result<Session> SqliteStore::createSession(std::string_view token, std::int64_t user_id, Timestamp expires_at) {
    return guarded("creating session", [&]() -> Result<Session> {
        requireText(token, "session token");
        Session session{secrets::sha256Hex(token), user_id, expires_at, now()};
        auto c = pool_.acquire();
        c->prepare("INSERT INTO sessions (id_hash, user_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(1, session.id_hash)
            .bind(2, user_id)
            .bind(3, toUnixMillis(expires_at))
            .bind(4, toUnixMillis(session.created_at))
            .run();
        return session;
    });
}

Result<Session> SqliteStore::findSession(std::string_view token, Timestamp now_at) {
    return guarded("finding session", [&]() -> Result<Session> {
        auto c = pool_.acquire();
        return one<Session>(
            c->prepare("SELECT id_hash, user_id, expires_at, created_at FROM sessions WHERE id_hash = ?1 AND expires_at > ?2")
                .bind(1, secrets::sha256Hex(token))
                .bind(2, toUnixMillis(now_at)),
            [](const Statement& s) {
                return Session{s.text(0), s.int64(1), fromUnixMillis(s.int64(2)), fromUnixMillis(s.int64(3))};
            },
            ErrorKind::not_found, "no such session, or it expired");
    });
}

Result<void> SqliteStore::deleteSession(std::string_view token) {
    return guarded("deleting session", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM sessions WHERE id_hash = ?1").bind(1, secrets::sha256Hex(token)).run();
        if (c->changes() == 0) return makeError(ErrorKind::not_found, "no such session", "not_found");
        return {};
    });
}

Result<std::int64_t> SqliteStore::deleteExpiredSessions(Timestamp now_at) {
    return guarded("deleting expired sessions", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM sessions WHERE expires_at <= ?1").bind(1, toUnixMillis(now_at)).run();
        return c->changes();
    });
}

// ---- OAuth states ----------------------------------------------------------------------------

Result<void> SqliteStore::saveOAuthState(const OAuthState& s) {
    return guarded("saving OAuth state", [&]() -> Result<void> {
        requireText(s.state, "OAuth state");
        requireText(s.provider, "provider");
        requireText(s.code_verifier, "code verifier");
        auto c = pool_.acquire();
        c->prepare("INSERT INTO oauth_states (state, provider, code_verifier_sealed, redirect, expires_at, created_at, "
                   "browser_binding, link_user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .bind(1, s.state)
            .bind(2, s.provider)
            .bind(3, box_->seal(s.code_verifier, codeVerifierLabel(s.state)))
            .bind(4, s.redirect)
            .bind(5, toUnixMillis(s.expires_at))
            .bind(6, toUnixMillis(now()))
            .bind(7, s.browser_binding)
            .bind(8, s.link_user_id > 0 ? std::optional<std::int64_t>(s.link_user_id) : std::nullopt)
            .run();
        return {};
    });
}

Result<OAuthState> SqliteStore::consumeOAuthState(std::string_view state, Timestamp now_at) {
    return guarded("consuming OAuth state", [&]() -> Result<OAuthState> {
        auto c = pool_.acquire();
        // DELETE ... RETURNING: the row is gone the moment one caller sees it.
        Statement s = c->prepare(
            "DELETE FROM oauth_states WHERE state = ?1 RETURNING state, provider, code_verifier_sealed, redirect, expires_at, "
            "browser_binding, link_user_id");
        s.bind(1, state);
        if (!s.step()) return makeError(ErrorKind::not_found, "unknown or already used OAuth state", "not_found");
        OAuthState out{s.text(0), s.text(1), {}, s.text(3), fromUnixMillis(s.int64(4)), s.text(5),
                       s.optionalInt64(6).value_or(0)};
        const std::string sealed = s.text(2);
        s.run();
        if (out.expires_at <= now_at) return makeError(ErrorKind::not_found, "the OAuth state expired; log in again", "expired");
        out.code_verifier = openOrRaise(*box_, sealed, codeVerifierLabel(out.state));
        return out;
    });
}

Result<std::int64_t> SqliteStore::deleteExpiredOAuthStates(Timestamp now_at) {
    return guarded("deleting expired OAuth states", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM oauth_states WHERE expires_at <= ?1").bind(1, toUnixMillis(now_at)).run();
        return c->changes();
    });
}

// ---- user tokens -----------------------------------------------------------------------------

Result<void> SqliteStore::saveUserTokens(const UserTokens& t) {
    return guarded("saving user tokens", [&]() -> Result<void> {
        requireId(t.user_id, "user id");
        requireText(t.provider, "provider");
        requireText(t.access_token, "access token");
        const SealedUserTokens sealed = sealUserTokens(*box_, t);
        auto c = pool_.acquire();
        // One row holds both tokens, so one statement replaces the pair. A new pair (a fresh login)
        // also ends any refresh claim on the old one: the refresher's result is then discarded.
        c->prepare("INSERT INTO user_tokens (user_id, provider, access_token_sealed, refresh_token_sealed, expires_at, updated_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id, provider) DO UPDATE SET "
                   "access_token_sealed = excluded.access_token_sealed, refresh_token_sealed = excluded.refresh_token_sealed, "
                   "expires_at = excluded.expires_at, updated_at = excluded.updated_at, "
                   "refresh_claim_owner = NULL, refresh_claim_expires_at = NULL")
            .bind(1, t.user_id)
            .bind(2, t.provider)
            .bind(3, sealed.access)
            .bind(4, sealed.refresh)
            .bind(5, sealed.expires_at)
            .bind(6, toUnixMillis(now()))
            .run();
        return {};
    });
}

Result<UserTokens> SqliteStore::userTokens(std::int64_t user_id, std::string_view provider) {
    return guarded("reading user tokens", [&]() -> Result<UserTokens> {
        auto c = pool_.acquire();
        Statement s = c->prepare(
            "SELECT access_token_sealed, refresh_token_sealed, expires_at, updated_at FROM user_tokens "
            "WHERE user_id = ?1 AND provider = ?2");
        s.bind(1, user_id).bind(2, provider);
        if (!s.step()) {
            return makeError(ErrorKind::not_found,
                             "user " + std::to_string(user_id) + " has no " + std::string(provider) + " tokens", "not_found");
        }
        UserTokens t;
        t.user_id = user_id;
        t.provider = std::string(provider);
        t.access_token = openOrRaise(*box_, s.text(0), userTokenLabel(user_id, provider, "access_token"));
        if (auto refresh = s.optionalText(1)) {
            t.refresh_token = openOrRaise(*box_, *refresh, userTokenLabel(user_id, provider, "refresh_token"));
        }
        if (auto at = s.optionalInt64(2)) t.expires_at = fromUnixMillis(*at);
        t.updated_at = fromUnixMillis(s.int64(3));
        return t;
    });
}

Result<void> SqliteStore::deleteUserTokens(std::int64_t user_id, std::string_view provider) {
    return guarded("deleting user tokens", [&]() -> Result<void> {
        auto c = pool_.acquire();
        c->prepare("DELETE FROM user_tokens WHERE user_id = ?1 AND provider = ?2").bind(1, user_id).bind(2, provider).run();
        if (c->changes() == 0) return makeError(ErrorKind::not_found, "no such user tokens", "not_found");
        return {};
    });
}

}  // namespace forgelink::store
