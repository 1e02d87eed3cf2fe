#include <forgelink/support/provider_helpers.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <forgelink/support/http_text.hpp>

namespace forgelink::support {

std::string sha256Hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

bool isNumericId(std::string_view text) noexcept {
    if (text.empty() || text.size() > 18) return false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

bool isCommitSha(std::string_view text, ShaLength length) noexcept {
    const bool length_ok = length == ShaLength::full ? (text.size() == 40 || text.size() == 64)
                                                     : (text.size() >= 7 && text.size() <= 64);
    if (!length_ok) return false;
    return std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

Result<void> checkCommentMarker(std::string_view marker) {
    if (marker.size() < 9 || marker.rfind("<!--", 0) != 0 || marker.substr(marker.size() - 3) != "-->" ||
        marker.find("-->") != marker.size() - 3 || marker.find('\n') != std::string_view::npos) {
        return makeError(ErrorKind::invalid_input,
                         "the comment marker must be one HTML comment on one line, like <!-- forgelink:build -->, so "
                         "that it stays invisible; got \"" + std::string(marker.substr(0, 80)) + "\"",
                         "bad_marker");
    }
    return {};
}

std::string commentLink(std::string_view repository_web_url, std::string_view path, std::string_view merge_request,
                        std::string_view anchor_prefix, std::string_view comment_id) {
    std::string_view root = repository_web_url;
    while (!root.empty() && root.back() == '/') root.remove_suffix(1);
    if (root.empty() || merge_request.empty() || comment_id.empty()) return {};
    return std::string(root) + std::string(path) + urlEncode(merge_request) + "#" + std::string(anchor_prefix) +
           urlEncode(comment_id);
}

}  // namespace forgelink::support
