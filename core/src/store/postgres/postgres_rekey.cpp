// The PostgreSQL side of `forgelink rekey`: every sealed column (store/resealing.hpp) opened with
// the old key and sealed again with the new one, in one transaction.
#include "store/postgres/postgres_store.hpp"

#include "store/postgres/pg_rows.hpp"
#include "store/resealing.hpp"

namespace forgelink::store {

using namespace postgres;

// ---- key rotation ----------------------------------------------------------------------------

Result<std::int64_t> PostgresStore::rekey(const secrets::SecretBox& old_box, const secrets::SecretBox& new_box) {
    return guarded("re-sealing secrets", [&]() -> Result<std::int64_t> {
        return inTransaction<std::int64_t>(pool_, [&](PgConnection& c) {
            // What SQLite's write lock gave: no host writes a sealed column (under the old key)
            // between the reads and the commit; they wait, and read on meanwhile.
            run(c,
                "LOCK TABLE provider_settings, oauth_states, user_tokens, team_refresh_tokens, team_notifications "
                "IN SHARE ROW EXCLUSIVE MODE");
            return resealAll(
                old_box, new_box,
                [&](std::string_view select) { return all<SealedRow>(run(c, dollarParams(select)), readSealedRow); },
                [&](const SealedTable& table, const SealedRow& row) {
                    PgParams params;
                    bindSealedUpdate(table, row, [&](const auto& value) {
                        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::optional<std::string>>)
                            params.push_back(orNull(value));
                        else
                            params.emplace_back(value);
                    });
                    run(c, dollarParams(table.update), params);
                });
        });
    });
}

}  // namespace forgelink::store
