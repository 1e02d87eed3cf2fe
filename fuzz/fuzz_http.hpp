// A forge's HTTP answer as fuzz input, readable and easy for a fuzzer to mutate:
//
//   200                      status line: a number (anything else: 200)
//   Link: <https://...>; rel="next"
//   X-Next-Page: 2           one header per line, "Name: value"
//                            an empty line, then
//   [{"id": 1, ...}]         the body, to the end
//
// An input that starts with '{' or '[' is a body alone (status 200, no headers), so a recorded
// answer body is a seed as it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "forgelink/transport.hpp"

namespace forgelink::fuzz {

inline HttpResponse readResponse(std::string_view text) {
    HttpResponse response;
    response.status = 200;
    if (!text.empty() && (text.front() == '{' || text.front() == '[')) {
        response.body = std::string(text);
        return response;
    }
    auto nextLine = [&text]() {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return line;
    };
    const auto status = nextLine();
    if (!status.empty() && status.size() <= 3 &&
        status.find_first_not_of("0123456789") == std::string_view::npos) {
        int value = 0;
        for (char c : status) value = value * 10 + (c - '0');
        response.status = value;
    }
    while (!text.empty()) {
        const auto line = nextLine();
        if (line.empty()) break;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            response.headers.emplace_back(std::string(line), std::string());
            continue;
        }
        std::string_view value_text = line.substr(colon + 1);
        while (!value_text.empty() && value_text.front() == ' ') value_text.remove_prefix(1);
        response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value_text));
    }
    response.body = std::string(text);
    return response;
}

}  // namespace forgelink::fuzz
