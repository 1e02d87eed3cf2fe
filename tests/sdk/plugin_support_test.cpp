// Forgelink::plugin_support: the helpers every plugin may use, each read and each complaint, with
// the exact words a person (and the plugins' own tests) will see.
#include <gtest/gtest.h>

#include <forgelink/support/http_text.hpp>
#include <forgelink/support/json_fields.hpp>

namespace forgelink::support {
namespace {

using nlohmann::json;

// ---- http_text ----

TEST(PluginSupportText, LowerTrimAndContains) {
    EXPECT_EQ(asciiLower("Text/HTML; Charset=UTF-8"), "text/html; charset=utf-8");
    EXPECT_EQ(asciiLower("\xc3\x89t\xc3\xa9"), "\xc3\x89t\xc3\xa9");  // UTF-8 bytes are left alone
    EXPECT_EQ(trimSpace(" \t\r\n a b \n"), "a b");
    EXPECT_EQ(trimSpace("   "), "");
    EXPECT_TRUE(containsNoCase("404 Project Not Found", "project not found"));
    EXPECT_FALSE(containsNoCase("404 Group Not Found", "project"));
}

TEST(PluginSupportText, UrlEncodeKeepsOnlyUnreservedCharacters) {
    EXPECT_EQ(urlEncode("group/sub project~v1.0_x-y"), "group%2Fsub%20project~v1.0_x-y");
    EXPECT_EQ(urlEncode("a&b=c?d#e%"), "a%26b%3Dc%3Fd%23e%25");
    EXPECT_EQ(urlEncode("\xc3\xa9"), "%C3%A9");
}

TEST(PluginSupportText, UrlDecodeUndoesEncodingAndKeepsMalformedEscapes) {
    EXPECT_EQ(urlDecode("group%2Fsub+project%7e"), "group/sub project~");
    EXPECT_EQ(urlDecode(urlEncode("a b/c?d=\xc3\xa9")), "a b/c?d=\xc3\xa9");
    EXPECT_EQ(urlDecode("100%zz"), "100%zz");
    EXPECT_EQ(urlDecode("trailing%4"), "trailing%4");
}

TEST(PluginSupportText, EncodeQueryEncodesEveryKeyAndValue) {
    EXPECT_EQ(encodeQuery({{"search", "a b&c"}, {"per_page", "100"}, {"empty", ""}}),
              "search=a%20b%26c&per_page=100&empty=");
    EXPECT_EQ(encodeQuery({}), "");
}

TEST(PluginSupportText, QueryParamFindsDecodesAndStopsAtTheFragment) {
    const std::string url = "https://h/cb?state=a%2Fb&code=x+y&flag&last=1#code=fragment";
    EXPECT_EQ(queryParam(url, "state"), "a/b");
    EXPECT_EQ(queryParam(url, "code"), "x y");
    EXPECT_EQ(queryParam(url, "flag"), "");
    EXPECT_EQ(queryParam(url, "last"), "1");
    EXPECT_EQ(queryParam(url, "missing"), std::nullopt);
    EXPECT_EQ(queryParam("https://h/cb", "code"), std::nullopt);
    EXPECT_EQ(queryParam("https://h/cb?a%20b=c", "a b"), "c");
}

TEST(PluginSupportText, UrlPathDropsSchemeHostAndQuery) {
    EXPECT_EQ(urlPath("https://gitlab.example.com/api/v4/projects/42?private_token=secret"), "/api/v4/projects/42");
    EXPECT_EQ(urlPath("http://127.0.0.1:8080"), "/");
    EXPECT_EQ(urlPath(""), "/");
    EXPECT_EQ(urlPath("/relative/path?x=1"), "/relative/path");
}

TEST(PluginSupportText, BodyExcerptIsOneLineAndShort) {
    EXPECT_EQ(bodyExcerpt("line one\r\nline\ttwo"), "line one  line two");
    const std::string long_body(200, 'x');
    EXPECT_EQ(bodyExcerpt(long_body), std::string(160, 'x') + "...");
    EXPECT_EQ(bodyExcerpt(std::string(160, 'y')), std::string(160, 'y'));
}

TEST(PluginSupportText, SplitBaseUrlAcceptsWhatAdminsType) {
    auto check = splitBaseUrl("  HTTPS://Git.Example.COM:8443/Sub/Path//  ");
    ASSERT_TRUE(check.url) << check.problem;
    EXPECT_EQ(check.url->scheme, "https");
    EXPECT_EQ(check.url->authority, "git.example.com:8443");
    EXPECT_EQ(check.url->path, "/Sub/Path");  // paths are case-sensitive
    EXPECT_TRUE(check.problem.empty());

    auto bare = splitBaseUrl("http://127.0.0.1");
    ASSERT_TRUE(bare.url);
    EXPECT_EQ(bare.url->scheme, "http");
    EXPECT_EQ(bare.url->authority, "127.0.0.1");
    EXPECT_EQ(bare.url->path, "");
}

TEST(PluginSupportText, SplitBaseUrlSaysWhatIsWrong) {
    struct Case {
        const char* input;
        const char* problem;
    };
    for (const Case& c : {Case{"gitlab.example.com", "does not start with http:// or https://"},
                          Case{"ftp://host", "does not start with http:// or https://"},
                          Case{"https://host/?page=2", "has a query or fragment"},
                          Case{"https://host/#top", "has a query or fragment"},
                          Case{"https://", "has no host"},
                          Case{"https:///path", "has no host"},
                          Case{"https://user:s3cret@host", "carries credentials; put the token in the token field"}}) {
        auto check = splitBaseUrl(c.input);
        EXPECT_FALSE(check.url) << c.input;
        EXPECT_EQ(check.problem, c.problem) << c.input;
        EXPECT_EQ(check.problem.find("s3cret"), std::string::npos);
    }
}

// ---- json_fields ----

const MappingWording kDefault{"Forge", "unexpected answer from Forge: ", "bad JSON from Forge: ", nullptr};

std::string hasNoText(const FieldError& e) {
    return e.object + " has no \"" + e.field + "\" (" + e.expected + ")";
}
const MappingWording kCustom{"Forge", "", "", &hasNoText};

// The message guardedParse gives for a read of `j` by `read`.
template <class Read>
std::string complaint(const json& j, Read read, const MappingWording& wording = kDefault) {
    auto r = guardedParse(wording, [&] {
        JsonFields f(j, "user");
        read(f);
        return 0;
    });
    if (r) return "(no error)";
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(r.error().code, "unexpected_response");
    return r.error().message;
}

TEST(PluginSupportJsonFields, ReadsEveryKindOfField) {
    const json j = json::parse(R"({"id": 42, "sid": "abc", "name": "Ann", "admin": true, "scopes": ["api", "read_user"],
                                   "owner": {"login": "o"}, "gone": null})");
    auto r = guardedParse(kDefault, [&] {
        JsonFields f(j, "user");
        EXPECT_EQ(f.what(), "user");
        EXPECT_TRUE(f.has("id"));
        EXPECT_FALSE(f.has("gone"));
        EXPECT_FALSE(f.has("absent"));
        EXPECT_EQ(f.raw("gone"), json());
        EXPECT_EQ(f.requiredInt("id"), 42);
        EXPECT_EQ(f.optionalInt("id"), 42);
        EXPECT_EQ(f.optionalInt("gone"), std::nullopt);
        EXPECT_EQ(f.requiredString("name"), "Ann");
        EXPECT_EQ(f.optionalString("gone", "fallback"), "fallback");
        EXPECT_EQ(f.optionalString("absent"), "");
        EXPECT_EQ(f.requiredId("id"), "42");
        EXPECT_EQ(f.requiredId("sid"), "abc");
        EXPECT_EQ(f.optionalId("id"), "42");
        EXPECT_EQ(f.optionalId("absent"), "");
        EXPECT_TRUE(f.requiredBool("admin"));
        EXPECT_FALSE(f.optionalBool("gone", false));
        EXPECT_TRUE(f.optionalBool("absent", true));
        EXPECT_EQ(f.stringList("scopes", true), (std::vector<std::string>{"api", "read_user"}));
        EXPECT_TRUE(f.stringList("absent", false).empty());
        EXPECT_EQ(f.object("owner", "owner").requiredString("login"), "o");
        EXPECT_EQ(f.object("owner", "owner").what(), "user.owner (owner)");
        EXPECT_EQ(f.requiredObject("owner").at("login"), "o");
        return std::string("done");
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value(), "done");
}

TEST(PluginSupportJsonFields, MissingFieldsNameTheObjectFieldAndExpectation) {
    const json j = json::parse(R"({"gone": null})");
    const std::string p = "unexpected answer from Forge: user: field ";
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredInt("id"); }), p + "\"id\" is missing (expected an integer)");
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredString("gone"); }), p + "\"gone\" is missing (expected a string)");
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredId("id"); }), p + "\"id\" is missing (expected an integer id)");
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredBool("b"); }), p + "\"b\" is missing (expected true or false)");
    EXPECT_EQ(complaint(j, [](auto& f) { f.stringList("s", true); }), p + "\"s\" is missing (expected a list of strings)");
    EXPECT_EQ(complaint(j, [](auto& f) { f.object("o", "owner"); }), p + "\"o\" is missing (expected an object)");
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredObject("o"); }), p + "\"o\" is missing (expected an object)");
    EXPECT_EQ(complaint(j, [](auto& f) { f.missing("token", "a non-empty string"); }),
              p + "\"token\" is missing (expected a non-empty string)");
}

