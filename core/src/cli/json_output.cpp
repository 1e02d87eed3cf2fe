#include "cli/json_output.hpp"

#include <ostream>

namespace forgelink::cli {

namespace {
nlohmann::json optionalString(const std::optional<std::string>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
}  // namespace

nlohmann::json toJson(const Error& error) {
    return {
        {"kind", std::string(toString(error.kind))},
        {"code", error.code},
        {"message", error.message},
        {"missing_scopes", error.missing_scopes},
        {"retry_after_seconds", error.retry_after ? nlohmann::json(error.retry_after->count()) : nlohmann::json(nullptr)},
        {"http_status", error.http_status},
    };
}

nlohmann::json toJson(const TokenInfo& token) {
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& w : token.warnings) warnings.push_back({{"code", w.code}, {"message", w.message}});
    nlohmann::json bound = nullptr;
    if (token.bound_to)
        bound = {{"kind", token.bound_to->kind}, {"id", token.bound_to->id}, {"full_path", token.bound_to->full_path}};
    return {
        {"instance", token.instance},
        {"identity",
         {{"id", token.identity.id},
          {"username", token.identity.username},
          {"name", token.identity.name},
          {"web_url", token.identity.web_url},
          {"bot", token.identity.bot}}},
        {"kind", std::string(toString(token.kind))},
        {"scopes", token.scopes},
        {"expires_at", optionalString(token.expires_at)},
        // The REST API's name (ProviderSettings.days_left): one vocabulary for the CLI and the API.
        {"days_left", token.days_until_expiry ? nlohmann::json(*token.days_until_expiry) : nlohmann::json(nullptr)},
        {"bound_to", bound},
        {"role", token.role ? nlohmann::json(std::string(toString(*token.role))) : nlohmann::json(nullptr)},
        {"role_label", token.role_label},
        {"warnings", warnings},
    };
}

nlohmann::json toJson(const Namespace& ns) {
    return {{"id", ns.id},         {"kind", ns.kind},           {"path", ns.path},      {"full_path", ns.full_path},
            {"name", ns.name},     {"parent_id", ns.parent_id}, {"web_url", ns.web_url}};
}

nlohmann::json toJson(const Repository& r) {
    return {{"instance", r.instance},
            {"id", r.id},
            {"full_path", r.full_path},
            {"name", r.name},
            {"namespace", r.namespace_path},  // the REST API's name for it
            {"web_url", r.web_url},
            {"default_branch", r.default_branch},
            {"visibility", r.visibility},
            {"archived", r.archived},
            {"role", std::string(toString(r.role))},
            {"role_label", r.role_label}};
}

nlohmann::json toJson(const MergeRequest& mr) {
    return {{"id", mr.id},
            {"number", mr.number},
            {"title", mr.title},
            {"state", mr.state},
            {"head_sha", mr.head_sha},
            {"source_branch", mr.source_branch},
            {"target_branch", mr.target_branch},
            {"target_repository", mr.target_repository},
            {"web_url", mr.web_url}};
}

nlohmann::json toJson(const plugin::PluginInfo& info) {
    return {{"name", info.name},
            {"version", info.version},
            {"abi_version", info.abi_version},
            {"capabilities", plugin::capabilityNames(info.capabilities)},
            {"path", info.path}};
}

nlohmann::json toJson(const plugin::LoadRefusal& refusal) {
    return {{"path", refusal.path}, {"message", refusal.message}};
}

void printJson(std::ostream& out, const nlohmann::json& value) {
    out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace forgelink::cli
