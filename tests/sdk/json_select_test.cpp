// support::parseSelected against nlohmann::json::parse: the same documents, the same refusals.
// The corpus is every recorded forge answer in ../shared/fixtures plus hand-written edge cases;
// each is also corrupted thousands of ways (bytes replaced, dropped, inserted, cut) and both
// parsers must agree on every variant: accepted with the same value, or both refused.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "forgelink/support/json_select.hpp"

namespace forgelink::support {
namespace {

using nlohmann::json;

std::vector<std::string> corpus() {
    std::vector<std::string> docs = {
        R"({"a":1,"b":[true,false,null],"c":{"d":"e\u00e9\ud83d\ude00\n\t\"\\\/"}})",
        R"([1,-1,0,-0,1.5,-2.25e-3,1E+2,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809])",
        R"("just a string")",
        "  \r\n\t{ \"spaced\" : [ 1 , 2 ] }\n",
        "\xEF\xBB\xBF{\"bom\":true}",
        R"({"dup":1,"dup":2})",
        "{\"utf8\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF\"}",
        R"({"deep":[[[[[[{"x":[{"y":{}}]}]]]]]]})",
        "1e-400",
        "[]",
        "{}",
    };
    const char* dir = FORGELINK_SHARED_FIXTURES;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        docs.push_back(text.str());
    }
    return docs;
}

// Same verdict and, when accepted, the same value (compared by text: equal doubles print alike,
// and the integer kinds must match as nlohmann stores them).
void expectSameAsNlohmann(const std::string& text, const std::string& what) {
    const json reference = json::parse(text, nullptr, false);
    auto ours = parseSelected(text, JsonSelection::all());
    if (reference.is_discarded()) {
        EXPECT_FALSE(ours.ok()) << what << ": nlohmann refuses it, parseSelected accepted " << ours->dump().substr(0, 200);
        if (!ours.ok()) {
            EXPECT_EQ(ours.error().code, "invalid_json") << what;
            EXPECT_NE(ours.error().message.find("invalid JSON at byte "), std::string::npos) << what;
        }
        return;
    }
    ASSERT_TRUE(ours.ok()) << what << ": nlohmann accepts it, parseSelected says " << ours.error().message;
    EXPECT_EQ(ours->dump(), reference.dump()) << what;
    EXPECT_EQ(ours.value(), reference) << what;
}

TEST(JsonSelect, KeepingEverythingEqualsAFullParseOnEveryRecordedAnswer) {
    const auto docs = corpus();
    ASSERT_GT(docs.size(), 30u) << "the recorded fixtures were not found under " << FORGELINK_SHARED_FIXTURES;
    for (std::size_t i = 0; i < docs.size(); ++i) expectSameAsNlohmann(docs[i], "document " + std::to_string(i));
}

TEST(JsonSelect, RefusesWhatAFullParseRefuses) {
    const std::vector<std::string> bad = {
        "", " ", "{", "[", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]", "[1.]", "[.5]", "[1e]", "[-]",
        "[+1]", "[1e400]", "[-1e400]", "[1" + std::string(400, '0') + "]", "[NaN]", "[Infinity]", "[tru]",
        "[nul]", "[falsey]", "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"\\uZZZZ\"",
        "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"tab\tinside\"", std::string("\"nul\0\"", 6),
        "\"\xC0\x80\"", "\"\xC3\"", "\"\xE0\x80\x80\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"",
        "\"\x80\"", "[1] [2]", "{} x", "[1,2", "\xEF\xBB[]", "[\"a\" \"b\"]", "{\"a\":1 \"b\":2}",
    };
    for (const auto& text : bad) {
        ASSERT_TRUE(json::parse(text, nullptr, false).is_discarded()) << "not invalid for nlohmann: " << text;
        auto ours = parseSelected(text, JsonSelection::all());
        EXPECT_FALSE(ours.ok()) << "accepted: " << text;
        // Refused in a skipped member too: nothing is trusted unread.
        auto nested = parseSelected("{\"skipped\":" + text + ",\"kept\":1}", JsonSelection::members({{"kept"}}));
        EXPECT_FALSE(nested.ok()) << "accepted when skipped: " << text;
    }
}

