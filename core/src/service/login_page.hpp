// What a browser sees when a login route refuses it: the forge sent it back to the callback, or
// a person pressed "Continue with ..." once too often (the login rate limit).
#pragma once

#include <optional>

#include "net/http_server.hpp"
#include "service/api_error.hpp"

namespace forgelink::service {

// For a request that accepts text/html: `e` as a page a person can read, with a way back to the
// console, the error's status, and Retry-After when it says when to retry. std::nullopt for
// other clients (scripts get the JSON error).
std::optional<net::ServerResponse> loginErrorPage(const net::ServerRequest& request, const ApiError& e);

// Retry-After from details.retry_after_seconds of a 429 or a 503.
void addRetryAfter(net::ServerResponse& response, const ApiError& e);

}  // namespace forgelink::service