TEST(PluginSupportJsonFields, MistypedFieldsSayWhatCame) {
    const json j = json::parse(R"({"n": "7", "s": 7, "f": 1.5, "b": "yes", "l": "api", "m": [1], "id": "", "o": []})");
    const std::string p = "unexpected answer from Forge: user: field ";
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredInt("n"); }), p + "\"n\" is string, expected an integer");
    EXPECT_EQ(complaint(j, [](auto& f) { f.optionalInt("f"); }), p + "\"f\" is number, expected an integer");
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredString("s"); }), p + "\"s\" is number, expected a string");
    EXPECT_EQ(complaint(j, [](auto& f) { f.optionalString("s"); }), p + "\"s\" is number, expected a string");
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredId("id"); }), p + "\"id\" is string, expected an integer id");
    EXPECT_EQ(complaint(j, [](auto& f) { f.optionalId("b"); }), "(no error)");  // any string is an optional id
    EXPECT_EQ(complaint(j, [](auto& f) { f.optionalId("f"); }), p + "\"f\" is number, expected an integer id");
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredBool("b"); }), p + "\"b\" is string, expected true or false");
    EXPECT_EQ(complaint(j, [](auto& f) { f.optionalBool("b", false); }), p + "\"b\" is string, expected true or false");
    EXPECT_EQ(complaint(j, [](auto& f) { f.stringList("l", false); }), p + "\"l\" is string, expected a list of strings");
    EXPECT_EQ(complaint(j, [](auto& f) { f.stringList("m", false); }), p + "\"m\" is array, expected a list of strings");
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredObject("o"); }), p + "\"o\" is array, expected an object");
}

