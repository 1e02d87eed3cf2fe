#include "common/listing_bounds.hpp"

namespace forgelink::common {

ListingCounter::ListingCounter(ListingBounds bounds, std::string listing, std::string narrow, std::size_t pages,
                               std::size_t items)
    : bounds_(bounds), listing_(std::move(listing)), narrow_(std::move(narrow)), pages_(pages), items_(items) {}

Error ListingCounter::tooLong(const std::string& what) const {
    return makeError(ErrorKind::invalid_input,
                     listing_ + " " + what + "; it stopped there, after " + std::to_string(pages_) +
                         (pages_ == 1 ? " page and " : " pages and ") + std::to_string(items_) +
                         (items_ == 1 ? " item" : " items") + ". Narrow it (" + narrow_ +
                         "), or raise the bound in the configuration",
                     "listing_too_long");
}

std::optional<Error> ListingCounter::beforePage() const {
    if (pages_ >= bounds_.max_pages)
        return tooLong("has more than " + std::to_string(bounds_.max_pages) + " pages (forge.max_listing_pages)");
    return std::nullopt;
}

std::optional<Error> ListingCounter::afterPage(std::size_t items) {
    if (items > bounds_.max_items - std::min(items_, bounds_.max_items))
        return tooLong("has more than " + std::to_string(bounds_.max_items) + " items (forge.max_listing_items)");
    ++pages_;
    items_ += items;
    return std::nullopt;
}

}  // namespace forgelink::common
