// GitHub's response headers as the GitHub plugin reads them (plugins/github/api_client.hpp): Link
// (RFC 8288, pagination), x-ratelimit-*, Retry-After and the secondary limit, X-OAuth-Scopes,
// the token expiry date, X-Accepted-GitHub-Permissions; and the base URL an admin typed (the
// body's first line) with the query rewriting pagination uses. Input: a response (fuzz_http.hpp).
#include <string>

#include "api_client.hpp"
#include "fuzz_http.hpp"
#include "fuzz_target.hpp"

namespace {
// isApiUrl reads the instance only; nothing is sent.
class NoTransport : public forgelink::Transport {
public:
    forgelink::Result<forgelink::HttpResponse> send(const forgelink::HttpRequest&) override {
        return forgelink::makeError(forgelink::ErrorKind::internal, "the fuzz target sends nothing");
    }
    std::vector<forgelink::Result<forgelink::HttpResponse>> sendAll(const std::vector<forgelink::HttpRequest>& requests,
                                                                    std::size_t) override {
        std::vector<forgelink::Result<forgelink::HttpResponse>> out;
        for (const auto& request : requests) out.push_back(send(request));
        return out;
    }
};
}  // namespace

FORGELINK_FUZZ_TARGET(github_headers) {
    using namespace forgelink;
    using namespace forgelink::github;
    const auto response = fuzz::readResponse(fuzz::asText(data, size));
    if (const auto* link = response.header("Link")) {
        for (const auto& [rel, target] : parseLinkHeader(*link)) {
            FUZZ_CHECK(rel == support::asciiLower(rel), "a rel is not lower case: " + rel);
            (void)target;
        }
    }
    for (const char* rel : {"next", "last", "prev", "first"}) (void)linkTarget(response, rel);
    (void)parseRateLimit(response.headers);
    (void)parseScopes(response.headers);
    (void)parseScopes(response.headers, "X-Accepted-OAuth-Scopes");
    if (const auto expires = parseTokenExpiration(response.headers)) (void)utcDate(*expires);
    for (const auto& alternative : parseAcceptedPermissions(response.headers))
        for (const auto& permission : alternative) (void)permissionLabel(permission);
    bool secondary = false;
    if (const auto wait = rateLimitRetry(response, 1'700'000'000, &secondary))
        FUZZ_CHECK(wait->count() >= 1, "a rate-limit wait under a second");
    if (const auto* reset = response.header("x-ratelimit-reset")) {
        // utcDate takes any number a forge may send.
        const auto limit = parseRateLimit(response.headers);
        if (limit.reset) (void)utcDate(*limit.reset);
        (void)reset;
    }

    const std::string_view body = response.body;
    const auto first_line = body.substr(0, body.find('\n'));
    if (const auto instance = parseInstance(first_line); instance.ok()) {
        (void)instance.value().tokenPageUrl();
        static NoTransport transport;
        ApiClient client(transport, instance.value(), "token");
        (void)client.isApiUrl(first_line);
    }
    (void)withQueryParam(first_line, "page", "2");
    return 0;
}
