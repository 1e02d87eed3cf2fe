#include "delivery/feedback_task.hpp"

#include "delivery/build_states.hpp"

namespace forgelink::delivery {

namespace {

struct Reader {
    const nlohmann::json& json;
    const char* kind;
    std::string problem;

    std::string text(const char* field, bool required) {
        auto it = json.find(field);
        if (it == json.end() || it->is_null()) {
            if (required && problem.empty()) problem = std::string("\"") + field + "\" is missing";
            return {};
        }
        if (!it->is_string()) {
            if (problem.empty()) problem = std::string("\"") + field + "\" must be a string, got " + it->type_name();
            return {};
        }
        return it->get<std::string>();
    }

    std::int64_t integer(const char* field) {
        auto it = json.find(field);
        if (it == json.end() || it->is_null()) return 0;
        if (!it->is_number_integer()) {
            if (problem.empty()) problem = std::string("\"") + field + "\" must be an integer, got " + it->type_name();
            return 0;
        }
        return it->get<std::int64_t>();
    }

    bool flag(const char* field) {
        auto it = json.find(field);
        if (it == json.end() || it->is_null()) return false;
        if (!it->is_boolean()) {
            if (problem.empty()) problem = std::string("\"") + field + "\" must be true or false, got " + it->type_name();
            return false;
        }
        return it->get<bool>();
    }

    Error error() const {
        return makeError(ErrorKind::invalid_input,
                         std::string("the ") + kind + " task payload is malformed: " + problem, "bad_payload");
    }
};

}  // namespace

Result<StatusPayload> parseStatusPayload(const nlohmann::json& payload) {
    if (!payload.is_object())
        return makeError(ErrorKind::invalid_input, "the status task payload must be a JSON object", "bad_payload");
    Reader r{payload, "status", {}};
    StatusPayload p;
    p.repository = r.text("repository", true);
    p.project_id = r.integer("project_id");
    const std::string state = r.text("state", true);
    p.context = r.text("context", false);
    p.target_url = r.text("target_url", false);
    p.description = r.text("description", false);
    p.ref = r.text("ref", false);
    p.sha = r.text("sha", true);
    p.merge_request = r.text("merge_request", false);
    p.find_head = r.flag("find_head");
    if (r.problem.empty()) {
        if (auto parsed = parseBuildState(state)) {
            p.state = *parsed;
        } else {
            r.problem = "\"state\" must be a build state (" + buildStateNames(BuildStates::all) + "), got \"" +
                        state.substr(0, 40) + "\"";
        }
    }
    if (r.problem.empty() && p.repository.empty()) r.problem = "\"repository\" is empty";
    if (r.problem.empty() && p.sha.empty()) r.problem = "\"sha\" is empty";
    if (!r.problem.empty()) return r.error();
    return p;
}

Result<CommentPayload> parseCommentPayload(const nlohmann::json& payload) {
    if (!payload.is_object())
        return makeError(ErrorKind::invalid_input, "the comment task payload must be a JSON object", "bad_payload");
    Reader r{payload, "comment", {}};
    CommentPayload p;
    p.repository = r.text("repository", true);
    p.project_id = r.integer("project_id");
    p.merge_request = r.text("merge_request", false);
    p.sha = r.text("sha", false);
    if (r.problem.empty() && p.repository.empty()) r.problem = "\"repository\" is empty";
    if (r.problem.empty() && p.merge_request.empty() && p.sha.empty())
        r.problem = "neither \"merge_request\" nor \"sha\" is given: nothing says where to comment";
    if (!r.problem.empty()) return r.error();
    return p;
}

nlohmann::json toJson(const StatusPayload& p) {
    return {{"repository", p.repository}, {"project_id", p.project_id}, {"state", std::string(toString(p.state))},
            {"context", p.context},       {"target_url", p.target_url}, {"description", p.description},
            {"ref", p.ref},               {"sha", p.sha},               {"merge_request", p.merge_request},
            {"find_head", p.find_head}};
}

nlohmann::json toJson(const CommentPayload& p) {
    return {{"repository", p.repository}, {"project_id", p.project_id}, {"merge_request", p.merge_request},
            {"sha", p.sha}};
}

}  // namespace forgelink::delivery
