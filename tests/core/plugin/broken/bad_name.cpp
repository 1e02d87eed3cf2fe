#include "valid_descriptor.hpp"

BROKEN_PLUGIN_ENTRY(return broken::validDescriptor("Example Forge");)
