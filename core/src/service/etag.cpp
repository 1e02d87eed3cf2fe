#include "service/etag.hpp"

#include <forgelink/support/http_text.hpp>

#include "secrets/digest.hpp"

namespace forgelink::service {

std::string strongEtag(std::string_view body) {
    // 128 bits of SHA-256 are plenty to tell versions of one resource apart.
    return "\"" + secrets::sha256Hex(body).substr(0, 32) + "\"";
}

bool ifNoneMatchHits(std::string_view header, std::string_view etag) {
    const std::string_view wanted = etag.substr(0, 2) == "W/" ? etag.substr(2) : etag;
    std::string_view rest = support::trimSpace(header);
    if (rest == "*") return true;
    while (!rest.empty()) {
        if (rest.substr(0, 2) == "W/") rest.remove_prefix(2);
        if (rest.empty() || rest.front() != '"') return false;
        const auto close = rest.find('"', 1);
        if (close == std::string_view::npos) return false;
        if (rest.substr(0, close + 1) == wanted) return true;
        rest = support::trimSpace(rest.substr(close + 1));
        if (rest.empty()) break;
        if (rest.front() != ',') return false;
        rest = support::trimSpace(rest.substr(1));
    }
    return false;
}

}  // namespace forgelink::service
