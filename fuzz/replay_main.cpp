// The replay driver of the normal build: runs fuzz targets over their corpus and regression
// inputs, so ctest checks every input a fuzzing session kept (and every crash it found, once
// fixed) without clang or libFuzzer.
//
//   forgelink_fuzz_replay TARGET PATH...   each file, or each file under each directory
//   forgelink_fuzz_replay --list           the targets linked into this driver
//
// A failing input aborts (FUZZ_CHECK) or trips the sanitizers of the build, like under libFuzzer;
// the driver prints each file's name first so the culprit is the last name printed.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "fuzz_target.hpp"

namespace forgelink::fuzz {
namespace {
std::map<std::string, TargetFunction>& targets() {
    static std::map<std::string, TargetFunction> all;
    return all;
}
}  // namespace

bool registerTarget(const char* name, TargetFunction function) {
    targets()[name] = function;
    return true;
}
}  // namespace forgelink::fuzz

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    auto& targets = forgelink::fuzz::targets();
    if (argc == 2 && std::string(argv[1]) == "--list") {
        for (const auto& [name, function] : targets) std::printf("%s\n", name.c_str());
        return 0;
    }
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s TARGET PATH...   (or --list)\n", argv[0]);
        return 2;
    }
    const auto target = targets.find(argv[1]);
    if (target == targets.end()) {
        std::fprintf(stderr, "%s: no fuzz target '%s' in this driver (--list names them)\n", argv[0], argv[1]);
        return 2;
    }
    std::vector<fs::path> files;
    for (int i = 2; i < argc; ++i) {
        const fs::path path(argv[i]);
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            for (const auto& entry : fs::recursive_directory_iterator(path)) {
                if (entry.is_regular_file() && entry.path().filename().string().front() != '.') files.push_back(entry.path());
            }
        } else if (fs::is_regular_file(path, ec)) {
            files.push_back(path);
        } else {
            std::fprintf(stderr, "%s: %s is neither a file nor a directory\n", argv[0], argv[i]);
            return 2;
        }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::fprintf(stderr, "%s: no input files for target %s\n", argv[0], argv[1]);
        return 2;
    }
    for (const auto& file : files) {
        std::fprintf(stderr, "replay %s\n", file.c_str());
        std::ifstream in(file, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        target->second(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("%s: %zu inputs replayed, none failed\n", argv[1], files.size());
    return 0;
}
