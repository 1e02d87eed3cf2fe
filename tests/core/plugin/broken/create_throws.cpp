// create breaks the ABI's rule and lets an exception out.
#include <stdexcept>

#include "valid_descriptor.hpp"

namespace {
void* createThrows(void*, char*, std::size_t) { throw std::runtime_error("provider constructor exploded"); }
}  // namespace

BROKEN_PLUGIN_ENTRY(auto d = broken::validDescriptor("create-throws"); d.create = &createThrows; return d;)
