#include "delivery/feedback_task.hpp"

#include <gtest/gtest.h>

using namespace forgelink;
using namespace forgelink::delivery;

TEST(Payload, StatusRoundTrips) {
    StatusPayload p{"100", 7, BuildState::changes_detected, "forgelink/web", "https://ci/b/1", "3 changed", "main",
                    "6b9fec60e107f1f323dfa6674b317facd996cb0a"};
    auto parsed = parseStatusPayload(toJson(p));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->repository, "100");
    EXPECT_EQ(parsed->project_id, 7);
    EXPECT_EQ(parsed->state, BuildState::changes_detected);
    EXPECT_EQ(parsed->context, "forgelink/web");
    EXPECT_EQ(parsed->target_url, "https://ci/b/1");
    EXPECT_EQ(parsed->ref, "main");
    EXPECT_EQ(parsed->sha, p.sha);
}

TEST(Payload, StatusErrorsNameTheField) {
    auto missing = parseStatusPayload({{"repository", "1"}, {"state", "accepted"}});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::invalid_input);
    EXPECT_NE(missing.error().message.find("\"sha\" is missing"), std::string::npos) << missing.error().message;

    auto bad_state = parseStatusPayload({{"repository", "1"}, {"state", "green"}, {"sha", "abc1234"}});
    ASSERT_FALSE(bad_state);
    EXPECT_NE(bad_state.error().message.find("\"green\""), std::string::npos) << bad_state.error().message;

    auto wrong_type = parseStatusPayload({{"repository", 100}, {"state", "accepted"}, {"sha", "abc1234"}});
    ASSERT_FALSE(wrong_type);
    EXPECT_NE(wrong_type.error().message.find("\"repository\" must be a string"), std::string::npos);

    EXPECT_FALSE(parseStatusPayload(nlohmann::json::array()));
}

TEST(Payload, CommentNeedsAMergeRequestOrACommit) {
    auto ok = parseCommentPayload({{"repository", "100"}, {"project_id", 3}, {"merge_request", "12"}, {"sha", "abc"}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->merge_request, "12");
    auto discover = parseCommentPayload({{"repository", "100"}, {"sha", "abc1234"}});
    ASSERT_TRUE(discover);
    EXPECT_TRUE(discover->merge_request.empty());
    auto neither = parseCommentPayload({{"repository", "100"}});
    ASSERT_FALSE(neither);
    EXPECT_NE(neither.error().message.find("nothing says where to comment"), std::string::npos);
}
