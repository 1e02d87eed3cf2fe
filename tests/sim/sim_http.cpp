#include "sim_http.hpp"

#include <nlohmann/json.hpp>

namespace forgelink::sim {

std::string SimRequest::header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

const std::vector<std::pair<std::string, std::string>>& SimRequest::bodyParams() const {
    if (body_parsed_) return body_params_;
    body_parsed_ = true;
    std::size_t first = body.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return body_params_;
    if (body[first] == '{') {
        auto j = nlohmann::json::parse(body, nullptr, false);
        if (j.is_object()) {
            for (auto& [k, v] : j.items()) {
                if (v.is_string()) body_params_.emplace_back(k, v.get<std::string>());
                else if (v.is_null()) continue;
                else body_params_.emplace_back(k, v.dump());
            }
        }
    } else if (header("content-type").find("json") == std::string::npos) {
        body_params_ = parseQuery(body);
    }
    return body_params_;
}

std::optional<std::string> SimRequest::param(const std::string& name) const {
    for (auto& [k, v] : query)
        if (k == name) return v;
    for (auto& [k, v] : bodyParams())
        if (k == name) return v;
    return std::nullopt;
}

void SimResponse::set(const std::string& name, const std::string& value) {
    for (auto& h : headers) {
        if (h.first == name) {
            h.second = value;
            return;
        }
    }
    headers.emplace_back(name, value);
}

void SimResponse::json(int code, const std::string& text) {
    status = code;
    body = text;
    set("Content-Type", "application/json");
}

}  // namespace forgelink::sim
