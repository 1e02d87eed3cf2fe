#include "service/validation.hpp"

#include <forgelink/support/url.hpp>

#include "common/strings.hpp"
#include "service/api_error.hpp"

namespace forgelink::service {

namespace {
// A refusal about one field of the body: details.field names it, so a form shows the message beside it.
ApiError fieldError(const std::string& code, const std::string& field, const std::string& message) {
    return ApiError(400, code, message, {{"field", field}});
}
bool hasControl(std::string_view text) {
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}
}  // namespace

void checkSlug(const std::string& field, const std::string& slug) {
    bool ok = !slug.empty() && slug.size() <= 63 && slug.front() != '-';
    for (char c : slug) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    if (!ok)
        throw fieldError("invalid_value", field, "field \'" + field +
                                              "' must be 1 to 63 lower-case letters, digits or '-', not starting "
                                              "with '-'");
}

void checkName(const std::string& field, const std::string& name) {
    // Characters, not bytes: 101 x "é" is 101 characters (202 bytes of UTF-8).
    std::size_t characters = 0;
    for (unsigned char c : name) characters += (c & 0xC0) != 0x80;
    if (name.empty() || characters > 200 || hasControl(name))
        throw fieldError("invalid_value", field, "field '" + field + "' must be 1 to 200 characters without control characters");
}

std::string slugFrom(std::string_view name) {
    std::string slug;
    for (char c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (keep) slug += c;
        else if (!slug.empty() && slug.back() != '-') slug += '-';
        if (slug.size() >= 63) break;
    }
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    return slug;
}

std::string checkSha(const std::string& field, const std::string& sha) {
    bool ok = sha.size() == 40;
    std::string lower;
    for (char c : sha) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        lower += c;
    }
    if (!ok) throw fieldError("invalid_value", field, "field \'" + field + "' must be a full commit SHA: 40 hexadecimal digits");
    return lower;
}

void checkHttpUrl(const std::string& field, const std::string& url) {
    auto parsed = support::parseUrl(url);
    bool ok = parsed && (parsed->scheme == "http" || parsed->scheme == "https") && !parsed->host.empty() &&
              url.size() <= 2048 && !hasControl(url) && url.find(' ') == std::string::npos;
    if (!ok) throw fieldError("invalid_value", field, "field \'" + field + "' must be an absolute http:// or https:// URL");
    if (!parsed->userinfo.empty())
        throw fieldError("invalid_value", field, "field \'" + field + "' must not carry credentials (user:password@)");
}

void checkRef(const std::string& field, const std::string& ref) {
    bool ok = !ref.empty() && ref.size() <= 255 && !hasControl(ref) && ref.front() != '-' &&
              ref.find("..") == std::string::npos;
    for (char c : ref) ok = ok && c != ' ' && c != '~' && c != '^' && c != ':' && c != '?' && c != '*' && c != '[' && c != '\\';
    if (!ok) throw fieldError("invalid_value", field, "field \'" + field + "' must be a Git branch name");
}

PageQuery readPageQuery(const net::ServerRequest& request, std::size_t default_limit, std::size_t max_limit) {
    PageQuery page{default_limit, 0};
    for (const auto& parameter : request.query) {
        // Named references, not structured bindings: clang before 16 (the fuzzing build) cannot
        // capture a binding in a lambda.
        const std::string& name = parameter.first;
        const std::string& value = parameter.second;
        auto number = [&](std::int64_t max) {
            const auto n = common::parseDigits(value);
            if (!n || *n < 1 || *n > max)
                throw badRequest("invalid_value", "query parameter '" + name + "' must be an integer from 1 to " +
                                                      std::to_string(max));
            return *n;
        };
        if (name == "limit") page.limit = static_cast<std::size_t>(number(static_cast<std::int64_t>(max_limit)));
        else if (name == "before") page.before = number(INT64_MAX);
        else throw badRequest("unknown_parameter", "unknown query parameter '" + name + "'; expected only: limit, before");
    }
    return page;
}

}  // namespace forgelink::service
