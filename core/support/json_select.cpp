// A recursive-descent JSON reader that checks every byte and builds only what a selection keeps.
// Parity with nlohmann::json::parse is the contract (tests/sdk/json_select_test.cpp compares the
// two on the recorded forge answers and on thousands of corrupted variants of them); the one
// deliberate difference is a nesting limit, so hostile input cannot exhaust the stack.
#include "forgelink/support/json_select.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <locale.h>

namespace forgelink::support {

JsonSelection JsonSelection::members(std::vector<Member> members) {
    JsonSelection s;
    s.keep_all_ = false;
    s.members_ = std::move(members);
    return s;
}

const JsonSelection* JsonSelection::member(std::string_view name) const noexcept {
    // A plugin selects a dozen members of objects with a hundred: most names differ in length,
    // which is checked before any byte.
    for (const auto& m : members_) {
        if (m.name.size() == name.size() && std::string_view(m.name) == name) return &m.selection;
    }
    return nullptr;
}

namespace {

// Deeper than any forge answer; shallow enough for the default thread stack.
constexpr int kMaxDepth = 512;

struct Failure {
    std::size_t offset;
    std::string what;
};

// strtod in the "C" locale: the fallback for numbers from_chars reports out of range, where
// nlohmann keeps strtod's answer (an underflow becomes 0 or a subnormal, an overflow is refused).
double strtodC(const std::string& text) {
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    return strtod_l(text.c_str(), nullptr, c_locale);
}

class Reader {
public:
    Reader(std::string_view text) : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

    nlohmann::json document(const JsonSelection& selection) {
        // nlohmann skips a UTF-8 byte order mark at the start, and so do we.
        if (end_ - p_ >= 3 && static_cast<unsigned char>(p_[0]) == 0xEF && static_cast<unsigned char>(p_[1]) == 0xBB &&
            static_cast<unsigned char>(p_[2]) == 0xBF) {
            p_ += 3;
        }
        nlohmann::json out;
        skipSpace();
        value<true>(&selection, &out, 0);
        skipSpace();
        if (p_ != end_) fail("expected the end of the text after the value, found " + found());
        return out;
    }

private:
    [[noreturn]] void fail(std::string what) const {
        throw Failure{static_cast<std::size_t>(p_ - begin_), std::move(what)};
    }

    std::string found() const {
        if (p_ == end_) return "the end of the text";
        const unsigned char c = static_cast<unsigned char>(*p_);
        if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
        static const char* hex = "0123456789abcdef";
        return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
    }

    void skipSpace() noexcept {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    bool consume(char c) noexcept {
        if (p_ == end_ || *p_ != c) return false;
        ++p_;
        return true;
    }

    // After a member or an element: true past a ',' (another one follows), false past `close`.
    bool another(char close, const char* expected) {
        skipSpace();
        if (consume(',')) {
            skipSpace();
            return true;
        }
        if (consume(close)) return false;
        fail(expected + found());
    }

    void literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
            fail("expected a value (\"" + std::string(word) + "\"?), found " + found());
        }
        p_ += word.size();
    }

