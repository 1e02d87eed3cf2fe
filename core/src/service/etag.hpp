// Entity tags for conditional GETs (RFC 9110 §8.8.3, §13.1.2).
#pragma once

#include <string>
#include <string_view>

namespace forgelink::service {

// A strong tag derived from the body alone: equal bodies get equal tags on every host, so a
// client revalidating against another host behind the same load balancer still gets 304.
std::string strongEtag(std::string_view body);

// Whether an If-None-Match header value names `etag` (or is "*"). Weak comparison, as the RFC
// prescribes for If-None-Match: W/"x" matches "x". A malformed list matches nothing, so the
// client gets the full answer rather than a wrong 304.
bool ifNoneMatchHits(std::string_view header, std::string_view etag);

}  // namespace forgelink::service
