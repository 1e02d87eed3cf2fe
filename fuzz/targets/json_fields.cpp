// support::JsonFields and guardedParse (forgelink/support/json_fields.hpp): every read of any JSON
// value either succeeds or becomes an Error naming the field, never an escaping exception.
#include <string>

#include <nlohmann/json.hpp>

#include "forgelink/support/json_fields.hpp"
#include "fuzz_target.hpp"

FORGELINK_FUZZ_TARGET(json_fields) {
    namespace support = forgelink::support;
    const auto text = forgelink::fuzz::asText(data, size);
    const nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded()) return 0;
    static const support::MappingWording wording{"Fuzz", "unexpected answer from Fuzz: ", "Fuzz: ", nullptr};
    const char* const keys[] = {"id", "name", "a", "list", "object", "flag", ""};
    const auto read = [&](const nlohmann::json& value) {
        return support::guardedParse(wording, [&] {
            support::JsonFields f(value, "thing");
            std::string out;
            for (const char* key : keys) {
                if (!f.has(key)) continue;
                out += std::to_string(f.optionalInt(key).value_or(0));
            }
            for (const char* key : keys) {
                out += f.optionalString(key, "-");
                out += f.optionalId(key);
                out += f.optionalBool(key, false) ? "t" : "f";
                (void)f.stringList(key, false);
            }
            out += f.requiredId("id");
            out += std::to_string(f.requiredInt("id"));
            out += f.requiredString("name");
            (void)f.requiredBool("flag");
            (void)f.stringList("list", true);
            const auto inner = f.object("object", "inner");
            out += inner.requiredString("name");
            (void)f.requiredObject("object");
            return out;
        });
    };
    const auto result = read(j);
    if (!result.ok()) {
        FUZZ_CHECK(result.error().code == "unexpected_response", result.error().code);
        FUZZ_CHECK(!result.error().message.empty(), "an empty error message");
    }
    const auto list = support::parseArray<std::string>(j, "Fuzz", "things", read);
    if (!list.ok()) FUZZ_CHECK(!list.error().message.empty(), "an empty error message");
    return 0;
}
