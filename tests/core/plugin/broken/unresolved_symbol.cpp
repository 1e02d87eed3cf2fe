// Needs a function nothing provides: dlopen with RTLD_NOW fails, and the refusal must say why.
#include "valid_descriptor.hpp"

extern "C" int forgelink_test_function_nobody_defines(void);

FORGELINK_EXPORT int forgelink_test_use_missing(void) { return forgelink_test_function_nobody_defines(); }

BROKEN_PLUGIN_ENTRY(return broken::validDescriptor("unresolved-symbol");)
