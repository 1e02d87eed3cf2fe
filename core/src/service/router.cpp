#include "service/router.hpp"

#include <forgelink/support/http_text.hpp>

#include "common/strings.hpp"

namespace forgelink::service {

std::vector<std::string> splitRoutePath(const std::string& path) {
    std::vector<std::string> segments;
    // A trailing slash is not a different resource; an empty segment in the middle is.
    std::string_view view(path);
    if (!view.empty() && view.front() == '/') view.remove_prefix(1);
    if (!view.empty() && view.back() == '/') view.remove_suffix(1);
    if (view.empty()) return segments;
    return common::split(view, '/');
}

bool matchRouteSegments(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
                        PathParams& params) {
    if (pattern.size() != segments.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const auto& expected = pattern[i];
        if (expected.size() > 2 && expected.front() == '{' && expected.back() == '}') {
            if (segments[i].empty()) return false;
            params[expected.substr(1, expected.size() - 2)] = support::urlDecode(segments[i], false);
        } else if (expected != segments[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace forgelink::service
