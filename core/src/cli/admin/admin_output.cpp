// Human output of `forgelink admin`: tables and "key: value" lines, terminal-safe.
#include <algorithm>
#include <cstdlib>

#include <forgelink/support/http_text.hpp>

#include "cli/admin/admin_verbs.hpp"
#include "cli/command_line.hpp"
#include "common/strings.hpp"

namespace forgelink::cli::admin {

std::string Input::text(const std::string& name) const { return values_[name].as<std::string>(); }

std::optional<std::string> Input::optionalText(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return values_[name].as<std::string>();
}

std::optional<long long> Input::number(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    return values_[name].as<long long>();
}

std::string enc(const std::string& segment) { return support::urlEncode(segment); }

std::string pageQuery(const Input& in) {
    std::string query;
    for (const char* name : {"limit", "before"})
        if (auto value = in.number(name)) query += (query.empty() ? "?" : "&") + std::string(name) + "=" + std::to_string(*value);
    return query;
}

std::string readSecret(const Input& in, const std::string& env_option, const std::string& file_option,
                       const std::string& what) {
    if (in.has(env_option) == in.has(file_option))
        throw UsageProblem("give exactly one of --" + env_option + " VAR and --" + file_option + " PATH");
    std::string secret;
    if (auto var = in.optionalText(env_option)) {
        const char* value = std::getenv(var->c_str());
        if (value == nullptr) throw InputProblem("environment variable " + *var + " is not set");
        secret = value;
    } else {
        try {
            secret = readFile(in.text(file_option));
        } catch (const std::runtime_error& e) {
            throw InputProblem(e.what());
        }
    }
    secret = std::string(support::trimSpace(secret));
    if (secret.empty()) throw InputProblem(what + " is empty");
    return secret;
}

namespace {

// Characters as a terminal shows them (UTF-8 continuation bytes take no column).
std::size_t displayWidth(const std::string& text) {
    std::size_t width = 0;
    for (unsigned char c : text) width += (c & 0xc0) != 0x80;
    return width;
}

const nlohmann::json* field(const nlohmann::json& object, const std::string& path) {
    const nlohmann::json* at = &object;
    for (const auto& part : common::split(path, '.')) {
        if (!at->is_object()) return nullptr;
        auto it = at->find(part);
        if (it == at->end()) return nullptr;
        at = &*it;
    }
    return at;
}

std::vector<std::vector<std::string>> cells(const nlohmann::json& items, const std::vector<Column>& columns) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : items) {
        std::vector<std::string> row;
        for (const auto& column : columns) {
            const auto* value = field(item, column.field);
            row.push_back(common::escapeControls(value == nullptr ? "-" : cellText(*value)));
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

void printRow(std::ostream& out, const std::vector<std::string>& row, const std::vector<std::size_t>& widths) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(widths[i] - displayWidth(row[i]) + 2, ' ');
    }
    out << line << "\n";
}

void flatten(const nlohmann::json& object, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& lines) {
    for (const auto& [key, value] : object.items()) {
        const std::string name = prefix + key;
        if (value.is_object() && !value.empty()) flatten(value, name + ".", lines);
        else lines.emplace_back(name, cellText(value));
    }
}

}  // namespace

std::string cellText(const nlohmann::json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
    if (value.is_array()) {
        if (value.empty()) return "-";
        std::string out;
        for (const auto& item : value) {
            // Warnings and the like: their message says it all.
            std::string one = item.is_object() && item.contains("message") && item["message"].is_string()
                                  ? (item.contains("code") ? cellText(item["code"]) + ": " : std::string()) +
                                        item["message"].get<std::string>()
                                  : cellText(item);
            out += (out.empty() ? "" : ", ") + one;
        }
        return out;
    }
    if (value.is_object() && value.empty()) return "-";
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void printTable(std::ostream& out, const nlohmann::json& items, const std::vector<Column>& columns) {
    if (!items.is_array() || items.empty()) {
        out << "(none)\n";
        return;
    }
    StreamingTable table(columns);
    table.print(out, items);
}

void StreamingTable::print(std::ostream& out, const nlohmann::json& items) {
    if (!items.is_array() || items.empty()) return;
    const auto rows = cells(items, columns_);
    const bool first = widths_.empty();
    if (first)
        for (const auto& column : columns_) widths_.push_back(displayWidth(column.header));
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) widths_[i] = std::max(widths_[i], displayWidth(row[i]));
    if (first) {
        std::vector<std::string> header;
        for (const auto& column : columns_) header.push_back(column.header);
        printRow(out, header, widths_);
    }
    for (const auto& row : rows) printRow(out, row, widths_);
    rows_ += rows.size();
    out.flush();
}

void printObject(std::ostream& out, const nlohmann::json& object) {
    std::vector<std::pair<std::string, std::string>> lines;
    flatten(object, "", lines);
    std::size_t width = 0;
    for (const auto& [name, value] : lines) width = std::max(width, displayWidth(name));
    for (const auto& [name, value] : lines)
        out << common::escapeControls(name) << ":" << std::string(width - displayWidth(name) + 1, ' ') << common::escapeControls(value)
            << "\n";
}

Render objectUnder(const std::string& key) {
    return [key](const nlohmann::json& body, std::ostream& out) {
        if (body.contains(key)) printObject(out, body[key]);
        else printObject(out, body);
    };
}

Render itemsTable(std::vector<Column> columns) {
    return [columns](const nlohmann::json& body, std::ostream& out) { printTable(out, body["items"], columns); };
}

}  // namespace forgelink::cli::admin
