// A shared library that is not a Forgelink plugin: its entry point is misspelled.
#include "valid_descriptor.hpp"

FORGELINK_EXPORT const forgelink_plugin_descriptor* forgelink_plugin_entry_v0(void) {
    static const forgelink_plugin_descriptor descriptor = broken::validDescriptor("no-symbol");
    return &descriptor;
}
