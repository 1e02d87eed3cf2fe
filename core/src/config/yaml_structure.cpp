#include "config/yaml_structure.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/mark.h>

#include <map>
#include <sstream>
#include <vector>

namespace forgelink::config {

namespace {

// Thrown by the handler to stop the parser at the first problem.
struct Stop {};

class StructureScanner final : public YAML::EventHandler {
public:
    explicit StructureScanner(std::uint64_t max_nodes) : max_nodes_(max_nodes) {}

    std::optional<YamlStructureProblem> problem;

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (documents_++ > 0) {
            fail(mark, "a second YAML document starts here; the configuration is one document (remove the '---' "
                       "line and what follows, or merge it into the first)");
        }
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
        leaf(mark, anchor);
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        const std::string name = "*" + nameOf(anchor);
        for (const auto& open : open_) {
            if (open.anchor == anchor) {
                fail(mark, "the alias '" + name + "' refers to a node that contains it (a recursive alias); "
                           "an alias must refer to a node that is complete before it");
            }
        }
        const auto size = sizes_.find(anchor);
        add(mark, size == sizes_.end() ? 1 : size->second, name);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, anchor);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, anchor);
    }
    void OnMapEnd() override { close(); }

    void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_name_ = name; }

private:
    struct Open {
        YAML::anchor_t anchor;
        std::uint64_t count_before;
    };

    std::string nameOf(YAML::anchor_t anchor) const {
        const auto it = names_.find(anchor);
        return it == names_.end() ? std::to_string(anchor) : it->second;
    }

    void name(YAML::anchor_t anchor) {
        if (anchor != YAML::NullAnchor) names_[anchor] = pending_name_;
        pending_name_.clear();
    }

    void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
        name(anchor);
        add(mark, 1, "");
        if (anchor != YAML::NullAnchor) sizes_[anchor] = 1;
    }

    void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
        name(anchor);
        add(mark, 1, "");
        open_.push_back({anchor, count_ - 1});
    }

    void close() {
        const Open done = open_.back();
        open_.pop_back();
        if (done.anchor != YAML::NullAnchor) sizes_[done.anchor] = count_ - done.count_before;
    }

    // Counts `nodes` more nodes; the counts stay below 2 * max_nodes, so they never overflow.
    void add(const YAML::Mark& mark, std::uint64_t nodes, const std::string& alias) {
        count_ += nodes;
        if (count_ <= max_nodes_) return;
        std::string message = "the document expands to more than " + std::to_string(max_nodes_) + " nodes";
        if (!alias.empty()) message += " once the alias '" + alias + "' is expanded (nested aliases multiply)";
        fail(mark, message + "; a configuration needs far fewer");
    }

    [[noreturn]] void fail(const YAML::Mark& mark, std::string message) {
        problem = YamlStructureProblem{mark.line < 0 ? 1 : mark.line + 1, mark.column < 0 ? 1 : mark.column + 1,
                                       std::move(message)};
        throw Stop{};
    }

    std::uint64_t max_nodes_;
    std::uint64_t count_ = 0;
    int documents_ = 0;
    std::vector<Open> open_;
    std::map<YAML::anchor_t, std::uint64_t> sizes_;
    std::map<YAML::anchor_t, std::string> names_;
    std::string pending_name_;
};

}  // namespace

std::optional<YamlStructureProblem> checkYamlStructure(const std::string& text, std::uint64_t max_nodes) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    StructureScanner scanner(max_nodes);
    try {
        // The first document, then whether a second one starts (the scanner stops there).
        if (parser.HandleNextDocument(scanner)) parser.HandleNextDocument(scanner);
    } catch (const Stop&) {
    }
    return scanner.problem;
}

}  // namespace forgelink::config
