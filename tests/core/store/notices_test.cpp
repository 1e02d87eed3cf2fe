// Notices to a team's admins: recorded once per event across hosts, and their webhook outbox.
#include "store_contract.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class NoticesTest : public StoreContract {
protected:
    void SetUp() override {
        StoreContract::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        team_ = must(store_->createTeam("core", "Core"));
    }

    NewNotice notice(const std::string& key, const std::string& text = "the token was refused") {
        NewNotice n;
        n.team_id = team_.id;
        n.provider = "example";
        n.kind = NoticeKind::token_invalid;
        n.dedupe_key = key;
        n.text = text;
        n.details = {{"reason", "revoked"}};
        return n;
    }

    Team team_;
};

TEST_P(NoticesTest, AnEventIsRecordedOnceAcrossHostsAndRestarts) {
    auto second_host = openStore();
    auto first = must(store_->recordNotice(notice("token_invalid:example:abc")));
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->team_slug, "core");
    EXPECT_EQ(first->kind, NoticeKind::token_invalid);
    EXPECT_EQ(first->details["reason"], "revoked");
    EXPECT_EQ(first->delivery, NoticeDelivery::none);  // no webhook: listed only
    EXPECT_FALSE(must(second_host->recordNotice(notice("token_invalid:example:abc"))).has_value());
    store_.reset();
    store_ = openStore();
    EXPECT_FALSE(must(store_->recordNotice(notice("token_invalid:example:abc"))).has_value());
    // Another event, and the same key in another team, are notices of their own.
    EXPECT_TRUE(must(store_->recordNotice(notice("token_invalid:example:def"))).has_value());
    Team other = must(store_->createTeam("other", "Other"));
    auto elsewhere = notice("token_invalid:example:abc");
    elsewhere.team_id = other.id;
    EXPECT_TRUE(must(store_->recordNotice(elsewhere)).has_value());
    EXPECT_EQ(must(store_->listNotices(team_.id, 10)).size(), 2u);
}

TEST_P(NoticesTest, EachNamesTheCredentialItIsAbout) {
    auto unnamed = must(store_->recordNotice(notice("token_invalid:example:default:abc")));
    ASSERT_TRUE(unnamed.has_value());
    EXPECT_EQ(unnamed->credential, "default");
    auto n = notice("token_invalid:example:group-acme:abc");
    n.credential = "group-acme";
    auto named = must(store_->recordNotice(n));
    ASSERT_TRUE(named.has_value());
    EXPECT_EQ(named->credential, "group-acme");
    const auto listed = must(store_->listNotices(team_.id, 10));
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].credential, "group-acme");
    EXPECT_EQ(listed[1].credential, "default");
}

TEST_P(NoticesTest, ListedNewestFirstAndPagedBackwards) {
    for (int i = 0; i < 5; ++i) must(store_->recordNotice(notice("k" + std::to_string(i), "n" + std::to_string(i))));
    auto page = must(store_->listNotices(team_.id, 2));
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].text, "n4");
    EXPECT_EQ(page[1].text, "n3");
    auto next = must(store_->listNotices(team_.id, 10, page[1].id));
    ASSERT_EQ(next.size(), 3u);
    EXPECT_EQ(next[0].text, "n2");
    EXPECT_EQ(next[2].text, "n0");
}

TEST_P(NoticesTest, RefusesMissingFieldsAndUnknownTeams) {
    EXPECT_EQ(store_->recordNotice(notice("")).error().kind, ErrorKind::invalid_input);
    auto orphan = notice("k");
    orphan.team_id = team_.id + 100;
    EXPECT_EQ(store_->recordNotice(orphan).error().kind, ErrorKind::invalid_input);
}

TEST_P(NoticesTest, WebhookUrlIsSealedAndShownOnlyAsAHint) {
    EXPECT_EQ(store_->notificationSettings(team_.id).error().kind, ErrorKind::not_found);
    auto saved = must(store_->saveNotificationSettings(team_.id, "https://hooks.slack.test/services/T0/B0/abcdefghWXYZ"));
    EXPECT_EQ(saved.url_hint, "https://hooks.slack.test/…WXYZ");
    auto read = must(store_->notificationSettings(team_.id));
    EXPECT_EQ(read.url_hint, saved.url_hint);
    EXPECT_TRUE(read.webhook_url.empty());
    // A short path shows nothing of itself.
    EXPECT_EQ(must(store_->saveNotificationSettings(team_.id, "http://127.0.0.1:9/hook")).url_hint, "http://127.0.0.1:9/…");
    must(store_->deleteNotificationSettings(team_.id));
    EXPECT_EQ(store_->deleteNotificationSettings(team_.id).error().kind, ErrorKind::not_found);
}

