#include "delivery/build_states.hpp"

#include <array>
#include <string_view>

namespace forgelink::delivery {

namespace {

struct StateWords {
    BuildState state;
    std::string_view word;  // in a comment
};

// Every state, in the order of BuildState.
constexpr std::array<StateWords, 9> kStates = {{
    {BuildState::queued, "queued"},
    {BuildState::in_progress, "in progress"},
    {BuildState::no_changes, "no changes"},
    {BuildState::changes_detected, "changes detected"},
    {BuildState::accepted, "accepted"},
    {BuildState::rejected, "rejected"},
    {BuildState::skipped, "skipped"},
    {BuildState::errored, "errored"},
    {BuildState::aborted, "aborted"},
}};

}  // namespace

std::string stateWord(BuildState state) {
    for (const auto& entry : kStates)
        if (entry.state == state) return std::string(entry.word);
    return "errored";
}

std::string buildStateNames(BuildStates which) {
    std::string out;
    for (const auto& entry : kStates) {
        if (which == BuildStates::final_ && !isFinal(entry.state)) continue;
        if (!out.empty()) out += ", ";
        out += toString(entry.state);
    }
    return out;
}

}  // namespace forgelink::delivery
