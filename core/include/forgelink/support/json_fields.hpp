// Reading a forge's JSON answers into a plugin's own types, strictly where it matters and
// tolerantly elsewhere: a missing or mistyped required field becomes an invalid_input Error (code
// "unexpected_response") that names the object, the field, what was expected and what came, while
// a missing or null optional field takes its fallback (forge versions differ in what they send).
//
//   Result<User> parseUser(const nlohmann::json& j) {
//       return support::guardedParse(kWording, [&] {
//           support::JsonFields f(j, "user");
//           User u;
//           u.id = f.requiredInt("id");
//           u.name = f.optionalString("name");
//           return u;
//       });
//   }
//
// Part of Forgelink::plugin_support. JsonFields throws FieldError; guardedParse turns it (and any
// nlohmann::json exception) into an Error, so nothing throws out of a parse function and nothing
// may throw across the plugin boundary. A JsonFields refers to the JSON it reads: keep the JSON
// alive while the reader is used. No shared state: safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <forgelink/result.hpp>

namespace forgelink::support {

// What is wrong with one field of a forge's answer, in parts, so that each plugin can keep the
// wording its users (and tests) know. what() is the default wording (see describeFieldError).
class FieldError : public std::runtime_error {
public:
    enum class Problem {
        not_an_object,  // the value read as `object` is not a JSON object; `field` is empty
        missing,        // `field` is absent or null
        mistyped,       // `field` holds `found` where `expected` was expected
    };
    FieldError(Problem problem, std::string object, std::string field, std::string expected, std::string found);

    Problem problem;
    std::string object;    // "user", "project.namespace (namespace)": what was being read
    std::string field;     // "id"
    std::string expected;  // "an integer"
    std::string found;     // the JSON type that came instead ("string", "array"...); for missing,
                           // "null" when the field was null and "" when it was absent
};

// How a plugin words the errors of guardedParse and parseArray.
struct MappingWording {
    // The forge's name: "MyForge answered with array where user object was expected".
    std::string forge;
    // Put before the text of a FieldError ("unexpected answer from MyForge: "), may be empty.
    std::string field_prefix;
    // Put before the message of a nlohmann::json exception, may be empty.
    std::string json_prefix;
    // Words a missing or mistyped field; null for the default
    // `user: field "id" is missing (expected an integer)` / `user: field "id" is string, expected an integer`.
    std::string (*field_text)(const FieldError& error) = nullptr;
};

// The text of `error` as `wording` says, without field_prefix.
std::string describeFieldError(const FieldError& error, const MappingWording& wording);
// The Error guardedParse returns for `error`: invalid_input, code "unexpected_response".
Error mappingError(const FieldError& error, const MappingWording& wording);

// Reads the fields of one JSON object and names it in every complaint. Absent and null are the
// same thing for every read: forges send null for "not set".
class JsonFields {
public:
    // Throws FieldError (not_an_object) when `j` is not an object. `what` names it in messages.
    JsonFields(const nlohmann::json& j, std::string what);

    const std::string& what() const noexcept { return what_; }
    // Present and not null.
    bool has(const char* key) const;
    // The value as it is; throws nlohmann::json::out_of_range when absent (check has() first).
    const nlohmann::json& raw(const char* key) const { return j_.at(key); }

    std::int64_t requiredInt(const char* key) const;
    std::optional<std::int64_t> optionalInt(const char* key) const;
    std::string requiredString(const char* key) const;
    std::string optionalString(const char* key, std::string fallback = {}) const;
    // An id: an integer (sent as its decimal text) or a non-empty string, as forges change id types.
    std::string requiredId(const char* key) const;
    // The same, "" when absent; an empty string is taken as it is.
    std::string optionalId(const char* key) const;
    bool requiredBool(const char* key) const;
    bool optionalBool(const char* key, bool fallback) const;
    // A list of strings; an absent list is an error when `required`, else empty.
    std::vector<std::string> stringList(const char* key, bool required) const;
    // The object under `key` as a reader named "<what>.<key> (<name>)"; missing is an error.
    JsonFields object(const char* key, const std::string& name) const;
    // The object under `key` as JSON; missing or not an object is an error.
    const nlohmann::json& requiredObject(const char* key) const;

    // Complaints about `key` for checks the reads above do not cover.
    [[noreturn]] void missing(const char* key, const char* expected) const;
    [[noreturn]] void mistyped(const char* key, const char* expected, const nlohmann::json& found) const;

private:
    const nlohmann::json& j_;
    std::string what_;
};

namespace detail {
template <class T>
struct AsResult {
    using type = Result<T>;
};
template <class T>
struct AsResult<Result<T>> {
    using type = Result<T>;
};
}  // namespace detail

// Runs `parse` (returning T or Result<T>) and returns its answer as a Result<T>; a FieldError or
// a nlohmann::json exception becomes an invalid_input Error (code "unexpected_response") worded
// by `wording`.
template <class Fn>
auto guardedParse(const MappingWording& wording, Fn&& parse) ->
    typename detail::AsResult<std::invoke_result_t<Fn&>>::type {
    try {
        return parse();
    } catch (const FieldError& e) {
        return mappingError(e, wording);
    } catch (const nlohmann::json::exception& e) {
        return makeError(ErrorKind::invalid_input, wording.json_prefix + e.what(), "unexpected_response");
    }
}

// The Error for a list answer that is not a list: "<forge> answered with object where a list of
// <what> was expected".
Error notAList(const nlohmann::json& j, std::string_view forge, std::string_view what);

// A JSON array of T, each item parsed by `parse` (returning Result<T>); an item's error is
// prefixed with "<what>[<index>]: " so a person can find it in a long list.
template <class T, class Fn>
Result<std::vector<T>> parseArray(const nlohmann::json& j, std::string_view forge, std::string_view what, Fn&& parse) {
    if (!j.is_array()) return notAList(j, forge, what);
    std::vector<T> out;
    out.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
        auto item = parse(j[i]);
        if (!item) {
            Error e = item.error();
            e.message = std::string(what) + "[" + std::to_string(i) + "]: " + e.message;
            return e;
        }
        out.push_back(std::move(item).value());
    }
    return out;
}

}  // namespace forgelink::support
