// support::parseSelected (forgelink/support/json_select.hpp), differentially: it promises to accept
// and refuse what nlohmann::json::parse does (and a NUL byte, which nlohmann takes for the end of
// the text), and, selecting everything, to build the same
// document; a selection keeps a subset. Any disagreement is a defect of one of the two.
#include <string>

#include <nlohmann/json.hpp>

#include "forgelink/support/json_select.hpp"
#include "fuzz_target.hpp"

namespace {
using forgelink::support::JsonSelection;

const JsonSelection& projectLike() {
    static const JsonSelection selection = JsonSelection::members({
        {"id"},
        {"path_with_namespace"},
        {"namespace", JsonSelection::members({{"full_path"}, {"id"}})},
        {"permissions", JsonSelection::members({{"project_access", JsonSelection::members({{"access_level"}})}})},
        {"a"},
        {""},
    });
    return selection;
}
}  // namespace

FORGELINK_FUZZ_TARGET(json_select) {
    namespace support = forgelink::support;
    const auto text = forgelink::fuzz::asText(data, size);
    nlohmann::json reference;
    bool reference_ok = true;
    try {
        reference = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception&) {
        reference_ok = false;
    }
    const auto everything = support::parseSelected(text, JsonSelection::all());
    // nlohmann takes a NUL byte for the end of the text and ignores what follows; parseSelected
    // refuses it, as RFC 8259 does. There only: accepted by parseSelected implies accepted by nlohmann.
    if (text.find('\0') != std::string_view::npos) {
        if (everything.ok()) FUZZ_CHECK(reference_ok && everything.value() == reference, "NUL: parseSelected is not stricter");
        return 0;
    }
    FUZZ_CHECK(everything.ok() == reference_ok,
               reference_ok ? "parseSelected refused what nlohmann accepts: " + everything.error().message
                            : std::string("parseSelected accepted what nlohmann refuses"));
    if (!everything.ok()) {
        FUZZ_CHECK(everything.error().code == "invalid_json", everything.error().code);
        FUZZ_CHECK(everything.error().message.find("byte") != std::string::npos, everything.error().message);
    } else {
        FUZZ_CHECK(everything.value() == reference, "the full selection differs from nlohmann's document");
    }
    const auto selected = support::parseSelected(text, projectLike());
    FUZZ_CHECK(selected.ok() == reference_ok, "a selection changed whether the text is valid");
    return 0;
}
