#include "config/postgres_url.hpp"

#include <libpq-fe.h>

#include <memory>
#include <set>

namespace forgelink::config {

namespace {

using Options = std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)>;

// libpq's option names ("host", "sslmode", ...): the only words of its messages worth repeating.
const std::set<std::string>& optionNames() {
    static const std::set<std::string> names = [] {
        std::set<std::string> out;
        Options defaults(PQconndefaults(), &PQconninfoFree);
        for (auto* o = defaults.get(); o != nullptr && o->keyword != nullptr; ++o) out.insert(o->keyword);
        return out;
    }();
    return names;
}

// libpq quotes the word it stumbled on, which may be a value (a password written without
// "password="): keep quoted words that are option names or punctuation, mask the others.
std::string withoutValues(std::string message) {
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    std::string out;
    std::size_t i = 0;
    while (i < message.size()) {
        const auto open = message.find('"', i);
        const auto close = open == std::string::npos ? open : message.find('"', open + 1);
        if (close == std::string::npos) {
            out += message.substr(i);
            break;
        }
        const std::string word = message.substr(open + 1, close - open - 1);
        // A single character is libpq's own punctuation ("missing "=" after ...").
        const bool harmless = word.size() <= 1 || optionNames().count(word) != 0;
        out += message.substr(i, open - i) + "\"" + (harmless ? word : "...") + "\"";
        i = close + 1;
    }
    return out;
}

}  // namespace

std::string postgresUrlProblem(const std::string& url) {
    char* raw_error = nullptr;
    Options options(PQconninfoParse(url.c_str(), &raw_error), &PQconninfoFree);
    if (!options) {
        std::string message = raw_error != nullptr ? withoutValues(raw_error) : "out of memory";
        if (raw_error != nullptr) PQfreemem(raw_error);
        return "not a libpq connection string or URI (" + message +
               "); expected key=value pairs like \"host=127.0.0.1 port=5432 user=forgelink dbname=forgelink\" "
               "or a URI like postgresql://forgelink@127.0.0.1:5432/forgelink";
    }
    for (auto* o = options.get(); o->keyword != nullptr; ++o) {
        if (o->val != nullptr && std::string(o->keyword) == "password")
            return "a password in the connection string is refused: it would be logged and shown; remove it and "
                   "set store.password_env or store.password_file";
    }
    return "";
}

}  // namespace forgelink::config
