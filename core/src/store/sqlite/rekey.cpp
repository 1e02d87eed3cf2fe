// The SQLite side of `forgelink rekey`: every sealed column (store/resealing.hpp) opened with the
// old key and sealed again with the new one, in one transaction under the write lock.
#include "store/sqlite/sqlite_store.hpp"

#include "store/resealing.hpp"
#include "store/sqlite/rows.hpp"

namespace forgelink::store {

using namespace sqlite;

// ---- key rotation ----------------------------------------------------------------------------

Result<std::int64_t> SqliteStore::rekey(const secrets::SecretBox& old_box, const secrets::SecretBox& new_box) {
    return guarded("re-sealing secrets", [&]() -> Result<std::int64_t> {
        auto c = pool_.acquire();
        Transaction tx(*c);
        const std::int64_t resealed = resealAll(
            old_box, new_box, [&](std::string_view select) { return all<SealedRow>(c->prepare(select), readSealedRow); },
            [&](const SealedTable& table, const SealedRow& row) {
                Statement update = c->prepare(table.update);
                int at = 0;
                bindSealedUpdate(table, row, [&](const auto& value) { update.bind(++at, value); });
                update.run();
            });
        tx.commit();
        return resealed;
    });
}

}  // namespace forgelink::store
