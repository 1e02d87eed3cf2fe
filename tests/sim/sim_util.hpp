// Small helpers shared by the simulator's dialects: time formatting, random tokens, route matching.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

namespace forgelink::sim {

std::string isoTime(std::int64_t epoch_seconds, bool millis = true);  // 2024-01-01T00:00:00.000Z
std::string httpDate(std::int64_t epoch_seconds);                    // Mon, 20 May 2019 11:20:03 GMT
// Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.fff]Z"; returns false if malformed.
bool parseTime(const std::string& text, std::int64_t& epoch_seconds);
std::string randomHex(std::mt19937_64& rng, std::size_t chars);
std::string randomAlnum(std::mt19937_64& rng, std::size_t chars);
std::string base64Url(const unsigned char* data, std::size_t len);  // no padding
std::string sha256Base64Url(const std::string& input);               // PKCE S256
// A request path's segments `segs` are exactly n and match `fixed` where it is not null (null = any
// segment): the routers' one matcher.
bool routeIs(const std::vector<std::string>& segs, std::size_t n, std::initializer_list<const char*> fixed);

}  // namespace forgelink::sim
