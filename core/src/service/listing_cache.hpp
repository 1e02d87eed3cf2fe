// Rendered listings kept per key (a team id) and tagged with the store-side version they were
// rendered from. The cache never decides freshness itself: callers read the current version from
// the store (cheap, and shared by every host on the database) and ask for exactly that version,
// so a write through any host, or straight into the database, makes the old entry unreachable.
//
// Bounded by the bytes of the bodies it holds (plus a fixed allowance per entry); the least
// recently used entries go first. Thread-safe. Bodies are shared, never copied, by find().
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace forgelink::service {

struct CachedListing {
    std::int64_t version = 0;
    std::shared_ptr<const std::string> body;
    std::string etag;
};

class ListingCache {
public:
    // What one entry costs beyond its body and tag (map node, list node, control block).
    static constexpr std::size_t kEntryOverhead = 256;

    explicit ListingCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    // The entry for `key` rendered at exactly `version`, or nothing.
    std::optional<CachedListing> find(std::int64_t key, std::int64_t version);
    // Keeps `listing` unless the entry already there is of a newer version (two requests that
    // missed at once may finish in either order). An entry bigger than the whole bound is not
    // kept; others push out the least recently used until everything fits.
    void put(std::int64_t key, CachedListing listing);

    std::size_t bytes() const;
    std::size_t size() const;
    std::size_t maxBytes() const { return max_bytes_; }

private:
    struct Entry {
        CachedListing listing;
        std::size_t cost = 0;
        std::list<std::int64_t>::iterator recent;  // position in recency_
    };
    static std::size_t costOf(const CachedListing& listing);

    const std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::unordered_map<std::int64_t, Entry> entries_;
    std::list<std::int64_t> recency_;  // most recently used first
    std::size_t bytes_ = 0;
};

}  // namespace forgelink::service