    // A value. With Build, built into *out as far as *selection keeps it; without, only checked
    // (as strictly: a member nobody reads is still refused when it is not JSON).
    template <bool Build>
    void value(const JsonSelection* selection, nlohmann::json* out, int depth) {
        if (p_ == end_) fail("expected a value, found the end of the text");
        switch (*p_) {
            case '{': {
                if (++depth > kMaxDepth) fail("nesting deeper than 512 levels");
                ++p_;
                if constexpr (Build) *out = nlohmann::json::object();
                skipSpace();
                if (consume('}')) return;
                std::string decoded;
                while (true) {
                    if (p_ == end_ || *p_ != '"') fail("expected a member name in double quotes, found " + found());
                    // Member names rarely hold escapes: then the name is read in place, not copied.
                    const char* name_start = p_ + 1;
                    const bool escaped = string<false>(nullptr);
                    std::string_view key(name_start, static_cast<std::size_t>(p_ - 1 - name_start));
                    if (Build && escaped) {
                        decoded.clear();
                        const char* after = p_;
                        p_ = name_start - 1;
                        string<true>(&decoded);
                        p_ = after;
                        key = decoded;
                    }
                    skipSpace();
                    if (p_ == end_ || *p_ != ':') fail("expected ':' after a member name, found " + found());
                    ++p_;
                    skipSpace();
                    const JsonSelection* sub = nullptr;
                    if constexpr (Build) sub = selection->keepsAll() ? selection : selection->member(key);
                    if (sub != nullptr) {
                        value<true>(sub, &(*out)[std::string(key)], depth);
                    } else {
                        value<false>(nullptr, nullptr, depth);
                    }
                    if (!another('}', "expected ',' or '}' after an object member, found ")) return;
                }
            }
            case '[': {
                if (++depth > kMaxDepth) fail("nesting deeper than 512 levels");
                ++p_;
                if constexpr (Build) *out = nlohmann::json::array();
                skipSpace();
                if (consume(']')) return;
                while (true) {
                    if constexpr (Build) {
                        out->push_back(nlohmann::json());
                        value<true>(selection, &out->back(), depth);
                    } else {
                        value<false>(nullptr, nullptr, depth);
                    }
                    if (!another(']', "expected ',' or ']' after an array element, found ")) return;
                }
            }
            case '"':
                if constexpr (Build) {
                    std::string text;
                    string<true>(&text);
                    *out = std::move(text);
                } else {
                    string<false>(nullptr);
                }
                return;
            case 't':
                literal("true");
                if constexpr (Build) *out = true;
                return;
            case 'f':
                literal("false");
                if constexpr (Build) *out = false;
                return;
            case 'n':
                literal("null");
                if constexpr (Build) *out = nullptr;
                return;
            default:
                number(Build ? out : nullptr);
                return;
        }
    }

    unsigned hex4() {
        if (end_ - p_ < 4) fail("expected four hex digits after \\u, found the end of the text");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i, ++p_) {
            const char c = *p_;
            v <<= 4;
            if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
            else fail("expected four hex digits after \\u, found " + found());
        }
        return v;
    }

