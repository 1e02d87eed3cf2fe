#include "delivery/comment_body.hpp"

#include <algorithm>
#include <cstdio>

namespace forgelink::delivery {

std::string commentMarker(std::string_view instance_id) { return forgelink::commentMarker(instance_id); }

std::string durationText(std::int64_t seconds) {
    if (seconds > 0 && seconds % 3600 == 0) return std::to_string(seconds / 3600) + " h";
    if (seconds > 0 && seconds % 60 == 0) return std::to_string(seconds / 60) + " min";
    return std::to_string(seconds) + " s";
}

std::string timedOutText(std::int64_t seconds) { return "timed out: no result within " + durationText(seconds); }

std::string changesText(const store::BuildStats& stats, ChangeCounts which) {
    std::string text;
    auto add = [&text](std::int64_t n, const std::string& what) {
        if (n <= 0) return;
        text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    };
    add(stats.changed, "changed");
    add(stats.added, "added");
    add(stats.removed, "removed");
    add(stats.failures, stats.failures == 1 ? "failure" : "failures");
    if (which == ChangeCounts::changes) return text;
    add(stats.retry_failures, "passed on retry");
    add(stats.unchanged, "unchanged");
    add(stats.ignored, "ignored");
    return text;
}

std::string changesSummary(const store::BuildStats& stats) {
    const std::string text = changesText(stats, ChangeCounts::all);
    return text.empty() ? "none" : text;
}

namespace {

// Backslash-escapes Markdown punctuation, keeps the cell on one line, and defuses @mentions
// (forges do not honour "\@").
std::string cell(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '\n':
            case '\r':
            case '\t': out += ' '; break;
            case '@': out += "&#64;"; break;
            case '\\': case '`': case '*': case '_': case '{': case '}': case '[': case ']': case '<': case '>':
            case '#': case '|': case '!': case '~': case '&':
                out += '\\';
                out += c;
                break;
            default: out += c;
        }
    }
    return out;
}

// Link targets: http(s) only, with the characters that would end the Markdown link encoded.
std::string linkTarget(std::string_view url) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return {};
    std::string out;
    for (char c : url) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '(' || c == ')' || c == '<' || c == '>' || c == '|' || c == '"' ||
            c == '\\' || c == '`') {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", u);
            out += hex;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string renderCommentBody(const std::vector<CommentRow>& rows) {
    std::string body = "#### Forgelink builds\n\n| Project | State | Changes | Build |\n|---|---|---|---|\n";
    for (const auto& row : rows) {
        const std::string target = linkTarget(row.build.url);
        // A build the host ended says so, rather than a bare "errored" people would blame on the build.
        const std::string state = row.build.timed_out_at ? cell(timedOutText(row.build.timed_out_after_seconds))
                                                         : stateWord(row.build.state);
        body += "| " + cell(row.project) + " | " + state + " | " + changesSummary(row.build.stats) +
                " | " + (target.empty() ? std::string("-") : "[build " + std::to_string(row.build.id) + "](" + target + ")") +
                " |\n";
    }
    return body;
}

Result<std::vector<CommentRow>> collectCommentRows(store::Store& store, const CommentScope& scope,
                                                   std::size_t max_builds_per_project) {
    auto links = store.findLinksToRepository(scope.provider, scope.instance, scope.repository_id);
    if (!links) return links.error();
    auto in_scope = [&scope](const store::Build& b) {
        if (!scope.mr_number.empty()) return b.mr_number == scope.mr_number;
        return b.commit_sha == scope.sha || b.head_sha == scope.sha;
    };
    constexpr std::size_t kPage = 50;
    std::vector<CommentRow> rows;
    for (const auto& link : links.value()) {
        auto project = store.project(link.project_id);
        if (!project) {
            if (project.error().kind == ErrorKind::not_found) continue;  // deleted meanwhile
            return project.error();
        }
        // Another team's projects stay out of this team's comment, even on a shared repository.
        if (project->team_id != scope.team_id) continue;
        std::int64_t before = 0;
        std::size_t seen = 0;
        std::optional<store::Build> latest;
        while (!latest && seen < max_builds_per_project) {
            auto page = store.listBuilds(link.project_id, kPage, before);
            if (!page) return page.error();
            for (auto& b : page.value()) {
                if (in_scope(b)) {
                    latest = std::move(b);
                    break;
                }
            }
            seen += page->size();
            if (page->size() < kPage) break;
            before = page->back().id;
        }
        if (latest) rows.push_back({project->name, std::move(*latest)});
    }
    std::sort(rows.begin(), rows.end(), [](const CommentRow& a, const CommentRow& b) {
        return a.project != b.project ? a.project < b.project : a.build.id < b.build.id;
    });
    return rows;
}

}  // namespace forgelink::delivery
