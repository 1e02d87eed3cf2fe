#include "valid_descriptor.hpp"

BROKEN_PLUGIN_ENTRY(auto d = broken::validDescriptor("wrong-abi"); d.abi_version = 7;
                    return d;)
