// As if built against an SDK whose descriptor matches no revision this host knows.
#include "valid_descriptor.hpp"

BROKEN_PLUGIN_ENTRY(auto d = broken::validDescriptor("wrong-size");
                    d.struct_size = static_cast<uint32_t>(sizeof(forgelink_plugin_descriptor) - 4); return d;)
