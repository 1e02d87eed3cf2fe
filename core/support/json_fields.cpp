#include <forgelink/support/json_fields.hpp>

namespace forgelink::support {
namespace {

using nlohmann::json;

std::string defaultFieldText(FieldError::Problem problem, const std::string& object, const std::string& field,
                             const std::string& expected, const std::string& found) {
    if (problem == FieldError::Problem::missing) {
        return object + ": field \"" + field + "\" is missing (expected " + expected + ")";
    }
    return object + ": field \"" + field + "\" is " + found + ", expected " + expected;
}

std::string notAnObjectText(std::string_view forge, const std::string& object, const std::string& found) {
    return std::string(forge) + " answered with " + found + " where " + object + " object was expected";
}

}  // namespace

FieldError::FieldError(Problem problem, std::string object, std::string field, std::string expected,
                       std::string found)
    : std::runtime_error(problem == Problem::not_an_object ? notAnObjectText("the forge", object, found)
                                                           : defaultFieldText(problem, object, field, expected, found)),
      problem(problem),
      object(std::move(object)),
      field(std::move(field)),
      expected(std::move(expected)),
      found(std::move(found)) {}

std::string describeFieldError(const FieldError& error, const MappingWording& wording) {
    if (error.problem == FieldError::Problem::not_an_object) {
        return notAnObjectText(wording.forge, error.object, error.found);
    }
    if (wording.field_text != nullptr) return wording.field_text(error);
    return defaultFieldText(error.problem, error.object, error.field, error.expected, error.found);
}

Error mappingError(const FieldError& error, const MappingWording& wording) {
    return makeError(ErrorKind::invalid_input, wording.field_prefix + describeFieldError(error, wording),
                     "unexpected_response");
}

Error notAList(const json& j, std::string_view forge, std::string_view what) {
    return makeError(ErrorKind::invalid_input,
                     std::string(forge) + " answered with " + std::string(j.type_name()) + " where a list of " +
                         std::string(what) + " was expected",
                     "unexpected_response");
}

JsonFields::JsonFields(const json& j, std::string what) : j_(j), what_(std::move(what)) {
    if (!j_.is_object()) throw FieldError(FieldError::Problem::not_an_object, what_, {}, "an object", j_.type_name());
}

bool JsonFields::has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

std::int64_t JsonFields::requiredInt(const char* key) const {
    if (!has(key)) missing(key, "an integer");
    const json& v = j_.at(key);
    if (!v.is_number_integer()) mistyped(key, "an integer", v);
    return v.get<std::int64_t>();
}

std::optional<std::int64_t> JsonFields::optionalInt(const char* key) const {
    if (!has(key)) return std::nullopt;
    const json& v = j_.at(key);
    if (!v.is_number_integer()) mistyped(key, "an integer", v);
    return v.get<std::int64_t>();
}

std::string JsonFields::requiredString(const char* key) const {
    if (!has(key)) missing(key, "a string");
    const json& v = j_.at(key);
    if (!v.is_string()) mistyped(key, "a string", v);
    return v.get<std::string>();
}

std::string JsonFields::optionalString(const char* key, std::string fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_string()) mistyped(key, "a string", v);
    return v.get<std::string>();
}

std::string JsonFields::requiredId(const char* key) const {
    if (!has(key)) missing(key, "an integer id");
    const json& v = j_.at(key);
    if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
    if (v.is_string() && !v.get<std::string>().empty()) return v.get<std::string>();
    mistyped(key, "an integer id", v);
}

std::string JsonFields::optionalId(const char* key) const {
    if (!has(key)) return {};
    const json& v = j_.at(key);
    if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
    if (v.is_string()) return v.get<std::string>();
    mistyped(key, "an integer id", v);
}

bool JsonFields::requiredBool(const char* key) const {
    if (!has(key)) missing(key, "true or false");
    const json& v = j_.at(key);
    if (!v.is_boolean()) mistyped(key, "true or false", v);
    return v.get<bool>();
}

bool JsonFields::optionalBool(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_boolean()) mistyped(key, "true or false", v);
    return v.get<bool>();
}

std::vector<std::string> JsonFields::stringList(const char* key, bool required) const {
    if (!has(key)) {
        if (required) missing(key, "a list of strings");
        return {};
    }
    const json& v = j_.at(key);
    if (!v.is_array()) mistyped(key, "a list of strings", v);
    std::vector<std::string> out;
    for (const auto& item : v) {
        if (!item.is_string()) mistyped(key, "a list of strings", v);
        out.push_back(item.get<std::string>());
    }
    return out;
}

JsonFields JsonFields::object(const char* key, const std::string& name) const {
    if (!has(key)) missing(key, "an object");
    return JsonFields(j_.at(key), what_ + "." + key + " (" + name + ")");
}

const json& JsonFields::requiredObject(const char* key) const {
    if (!has(key)) missing(key, "an object");
    const json& v = j_.at(key);
    if (!v.is_object()) mistyped(key, "an object", v);
    return v;
}

void JsonFields::missing(const char* key, const char* expected) const {
    // A null value counts as missing; say which of the two came, for whoever reads the parts.
    throw FieldError(FieldError::Problem::missing, what_, key, expected, j_.contains(key) ? "null" : "");
}

void JsonFields::mistyped(const char* key, const char* expected, const json& found) const {
    throw FieldError(FieldError::Problem::mistyped, what_, key, expected, found.type_name());
}

}  // namespace forgelink::support