    static void appendUtf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    // One well-formed UTF-8 sequence of two to four bytes (RFC 3629: no overlong forms, no
    // surrogates, nothing above U+10FFFF), starting at a byte >= 0x80.
    void utf8Sequence() {
        const auto byte = [&](std::ptrdiff_t i) -> unsigned {
            return p_ + i < end_ ? static_cast<unsigned char>(p_[i]) : 0u;
        };
        const unsigned lead = byte(0);
        unsigned lo = 0x80, hi = 0xBF;
        int length = 0;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) lo = 0xA0;
            if (lead == 0xED) hi = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) lo = 0x90;
            if (lead == 0xF4) hi = 0x8F;
        } else {
            fail("invalid UTF-8 in a string (" + found() + ")");
        }
        const unsigned second = byte(1);
        if (second < lo || second > hi) {
            ++p_;
            fail("invalid UTF-8 in a string (" + found() + " cannot continue the sequence)");
        }
        for (int i = 2; i < length; ++i) {
            const unsigned next = byte(i);
            if (next < 0x80 || next > 0xBF) {
                p_ += i;
                fail("invalid UTF-8 in a string (" + found() + " cannot continue the sequence)");
            }
        }
        p_ += length;
    }

    // Printable ASCII other than '"' and '\\': the bytes a string holds as they are.
    static bool plain(unsigned char c) noexcept { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

    // Past the plain bytes at p_, eight at a time while a word holds none of the others (most of
    // a forge's answer is URLs and names: this loop is where the reading time goes).
    void skipPlain() noexcept {
        constexpr std::uint64_t ones = 0x0101010101010101ull;
        constexpr std::uint64_t highs = 0x8080808080808080ull;
        const auto hasZeroByte = [&](std::uint64_t v) { return (v - ones) & ~v & highs; };
        while (end_ - p_ >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p_, 8);
            // A byte below 0x20, a '"', a '\\' or a byte >= 0x80 stops the word-wise loop.
            const std::uint64_t stop = ((w - ones * 0x20) & ~w & highs) | hasZeroByte(w ^ (ones * '"')) |
                                       hasZeroByte(w ^ (ones * '\\')) | (w & highs);
            if (stop != 0) break;
            p_ += 8;
        }
        while (p_ != end_ && plain(static_cast<unsigned char>(*p_))) ++p_;
    }

    // A string at p_ (on its opening quote); appended to *out when Keep. True when it held an
    // escape.
    template <bool Keep>
    bool string(std::string* out) {
        ++p_;
        const char* run = p_;  // the stretch copied as is
        bool escaped = false;
        while (true) {
            skipPlain();
            if (p_ == end_) fail("expected '\"' to close the string, found the end of the text");
            const unsigned char c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                if constexpr (Keep) out->append(run, p_);
                ++p_;
                return escaped;
            }
            if (c >= 0x80) {
                utf8Sequence();
                continue;
            }
            if (c < 0x20) fail("a control character must be escaped in a string (" + found() + ")");
            // A backslash escape.
            escaped = true;
            if constexpr (Keep) out->append(run, p_);
            ++p_;
            if (p_ == end_) fail("expected an escape after '\\', found the end of the text");
            const char e = *p_;
            char plain = 0;
            switch (e) {
                case '"': plain = '"'; break;
                case '\\': plain = '\\'; break;
                case '/': plain = '/'; break;
                case 'b': plain = '\b'; break;
                case 'f': plain = '\f'; break;
                case 'n': plain = '\n'; break;
                case 'r': plain = '\r'; break;
                case 't': plain = '\t'; break;
                case 'u': break;
                default: fail("invalid escape in a string: '\\" + std::string(1, e) + "'");
            }
            ++p_;
            if (e != 'u') {
                if constexpr (Keep) out->push_back(plain);
                run = p_;
                continue;
            }
            unsigned cp = hex4();
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail("a \\u escape of a low surrogate (U+DC00..U+DFFF) must follow a high one");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
                    fail("a \\u escape of a high surrogate (U+D800..U+DBFF) must be followed by a low one");
                }
                p_ += 2;
                const unsigned low = hex4();
                if (low < 0xDC00 || low > 0xDFFF) {
                    fail("a \\u escape of a high surrogate (U+D800..U+DBFF) must be followed by a low one");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            if constexpr (Keep) appendUtf8(*out, cp);
            run = p_;
        }
    }

    // A number at p_; stored in *out when out is not null. Integers that fit stay integers
    // (unsigned when not negative, as nlohmann stores them); the rest become doubles.
    void number(nlohmann::json* out) {
        const char* start = p_;
        const bool negative = *p_ == '-';
        if (negative) ++p_;
        const auto digit = [&] { return p_ != end_ && *p_ >= '0' && *p_ <= '9'; };
        if (!digit()) {
            fail(negative ? "expected a digit after '-', found " + found() : "expected a value, found " + found());
        }
        if (*p_ == '0') {
            ++p_;
        } else {
            while (digit()) ++p_;
        }
        bool integer = true;
        if (p_ != end_ && *p_ == '.') {
            integer = false;
            ++p_;
            if (!digit()) fail("expected a digit after '.' in a number, found " + found());
            while (digit()) ++p_;
        }
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            integer = false;
            ++p_;
            if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (!digit()) fail("expected a digit in the exponent of a number, found " + found());
            while (digit()) ++p_;
        }
        // Up to 19 digits always fit a 64-bit integer; longer ones may even overflow a double.
        if (out == nullptr && integer && p_ - start <= 20) return;
        if (integer) {
            if (negative) {
                std::int64_t v = 0;
                if (std::from_chars(start, p_, v).ec == std::errc()) {
                    *out = v;
                    return;
                }
            } else {
                std::uint64_t v = 0;
                if (std::from_chars(start, p_, v).ec == std::errc()) {
                    *out = v;
                    return;
                }
            }
        }
        double v = 0;
        auto [ptr, ec] = std::from_chars(start, p_, v);
        if (ec != std::errc() || ptr != p_) v = strtodC(std::string(start, p_));
        if (!std::isfinite(v)) {
            const char* end = p_;
            p_ = start;
            fail("number overflow: " + std::string(start, end) + " is beyond the range of a double");
        }
        if (out != nullptr) *out = v;
    }

    const char* begin_;
    const char* p_;
    const char* end_;
};

}  // namespace

Result<nlohmann::json> parseSelected(std::string_view text, const JsonSelection& selection) {
    try {
        Reader reader(text);
        return reader.document(selection);
    } catch (const Failure& f) {
        return makeError(ErrorKind::invalid_input, "invalid JSON at byte " + std::to_string(f.offset) + ": " + f.what,
                         "invalid_json");
    } catch (const std::exception& e) {
        // nlohmann refusing to build a value (out of memory is the only known case).
        return makeError(ErrorKind::internal, std::string("reading JSON failed: ") + e.what(), "invalid_json");
    }
}

}  // namespace forgelink::support
