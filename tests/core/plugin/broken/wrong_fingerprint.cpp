// As if built by another compiler with an older Boost.
#include "valid_descriptor.hpp"

BROKEN_PLUGIN_ENTRY(auto d = broken::validDescriptor("wrong-fingerprint");
                    d.build_fingerprint = "gcc-4.8.5;libstdc++-cxx11abi-0;boost-105300"; return d;)
