// The audit log in the store: appended with the store's clock, listed newest first in pages,
// gone with its team, purged by age.
#include "store_contract.hpp"

namespace forgelink::store::testing {
namespace {

using namespace std::chrono_literals;

class AuditLogTest : public StoreContract {
protected:
    AuditEventInput event(std::int64_t team_id, std::string action, std::string target = "gitlab") {
        AuditEventInput in;
        in.team_id = team_id;
        in.actor = AuditActor{ActorKind::user, 7, 0, "alice"};
        in.client_address = "192.0.2.10";
        in.action = std::move(action);
        in.target = std::move(target);
        in.details = {{"token_last4", "1234"}};
        return in;
    }
};

TEST_P(AuditLogTest, EventsAreStampedAndListedNewestFirstInPages) {
    const auto team = must(store_->createTeam("team-a", "Team A"));
    const auto other = must(store_->createTeam("team-b", "Team B"));
    const auto first = must(store_->recordAuditEvent(event(team.id, "provider_token.saved")));
    EXPECT_GT(first.id, 0);
    EXPECT_EQ(first.at, now());
    EXPECT_EQ(first.actor.kind, ActorKind::user);
    EXPECT_EQ(first.actor.user_id, 7);
    EXPECT_EQ(first.actor.name, "alice");
    EXPECT_EQ(first.client_address, "192.0.2.10");
    EXPECT_EQ(first.details["token_last4"], "1234");
    advance(1s);
    must(store_->recordAuditEvent(event(team.id, "member.added", "bob")));
    auto operator_event = event(team.id, "provider_token.removed");
    operator_event.actor = AuditActor{ActorKind::operator_token, 0, 0, "operator sha256:0123abcd"};
    must(store_->recordAuditEvent(operator_event));
    must(store_->recordAuditEvent(event(other.id, "team.created", "team-b")));

    auto all = must(store_->listAuditEvents(team.id, 10));
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].action, "provider_token.removed");
    EXPECT_EQ(all[0].actor.kind, ActorKind::operator_token);
    EXPECT_EQ(all[0].actor.user_id, 0);
    EXPECT_EQ(all[2].action, "provider_token.saved");
    auto page = must(store_->listAuditEvents(team.id, 2));
    ASSERT_EQ(page.size(), 2u);
    auto older = must(store_->listAuditEvents(team.id, 2, page.back().id));
    ASSERT_EQ(older.size(), 1u);
    EXPECT_EQ(older[0].id, first.id);
    EXPECT_EQ(must(store_->listAuditEvents(other.id, 10)).size(), 1u);  // another team's events stay apart
}

TEST_P(AuditLogTest, RefusesAnEventWithoutTeamOrAction) {
    const auto team = must(store_->createTeam("team-a", "Team A"));
    EXPECT_EQ(store_->recordAuditEvent(event(9999, "member.added")).error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(store_->recordAuditEvent(event(0, "member.added")).error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(store_->recordAuditEvent(event(team.id, "")).error().kind, ErrorKind::invalid_input);
}

TEST_P(AuditLogTest, EventsGoWithTheirTeamAndArePurgedByAge) {
    const auto team = must(store_->createTeam("team-a", "Team A"));
    must(store_->recordAuditEvent(event(team.id, "team.created", "team-a")));
    advance(48h);
    must(store_->recordAuditEvent(event(team.id, "member.added", "bob")));
    EXPECT_EQ(must(store_->purgeAuditEvents(now() - 24h)), 1);
    auto left = must(store_->listAuditEvents(team.id, 10));
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].action, "member.added");
    must(store_->deleteTeam(team.id));
    // A team created next may be given the deleted team's id: it starts with an empty log.
    const auto next = must(store_->createTeam("team-c", "Team C"));
    EXPECT_TRUE(must(store_->listAuditEvents(next.id, 10)).empty());
    EXPECT_TRUE(must(store_->listAuditEvents(team.id, 10)).empty());
}

INSTANTIATE_STORE_CONTRACT(AuditLogTest);

}  // namespace
}  // namespace forgelink::store::testing
