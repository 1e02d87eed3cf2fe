#include "service/listing_cache.hpp"

namespace forgelink::service {

std::size_t ListingCache::costOf(const CachedListing& listing) {
    return (listing.body ? listing.body->size() : 0) + listing.etag.size() + kEntryOverhead;
}

std::optional<CachedListing> ListingCache::find(std::int64_t key, std::int64_t version) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.listing.version != version) return std::nullopt;
    recency_.splice(recency_.begin(), recency_, it->second.recent);
    return it->second.listing;
}

void ListingCache::put(std::int64_t key, CachedListing listing) {
    const std::size_t cost = costOf(listing);
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
        if (it->second.listing.version > listing.version) return;
        bytes_ -= it->second.cost;
        recency_.erase(it->second.recent);
        entries_.erase(it);
    }
    if (cost > max_bytes_) return;
    while (bytes_ + cost > max_bytes_ && !recency_.empty()) {
        auto victim = entries_.find(recency_.back());
        bytes_ -= victim->second.cost;
        entries_.erase(victim);
        recency_.pop_back();
    }
    recency_.push_front(key);
    entries_.emplace(key, Entry{std::move(listing), cost, recency_.begin()});
    bytes_ += cost;
}

std::size_t ListingCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

std::size_t ListingCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace forgelink::service
