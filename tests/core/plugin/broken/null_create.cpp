#include "valid_descriptor.hpp"

BROKEN_PLUGIN_ENTRY(auto d = broken::validDescriptor("null-create"); d.create = nullptr; return d;)
