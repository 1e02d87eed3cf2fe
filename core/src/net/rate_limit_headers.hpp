// The host reads a forge's rate-limit headers with the SDK's one reader
// (forgelink/support/rate_limit.hpp), under the names the transport policy and its tests use.
#pragma once

#include <forgelink/support/rate_limit.hpp>

namespace forgelink::net {

using support::kMaxRateLimitWait;
using support::parseHeaderInteger;
using support::parseRateLimitReset;
using support::parseRetryAfter;
using support::remainingQuota;

}  // namespace forgelink::net
