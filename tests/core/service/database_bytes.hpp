// The database file and its write-ahead log as bytes: for checks that a secret is never stored.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace forgelink::service::testing {

inline std::string databaseBytes(const std::filesystem::path& database) {
    std::string bytes;
    for (const char* suffix : {"", "-wal"}) {
        std::ifstream in(database.string() + suffix, std::ios::binary);
        bytes.append(std::istreambuf_iterator<char>(in), {});
    }
    return bytes;
}

}  // namespace forgelink::service::testing
