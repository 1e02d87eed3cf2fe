#include "service/views.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace forgelink::service {

net::ServerResponse jsonResponse(int status, const nlohmann::json& body) {
    net::ServerResponse response;
    response.status = status;
    response.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

net::ServerResponse errorResponse(int status, const std::string& code, const std::string& message,
                                  const nlohmann::json& details) {
    nlohmann::json error = {{"code", code}, {"message", message}};
    if (!details.is_null()) error["details"] = details;
    return jsonResponse(status, {{"error", error}});
}

net::ServerResponse noContent() {
    net::ServerResponse response;
    response.status = 204;
    return response;
}

std::string isoTime(store::Timestamp at) {
    const auto millis = store::toUnixMillis(at);
    const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buffer[96];  // sized for any int fields, so the compiler can prove no truncation
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis % 1000));
    return buffer;
}

std::optional<int> daysUntil(const std::string& date, store::Timestamp now) {
    int y = 0;
    unsigned m = 0, d = 0;
    if (date.size() != 10 || std::sscanf(date.c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
    if (!ymd.ok()) return std::nullopt;
    const auto today = std::chrono::floor<std::chrono::days>(now);
    return static_cast<int>((std::chrono::sys_days(ymd) - today).count());
}

nlohmann::json teamView(const store::Team& team) {
    return {{"id", team.id}, {"slug", team.slug}, {"name", team.name}, {"created_at", isoTime(team.created_at)}};
}

nlohmann::json memberView(const store::TeamMember& member) {
    return {{"user_id", member.user_id},
            {"username", member.username},
            {"name", member.name},
            {"role", std::string(store::toString(member.role))}};
}

nlohmann::json linkView(const store::RepositoryLink& link) {
    return {{"provider", link.provider},         {"instance", link.instance},
            {"repository_id", link.repository_id}, {"full_path", link.full_path},
            {"web_url", link.web_url},             {"status_context", link.status_context},
            {"linked_at", isoTime(link.linked_at)}};
}

nlohmann::json projectView(const store::Project& project, const std::string* team_slug,
                           const store::RepositoryLink* link) {
    nlohmann::json view = {{"id", project.id},
                           {"team_id", project.team_id},
                           {"slug", project.slug},
                           {"name", project.name},
                           {"created_at", isoTime(project.created_at)},
                           {"repository", link ? linkView(*link) : nlohmann::json(nullptr)}};
    if (team_slug) view["team"] = *team_slug;
    return view;
}

nlohmann::json buildView(const store::Build& build) {
    return {{"id", build.id},
            {"project_id", build.project_id},
            {"commit_sha", build.commit_sha},
            {"branch", build.branch},
            {"merge_request", build.mr_number.empty() ? nlohmann::json(nullptr) : nlohmann::json(build.mr_number)},
            {"head_sha", build.head_sha.empty() ? nlohmann::json(nullptr) : nlohmann::json(build.head_sha)},
            {"state", std::string(toString(build.state))},
            {"stats",
             {{"changed", build.stats.changed},
              {"added", build.stats.added},
              {"removed", build.stats.removed},
              {"failures", build.stats.failures}}},
            {"url", build.url},
            {"version", build.version},
            {"created_at", isoTime(build.created_at)},
            {"updated_at", isoTime(build.updated_at)}};
}

nlohmann::json identityView(const Identity& identity) {
    return {{"id", identity.id},
            {"username", identity.username},
            {"name", identity.name},
            {"web_url", identity.web_url},
            {"bot", identity.bot}};
}

nlohmann::json repositoryView(const Repository& repository) {
    return {{"id", repository.id},
            {"instance", repository.instance},
            {"full_path", repository.full_path},
            {"name", repository.name},
            {"namespace", repository.namespace_path},
            {"web_url", repository.web_url},
            {"default_branch", repository.default_branch},
            {"visibility", repository.visibility},
            {"archived", repository.archived},
            {"role", std::string(toString(repository.role))},
            {"role_label", repository.role_label}};
}

nlohmann::json namespaceView(const Namespace& ns) {
    return {{"id", ns.id},     {"kind", ns.kind},
            {"path", ns.path}, {"full_path", ns.full_path},
            {"name", ns.name}, {"parent_id", ns.parent_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(ns.parent_id)},
            {"web_url", ns.web_url}};
}

}  // namespace forgelink::service
