#include "sim_util.hpp"

#include <openssl/sha.h>

#include <cstdio>
#include <ctime>

#include "sim_http.hpp"

namespace forgelink::sim {

std::string isoTime(std::int64_t t, bool millis) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, millis ? "%Y-%m-%dT%H:%M:%S.000Z" : "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string httpDate(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

bool parseTime(const std::string& text, std::int64_t& out) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    char tail[32] = {0};
    if (text.size() == 10) {
        if (std::sscanf(text.c_str(), "%4d-%2d-%2d", &y, &mo, &d) != 3) return false;
    } else if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &y, &mo, &d, &h, &mi, &s, tail) < 6) {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    out = static_cast<std::int64_t>(timegm(&tm));
    return true;
}

std::string randomHex(std::mt19937_64& rng, std::size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += digits[rng() % 16];
    return s;
}

std::string randomAlnum(std::mt19937_64& rng, std::size_t n) {
    static const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += chars[rng() % 62];
    return s;
}

std::string base64Url(const unsigned char* data, std::size_t len) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    if (len - i == 1) {
        unsigned v = data[i] << 16;
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
    } else if (len - i == 2) {
        unsigned v = (data[i] << 16) | (data[i + 1] << 8);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
    }
    return out;
}

std::string sha256Base64Url(const std::string& input) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    return base64Url(digest, sizeof digest);
}

// ---------------------------------------------------------------- HTTP helpers

std::string percentDecode(const std::string& s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string percentEncode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> parseQuery(const std::string& q) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t pos = 0;
    while (pos <= q.size()) {
        std::size_t amp = q.find('&', pos);
        if (amp == std::string::npos) amp = q.size();
        std::string part = q.substr(pos, amp - pos);
        if (!part.empty()) {
            std::size_t eq = part.find('=');
            if (eq == std::string::npos) out.emplace_back(percentDecode(part, true), "");
            else out.emplace_back(percentDecode(part.substr(0, eq), true), percentDecode(part.substr(eq + 1), true));
        }
        pos = amp + 1;
    }
    return out;
}

std::vector<std::string> splitPath(const std::string& raw) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        std::size_t slash = raw.find('/', pos);
        if (slash == std::string::npos) slash = raw.size();
        if (slash > pos) out.push_back(percentDecode(raw.substr(pos, slash - pos), false));
        pos = slash + 1;
    }
    return out;
}

bool routeIs(const std::vector<std::string>& segs, std::size_t n, std::initializer_list<const char*> fixed) {
    if (segs.size() != n) return false;
    std::size_t i = 0;
    for (auto* f : fixed) {
        if (f && segs[i] != f) return false;
        ++i;
    }
    return true;
}

}  // namespace forgelink::sim
