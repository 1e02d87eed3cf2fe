// Small helpers shared by the simulator's dialects: time formatting and random tokens.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace forgelink::sim {

std::string isoTime(std::int64_t epoch_seconds, bool millis = true);  // 2024-01-01T00:00:00.000Z
std::string httpDate(std::int64_t epoch_seconds);                    // Mon, 20 May 2019 11:20:03 GMT
// Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.fff]Z"; returns false if malformed.
bool parseTime(const std::string& text, std::int64_t& epoch_seconds);
std::string randomHex(std::mt19937_64& rng, std::size_t chars);
std::string randomAlnum(std::mt19937_64& rng, std::size_t chars);
std::string base64Url(const unsigned char* data, std::size_t len);  // no padding
std::string sha256Base64Url(const std::string& input);               // PKCE S256

}  // namespace forgelink::sim
