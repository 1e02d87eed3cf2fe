#include "common/log.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <ctime>
#include <iostream>
#include <regex>

#include <nlohmann/json.hpp>

#include "common/strings.hpp"

namespace forgelink::common {

namespace {

constexpr const char* kMask = "[REDACTED]";

// Whether a rule can match at all, looked for before its regular expression runs: every log line
// of a request passes its method, route, status and duration through here, and most such values
// hold nothing a rule needs. The look costs next to nothing; the six expressions on every value
// cost the host a third of its throughput at the default level (README, Performance).
bool hasSeparator(std::string_view text) { return text.find_first_of(":=") != std::string_view::npos; }

bool mentionsBearer(std::string_view text) {
    constexpr std::string_view kWord = "bearer";
    for (std::size_t at = 0; at + kWord.size() <= text.size(); ++at) {
        if (iequals(text.substr(at, kWord.size()), kWord)) return true;
    }
    return false;
}

struct Rule {
    std::regex pattern;
    const char* replacement;
    bool (*can_match)(std::string_view);  // false: the pattern cannot match this text
};

// Ordered: whole header values first, so a "Bearer ..." inside an Authorization header is
// masked as one value, then the shapes that can appear anywhere in free text. Forge-neutral only:
// token prefixes come from the plugins (Redactor::addTokenPrefixes).
const std::vector<Rule>& rules() {
    static const auto flags = std::regex::ECMAScript | std::regex::icase | std::regex::optimize;
    static const std::vector<Rule> list = {
        // "Authorization: token x", "PRIVATE-TOKEN: x", JSON {"Cookie":"x"}: everything up to the end
        // of the line or the closing quote. Any header named "...-token" is a forge's secret
        // (private-token, job-token, a webhook's x-<forge>-token): no forge needs naming here.
        {std::regex(R"re(\b(authorization|proxy-authorization|[a-z0-9-]*-token|cookie|set-cookie|x-api-key)("?[ \t]*[:=][ \t]*"?)[^"\r\n]+)re",
                    flags),
         "$1$2[REDACTED]", hasSeparator},
        // Credentials in URLs: scheme://user:password@host
        {std::regex(R"re((://[^/\s:@]+:)[^@\s/]+@)re", flags), "$1[REDACTED]@", hasSeparator},
        // Query / form parameters. \b keeps "error_code=" and "status_code=" intact.
        {std::regex(R"re(\b(private_token|access_token|client_secret|refresh_token|id_token|code|password)=[^&\s"'#]+)re",
                    flags),
         "$1=[REDACTED]", hasSeparator},
        // JSON bodies of OAuth token answers and similar.
        {std::regex(R"re("(access_token|refresh_token|client_secret|private_token|id_token|password|token|secret)"(\s*:\s*)"[^"]*")re",
                    flags),
         "\"$1\"$2\"[REDACTED]\"", hasSeparator},
        {std::regex(R"re(\bBearer\s+[A-Za-z0-9\-._~+/]+=*)re", flags), "Bearer [REDACTED]", mentionsBearer},
    };
    return list;
}

bool isSecretField(std::string_view key) {
    static constexpr std::array<std::string_view, 9> kNames = {
        "token",        "password",      "secret",       "client_secret", "access_token",
        "refresh_token", "private_token", "id_token",     "cookie"};
    if (isSecretHeader(key)) return true;
    for (auto name : kNames) {
        if (iequals(key, name)) return true;
    }
    return false;
}

// A text-format value: as is when it is one plain word, else a JSON string (quotes, escapes), so
// a line stays one line and a value's end is never ambiguous.
std::string textValue(const std::string& value) {
    bool plain = !value.empty();
    for (unsigned char c : value) {
        if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c >= 0x7f) {
            plain = false;
            break;
        }
    }
    if (plain) return value;
    return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The text format's message: control characters (a forge's text may carry them) escaped.
std::string textMessage(const std::string& message) {
    std::string out;
    for (unsigned char c : message) {
        if (c < ' ' || c == 0x7f) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::mutex& writeMutex() {
    // One for every sink: two sinks may share a stream (stderr).
    static std::mutex mutex;
    return mutex;
}

std::string utcTimestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buffer[40];
    const auto n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), buffer, static_cast<int>(millis));
    return out;
}

}  // namespace

struct Redactor::TokenRule {
    std::regex pattern;
    std::vector<std::string> prefixes;  // the pattern matches only text holding one of them
};

Redactor& Redactor::global() {
    static Redactor redactor;
    return redactor;
}

