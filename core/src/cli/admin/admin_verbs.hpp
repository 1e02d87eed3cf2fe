// `forgelink admin`: one table of verbs drives parsing, --help, the request sent and how the
// answer is shown. Each resource's verbs live in their own file (teams_verbs.cpp, ...).
#pragma once

#include <functional>
#include <stdexcept>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

namespace forgelink::cli::admin {

namespace po = boost::program_options;

// One option of a verb, as --help shows it.
struct Option {
    std::string name;        // "team" for --team
    std::string value_name;  // "SLUG"; empty for a flag
    std::string description;
    bool required = false;
    bool integer = false;  // parsed as a number (a word is a usage error)
};

// The options a verb was given.
class Input {
public:
    explicit Input(const po::variables_map& values) : values_(values) {}
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    std::string text(const std::string& name) const;  // a required option (parsing already checked it)
    std::optional<std::string> optionalText(const std::string& name) const;
    std::optional<long long> number(const std::string& name) const;

private:
    const po::variables_map& values_;
};

// A command line that parses but asks for something impossible ("give exactly one of ..."): exit 2.
struct UsageProblem : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Input that cannot be read (an unreadable --token-file, an unset --token-env variable): exit 1.
struct InputProblem : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A column of a human table.
struct Column {
    std::string header;
    std::string field;  // a member name, or "a.b" for a nested one
};

// What to send.
struct ApiRequest {
    std::string method = "GET";
    std::string path;           // "/api/v1/teams/docs", percent-encoded
    nlohmann::json body;        // null: no body
    std::string done;           // the line a human sees when the answer has nothing to show (204)
};

// How a successful answer is shown to a person (--json prints the body itself).
using Render = std::function<void(const nlohmann::json& body, std::ostream& out)>;

struct Verb {
    std::string resource;  // "teams"
    std::string name;      // "list"
    std::string summary;   // one line
    std::vector<Option> options;
    std::string example;   // a complete command line that works against the README's setup
    std::function<ApiRequest(const Input&)> request;
    Render render;
    // Listing verbs of the forge (namespaces, repositories): --all follows next_cursor and
    // prints each page's items in these columns as it arrives.
    bool pages = false;
    std::vector<Column> columns{};
};

using VerbTable = std::vector<Verb>;

// Every verb, in help order.
const VerbTable& verbs();

void addTeamVerbs(VerbTable& table);      // teams, members
void addProviderVerbs(VerbTable& table);  // providers, namespaces, repositories
void addProjectVerbs(VerbTable& table);   // projects
void addBuildVerbs(VerbTable& table);     // builds
void addAccessVerbs(VerbTable& table);    // audit (access_verbs.cpp)
void addNoticeVerbs(VerbTable& table);    // notices, notifications

// ---- shared by the verb files -------------------------------------------------------------

std::string enc(const std::string& segment);  // one path segment, percent-encoded
// "?limit=N&before=ID" from --limit and --before when given; "" when neither is.
std::string pageQuery(const Input& in);
// A secret given as exactly one of --ENV_OPTION VAR and --FILE_OPTION PATH (never on the command
// line, where ps and shell history would show it), trimmed. UsageProblem / InputProblem naming
// `what` ("the token").
std::string readSecret(const Input& in, const std::string& env_option, const std::string& file_option,
                       const std::string& what);

// Human output: every value passes through common::escapeControls().
// A table of `items` (an array of objects); "(none)" when empty.
void printTable(std::ostream& out, const nlohmann::json& items, const std::vector<Column>& columns);
// Widths kept across calls, for listings printed page by page as they arrive.
class StreamingTable {
public:
    explicit StreamingTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
    void print(std::ostream& out, const nlohmann::json& items);
    bool empty() const { return rows_ == 0; }

private:
    std::vector<Column> columns_;
    std::vector<std::size_t> widths_;
    std::size_t rows_ = 0;
};
// "key: value" lines for one object, nested objects flattened ("repository.full_path").
void printObject(std::ostream& out, const nlohmann::json& object);
// A value as one line of text: null "-", strings as they are, arrays joined with ", ".
std::string cellText(const nlohmann::json& value);
// Renders the object under `key` of the answer.
Render objectUnder(const std::string& key);
// Renders the array under "items" as a table.
Render itemsTable(std::vector<Column> columns);

}  // namespace forgelink::cli::admin
