// "Did you mean ...?" suggestions for misspelt keys and commands.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forgelink::config {

// Levenshtein distance (insert, delete, substitute; case-sensitive).
std::size_t editDistance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, if it is near enough to be a plausible typo
// (one edit for words of up to 3 characters, else max(2, length/3); ties go to the first).
std::optional<std::string> closestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace forgelink::config
