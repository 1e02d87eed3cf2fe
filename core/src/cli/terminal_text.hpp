// Text from a server or a forge, made safe to print on a terminal.
#pragma once

#include <string>
#include <string_view>

namespace forgelink::cli {

// `text` with every control character made visible instead of acted on: ESC sequences cannot
// clear the screen or recolour it, and CR/LF cannot forge an extra line of output. C0 controls
// and DEL become \n, \r, \t or \xNN; C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) become \u00NN;
// a backslash stays a backslash. Everything else, UTF-8 included, is kept as is.
// JSON output needs none of this: the JSON writer escapes controls itself.
std::string terminalSafe(std::string_view text);

}  // namespace forgelink::cli
