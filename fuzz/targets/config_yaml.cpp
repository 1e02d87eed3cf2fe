// The YAML configuration loader (config/config_loader.hpp): any text gives a configuration or a
// list of file:line:column diagnostics, never a crash, an exception or a hang (aliases included).
#include <string>

#include "config/config_loader.hpp"
#include "fuzz_target.hpp"

FORGELINK_FUZZ_TARGET(config_yaml) {
    using namespace forgelink;
    const std::string text(fuzz::asText(data, size));
    // ${NAME}: a few names are set, every other is unset (an error the loader must report).
    const config::Environment env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "FUZZ_TOKEN") return std::string("glpat-0000000000000000");
        if (name == "FUZZ_EMPTY") return std::string();
        return std::nullopt;
    };
    const auto result = config::parseConfig(text, "fuzz.yaml", "/nonexistent/fuzz", env);
    FUZZ_CHECK(result.ok() == result.errors.empty(), "a configuration is returned exactly when nothing is wrong");
    for (const auto& error : result.errors) {
        FUZZ_CHECK(!error.message.empty(), "every diagnostic says what is wrong");
        FUZZ_CHECK(error.line >= 0 && error.column >= 0, error.toString());
        (void)error.toString();
    }
    return 0;
}
