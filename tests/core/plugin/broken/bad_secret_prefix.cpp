// Declares a secret token prefix so short it would mask ordinary words in every log line.
#include "valid_descriptor.hpp"

namespace {
const char* const kPrefixes[] = {"tok_", "gl-", nullptr};
}

BROKEN_PLUGIN_ENTRY(auto d = broken::validDescriptor("bad-secret-prefix"); d.secret_token_prefixes = kPrefixes;
                    return d;)
