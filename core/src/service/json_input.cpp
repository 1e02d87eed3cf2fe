#include "service/json_input.hpp"

#include <cmath>
#include <set>
#include <vector>

#include <forgelink/support/http_text.hpp>

#include "service/api_error.hpp"

namespace forgelink::service {

namespace {
// A refusal about one field of the body: details.field names it, so a form shows the message beside it.
ApiError fieldError(const std::string& code, const std::string& field, const std::string& message) {
    return ApiError(400, code, message, {{"field", field}});
}
}  // namespace

bool nestsDeeperThan(std::string_view text, std::size_t max_depth) noexcept {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;  // the escaped character, a quote included
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

nlohmann::json parseJsonBody(const net::ServerRequest& request, std::size_t max_depth) {
    const std::string* type = request.header("Content-Type");
    const std::string media =
        type == nullptr ? std::string() : support::asciiLower(support::trimSpace(std::string_view(*type).substr(0, type->find(';'))));
    if (media != "application/json") {
        throw ApiError(415, "unsupported_media_type",
                       "the request body must be JSON: send Content-Type: application/json" +
                           (type == nullptr ? std::string(" (no Content-Type was sent)")
                                            : " (got '" + media + "')"));
    }
    // JSON (RFC 8259) leaves duplicate names undefined and nlohmann keeps the last one silently:
    // {"state":"accepted","state":"rejected"} would be read as one of them, whichever a reader
    // picks. Refused instead, naming the key, as the config loader refuses duplicate YAML keys.
    struct Level {
        bool object = false;
        std::string key;  // the member being read, in an object
        std::set<std::string> seen;
    };
    std::vector<Level> levels;
    std::string duplicate;
    auto path = [&levels](const std::string& last) {
        std::string out;
        for (const auto& level : levels)
            if (level.object && !level.key.empty() && &level != &levels.back())
                out += level.key + ".";
        return out + last;
    };
    const nlohmann::json::parser_callback_t watch = [&](int, nlohmann::json::parse_event_t event,
                                                        nlohmann::json& parsed) {
        using E = nlohmann::json::parse_event_t;
        if (!duplicate.empty()) return true;
        if (event == E::object_start || event == E::array_start) {
            levels.push_back({event == E::object_start, {}, {}});
        } else if (event == E::object_end || event == E::array_end) {
            if (!levels.empty()) levels.pop_back();
        } else if (event == E::key && !levels.empty()) {
            auto& level = levels.back();
            const auto name = parsed.get<std::string>();
            if (!level.seen.insert(name).second) duplicate = path(name);
            level.key = name;
        }
        return true;
    };
    // nlohmann takes a NUL byte for the end of the text and ignores whatever follows it; JSON has
    // no raw NUL anywhere (not even inside strings), so a body with one is refused whole.
    if (request.body.find('\0') != std::string::npos)
        throw badRequest("malformed_json", "the request body is not valid JSON (it contains a NUL byte)");
    // Checked before parsing: the duplicate-key watch keeps a level per nesting, so a 1 MiB body of
    // '[' would cost far more than its size.
    if (nestsDeeperThan(request.body, max_depth))
        throw ApiError(400, "json_too_deep",
                       "the request body nests arrays and objects more than " + std::to_string(max_depth) +
                           " levels deep (server.limits.max_json_depth); send a flatter body",
                       {{"limit", "server.limits.max_json_depth"}, {"max_depth", max_depth}});
    nlohmann::json body = nlohmann::json::parse(request.body, watch, false);
    if (body.is_discarded()) throw badRequest("malformed_json", "the request body is not valid JSON");
    if (!duplicate.empty())
        throw badRequest("duplicate_key", "the request body has the key '" + duplicate +
                                              "' more than once; give each key once");
    if (!body.is_object())
        throw badRequest("wrong_type", "the request body must be a JSON object, got " + describeType(body));
    return body;
}

std::string describeType(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::null: return "null";
        case nlohmann::json::value_t::object: return "an object";
        case nlohmann::json::value_t::array: return "an array";
        case nlohmann::json::value_t::string: return "a string";
        case nlohmann::json::value_t::boolean: return "a boolean";
        case nlohmann::json::value_t::number_float: {
            const double number = value.get<double>();
            if (std::isfinite(number) && std::trunc(number) == number)
                return "a number written with a decimal point or an exponent (" + value.dump() + ")";
            return "a fractional number (" + value.dump() + ")";
        }
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned: return "an integer";
        default: return "an unexpected value";
    }
}

ObjectReader::ObjectReader(const nlohmann::json& object, std::string where) : object_(object), where_(std::move(where)) {}

std::string ObjectReader::path(std::string_view field) const {
    return where_.empty() ? std::string(field) : where_ + "." + std::string(field);
}

void ObjectReader::allowOnly(std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : object_.items()) {
        bool found = false;
        for (auto name : known) found = found || name == key;
        if (!found) {
            std::string list;
            for (auto name : known) list += (list.empty() ? "" : ", ") + std::string(name);
            throw fieldError("unknown_field", path(key), "unknown field \'" + path(key) + "'; expected only: " + list);
        }
    }
}

