#include "service/views.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace forgelink::service {

net::ServerResponse jsonResponse(int status, const nlohmann::json& body) {
    return jsonTextResponse(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

net::ServerResponse jsonTextResponse(int status, std::string body) {
    net::ServerResponse response;
    response.status = status;
    response.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
    response.body = std::move(body);
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
    const int year = tm.tm_year + 1900;
    const int ms = static_cast<int>(millis % 1000);
    if (year < 0 || year > 9999 || ms < 0) {
        char buffer[96];  // sized for any int fields, so the compiler can prove no truncation
        std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
        return buffer;
    }
    // By hand: snprintf was a tenth of rendering a 1,000-project listing (perf).
    std::string out = "0000-00-00T00:00:00.000Z";
    auto put = [&out](std::size_t at, int value, int digits) {
        for (int d = digits - 1; d >= 0; --d, value /= 10) out[at + static_cast<std::size_t>(d)] = static_cast<char>('0' + value % 10);
    };
    put(0, year, 4);
    put(5, tm.tm_mon + 1, 2);
    put(8, tm.tm_mday, 2);
    put(11, tm.tm_hour, 2);
    put(14, tm.tm_min, 2);
    put(17, tm.tm_sec, 2);
    put(20, ms, 3);
    return out;
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

nlohmann::json auditEventView(const store::AuditEvent& event) {
    auto idOrNull = [](std::int64_t id) { return id > 0 ? nlohmann::json(id) : nlohmann::json(nullptr); };
    return {{"id", event.id},
            {"at", isoTime(event.at)},
            {"actor",
             {{"kind", std::string(store::toString(event.actor.kind))},
              {"name", event.actor.name},
              {"user_id", idOrNull(event.actor.user_id)},
              {"token_id", idOrNull(event.actor.token_id)}}},
            {"client_address", event.client_address.empty() ? nlohmann::json(nullptr) : nlohmann::json(event.client_address)},
            {"action", event.action},
            {"target", event.target},
            {"details", event.details.is_object() ? event.details : nlohmann::json::object()}};
}

void writeLinkView(JsonWriter& out, const store::RepositoryLink& link) {
    // Keys in nlohmann's (sorted) order, so the text is what a document of them would dump.
    out.beginObject()
        .field("credential", link.credential)
        .field("full_path", link.full_path)
        .field("instance", link.instance)
        .field("linked_at", isoTime(link.linked_at))
        .field("provider", link.provider)
        .field("repository_id", link.repository_id)
        .field("status_context", link.status_context)
        .field("web_url", link.web_url)
        .endObject();
}

nlohmann::json linkView(const store::RepositoryLink& link) {
    std::string text;
    JsonWriter out(text);
    writeLinkView(out, link);
    return nlohmann::json::parse(text);
}

void writeProjectView(JsonWriter& out, const store::Project& project, const std::string* team_slug,
                      const store::RepositoryLink* link) {
    // Keys in nlohmann's (sorted) order, so the text is what projectView() would dump.
    out.beginObject().field("created_at", isoTime(project.created_at)).field("id", project.id);
    out.field("name", project.name).key("repository");
    if (link) writeLinkView(out, *link);
    else out.null();
    out.field("slug", project.slug);
    if (team_slug) out.field("team", *team_slug);
    out.field("team_id", project.team_id).endObject();
}

nlohmann::json projectView(const store::Project& project, const std::string* team_slug,
                           const store::RepositoryLink* link) {
    std::string text;
    JsonWriter out(text);
    writeProjectView(out, project, team_slug, link);
    return nlohmann::json::parse(text);
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
              {"unchanged", build.stats.unchanged},
              {"failures", build.stats.failures},
              {"retry_failures", build.stats.retry_failures},
              {"ignored", build.stats.ignored}}},
            {"url", build.url},
            {"version", build.version},
            {"created_at", isoTime(build.created_at)},
            {"updated_at", isoTime(build.updated_at)},
            {"timed_out_at", build.timed_out_at ? nlohmann::json(isoTime(*build.timed_out_at)) : nlohmann::json(nullptr)},
            {"merge_request_head_sha", build.mr_head_sha.empty() ? nlohmann::json(nullptr) : nlohmann::json(build.mr_head_sha)}};
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
