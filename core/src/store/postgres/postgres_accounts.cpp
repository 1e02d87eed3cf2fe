// The PostgreSQL side of accounts: users and their linked forge identities, sessions (only a
// digest of the token), pending OAuth logins, and a user's own OAuth tokens (sealed).
//
// Across hosts: a forge identity is claimed under a transaction-scoped advisory lock on the
// identity (two first logins of one account at once make one user, not a unique violation), and
// every change of a user's set of identities takes the user's row FOR UPDATE (link and unlink
// read the set, then write it); always the identity's lock first, then the user's row.
#include "store/postgres/postgres_store.hpp"

#include "secrets/digest.hpp"
#include "store/postgres/pg_rows.hpp"
#include "store/seal_labels.hpp"

namespace forgelink::store {

using namespace postgres;

namespace {

void requireProfile(const UserProfile& p) {
    requireTexts({{p.provider, "provider"}, {p.instance, "instance"}, {p.forge_user_id, "forge user id"},
                  {p.username, "username"}});
}

// Waits for (and holds until the transaction ends) the lock of one forge identity.
void lockIdentity(PgConnection& c, const UserProfile& p) {
    run(c, "SELECT pg_advisory_xact_lock(hashtext('forgelink.identity'), hashtext($1 || chr(10) || $2 || chr(10) || $3))",
        {p.provider, p.instance, p.forge_user_id});
}

void insertIdentity(PgConnection& c, std::int64_t user_id, const UserProfile& p, std::int64_t at) {
    run(c,
        "INSERT INTO user_identities (user_id, provider, instance, forge_user_id, username, name, linked_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {user_id, p.provider, p.instance, p.forge_user_id, p.username, p.name, at});
}

std::vector<UserIdentity> identitiesOf(PgConnection& c, std::int64_t user_id) {
    return all<UserIdentity>(
        run(c, sql({"SELECT ", kIdentityColumns, " FROM user_identities WHERE user_id = $1 ORDER BY linked_at, provider"}),
            {user_id}),
        readIdentity);
}

Error noUserTokens(std::int64_t user_id, std::string_view provider) {
    return makeError(ErrorKind::not_found, "user " + std::to_string(user_id) + " has no " + std::string(provider) + " tokens",
                     "not_found");
}

}  // namespace

// ---- users -----------------------------------------------------------------------------------

Result<User> PostgresStore::upsertUser(const UserProfile& p) {
    return guarded("saving user", [&]() -> Result<User> {
        requireProfile(p);
        return inTransaction<User>(pool_, [&](PgConnection& c) {
            lockIdentity(c, p);
            // Whose identity is it? Refresh its names (and the user's, when it is the identity shown).
            auto owner = run(c,
                             "UPDATE user_identities SET username = $4, name = $5 "
                             "WHERE provider = $1 AND instance = $2 AND forge_user_id = $3 RETURNING user_id",
                             {p.provider, p.instance, p.forge_user_id, p.username, p.name});
            std::int64_t user_id = 0;
            if (owner.rows() > 0) {
                user_id = PgRow(owner, 0).int64(0);
                run(c,
                    "UPDATE users SET username = $5, name = $6 "
                    "WHERE id = $1 AND provider = $2 AND instance = $3 AND forge_user_id = $4",
                    {user_id, p.provider, p.instance, p.forge_user_id, p.username, p.name});
            } else {
                const auto at = toUnixMillis(now());
                user_id = one<std::int64_t>(
                    run(c,
                        "INSERT INTO users (provider, instance, forge_user_id, username, name, created_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        {p.provider, p.instance, p.forge_user_id, p.username, p.name, at}),
                    [](const PgRow& r) { return r.int64(0); }, ErrorKind::internal, "saving user returned no row");
                insertIdentity(c, user_id, p, at);
            }
            return one<User>(run(c, sql({"SELECT ", kUserColumns, " FROM users WHERE id = $1"}), {user_id}), readUser,
                             ErrorKind::internal, "saving user: the user vanished");
        });
    });
}

Result<UserIdentity> PostgresStore::linkIdentity(std::int64_t user_id, const UserProfile& p) {
    return guarded("linking an identity to user " + std::to_string(user_id), [&]() -> Result<UserIdentity> {
        requireId(user_id, "user id");
        requireProfile(p);
        return inTransaction<UserIdentity>(pool_, [&](PgConnection& c) {
            // The identity's lock before the user's row, in the order upsertUser takes them.
            lockIdentity(c, p);
            if (run(c, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", {user_id}).rows() == 0)
                raise(ErrorKind::not_found, "user " + std::to_string(user_id) + " does not exist", "not_found");
            auto owner = run(c, "SELECT user_id FROM user_identities WHERE provider = $1 AND instance = $2 AND forge_user_id = $3",
                             {p.provider, p.instance, p.forge_user_id});
            if (owner.rows() > 0) {
                if (PgRow(owner, 0).int64(0) != user_id)
                    raise(ErrorKind::conflict,
                          "the " + p.provider + " account " + p.username + " at " + p.instance +
                              " already belongs to another Forgelink user; sign in with it and unlink it there first",
                          "identity_taken");
                run(c,
                    "UPDATE user_identities SET username = $4, name = $5 "
                    "WHERE provider = $1 AND instance = $2 AND forge_user_id = $3",
                    {p.provider, p.instance, p.forge_user_id, p.username, p.name});
            } else {
                auto other = run(c, "SELECT username, instance FROM user_identities WHERE user_id = $1 AND provider = $2",
                                 {user_id, p.provider});
                if (other.rows() > 0) {
                    const PgRow linked(other, 0);
                    raise(ErrorKind::conflict,
                          "you already linked the " + p.provider + " account " + linked.text(0) + " at " + linked.text(1) +
                              "; unlink it first to link another",
                          "provider_linked");
                }
                insertIdentity(c, user_id, p, toUnixMillis(now()));
            }
            return one<UserIdentity>(
                run(c,
                    sql({"SELECT ", kIdentityColumns,
                         " FROM user_identities WHERE provider = $1 AND instance = $2 AND forge_user_id = $3"}),
                    {p.provider, p.instance, p.forge_user_id}),
                readIdentity, ErrorKind::internal, "linking: the identity vanished");
        });
    });
}

Result<std::vector<UserIdentity>> PostgresStore::userIdentities(std::int64_t user_id) {
    return guarded("reading a user's identities", [&]() -> Result<std::vector<UserIdentity>> {
        auto lease = pool_.acquire();
        if (!lease) return lease.error();
        return identitiesOf(*lease.value(), user_id);
    });
}

Result<void> PostgresStore::unlinkIdentity(std::int64_t user_id, std::string_view provider) {
    return guarded("unlinking an identity", [&]() -> Result<void> {
        inTransactionVoid(pool_, [&](PgConnection& c) {
            run(c, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", {user_id});
            const auto identities = identitiesOf(c, user_id);
            const UserIdentity kept = identityKeptAfterUnlink(identities, provider);
            run(c, "DELETE FROM user_identities WHERE user_id = $1 AND provider = $2", {user_id, provider});
            run(c, "DELETE FROM user_tokens WHERE user_id = $1 AND provider = $2", {user_id, provider});
            // The user is shown by an identity they still have.
            run(c,
                "UPDATE users SET provider = $2, instance = $3, forge_user_id = $4, username = $5, name = $6 "
                "WHERE id = $1 AND provider = $7",
                {user_id, kept.provider, kept.instance, kept.forge_user_id, kept.username, kept.name, provider});
        });
        return {};
    });
}

Result<User> PostgresStore::user(std::int64_t user_id) {
    return guarded("reading user", [&]() -> Result<User> {
        return one<User>(runOnce(pool_, sql({"SELECT ", kUserColumns, " FROM users WHERE id = $1"}), {user_id}), readUser,
                         ErrorKind::not_found, "user " + std::to_string(user_id) + " does not exist");
    });
}

Result<User> PostgresStore::findUser(std::string_view provider, std::string_view instance, std::string_view forge_user_id) {
    return guarded("finding user", [&]() -> Result<User> {
        return one<User>(runOnce(pool_,
                                 sql({"SELECT ", kUserColumns,
                                      " FROM users WHERE id = (SELECT user_id FROM user_identities "
                                      "WHERE provider = $1 AND instance = $2 AND forge_user_id = $3)"}),
                                 {provider, instance, forge_user_id}),
                         readUser, ErrorKind::not_found,
                         "no user " + std::string(forge_user_id) + " from " + std::string(provider) + " at " +
                             std::string(instance));
    });
}

Result<std::vector<User>> PostgresStore::usersNamed(std::string_view username, std::string_view provider) {
    return guarded("finding users by username", [&]() -> Result<std::vector<User>> {
        // lower() under COLLATE "C" folds ASCII only, as SQLite's NOCASE does.
        return all<User>(runOnce(pool_,
                                 "SELECT u.id, i.provider, i.instance, i.forge_user_id, i.username, i.name, u.created_at"
                                 " FROM user_identities i JOIN users u ON u.id = i.user_id"
                                 " WHERE lower(i.username) = lower($1::text COLLATE \"C\")"
                                 " AND ($2::text = '' OR i.provider = $2::text)"
                                 " ORDER BY i.provider, i.instance, u.id",
                                 {username, provider}),
                         readUser);
    });
}

// ---- sessions --------------------------------------------------------------------------------

Result<Session> PostgresStore::createSession(std::string_view token, std::int64_t user_id, Timestamp expires_at) {
    return guarded("creating session", [&]() -> Result<Session> {
        requireText(token, "session token");
        Session session{secrets::sha256Hex(token), user_id, expires_at, now()};
        runOnce(pool_, "INSERT INTO sessions (id_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
                {session.id_hash, user_id, toUnixMillis(expires_at), toUnixMillis(session.created_at)});
        return session;
    });
}

Result<Session> PostgresStore::findSession(std::string_view token, Timestamp now_at) {
    return guarded("finding session", [&]() -> Result<Session> {
        return one<Session>(
            runOnce(pool_, "SELECT id_hash, user_id, expires_at, created_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
                    {secrets::sha256Hex(token), toUnixMillis(now_at)}),
            [](const PgRow& s) { return Session{s.text(0), s.int64(1), fromUnixMillis(s.int64(2)), fromUnixMillis(s.int64(3))}; },
            ErrorKind::not_found, "no such session, or it expired");
    });
}

Result<void> PostgresStore::deleteSession(std::string_view token) {
    return guarded("deleting session", [&]() -> Result<void> {
        if (runOnce(pool_, "DELETE FROM sessions WHERE id_hash = $1", {secrets::sha256Hex(token)}).affectedRows() == 0)
            return makeError(ErrorKind::not_found, "no such session", "not_found");
        return {};
    });
}

Result<std::int64_t> PostgresStore::deleteExpiredSessions(Timestamp now_at) {
    return guarded("deleting expired sessions", [&]() -> Result<std::int64_t> {
        return runOnce(pool_, "DELETE FROM sessions WHERE expires_at <= $1", {toUnixMillis(now_at)}).affectedRows();
    });
}

// ---- OAuth states ----------------------------------------------------------------------------

Result<void> PostgresStore::saveOAuthState(const OAuthState& s) {
    return guarded("saving OAuth state", [&]() -> Result<void> {
        requireTexts({{s.state, "OAuth state"}, {s.provider, "provider"}, {s.code_verifier, "code verifier"}});
        runOnce(pool_,
                "INSERT INTO oauth_states (state, provider, code_verifier_sealed, redirect, expires_at, created_at, "
                "browser_binding, link_user_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                {s.state, s.provider, box_->seal(s.code_verifier, codeVerifierLabel(s.state)), s.redirect,
                 toUnixMillis(s.expires_at), toUnixMillis(now()), s.browser_binding,
                 s.link_user_id > 0 ? pg::PgParam(s.link_user_id) : pg::PgParam(std::nullopt)});
        return {};
    });
}

Result<OAuthState> PostgresStore::consumeOAuthState(std::string_view state, Timestamp now_at) {
    return guarded("consuming OAuth state", [&]() -> Result<OAuthState> {
        // DELETE ... RETURNING: of two callbacks at once, the second waits for the first's row
        // lock and then finds the row gone.
        auto gone = runOnce(pool_,
                            "DELETE FROM oauth_states WHERE state = $1 RETURNING state, provider, code_verifier_sealed, "
                            "redirect, expires_at, browser_binding, link_user_id",
                            {state});
        if (gone.rows() == 0) return makeError(ErrorKind::not_found, "unknown or already used OAuth state", "not_found");
        const PgRow s(gone, 0);
        OAuthState out{s.text(0), s.text(1), {}, s.text(3), fromUnixMillis(s.int64(4)), s.text(5),
                       s.optionalInt64(6).value_or(0)};
        if (out.expires_at <= now_at) return makeError(ErrorKind::not_found, "the OAuth state expired; log in again", "expired");
        out.code_verifier = openOrRaise(*box_, s.text(2), codeVerifierLabel(out.state));
        return out;
    });
}

Result<std::int64_t> PostgresStore::deleteExpiredOAuthStates(Timestamp now_at) {
    return guarded("deleting expired OAuth states", [&]() -> Result<std::int64_t> {
        return runOnce(pool_, "DELETE FROM oauth_states WHERE expires_at <= $1", {toUnixMillis(now_at)}).affectedRows();
    });
}

// ---- user tokens -----------------------------------------------------------------------------

Result<void> PostgresStore::saveUserTokens(const UserTokens& t) {
    return guarded("saving user tokens", [&]() -> Result<void> {
        requireId(t.user_id, "user id");
        requireText(t.provider, "provider");
        requireText(t.access_token, "access token");
        const SealedUserTokens sealed = sealUserTokens(*box_, t);
        // One row holds both tokens, so one statement replaces the pair. A new pair (a fresh login)
        // also ends any refresh claim on the old one: the refresher's result is then discarded.
        runOnce(pool_,
                "INSERT INTO user_tokens (user_id, provider, access_token_sealed, refresh_token_sealed, expires_at, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, provider) DO UPDATE SET "
                "access_token_sealed = excluded.access_token_sealed, refresh_token_sealed = excluded.refresh_token_sealed, "
                "expires_at = excluded.expires_at, updated_at = excluded.updated_at, "
                "refresh_claim_owner = NULL, refresh_claim_expires_at = NULL",
                {t.user_id, t.provider, sealed.access, orNull(sealed.refresh), orNull(sealed.expires_at), toUnixMillis(now())});
        return {};
    });
}

Result<UserTokens> PostgresStore::userTokens(std::int64_t user_id, std::string_view provider) {
    return guarded("reading user tokens", [&]() -> Result<UserTokens> {
        auto found = runOnce(pool_,
                             "SELECT access_token_sealed, refresh_token_sealed, expires_at, updated_at FROM user_tokens "
                             "WHERE user_id = $1 AND provider = $2",
                             {user_id, provider});
        if (found.rows() == 0) return noUserTokens(user_id, provider);
        const PgRow s(found, 0);
        UserTokens t;
        t.user_id = user_id;
        t.provider = std::string(provider);
        t.access_token = openOrRaise(*box_, s.text(0), userTokenLabel(user_id, provider, "access_token"));
        if (auto refresh = s.optionalText(1))
            t.refresh_token = openOrRaise(*box_, *refresh, userTokenLabel(user_id, provider, "refresh_token"));
        if (auto at = s.optionalInt64(2)) t.expires_at = fromUnixMillis(*at);
        t.updated_at = fromUnixMillis(s.int64(3));
        return t;
    });
}

Result<void> PostgresStore::deleteUserTokens(std::int64_t user_id, std::string_view provider) {
    return guarded("deleting user tokens", [&]() -> Result<void> {
        if (runOnce(pool_, "DELETE FROM user_tokens WHERE user_id = $1 AND provider = $2", {user_id, provider}).affectedRows() == 0)
            return makeError(ErrorKind::not_found, "no such user tokens", "not_found");
        return {};
    });
}

}  // namespace forgelink::store