std::string Redactor::redact(std::string_view text) const {
    std::string out(text);
    for (const auto& rule : rules()) {
        if (rule.can_match(out)) out = std::regex_replace(out, rule.pattern, rule.replacement);
    }
    std::shared_ptr<const TokenRule> token_rule;
    {
        std::lock_guard lock(mutex_);
        token_rule = token_rule_;
    }
    if (token_rule && std::any_of(token_rule->prefixes.begin(), token_rule->prefixes.end(), [&](const std::string& prefix) {
            return out.find(prefix) != std::string::npos;
        }))
        out = std::regex_replace(out, token_rule->pattern, "$1[REDACTED]");
    return out;
}

void Redactor::addTokenPrefixes(const std::vector<std::string>& prefixes) {
    std::lock_guard lock(mutex_);
    bool added = false;
    for (const auto& prefix : prefixes) {
        if (prefix.empty() || std::find(prefixes_.begin(), prefixes_.end(), prefix) != prefixes_.end()) continue;
        prefixes_.push_back(prefix);
        added = true;
    }
    if (!added) return;
    std::sort(prefixes_.begin(), prefixes_.end());
    // Longest first: of "myf_" and "myf_pat_" the longer one names the token.
    std::vector<std::string> ordered = prefixes_;
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    std::string alternatives;
    for (const auto& prefix : ordered) {
        if (!alternatives.empty()) alternatives += '|';
        for (char c : prefix) {
            // The plugin loader admits only [A-Za-z0-9_-]; escape anything else all the same.
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') alternatives += '\\';
            alternatives += c;
        }
    }
    // A prefix inside a longer word ("myglpat-...") is not a token start: only at a word start.
    token_rule_ = std::make_shared<const TokenRule>(
        TokenRule{std::regex("\\b(" + alternatives + ")[A-Za-z0-9_.\\-]{6,}",
                             std::regex::ECMAScript | std::regex::optimize),
                  prefixes_});
}

std::vector<std::string> Redactor::tokenPrefixes() const {
    std::lock_guard lock(mutex_);
    return prefixes_;
}

std::string redact(std::string_view text) { return Redactor::global().redact(text); }

bool isSecretHeader(std::string_view name) {
    static constexpr std::array<std::string_view, 5> kNames = {"authorization", "proxy-authorization", "cookie",
                                                               "set-cookie", "x-api-key"};
    for (auto secret : kNames) {
        if (iequals(name, secret)) return true;
    }
    // private-token, job-token, deploy-token, a forge's webhook x-<forge>-token, ...
    constexpr std::string_view kTokenSuffix = "-token";
    return name.size() > kTokenSuffix.size() && iequals(name.substr(name.size() - kTokenSuffix.size()), kTokenSuffix);
}

std::optional<LogFormat> parseLogFormat(std::string_view text) {
    if (text == "json") return LogFormat::json;
    if (text == "text") return LogFormat::text;
    return std::nullopt;
}

std::optional<LogLevel> parseLogLevelName(std::string_view text) {
    for (auto level : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error})
        if (text == logLevelName(level)) return level;
    return std::nullopt;
}

std::string_view logLevelName(LogLevel level) {
    switch (level) {
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warn: return "warn";
        case LogLevel::error: return "error";
    }
    return "info";
}

void LogSink::writeLine(std::string_view line) {
    std::lock_guard lock(writeMutex());
    *out_ << line << '\n';
    out_->flush();
}

JsonLogger::JsonLogger(std::string component, std::ostream* out, LogLevel min_level)
    : component_(std::move(component)),
      sink_(std::make_shared<LogSink>(out ? *out : std::cerr, LogFormat::json, min_level)) {}

JsonLogger::JsonLogger(std::string component, std::shared_ptr<LogSink> sink)
    : component_(std::move(component)), sink_(std::move(sink)) {}

void JsonLogger::log(LogLevel level, std::string_view message) { log(level, message, {}); }

void JsonLogger::log(LogLevel level, std::string_view message, const std::map<std::string, std::string>& fields) {
    if (!sink_->enabled(level)) return;
    const std::string timestamp = utcTimestamp();
    if (sink_->format() == LogFormat::text) {
        std::string text = timestamp;
        text += ' ';
        const auto name = logLevelName(level);
        text += name;
        text.append(6 - name.size(), ' ');
        text += component_;
        text += ": ";
        text += textMessage(redact(message));
        for (const auto& [key, value] : fields) {
            text += ' ';
            text += textMessage(key);
            text += '=';
            text += isSecretField(key) ? std::string(kMask) : textValue(redact(value));
        }
        sink_->writeLine(text);
        return;
    }
    nlohmann::json line = {
        {"ts", timestamp},
        {"level", logLevelName(level)},
        {"component", component_},
        {"msg", redact(message)},
    };
    for (const auto& [key, value] : fields) {
        // A field never overwrites the fixed keys a log reader relies on.
        const std::string name = line.contains(key) ? "field_" + key : key;
        line[name] = isSecretField(key) ? std::string(kMask) : redact(value);
    }
    // Invalid UTF-8 from the outside must not turn a log call into an exception.
    sink_->writeLine(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace forgelink::common
