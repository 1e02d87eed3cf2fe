// Checks on values people type: slugs, names, SHAs, URLs. Each throws a 400 naming the field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/http_server.hpp"

namespace forgelink::service {

// Lower-case letters, digits and '-', 1..63 characters, starting with a letter or digit.
void checkSlug(const std::string& field, const std::string& slug);
// 1..200 characters, no control characters.
void checkName(const std::string& field, const std::string& name);
// A slug from a name: "My Docs!" -> "my-docs"; "" when nothing usable remains.
std::string slugFrom(std::string_view name);
// 40 hexadecimal digits; returns it in lower case.
std::string checkSha(const std::string& field, const std::string& sha);
// An absolute http:// or https:// URL with a host; no spaces or control characters.
void checkHttpUrl(const std::string& field, const std::string& url);
// A branch or ref name as Git allows it (no spaces, control characters, "..", or leading '-').
void checkRef(const std::string& field, const std::string& ref);

// A listing's ?limit= (1..max_limit, default_limit when absent) and ?before= (an id, 0 when
// absent) paging newest first; any other parameter is 400 unknown_parameter.
struct PageQuery {
    std::size_t limit = 0;
    std::int64_t before = 0;
};
PageQuery readPageQuery(const net::ServerRequest& request, std::size_t default_limit, std::size_t max_limit);

}  // namespace forgelink::service