TEST(PluginSupportJsonFields, NotAnObjectNamesTheForgeAndThePath) {
    EXPECT_EQ(complaint(json::array(), [](auto&) {}),
              "unexpected answer from Forge: Forge answered with array where user object was expected");
    const json j = json::parse(R"({"owner": "o"})");
    EXPECT_EQ(complaint(j, [](auto& f) { f.object("owner", "owner"); }),
              "unexpected answer from Forge: Forge answered with string where user.owner (owner) object was expected");
}

TEST(PluginSupportJsonFields, FieldErrorKeepsItsPartsForOtherWordings) {
    const json j = json::parse(R"({"gone": null, "n": "7"})");
    try {
        JsonFields(j, "user").requiredInt("gone");
        FAIL() << "no FieldError";
    } catch (const FieldError& e) {
        EXPECT_EQ(e.problem, FieldError::Problem::missing);
        EXPECT_EQ(e.object, "user");
        EXPECT_EQ(e.field, "gone");
        EXPECT_EQ(e.expected, "an integer");
        EXPECT_EQ(e.found, "null");
        EXPECT_STREQ(e.what(), "user: field \"gone\" is missing (expected an integer)");
    }
    try {
        JsonFields(j, "user").requiredInt("absent");
        FAIL() << "no FieldError";
    } catch (const FieldError& e) {
        EXPECT_EQ(e.found, "");
    }
    try {
        JsonFields(json(5), "user");
        FAIL() << "no FieldError";
    } catch (const FieldError& e) {
        EXPECT_EQ(e.problem, FieldError::Problem::not_an_object);
        EXPECT_EQ(e.found, "number");
        EXPECT_STREQ(e.what(), "the forge answered with number where user object was expected");
    }
    EXPECT_EQ(complaint(j, [](auto& f) { f.requiredInt("gone"); }, kCustom), "user has no \"gone\" (an integer)");
    // A custom wording words fields only: not-an-object keeps the shared wording with the forge's name.
    EXPECT_EQ(complaint(json("x"), [](auto&) {}, kCustom), "Forge answered with string where user object was expected");
    EXPECT_EQ(describeFieldError(FieldError(FieldError::Problem::mistyped, "o", "f", "a string", "number"), kDefault),
              "o: field \"f\" is number, expected a string");
    Error e = mappingError(FieldError(FieldError::Problem::missing, "o", "f", "a string", ""), kDefault);
    EXPECT_EQ(e.message, "unexpected answer from Forge: o: field \"f\" is missing (expected a string)");
    EXPECT_EQ(e.code, "unexpected_response");
}

