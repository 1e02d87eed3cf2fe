// delivery/build_states.hpp: the one table of a build state's words.
#include "delivery/build_states.hpp"

#include <gtest/gtest.h>

using namespace forgelink;
using namespace forgelink::delivery;

TEST(BuildStates, PlainWordsForTheComment) {
    EXPECT_EQ(stateWord(BuildState::queued), "queued");
    EXPECT_EQ(stateWord(BuildState::in_progress), "in progress");
    EXPECT_EQ(stateWord(BuildState::no_changes), "no changes");
    EXPECT_EQ(stateWord(BuildState::changes_detected), "changes detected");
    EXPECT_EQ(stateWord(BuildState::aborted), "aborted");
}

TEST(BuildStates, NamesListEveryStateOrTheResults) {
    EXPECT_EQ(buildStateNames(BuildStates::all),
              "queued, in_progress, no_changes, changes_detected, accepted, rejected, skipped, errored, aborted");
    EXPECT_EQ(buildStateNames(BuildStates::final_),
              "no_changes, changes_detected, accepted, rejected, skipped, errored, aborted");
    // Every listed name reads back as its state.
    for (auto which : {BuildStates::all, BuildStates::final_}) {
        std::string names = buildStateNames(which) + ", ";
        for (std::size_t at = 0, comma; (comma = names.find(", ", at)) != std::string::npos; at = comma + 2)
            EXPECT_TRUE(parseBuildState(names.substr(at, comma - at)).has_value()) << names.substr(at, comma - at);
    }
}
