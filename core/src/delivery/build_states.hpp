// The words for a build's state, in one table: the API's names (BuildState's toString in the SDK),
// the plain words of the merge-request comment, and the lists error messages offer.
#pragma once

#include <string>

#include <forgelink/types.hpp>

namespace forgelink::delivery {

// "in progress", "changes detected"...: plain words, no emoji (they render differently per forge).
std::string stateWord(BuildState state);

enum class BuildStates {
    all,     // every state, in the order of BuildState
    final_,  // the results: every state after which nothing more happens (isFinal)
};
// "queued, in_progress, no_changes, ...": the API names of `which`, for a message that says what
// is accepted.
std::string buildStateNames(BuildStates which);

}  // namespace forgelink::delivery