TEST_P(NoticesTest, DeliveredByOneOwnerAtATimeAcrossHosts) {
    must(store_->saveNotificationSettings(team_.id, "https://hooks.example.test/services/T0/B0/secretsecret"));
    auto recorded = must(store_->recordNotice(notice("k")));
    ASSERT_TRUE(recorded.has_value());
    EXPECT_EQ(recorded->delivery, NoticeDelivery::pending);

    auto second_host = openStore();
    auto claimed = must(store_->claimNoticeDeliveries("a", now(), 30s, 10));
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].webhook_url, "https://hooks.example.test/services/T0/B0/secretsecret");
    EXPECT_EQ(claimed[0].notice.attempts, 1);
    EXPECT_TRUE(must(second_host->claimNoticeDeliveries("b", now() + 29s, 30s, 10)).empty());
    // Owner a vanished: after its lease, b takes the notice, and a can no longer record anything.
    auto taken = must(second_host->claimNoticeDeliveries("b", now() + 31s, 30s, 10));
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_EQ(taken[0].notice.attempts, 2);
    EXPECT_EQ(store_->completeNoticeDelivery(recorded->id, "a").error().kind, ErrorKind::conflict);
    must(second_host->completeNoticeDelivery(recorded->id, "b"));
    auto listed = must(store_->listNotices(team_.id, 10));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].delivery, NoticeDelivery::delivered);
    EXPECT_TRUE(listed[0].delivered_at.has_value());
    EXPECT_TRUE(must(store_->claimNoticeDeliveries("a", now() + 1h, 30s, 10)).empty());
}

TEST_P(NoticesTest, RetriedWhenDueAndFailedForGood) {
    must(store_->saveNotificationSettings(team_.id, "https://hooks.example.test/x"));
    auto id = must(store_->recordNotice(notice("k")))->id;
    ASSERT_EQ(must(store_->claimNoticeDeliveries("a", now(), 30s, 10)).size(), 1u);
    must(store_->retryNoticeDelivery(id, "a", now() + 10s, "the webhook answered HTTP 503"));
    auto listed = must(store_->listNotices(team_.id, 1));
    EXPECT_EQ(listed[0].delivery, NoticeDelivery::pending);
    EXPECT_EQ(listed[0].last_error, "the webhook answered HTTP 503");
    EXPECT_TRUE(must(store_->claimNoticeDeliveries("a", now() + 9s, 30s, 10)).empty());
    ASSERT_EQ(must(store_->claimNoticeDeliveries("a", now() + 10s, 30s, 10)).size(), 1u);
    must(store_->failNoticeDelivery(id, "a", "the webhook answered HTTP 404: no_service"));
    listed = must(store_->listNotices(team_.id, 1));
    EXPECT_EQ(listed[0].delivery, NoticeDelivery::failed);
    EXPECT_EQ(listed[0].attempts, 2);
    EXPECT_TRUE(must(store_->claimNoticeDeliveries("a", now() + 1h, 30s, 10)).empty());
}

TEST_P(NoticesTest, RemovingTheWebhookStopsWhatWaits) {
    must(store_->saveNotificationSettings(team_.id, "https://hooks.example.test/x"));
    must(store_->recordNotice(notice("k1")));
    must(store_->deleteNotificationSettings(team_.id));
    EXPECT_TRUE(must(store_->claimNoticeDeliveries("a", now(), 30s, 10)).empty());
    EXPECT_EQ(must(store_->listNotices(team_.id, 1))[0].delivery, NoticeDelivery::none);
    // Recorded with no webhook: never sent, even once a webhook is set later.
    must(store_->recordNotice(notice("k2")));
    must(store_->saveNotificationSettings(team_.id, "https://hooks.example.test/x"));
    EXPECT_TRUE(must(store_->claimNoticeDeliveries("a", now(), 30s, 10)).empty());
}

TEST_P(NoticesTest, GoWithTheirTeam) {
    must(store_->saveNotificationSettings(team_.id, "https://hooks.example.test/x"));
    must(store_->recordNotice(notice("k")));
    must(store_->deleteTeam(team_.id));
    EXPECT_TRUE(must(store_->listNotices(team_.id, 10)).empty());
    EXPECT_TRUE(must(store_->claimNoticeDeliveries("a", now(), 30s, 10)).empty());
}

INSTANTIATE_STORE_CONTRACT(NoticesTest);

}  // namespace
}  // namespace forgelink::store::testing
