// Checks the event stream of a YAML text before any node is built: yaml-cpp 0.7 resolves
// aliases while loading, so an alias of the node that contains it builds a cyclic node graph
// (walking it overflows the stack) and nested aliases ("billion laughs") expand exponentially
// when walked. Neither can be caught on the built nodes without walking them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace forgelink::config {

struct YamlStructureProblem {
    int line = 0;    // 1-based
    int column = 0;  // 1-based
    std::string message;
};

// The number of nodes the first document may expand to, aliases counted as often as they are
// used. A configuration has a few hundred; this leaves room for generous use of anchors.
inline constexpr std::uint64_t kMaxExpandedYamlNodes = 100000;

// The first problem found, or std::nullopt: a recursive alias (an alias inside the node its
// anchor names), more than `max_nodes` nodes after alias expansion, or a second document.
// Syntax errors are thrown as YAML::ParserException, as YAML::Load throws them.
std::optional<YamlStructureProblem> checkYamlStructure(const std::string& text,
                                                       std::uint64_t max_nodes = kMaxExpandedYamlNodes);

}  // namespace forgelink::config
