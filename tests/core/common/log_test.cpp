#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/log.hpp"

namespace forgelink::common {
namespace {

void expectMasked(const std::string& text, const std::string& secret) {
    const auto out = redact(text);
    EXPECT_EQ(out.find(secret), std::string::npos) << "input: " << text << "\noutput: " << out;
    EXPECT_NE(out.find("[REDACTED]"), std::string::npos) << out;
}

TEST(Redact, TheCoreKnowsNoForgesTokenShapes) {
    // Without a plugin nothing says these are secrets: the core masks only forge-neutral shapes.
    Redactor fresh;
    for (const std::string text : {"see glpat-AbCdEf123456_xyz-789 here", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"}) {
        EXPECT_EQ(fresh.redact(text), text);
    }
    // Defence in depth that needs no forge knowledge still holds for the same tokens.
    for (const std::string text : {"PRIVATE-TOKEN: glpat-AbCdEf123456_xyz-789", "Authorization: Bearer ghp_16C7e42F292c6912",
                                   R"({"token":"glpat-AbCdEf123456_xyz-789"})", "GET /x?private_token=glpat-AbCdEf123456"}) {
        const auto out = fresh.redact(text);
        EXPECT_EQ(out.find("AbCdEf123456"), std::string::npos) << out;
        EXPECT_EQ(out.find("16C7e42F292c6912"), std::string::npos) << out;
        EXPECT_NE(out.find("[REDACTED]"), std::string::npos) << out;
    }
}

TEST(Redact, MasksTheTokenPrefixesItWasTaught) {
    Redactor redactor;
    redactor.addTokenPrefixes({"glpat-", "ghp_", "github_pat_", "github_"});
    redactor.addTokenPrefixes({"glpat-"});  // a second plugin declaring it again changes nothing
    EXPECT_EQ(redactor.tokenPrefixes(), (std::vector<std::string>{"ghp_", "github_", "github_pat_", "glpat-"}));
    EXPECT_EQ(redactor.redact("token is glpat-AbCdEf123456_xyz-789 ok"), "token is glpat-[REDACTED] ok");
    EXPECT_EQ(redactor.redact("ghp_16C7e42F292c6912E7710c838347Ae178B4a"), "ghp_[REDACTED]");
    // The longest prefix names the token.
    EXPECT_EQ(redactor.redact("github_pat_11ABCDEFG0123456789_abcdefghijklmnop"), "github_pat_[REDACTED]");
    // Forge-neutral rules still come first and still apply.
    EXPECT_EQ(redactor.redact("sent Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig").find("eyJhbGciOiJIUzI1NiJ9"),
              std::string::npos);
    // In any case, with no ':' or '=' anywhere in the text.
    EXPECT_EQ(redactor.redact("sent bearer eyJhbGciOiJIUzI1NiJ9 and BEARER abc.def"), "sent Bearer [REDACTED] and Bearer [REDACTED]");
    // A token at the very start or end of the text, or the text being the token.
    EXPECT_EQ(redactor.redact("glpat-AbCdEf123456 was sent"), "glpat-[REDACTED] was sent");
    EXPECT_EQ(redactor.redact("sent glpat-AbCdEf123456"), "sent glpat-[REDACTED]");
    // Not a token: the prefix inside a word, a prefix without enough after it, another case.
    for (const std::string text : {"myglpat-AbCdEf123456", "glpat-abc", "ghp_ is the prefix of classic tokens",
                                   "GLPAT-AbCdEf123456"}) {
        EXPECT_EQ(redactor.redact(text), text);
    }
}

TEST(Redact, MasksSecretHeaders) {
    expectMasked("PRIVATE-TOKEN: s3cr3tvalue", "s3cr3tvalue");
    expectMasked("private-token:s3cr3tvalue\r\nAccept: */*", "s3cr3tvalue");
    expectMasked("Authorization: token abcdef123", "abcdef123");
    expectMasked("Cookie: session=abc123; other=1", "abc123");
    expectMasked(R"({"Authorization":"Basic dXNlcjpwYXNz"})", "dXNlcjpwYXNz");
    // Only the value goes; the next header line survives.
    EXPECT_NE(redact("PRIVATE-TOKEN: x1\nAccept: json").find("Accept: json"), std::string::npos);
}

TEST(Redact, MasksSecretParameters) {
    for (const std::string name : {"private_token", "access_token", "client_secret", "refresh_token", "code"}) {
        const auto text = "GET /oauth?state=keep&" + name + "=v4lu3XYZ&page=2";
        const auto out = redact(text);
        EXPECT_EQ(out.find("v4lu3XYZ"), std::string::npos) << out;
        EXPECT_NE(out.find("state=keep"), std::string::npos) << out;
        EXPECT_NE(out.find("page=2"), std::string::npos) << out;
    }
    expectMasked(R"({"access_token":"gho_abc","token_type":"bearer"})", "gho_abc");
    expectMasked(R"({"refresh_token": "glrt-0123456789abcdef"})", "0123456789abcdef");
    expectMasked("https://user:hunter2@example.com/x", "hunter2");
}

TEST(Redact, LeavesOrdinaryTextAlone) {
    for (const std::string text : {
             "GET https://gitlab.example.com/api/v4/projects/group%2Fproj returned 200",
             "error_code=42 status_code=503 zip_code=1234",
             "retrying in 200 ms (attempt 2 of 5)",
             "the token was revoked; create a new one with scope api",
             "ghp_ is the prefix of classic tokens",
             "{\"message\":\"404 Not found\"}",
         }) {
        EXPECT_EQ(redact(text), text);
    }
}

TEST(SecretHeader, KnownNamesAnyCase) {
    EXPECT_TRUE(isSecretHeader("Authorization"));
    EXPECT_TRUE(isSecretHeader("private-token"));
    EXPECT_TRUE(isSecretHeader("SET-COOKIE"));
    EXPECT_TRUE(isSecretHeader("X-Gitlab-Token"));
    EXPECT_FALSE(isSecretHeader("Accept"));
    EXPECT_FALSE(isSecretHeader("RateLimit-Remaining"));
}

TEST(JsonLogger, WritesOneRedactedJsonObjectPerLine) {
    std::ostringstream out;
    JsonLogger logger("host", &out, LogLevel::info);
    logger.log(LogLevel::debug, "not shown");
    logger.log(LogLevel::info, "calling with PRIVATE-TOKEN: glpat-aaaaaaaaaaaaaaaaaaaa");
    logger.log(LogLevel::warn, "slow \"quoted\"\nline", {{"url", "https://x/y?private_token=abc123"},
                                                          {"Authorization", "Bearer zzz"},
                                                          {"msg", "collides"}});
    std::istringstream lines(out.str());
    std::string line;
    std::vector<nlohmann::json> parsed;
    while (std::getline(lines, line)) parsed.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(parsed.size(), 2u);
    EXPECT_EQ(parsed[0]["level"], "info");
    EXPECT_EQ(parsed[0]["component"], "host");
    EXPECT_TRUE(parsed[0]["ts"].get<std::string>().ends_with("Z"));
    EXPECT_EQ(parsed[0]["msg"].get<std::string>().find("aaaaaaaa"), std::string::npos);
    EXPECT_EQ(parsed[1]["level"], "warn");
    EXPECT_EQ(parsed[1]["msg"], "slow \"quoted\"\nline");
    EXPECT_EQ(parsed[1]["url"].get<std::string>().find("abc123"), std::string::npos);
    EXPECT_EQ(parsed[1]["Authorization"], "[REDACTED]");
    EXPECT_EQ(parsed[1]["field_msg"], "collides");
    EXPECT_EQ(out.str().find("zzz"), std::string::npos);
}

TEST(JsonLogger, TextFormatIsOneRedactedReadableLinePerMessage) {
    std::ostringstream out;
    auto sink = std::make_shared<LogSink>(out, LogFormat::text, LogLevel::info);
    JsonLogger logger("host", sink);
    logger.log(LogLevel::debug, "not shown");
    logger.log(LogLevel::info, "listening", {{"url", "http://127.0.0.1:8080"}});
    logger.log(LogLevel::warn, "two\nlines", {{"reason", "has space \"and quotes\""},
                                              {"token", "glpat-secretsecret"},
                                              {"where", "https://x/y?access_token=abc123"}});
    const std::string text = out.str();
    std::istringstream lines(text);
    std::vector<std::string> got;
    for (std::string line; std::getline(lines, line);) got.push_back(line);
    ASSERT_EQ(got.size(), 2u) << text;
    // 2026-12-06T21:00:00.123Z info  host: listening url=...
    EXPECT_EQ(got[0].size(), std::string("2026-12-06T21:00:00.123Z info  host: listening url=http://127.0.0.1:8080").size())
        << got[0];
    EXPECT_EQ(got[0].substr(24), " info  host: listening url=http://127.0.0.1:8080") << got[0];
    EXPECT_EQ(got[1].substr(24),
              " warn  host: two\\x0alines reason=\"has space \\\"and quotes\\\"\" token=[REDACTED] "
              "where=\"https://x/y?access_token=[REDACTED]\"")
        << got[1];
    EXPECT_EQ(text.find("abc123"), std::string::npos);
    EXPECT_EQ(text.find("secretsecret"), std::string::npos);
}

TEST(JsonLogger, LoggersSharingASinkFollowItsLevel) {
    std::ostringstream out;
    auto sink = std::make_shared<LogSink>(out, LogFormat::json, LogLevel::warn);
    JsonLogger host("host", sink);
    JsonLogger provider("provider.x", sink);
    host.log(LogLevel::info, "hidden");
    provider.log(LogLevel::info, "hidden too");
    EXPECT_TRUE(out.str().empty()) << out.str();
    sink->setMinLevel(LogLevel::debug);  // what a reload does
    host.log(LogLevel::debug, "shown");
    provider.log(LogLevel::info, "shown too");
    EXPECT_NE(out.str().find("\"msg\":\"shown\""), std::string::npos) << out.str();
    std::istringstream lines(out.str());
    std::string first, second;
    std::getline(lines, first);
    std::getline(lines, second);
    EXPECT_EQ(nlohmann::json::parse(second)["component"], "provider.x");
    EXPECT_EQ(nlohmann::json::parse(second)["msg"], "shown too");
}

TEST(JsonLogger, ParsesFormatAndLevelNames) {
    EXPECT_EQ(parseLogFormat("json"), LogFormat::json);
    EXPECT_EQ(parseLogFormat("text"), LogFormat::text);
    EXPECT_FALSE(parseLogFormat("JSON").has_value());
    EXPECT_EQ(parseLogLevelName("debug"), LogLevel::debug);
    EXPECT_EQ(parseLogLevelName("error"), LogLevel::error);
    EXPECT_FALSE(parseLogLevelName("verbose").has_value());
}

TEST(JsonLogger, InvalidUtf8DoesNotThrow) {
    std::ostringstream out;
    JsonLogger logger("host", &out);
    EXPECT_NO_THROW(logger.log(LogLevel::error, std::string("bad \xff\xfe bytes")));
    EXPECT_TRUE(nlohmann::json::accept(out.str()));
}

}  // namespace
}  // namespace forgelink::common
