// The body of Forgelink's one comment on a merge request: the latest build of every project of the
// team linked to the repository, as a small Markdown table. Rendered at delivery time from the
// store, so whichever comment task runs last shows the newest state of every project.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <forgelink/result.hpp>

#include "delivery/build_states.hpp"
#include "store/store.hpp"

namespace forgelink::delivery {

// The hidden marker the provider finds the comment by. Stable per Forgelink installation (not per
// process), so a restarted host updates the comment it wrote before instead of adding another.
std::string commentMarker(std::string_view instance_id);

struct CommentRow {
    std::string project;  // the project's name
    store::Build build;
};

// How long a build may go without a result, as people read it: "6 h", "90 min", "45 s" (the
// largest unit that divides it).
std::string durationText(std::int64_t seconds);
// What a build ended by the host's timeout shows: "timed out: no result within 6 h".
std::string timedOutText(std::int64_t seconds);

// The one summary of a build's counts, "3 changed, 2 added, 1 failure" ("" when all are zero):
// `changes` counts what a commit status has room for (changed, added, removed, failures), `all`
// adds passed on retry, unchanged and ignored.
enum class ChangeCounts { changes, all };
std::string changesText(const store::BuildStats& stats, ChangeCounts which);
// The comment's column: changesText(all), or "none".
std::string changesSummary(const store::BuildStats& stats);
// Markdown; rows in the given order. Cell text is escaped so a project name cannot break the table,
// inject links or mention people.
std::string renderCommentBody(const std::vector<CommentRow>& rows);

// Which builds a comment is about: those of merge request `mr_number` when it is set, else those of
// commit `sha` (commit or head sha).
struct CommentScope {
    std::int64_t team_id = 0;
    std::string provider;
    std::string instance;
    std::string repository_id;
    std::string mr_number;
    std::string sha;
};

// For every project of the team linked to the repository, its latest build in scope (projects
// without one are left out), sorted by project name. Looks at the newest `max_builds_per_project`
// builds of each project.
Result<std::vector<CommentRow>> collectCommentRows(store::Store& store, const CommentScope& scope,
                                                   std::size_t max_builds_per_project = 500);

}  // namespace forgelink::delivery