TEST(JsonSelect, AgreesWithAFullParseOnCorruptedAnswers) {
    const auto docs = corpus();
    std::mt19937 rng(20261125);
    const std::string alphabet = "{}[]\":,\\/ntfrue0123456789.-+eE\xC3\xA9\x80\xF0\x9F \t\nabu";
    int accepted = 0, refused = 0;
    for (const auto& doc : docs) {
        if (doc.size() < 2) continue;
        for (int round = 0; round < 150; ++round) {
            std::string text = doc;
            const int edits = 1 + static_cast<int>(rng() % 3);
            for (int e = 0; e < edits && !text.empty(); ++e) {
                const std::size_t at = rng() % text.size();
                switch (rng() % 4) {
                    case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
                    case 1: text.erase(at, 1); break;
                    case 2: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), alphabet[rng() % alphabet.size()]); break;
                    default: text.resize(at); break;
                }
            }
            const bool valid = !json::parse(text, nullptr, false).is_discarded();
            (valid ? accepted : refused)++;
            expectSameAsNlohmann(text, "a corrupted variant");
            if (testing::Test::HasFailure()) {
                ADD_FAILURE() << "first disagreement on: " << text.substr(0, 400);
                return;
            }
        }
    }
    // The variants exercise both sides of the contract.
    EXPECT_GT(accepted, 100);
    EXPECT_GT(refused, 1000);
}

TEST(JsonSelect, KeepsOnlyTheSelectedMembersOfEachElement) {
    const std::string page = R"([
        {"id": 1, "name": "one", "_links": {"self": "x"}, "namespace": {"full_path": "g", "id": 9},
         "permissions": {"project_access": {"access_level": 30, "notification_level": 3}, "group_access": null},
         "tag_list": ["a", "b"]},
        {"id": 2, "name": "two", "namespace": "not an object", "extra": [1, {"deep": true}]}
    ])";
    const auto selection = JsonSelection::members({
        {"id"},
        {"namespace", JsonSelection::members({{"full_path"}})},
        {"permissions"},
    });
    auto kept = parseSelected(page, selection);
    ASSERT_TRUE(kept.ok()) << kept.error().message;
    const json expected = json::parse(R"([
        {"id": 1, "namespace": {"full_path": "g"},
         "permissions": {"project_access": {"access_level": 30, "notification_level": 3}, "group_access": null}},
        {"id": 2, "namespace": "not an object"}
    ])");
    EXPECT_EQ(kept.value(), expected);
}

TEST(JsonSelect, SaysWhereAndWhatWasExpected) {
    auto r = parseSelected("[{\"id\": 1}, {\"id\" 2}]", JsonSelection::members({{"id"}}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(r.error().message, "invalid JSON at byte 18: expected ':' after a member name, found '2'");

    r = parseSelected("{\"a\": [1, 2", JsonSelection::all());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "invalid JSON at byte 11: expected ',' or ']' after an array element, found the end of the text");
}

TEST(JsonSelect, RefusesNestingBeyondItsLimitInsteadOfExhaustingTheStack) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    auto r = parseSelected(deep, JsonSelection::members({{"id"}}));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("nesting deeper than 512 levels"), std::string::npos) << r.error().message;
    const std::string fine = std::string(500, '[') + std::string(500, ']');
    EXPECT_TRUE(parseSelected(fine, JsonSelection::all()).ok());
}

TEST(JsonSelect, DecodesEscapesInKeptStringsAndChecksSkippedOnes) {
    auto r = parseSelected(R"({"k":"a\u00e9\ud83d\ude00\\\"\/\b\f\n\r\t","s":"\u0000\ud83d\ude00"})",
                           JsonSelection::members({{"k"}}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->at("k").get<std::string>(), "a\xC3\xA9\xF0\x9F\x98\x80\\\"/\b\f\n\r\t");
    EXPECT_FALSE(r->contains("s"));
}

}  // namespace
}  // namespace forgelink::support
