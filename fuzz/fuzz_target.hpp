// One fuzz target: a function of a byte string that must not crash, leak, hang or trip a
// sanitizer, whatever the bytes, and whose own checks (FUZZ_CHECK) must hold.
//
//   FORGELINK_FUZZ_TARGET(url) {          // fuzz/targets/url.cpp
//       forgelink::support::parseUrl(asText(data, size));
//       return 0;
//   }
//
// The same source builds two ways:
//  - with FORGELINK_LIBFUZZER (the clang tree of scripts/fuzz, -fsanitize=fuzzer,address,undefined):
//    the target is the LLVMFuzzerTestOneInput of its own fuzzer executable;
//  - otherwise (the normal gcc build and its ctest): the target registers itself by name with the
//    replay driver (replay_main.cpp), which runs it over every file of its corpus and regressions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace forgelink::fuzz {

using TargetFunction = int (*)(const std::uint8_t* data, std::size_t size);

// Registers a target with the replay driver; returns true so it can initialise a static.
bool registerTarget(const char* name, TargetFunction function);

inline std::string_view asText(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void checkFailed(const char* file, int line, const char* condition, const std::string& detail) {
    std::fprintf(stderr, "%s:%d: fuzz check failed: %s%s%s\n", file, line, condition, detail.empty() ? "" : ": ",
                 detail.c_str());
    std::abort();
}

// True when `message_for` (the error message a function gives for an input) repeats the input
// itself, not merely wording that happens to match it: the input and a copy with its middle byte
// changed must both appear in their own messages. (A fuzzer soon learns the fixed wording of an
// error message and feeds it back; that is no leak.)
template <class MessageFor>
bool messageEchoes(MessageFor&& message_for, std::string_view text) {
    if (text.size() < 8) return false;
    if (message_for(text).find(text) == std::string::npos) return false;
    std::string changed(text);
    char& middle = changed[changed.size() / 2];
    middle = middle == 'Q' ? 'R' : 'Q';
    return message_for(changed).find(changed) != std::string::npos;
}

}  // namespace forgelink::fuzz

// An invariant of the code under test: aborts (a crash the fuzzer records) when it does not hold.
#define FUZZ_CHECK(condition, detail)                                                      \
    do {                                                                                   \
        if (!(condition)) ::forgelink::fuzz::checkFailed(__FILE__, __LINE__, #condition, (detail)); \
    } while (false)

#ifdef FORGELINK_LIBFUZZER
#define FORGELINK_FUZZ_TARGET(name)                                                          \
    static int forgelinkFuzz_##name(const std::uint8_t* data, std::size_t size);           \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {    \
        return forgelinkFuzz_##name(data, size);                                            \
    }                                                                                       \
    static int forgelinkFuzz_##name(const std::uint8_t* data, std::size_t size)
#else
#define FORGELINK_FUZZ_TARGET(name)                                                          \
    static int forgelinkFuzz_##name(const std::uint8_t* data, std::size_t size);           \
    [[maybe_unused]] static const bool forgelinkFuzzRegistered_##name =                    \
        ::forgelink::fuzz::registerTarget(#name, &forgelinkFuzz_##name);                    \
    static int forgelinkFuzz_##name(const std::uint8_t* data, std::size_t size)
#endif