const nlohmann::json* ObjectReader::find(std::string_view field) const {
    auto it = object_.find(std::string(field));
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
}

bool ObjectReader::has(std::string_view field) const { return find(field) != nullptr; }

std::string ObjectReader::requiredString(std::string_view field) const {
    auto value = optionalString(field);
    if (!value) throw fieldError("missing_field", path(field), "field \'" + path(field) + "' is required (a string)");
    return *value;
}

std::optional<std::string> ObjectReader::optionalString(std::string_view field) const {
    const auto* value = find(field);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string())
        throw fieldError("wrong_type", path(field), "field \'" + path(field) + "' must be a string, got " + describeType(*value));
    return value->get<std::string>();
}

std::optional<bool> ObjectReader::optionalBool(std::string_view field) const {
    const auto* value = find(field);
    if (value == nullptr) return std::nullopt;
    if (!value->is_boolean())
        throw fieldError("wrong_type", path(field), "field '" + path(field) + "' must be true or false, got " + describeType(*value));
    return value->get<bool>();
}

std::optional<std::int64_t> ObjectReader::optionalInteger(std::string_view field) const {
    const auto* value = find(field);
    if (value == nullptr) return std::nullopt;
    const auto outOfRange = [&](const std::string& got) {
        return fieldError("out_of_range", path(field),
                          "field \'" + path(field) + "' is out of range: got " + got +
                              "; expected an integer from -9223372036854775808 to 9223372036854775807");
    };
    if (value->is_number_unsigned()) {
        if (value->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
            throw outOfRange(std::to_string(value->get<std::uint64_t>()));
        return static_cast<std::int64_t>(value->get<std::uint64_t>());
    }
    if (value->is_number_float()) {
        // An integer beyond 64 bits (18446744073709551616) is parsed as a double: it is too large,
        // not fractional. Its digits past the double's precision are gone, so it is shown as parsed.
        const double number = value->get<double>();
        if (std::isfinite(number) && std::trunc(number) == number && (number >= 0x1p63 || number < -0x1p63))
            throw outOfRange("a number beyond 64 bits (" + value->dump() + ")");
    }
    if (!value->is_number_integer())
        throw fieldError("wrong_type", path(field), "field \'" + path(field) + "' must be an integer, got " + describeType(*value));
    return value->get<std::int64_t>();
}

std::optional<ObjectReader> ObjectReader::optionalObject(std::string_view field) const {
    const auto* value = find(field);
    if (value == nullptr) return std::nullopt;
    if (!value->is_object())
        throw fieldError("wrong_type", path(field), "field \'" + path(field) + "' must be an object, got " + describeType(*value));
    return ObjectReader(*value, path(field));
}

}  // namespace forgelink::service
