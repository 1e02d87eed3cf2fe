// How long one listing (namespaces, repositories: whatever the host pages through with a
// provider's cursor) may grow before the host stops asking for more. A forge, or whatever answers
// at a base URL a team owner typed, can send next-page links forever, or pages of empty results:
// without a bound `forgelink repos` ran until it was killed (1.1 million items, 771 MB after 60 s).
// The same bound and the same error apply in the CLI, the REST API and the console (issue 22).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <forgelink/result.hpp>

namespace forgelink::common {

struct ListingBounds {
    std::size_t max_pages = 2000;     // forge.max_listing_pages
    std::size_t max_items = 100000;   // forge.max_listing_items
};

// Counts one listing's pages and items. A page is one step of the provider's cursor: one page of
// the REST API, one call of the CLI (the shipped plugins fetch up to 8 rounds of forge pages per
// call there). Past a bound the listing ends with the error code "listing_too_long"; what was
// shown before stays shown, nothing is cut silently.
class ListingCounter {
public:
    // `listing` names it for the message ("the repository listing of provider myforge"); `narrow`
    // says how to ask for less ("--namespace or --search").
    ListingCounter(ListingBounds bounds, std::string listing, std::string narrow, std::size_t pages = 0,
                   std::size_t items = 0);

    // Before asking for the next page: an error once max_pages pages were taken.
    std::optional<Error> beforePage() const;
    // After a page of `items` items arrived, before it is shown: an error when it takes the
    // listing past max_items (the page is then not shown).
    std::optional<Error> afterPage(std::size_t items);

    std::size_t pages() const noexcept { return pages_; }
    std::size_t items() const noexcept { return items_; }

private:
    Error tooLong(const std::string& what) const;
    ListingBounds bounds_;
    std::string listing_;
    std::string narrow_;
    std::size_t pages_;
    std::size_t items_;
};

}  // namespace forgelink::common
