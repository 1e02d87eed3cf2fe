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

TEST(JsonLogger, InvalidUtf8DoesNotThrow) {
    std::ostringstream out;
    JsonLogger logger("host", &out);
    EXPECT_NO_THROW(logger.log(LogLevel::error, std::string("bad \xff\xfe bytes")));
    EXPECT_TRUE(nlohmann::json::accept(out.str()));
}

}  // namespace
}  // namespace forgelink::common
