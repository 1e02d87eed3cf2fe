// Writes JSON text straight into a string, for the API's large listings.
//
// Why not nlohmann::json there: rendering 1,000 projects as a document first and dumping it spent
// most of the request in allocating, freeing and walking ~30,000 nodes (perf). The text written
// here parses to exactly the document nlohmann would have built (tests compare both); the small
// answers keep using nlohmann::json.
//
// Strings are written as UTF-8; bytes that are not valid UTF-8 become U+FFFD, as nlohmann's
// dump(error_handler_t::replace) does in jsonResponse(). Misuse (a value where a key belongs,
// unbalanced ends) is a programming error and is not checked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace forgelink::service {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    JsonWriter& beginObject();
    JsonWriter& endObject();
    JsonWriter& beginArray();
    JsonWriter& endArray();
    JsonWriter& key(std::string_view name);
    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(bool flag);
    JsonWriter& null();

    // key(name) then value(v).
    template <class T>
    JsonWriter& field(std::string_view name, const T& v) {
        key(name);
        return value(v);
    }

private:
    void separate();
    void writeString(std::string_view text);

    std::string& out_;
    // One entry per open object or array: true until its first member is written.
    std::vector<bool> first_;
    bool after_key_ = false;
};

}  // namespace forgelink::service
