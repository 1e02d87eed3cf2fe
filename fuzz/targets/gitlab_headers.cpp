// GitLab's response headers as the GitLab plugin reads them (plugins/gitlab/api_client.hpp): Link
// targets, Retry-After and RateLimit-Reset on a 429; and the base URL an admin typed (the body's
// first line). Input: a response (fuzz_http.hpp).
#include <string>

#include "api_client.hpp"
#include "fuzz_http.hpp"
#include "fuzz_target.hpp"

FORGELINK_FUZZ_TARGET(gitlab_headers) {
    using namespace forgelink;
    using namespace forgelink::gitlab;
    const auto response = fuzz::readResponse(fuzz::asText(data, size));
    for (const char* rel : {"next", "last", "prev", "first"}) (void)linkTarget(response, rel);
    if (const auto wait = retryAfter(response)) FUZZ_CHECK(wait->count() >= 0, "a negative wait");

    const std::string_view body = response.body;
    const auto first_line = body.substr(0, body.find('\n'));
    if (const auto instance = parseInstance(first_line); instance.ok()) {
        FUZZ_CHECK(!instance.value().root.empty() && instance.value().root.back() != '/', instance.value().root);
        (void)instance.value().tokenPageUrl();
    } else {
        FUZZ_CHECK(!instance.error().message.empty(), "a refused base URL without a reason");
    }
    return 0;
}
