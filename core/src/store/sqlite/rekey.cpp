// The SQLite side of `forgelink rekey`: every sealed column opened with the old key and sealed
// again with the new one, in one transaction.
#include "store/sqlite/sqlite_store.hpp"

#include <sodium.h>

#include "secrets/digest.hpp"
#include "store/seal_labels.hpp"
#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

// ---- key rotation ----------------------------------------------------------------------------

Result<std::int64_t> SqliteStore::rekey(const secrets::SecretBox& old_box, const secrets::SecretBox& new_box) {
    return guarded("re-sealing secrets", [&]() -> Result<std::int64_t> {
        if (old_box.keyId() == new_box.keyId()) {
            raise(ErrorKind::invalid_input, "the old and new keys are the same key (" + old_box.keyId() + ")", "same_key");
        }
        auto c = pool_.acquire();
        Transaction tx(*c);
        std::int64_t resealed = 0;
        // Re-seals one value; values already under the new key stay (a rerun after success is a no-op).
        auto reseal = [&](const std::string& sealed, const std::string& label) -> std::optional<std::string> {
            auto key_id = secrets::sealedKeyId(sealed);
            if (!key_id) throw ErrorException{key_id.error()};
            if (key_id.value() == new_box.keyId()) return std::nullopt;
            std::string plain = openOrRaise(old_box, sealed, label);
            std::string again = new_box.seal(plain, label);
            sodium_memzero(plain.data(), plain.size());  // std::fill may be optimised away
            ++resealed;
            return again;
        };
        struct Row {
            std::int64_t id = 0;
            std::string text_key;
            std::string first;
            std::optional<std::string> second;
        };
        // Read each table fully before writing it: updating rows under an open cursor is undefined order.
        std::vector<Row> rows = all<Row>(c->prepare("SELECT team_id, provider, token_sealed, name FROM provider_settings"),
                                         [](const Statement& s) { return Row{s.int64(0), s.text(1), s.text(2), s.text(3)}; });
        for (const Row& row : rows) {
            if (auto again = reseal(row.first, providerTokenLabel(row.id, row.text_key, *row.second))) {
                c->prepare("UPDATE provider_settings SET token_sealed = ?3 WHERE team_id = ?1 AND provider = ?2 AND name = ?4")
                    .bind(1, row.id)
                    .bind(2, row.text_key)
                    .bind(3, *again)
                    .bind(4, *row.second)
                    .run();
            }
        }
        rows = all<Row>(c->prepare("SELECT 0, state, code_verifier_sealed FROM oauth_states"),
                        [](const Statement& s) { return Row{0, s.text(1), s.text(2), {}}; });
        for (const Row& row : rows) {
            if (auto again = reseal(row.first, codeVerifierLabel(row.text_key))) {
                c->prepare("UPDATE oauth_states SET code_verifier_sealed = ?2 WHERE state = ?1")
                    .bind(1, row.text_key)
                    .bind(2, *again)
                    .run();
            }
        }
        rows = all<Row>(c->prepare("SELECT user_id, provider, access_token_sealed, refresh_token_sealed FROM user_tokens"),
                        [](const Statement& s) { return Row{s.int64(0), s.text(1), s.text(2), s.optionalText(3)}; });
        for (const Row& row : rows) {
            auto access = reseal(row.first, userTokenLabel(row.id, row.text_key, "access_token"));
            std::optional<std::string> refresh;
            if (row.second) refresh = reseal(*row.second, userTokenLabel(row.id, row.text_key, "refresh_token"));
            if (access || refresh) {
                c->prepare("UPDATE user_tokens SET access_token_sealed = ?3, refresh_token_sealed = ?4 "
                           "WHERE user_id = ?1 AND provider = ?2")
                    .bind(1, row.id)
                    .bind(2, row.text_key)
                    .bind(3, access ? *access : row.first)
                    .bind(4, refresh ? refresh : row.second)
                    .run();
            }
        }
        rows = all<Row>(c->prepare("SELECT team_id, provider, refresh_token_sealed, name FROM team_refresh_tokens"),
                        [](const Statement& s) { return Row{s.int64(0), s.text(1), s.text(2), s.text(3)}; });
        for (const Row& row : rows) {
            if (auto again = reseal(row.first, teamRefreshTokenLabel(row.id, row.text_key, *row.second))) {
                c->prepare("UPDATE team_refresh_tokens SET refresh_token_sealed = ?3 "
                           "WHERE team_id = ?1 AND provider = ?2 AND name = ?4")
                    .bind(1, row.id)
                    .bind(2, row.text_key)
                    .bind(3, *again)
                    .bind(4, *row.second)
                    .run();
            }
        }
        rows = all<Row>(c->prepare("SELECT team_id, '', webhook_url_sealed FROM team_notifications"),
                        [](const Statement& s) { return Row{s.int64(0), s.text(1), s.text(2), {}}; });
        for (const Row& row : rows) {
            if (auto again = reseal(row.first, notificationWebhookLabel(row.id))) {
                c->prepare("UPDATE team_notifications SET webhook_url_sealed = ?2 WHERE team_id = ?1")
                    .bind(1, row.id)
                    .bind(2, *again)
                    .run();
            }
        }
        tx.commit();
        return resealed;
    });
}

}  // namespace forgelink::store