TEST(PluginSupportJsonFields, GuardedParseTurnsJsonExceptionsIntoErrors) {
    const json j = json::parse(R"({"n": 1})");
    auto r = guardedParse(kDefault, [&]() -> Result<int> { return j.at("absent").get<int>(); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(r.error().code, "unexpected_response");
    EXPECT_EQ(r.error().message.rfind("bad JSON from Forge: [json.exception.out_of_range.403]", 0), 0u)
        << r.error().message;
}

TEST(PluginSupportJsonFields, GuardedParsePassesResultsThrough) {
    auto value = guardedParse(kDefault, [] { return 7; });
    ASSERT_TRUE(value);
    EXPECT_EQ(value.value(), 7);
    auto refused = guardedParse(kDefault, []() -> Result<int> {
        return makeError(ErrorKind::unauthorized, "the forge refused the code", "bad_verification_code");
    });
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::unauthorized);
    EXPECT_EQ(refused.error().message, "the forge refused the code");
}

Result<int> parseNumber(const json& j) {
    return guardedParse(kDefault, [&] {
        JsonFields f(j, "number");
        return static_cast<int>(f.requiredInt("n"));
    });
}

TEST(PluginSupportJsonFields, ParseArrayParsesEachItemAndNamesTheBadOne) {
    auto ok = parseArray<int>(json::parse(R"([{"n": 1}, {"n": 2}])"), "Forge", "numbers", parseNumber);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok.value(), (std::vector<int>{1, 2}));
    auto empty = parseArray<int>(json::array(), "Forge", "numbers", parseNumber);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty.value().empty());

    auto bad_item = parseArray<int>(json::parse(R"([{"n": 1}, {"n": "2"}])"), "Forge", "numbers", parseNumber);
    ASSERT_FALSE(bad_item);
    EXPECT_EQ(bad_item.error().message,
              "numbers[1]: unexpected answer from Forge: number: field \"n\" is string, expected an integer");
    EXPECT_EQ(bad_item.error().code, "unexpected_response");

    auto not_list = parseArray<int>(json::object(), "Forge", "numbers", parseNumber);
    ASSERT_FALSE(not_list);
    EXPECT_EQ(not_list.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(not_list.error().code, "unexpected_response");
    EXPECT_EQ(not_list.error().message, "Forge answered with object where a list of numbers was expected");
    EXPECT_EQ(notAList(json(3), "Forge", "numbers").message, "Forge answered with number where a list of numbers was expected");
}

}  // namespace
}  // namespace forgelink::support
