// JsonWriter writes what nlohmann would have dumped; the project and link views keep their shape.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "service/json_writer.hpp"
#include "service/views.hpp"

namespace forgelink::service {
namespace {

std::string written(std::string_view text) {
    std::string out;
    JsonWriter(out).value(text);
    return out;
}

std::string dumped(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(JsonWriterTest, StringsAreEscapedExactlyAsNlohmannDumpsThem) {
    const std::string cases[] = {
        "",
        "plain text",
        "quote \" and backslash \\ and slash /",
        std::string("controls \x01\x02\x1f \b\f\n\r\t and NUL ") + std::string(1, '\0') + " end",
        "DEL \x7f stays",
        "UTF-8: caf\xC3\xA9, \xE4\xB8\xAD\xE6\x96\x87, \xF0\x9F\x9A\x80, \xEF\xBF\xBF",
    };
    for (const auto& text : cases) EXPECT_EQ(written(text), dumped(text)) << text;
}

TEST(JsonWriterTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    const std::string cases[] = {
        "\xFF",
        "ab\xFE\xFF" "cd",
        "lone continuation \x80 byte",
        "overlong \xC0\xAF slash",
        "surrogate \xED\xA0\x80 half",
        "truncated at the end \xE4\xB8",
    };
    for (const auto& text : cases) {
        const std::string out = written(text);
        auto parsed = nlohmann::json::parse(out, nullptr, false);
        ASSERT_FALSE(parsed.is_discarded()) << out;
        const std::string value = parsed.get<std::string>();
        EXPECT_NE(value.find("\xEF\xBF\xBD"), std::string::npos) << out;
        // Everything valid around the bad bytes is kept.
        for (char c : text) {
            if (static_cast<unsigned char>(c) < 0x80) {
                EXPECT_NE(value.find(c), std::string::npos) << out;
            }
        }
    }
    // Single invalid bytes: the same replacement nlohmann makes.
    EXPECT_EQ(written("\xFF"), dumped("\xFF"));
    EXPECT_EQ(written("a\x80z"), dumped("a\x80z"));
}

TEST(JsonWriterTest, NestedObjectsArraysAndScalarsGetTheirCommas) {
    std::string out;
    JsonWriter w(out);
    w.beginObject()
        .field("a", std::int64_t{-42})
        .key("b")
        .beginArray()
        .value(true)
        .value(false)
        .null()
        .beginObject()
        .endObject()
        .beginArray()
        .endArray()
        .value("x")
        .endArray()
        .field("c", std::int64_t{9007199254740993})
        .endObject();
    EXPECT_EQ(out, R"({"a":-42,"b":[true,false,null,{},[],"x"],"c":9007199254740993})");
    EXPECT_EQ(nlohmann::json::parse(out).dump(), out);
}

TEST(JsonWriterTest, IsoTimeWritesUtcWithMilliseconds) {
    EXPECT_EQ(isoTime(store::fromUnixMillis(0)), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(isoTime(store::fromUnixMillis(1'700'000'123'456)), "2023-11-14T22:15:23.456Z");
    EXPECT_EQ(isoTime(store::fromUnixMillis(951'782'400'009)), "2000-02-29T00:00:00.009Z");
    EXPECT_EQ(isoTime(store::fromUnixMillis(253'402'300'799'999)), "9999-12-31T23:59:59.999Z");
}

store::RepositoryLink sampleLink() {
    store::RepositoryLink link;
    link.project_id = 12;
    link.provider = "gitlab";
    link.instance = "gitlab.example.com";
    link.repository_id = "4711";
    link.full_path = "group/sub/\"quoted\" repo";
    link.web_url = "https://gitlab.example.com/group/sub/repo";
    link.status_context = "forgelink/web";
    link.linked_at = store::fromUnixMillis(1'700'000'123'456);
    return link;
}

TEST(JsonWriterTest, ProjectViewHasTheFieldsAndValuesOfTheDocumentItReplaced) {
    store::Project project{12, 3, "Web \xC3\xA9", "web", store::fromUnixMillis(1'700'000'000'007)};
    const auto link = sampleLink();
    const std::string team = "core";
    // The document as ApiService built it before the listing was written as text.
    nlohmann::json expected_link = {{"provider", link.provider},         {"instance", link.instance},
                                    {"repository_id", link.repository_id}, {"full_path", link.full_path},
                                    {"web_url", link.web_url},             {"status_context", link.status_context},
                                    {"linked_at", "2023-11-14T22:15:23.456Z"}, {"credential", "default"}};
    nlohmann::json expected = {{"id", 12},
                               {"team_id", 3},
                               {"slug", "web"},
                               {"name", "Web \xC3\xA9"},
                               {"created_at", "2023-11-14T22:13:20.007Z"},
                               {"repository", expected_link},
                               {"team", "core"}};
    EXPECT_EQ(projectView(project, &team, &link), expected);
    EXPECT_EQ(linkView(link), expected_link);
    std::string text;
    JsonWriter w(text);
    writeProjectView(w, project, &team, &link);
    EXPECT_EQ(text, dumped(expected)) << "the listing's text is byte for byte the document's dump";

    expected["repository"] = nullptr;
    expected.erase("team");
    EXPECT_EQ(projectView(project, nullptr, nullptr), expected);
    text.clear();
    JsonWriter again(text);
    writeProjectView(again, project, nullptr, nullptr);
    EXPECT_EQ(text, dumped(expected));
}

}  // namespace
}  // namespace forgelink::service
