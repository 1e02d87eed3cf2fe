// Reading request bodies: JSON only, objects only, every field known and of the right type.
// Every refusal names the field (as a JSON path: "stats.added") and what was expected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "net/http_server.hpp"

namespace forgelink::service {

// The body as a JSON object. 415 when Content-Type is not application/json (a charset
// parameter is fine), 400 when the body is not JSON or not an object, 400 json_too_deep when
// arrays and objects nest more than `max_depth` levels (checked before it is parsed).
// No default: every route passes server.limits.max_json_depth.
nlohmann::json parseJsonBody(const net::ServerRequest& request, std::size_t max_depth);

// Whether arrays and objects in `text` nest more than `max_depth` levels (strings skipped). Linear,
// no allocation: safe on any input, JSON or not.
bool nestsDeeperThan(std::string_view text, std::size_t max_depth) noexcept;

// Typed access to one JSON object; `where` is the path of the object itself ("" for the body).
class ObjectReader {
public:
    ObjectReader(const nlohmann::json& object, std::string where = {});

    // 400 "unknown_field" naming the first field not in `known`.
    void allowOnly(std::initializer_list<std::string_view> known) const;

    bool has(std::string_view field) const;
    // Required fields: 400 "missing_field" when absent (or null), "wrong_type" when not a string.
    std::string requiredString(std::string_view field) const;
    std::optional<std::string> optionalString(std::string_view field) const;
    std::optional<std::int64_t> optionalInteger(std::string_view field) const;
    // 400 "wrong_type" when present but not true or false.
    std::optional<bool> optionalBool(std::string_view field) const;
    // A nested object; 400 when present but not an object.
    std::optional<ObjectReader> optionalObject(std::string_view field) const;

    // The path of a field, for messages: "stats.added".
    std::string path(std::string_view field) const;

private:
    const nlohmann::json* find(std::string_view field) const;
    const nlohmann::json& object_;
    std::string where_;
};

// Short, safe description of a JSON value's type for messages ("a number", "an array").
std::string describeType(const nlohmann::json& value);

}  // namespace forgelink::service
