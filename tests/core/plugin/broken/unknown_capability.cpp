// Claims a capability this host has never heard of.
#include "valid_descriptor.hpp"

BROKEN_PLUGIN_ENTRY(auto d = broken::validDescriptor("unknown-capability"); d.capabilities |= 0x100u; return d;)
