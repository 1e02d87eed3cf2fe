// Parsing a forge's JSON answer while keeping only the members a plugin reads.
//
// A forge's project listing page is about 240 KB for 100 projects, of which a plugin reads a dozen
// fields per project. Building the whole document costs most of a listing's CPU (perf: the
// nlohmann lexer, string and map building, then freeing it all). parseSelected reads the text
// once, checks all of it as strictly as a full parse does (RFC 8259, UTF-8, the same numbers and
// the same refusals as nlohmann::json::parse, plus a NUL byte outside a string, which nlohmann
// takes for the end of the text and RFC 8259 does not allow), and builds only the selected members:
//
//   const support::JsonSelection kProject = support::JsonSelection::members({
//       {"id"}, {"path_with_namespace"},
//       {"namespace", support::JsonSelection::members({{"full_path"}})},
//   });
//   auto page = support::parseSelected(body, kProject);   // an array of projects: applied to each
//
// A selection applies to an object (only the named members are kept, each pruned by its own
// selection) and to every element of an array, at any depth; scalars are kept as they are, so a
// member that should have been an object but is a string still reaches the plugin's field checks
// with its real type. Members the selection does not name are checked and dropped. Duplicate
// members: the last one wins, as in nlohmann::json::parse.
//
// Part of Forgelink::plugin_support. No shared state: safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <forgelink/result.hpp>

namespace forgelink::support {

class JsonSelection {
public:
    struct Member;

    // Keep the whole value. Both defined below Member: a constructor defined here would need
    // std::vector<Member> complete before Member is (clang with libstdc++ refuses it).
    JsonSelection();
    static JsonSelection all();
    // Keep only these members of objects (of the value, or of each element of arrays).
    static JsonSelection members(std::vector<Member> members);

    bool keepsAll() const noexcept { return keep_all_; }
    // The selection for member `name`, or nullptr when it is not kept.
    const JsonSelection* member(std::string_view name) const noexcept;

private:
    bool keep_all_ = true;
    std::vector<Member> members_;
};

struct JsonSelection::Member {
    Member(std::string member_name, JsonSelection member_selection = JsonSelection())
        : name(std::move(member_name)), selection(std::move(member_selection)) {}
    Member(const char* member_name, JsonSelection member_selection = JsonSelection())
        : name(member_name), selection(std::move(member_selection)) {}
    std::string name;
    JsonSelection selection;
};

inline JsonSelection::JsonSelection() = default;
inline JsonSelection JsonSelection::all() { return JsonSelection(); }

// The document in `text` with only the selected members. Invalid JSON anywhere (kept or not) is
// an Error of kind invalid_input, code "invalid_json", whose message says at which byte and what
// was expected ("invalid JSON at byte 1234: expected ',' or '}' after an object member").
Result<nlohmann::json> parseSelected(std::string_view text, const JsonSelection& selection);

}  // namespace forgelink::support
