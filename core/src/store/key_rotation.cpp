#include "store/key_rotation.hpp"

#include <memory>

#include "store/sqlite/sqlite_store.hpp"

namespace forgelink::store {

Result<RekeyReport> rekeyStore(const StoreOpener& open, const secrets::KeySource& old_key,
                               const secrets::KeySource& new_key) {
    auto old_box = secrets::loadKey(old_key);
    if (!old_box) {
        Error e = old_box.error();
        e.message = "old key: " + e.message;
        return e;
    }
    auto new_box = secrets::loadKey(new_key);
    if (!new_box) {
        Error e = new_box.error();
        e.message = "new key: " + e.message;
        return e;
    }
    auto shared_old = std::make_shared<const secrets::SecretBox>(std::move(old_box).value());
    auto shared_new = std::make_shared<const secrets::SecretBox>(std::move(new_box).value());
    auto store = open(shared_old);
    if (!store) return store.error();
    auto resealed = store.value()->rekey(*shared_old, *shared_new);
    if (!resealed) return resealed.error();
    return RekeyReport{resealed.value(), shared_old->keyId(), shared_new->keyId()};
}

Result<RekeyReport> rekeyDatabase(const RekeyOptions& options) {
    return rekeyStore(
        [&](std::shared_ptr<const secrets::SecretBox> box) -> Result<std::unique_ptr<Store>> {
            auto store = SqliteStore::open(options.database, std::move(box));
            if (!store) return store.error();
            return std::unique_ptr<Store>(std::move(store).value());
        },
        options.old_key, options.new_key);
}

}  // namespace forgelink::store
