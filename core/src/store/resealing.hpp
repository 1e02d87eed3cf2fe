// What `forgelink rekey` re-seals, for every backend of the Store: each table with sealed columns,
// the statement that reads its rows (in one shape: SealedRow), each value's label, and the
// statement that writes new values back; and resealAll, which opens every value with the old key
// and seals it with the new one. A backend runs the statements its own way, in one transaction.
// Internal to the backends: nothing outside core/src/store/ includes it.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "secrets/secret_box.hpp"
#include "store/row_readers.hpp"
#include "store/seal_labels.hpp"

namespace forgelink::store::rows {

// One row of a table with sealed columns, in the shape every table's `select` gives.
struct SealedRow {
    std::int64_t id = 0;                // the team or user (0 where the table has none)
    std::string key;                    // the provider, or the OAuth state
    std::string name;                   // the credential's name ('' where the table has none)
    std::string first;                  // the sealed value
    std::optional<std::string> second;  // a second sealed value (a user's refresh token), if any
};
inline constexpr auto readSealedRow = [](const auto& s) -> SealedRow {
    return SealedRow{s.int64(0), s.text(1), s.text(2), s.text(3), s.optionalText(4)};
};

enum class SealedField { id, key, name, first, second };

struct SealedTable {
    std::string_view select;                  // columns: id, key, name, first, second
    std::string_view update;                  // ?1, ?2... are `update_params`, in order
    std::vector<SealedField> update_params;
    std::string (*first_label)(const SealedRow&);
    std::string (*second_label)(const SealedRow&);  // nullptr: the table has one sealed column
};

inline const std::vector<SealedTable>& sealedTables() {
    using F = SealedField;
    static const std::vector<SealedTable> tables = {
        {"SELECT team_id, provider, name, token_sealed, NULL FROM provider_settings",
         "UPDATE provider_settings SET token_sealed = ?1 WHERE team_id = ?2 AND provider = ?3 AND name = ?4",
         {F::first, F::id, F::key, F::name},
         [](const SealedRow& r) { return providerTokenLabel(r.id, r.key, r.name); }, nullptr},
        {"SELECT 0, state, '', code_verifier_sealed, NULL FROM oauth_states",
         "UPDATE oauth_states SET code_verifier_sealed = ?1 WHERE state = ?2", {F::first, F::key},
         [](const SealedRow& r) { return codeVerifierLabel(r.key); }, nullptr},
        {"SELECT user_id, provider, '', access_token_sealed, refresh_token_sealed FROM user_tokens",
         "UPDATE user_tokens SET access_token_sealed = ?1, refresh_token_sealed = ?2 WHERE user_id = ?3 AND provider = ?4",
         {F::first, F::second, F::id, F::key},
         [](const SealedRow& r) { return userTokenLabel(r.id, r.key, "access_token"); },
         [](const SealedRow& r) { return userTokenLabel(r.id, r.key, "refresh_token"); }},
        {"SELECT team_id, provider, name, refresh_token_sealed, NULL FROM team_refresh_tokens",
         "UPDATE team_refresh_tokens SET refresh_token_sealed = ?1 WHERE team_id = ?2 AND provider = ?3 AND name = ?4",
         {F::first, F::id, F::key, F::name},
         [](const SealedRow& r) { return teamRefreshTokenLabel(r.id, r.key, r.name); }, nullptr},
        {"SELECT team_id, '', '', webhook_url_sealed, NULL FROM team_notifications",
         "UPDATE team_notifications SET webhook_url_sealed = ?1 WHERE team_id = ?2", {F::first, F::id},
         [](const SealedRow& r) { return notificationWebhookLabel(r.id); }, nullptr},
    };
    return tables;
}

// Calls bind(value) for each of `table`'s update parameters of `row`, in order: an int64, a
// std::string, or (the second value) a std::optional<std::string>.
template <class Bind>
void bindSealedUpdate(const SealedTable& table, const SealedRow& row, Bind&& bind) {
    for (SealedField field : table.update_params) {
        switch (field) {
            case SealedField::id: bind(row.id); break;
            case SealedField::key: bind(row.key); break;
            case SealedField::name: bind(row.name); break;
            case SealedField::first: bind(row.first); break;
            case SealedField::second: bind(row.second); break;
        }
    }
}

// Opens every sealed value with `old_box` and seals it with `new_box`; a value already under the
// new key stays (a rerun after success is a no-op). `read(select)` gives all rows of a table (read
// whole before any is written), `write(table, row)` stores a row whose values changed. Raises
// (the caller's transaction rolls back) when a value does not open: nothing is half re-sealed.
// Returns how many values were re-sealed.
template <class Read, class Write>
std::int64_t resealAll(const secrets::SecretBox& old_box, const secrets::SecretBox& new_box, Read&& read, Write&& write) {
    if (old_box.keyId() == new_box.keyId())
        raise(ErrorKind::invalid_input, "the old and new keys are the same key (" + old_box.keyId() + ")", "same_key");
    std::int64_t resealed = 0;
    auto reseal = [&](std::string& sealed, const std::string& label) -> bool {
        auto key_id = secrets::sealedKeyId(sealed);
        if (!key_id) throw ErrorException{key_id.error()};
        if (key_id.value() == new_box.keyId()) return false;
        std::string plain = openOrRaise(old_box, sealed, label);
        sealed = new_box.seal(plain, label);
        sodium_memzero(plain.data(), plain.size());  // std::fill may be optimised away
        ++resealed;
        return true;
    };
    for (const SealedTable& table : sealedTables()) {
        std::vector<SealedRow> rows = read(table.select);
        for (SealedRow& row : rows) {
            bool changed = reseal(row.first, table.first_label(row));
            if (row.second && table.second_label) changed = reseal(*row.second, table.second_label(row)) || changed;
            if (changed) write(table, row);
        }
    }
    return resealed;
}

}  // namespace forgelink::store::rows
