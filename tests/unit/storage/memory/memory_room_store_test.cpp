#include "storage/memory/memory_room_store.hpp"

#include <gtest/gtest.h>

#include "memory_store_support.hpp"

namespace sudachi::storage {
namespace {

using test::code_of;
using test::RoomOptions;
using test::StoreHarness;

std::vector<std::string> member_ids(const room::RoomView& view) {
  std::vector<std::string> out;
  for (const auto& m : view.members) out.push_back(m.client_id);
  return out;
}

TEST(MemoryRoomStore, CreateSeatsTheHostAsOnlyMember) {
  StoreHarness h;
  auto created = h.create("r1", "alice");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->room.host_client_id, "alice");
  EXPECT_EQ(created->room.host_username, "user-alice");
  EXPECT_EQ(created->room.players, 1);
  EXPECT_EQ(created->room.peak_players, 1);
  EXPECT_EQ(member_ids(*created), std::vector<std::string>{"alice"});
  EXPECT_EQ(h.room_of("alice"), "r1");
  EXPECT_TRUE(h.store.healthy());
  EXPECT_EQ(h.store.room_count(), 1u);
}

TEST(MemoryRoomStore, CreateRefusesAHostAlreadyInARoom) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  EXPECT_EQ(code_of(h.create("r2", "alice")), "ALREADY_IN_ROOM");
  EXPECT_EQ(code_of(h.get("r2")), "ROOM_NOT_FOUND");  // nothing half-created
  EXPECT_EQ(h.room_of("alice"), "r1");
  EXPECT_EQ(h.store.room_count(), 1u);
}

TEST(MemoryRoomStore, CreateStampsMissingTimesFromTheClock) {
  StoreHarness h;
  room::RoomRecord draft;
  draft.id = "r1";
  draft.game_id = "0100000000010000";
  room::Member host = test::member("alice");
  auto created = test::await<room::RoomView>(
      [&](auto done) { h.store.create_room(draft, host, std::move(done)); });
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->room.created_at_ms, h.clock.unix_ms());
  EXPECT_EQ(created->members[0].joined_at_ms, h.clock.unix_ms());
}

TEST(MemoryRoomStore, JoinSeatsInJoinOrderAndTracksPeak) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.join("r1", "bob").ok());
  auto joined = h.join("r1", "carol");
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(member_ids(*joined), (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(joined->room.players, 3);
  EXPECT_EQ(joined->room.peak_players, 3);
  EXPECT_EQ(h.room_of("carol"), "r1");

  ASSERT_TRUE(h.leave("r1", "carol").ok());
  auto after = h.get("r1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->room.players, 2);
  EXPECT_EQ(after->room.peak_players, 3);  // the peak stays
}

TEST(MemoryRoomStore, CheckJoinReturnsTheRoomWithItsPasswordHash) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice", RoomOptions{.password_hash = "H1"}).ok());
  auto checked = h.check_join("r1", "bob");
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->password_hash, "H1");
  EXPECT_FALSE(h.room_of("bob"));  // checking seats nobody
}

TEST(MemoryRoomStore, JoinErrorsEach) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice", RoomOptions{.max_players = 2, .password_hash = "H"}).ok());
  EXPECT_EQ(code_of(h.join("nope", "bob", "H")), "ROOM_NOT_FOUND");
  EXPECT_EQ(code_of(h.check_join("nope", "bob")), "ROOM_NOT_FOUND");
  EXPECT_EQ(code_of(h.join("r1", "bob", "wrong")), "WRONG_PASSWORD");
  EXPECT_EQ(code_of(h.join("r1", "bob", "")), "WRONG_PASSWORD");
  ASSERT_TRUE(h.join("r1", "bob", "H").ok());
  EXPECT_EQ(code_of(h.join("r1", "carol", "H")), "ROOM_FULL");
  EXPECT_EQ(code_of(h.join("r1", "bob", "H")), "ALREADY_IN_ROOM");  // the same room counts
  EXPECT_EQ(code_of(h.check_join("r1", "bob")), "ALREADY_IN_ROOM");
}

TEST(MemoryRoomStore, JoinRefusesAClientInAnotherRoom) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.create("r2", "bob").ok());
  EXPECT_EQ(code_of(h.join("r1", "bob")), "ALREADY_IN_ROOM");
  EXPECT_EQ(h.room_of("bob"), "r2");
}

TEST(MemoryRoomStore, JoinErrorPrecedence) {
  StoreHarness h;
  ASSERT_TRUE(h.create("full", "alice", RoomOptions{.max_players = 2, .password_hash = "H"}).ok());
  ASSERT_TRUE(h.join("full", "bob", "H").ok());
  ASSERT_TRUE(h.kick("full", "alice", "bob").ok());  // bob is banned from "full"
  ASSERT_TRUE(h.join("full", "carol", "H").ok());    // and "full" is full again
  ASSERT_TRUE(h.create("other", "dave").ok());

  // Full + wrong password: WRONG_PASSWORD.
  EXPECT_EQ(code_of(h.join("full", "erin", "wrong")), "WRONG_PASSWORD");
  // Banned + full + wrong password: BANNED.
  EXPECT_EQ(code_of(h.join("full", "bob", "wrong")), "BANNED");
  EXPECT_EQ(code_of(h.check_join("full", "bob")), "BANNED");
  // In another room + banned + full: ALREADY_IN_ROOM.
  ASSERT_TRUE(h.join("other", "bob").ok());
  EXPECT_EQ(code_of(h.join("full", "bob", "wrong")), "ALREADY_IN_ROOM");
  // Missing room beats everything.
  EXPECT_EQ(code_of(h.join("missing", "bob", "wrong")), "ROOM_NOT_FOUND");
}

TEST(MemoryRoomStore, PasswordChangedAfterCheckIsWrongPassword) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice", RoomOptions{.password_hash = "OLD"}).ok());
  auto checked = h.check_join("r1", "bob");
  ASSERT_TRUE(checked.ok());
  const std::string verified = checked->password_hash;  // the caller verifies against this
  room::RoomUpdate change;
  change.password_hash = "NEW";
  ASSERT_TRUE(h.update("r1", "alice", change).ok());
  EXPECT_EQ(code_of(h.join("r1", "bob", verified)), "WRONG_PASSWORD");
  EXPECT_FALSE(h.room_of("bob"));
}

TEST(MemoryRoomStore, LeaveByANonMemberIsNotInRoom) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  EXPECT_EQ(code_of(h.leave("r1", "bob")), "NOT_IN_ROOM");
  EXPECT_EQ(code_of(h.leave("missing", "alice")), "ROOM_NOT_FOUND");
}

TEST(MemoryRoomStore, HostLeavingMigratesToTheLongestPresentMember) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.join("r1", "bob").ok());
  ASSERT_TRUE(h.join("r1", "carol").ok());
  ASSERT_TRUE(h.join("r1", "dave").ok());
  ASSERT_TRUE(h.leave("r1", "carol").ok());  // a non-host leaving changes no host

  auto left = h.leave("r1", "alice");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->departed.client_id, "alice");
  EXPECT_EQ(left->new_host_client_id, "bob");
  EXPECT_FALSE(left->closed);
  EXPECT_EQ(left->after.room.host_client_id, "bob");
  EXPECT_EQ(left->after.room.host_username, "user-bob");
  EXPECT_EQ(member_ids(left->after), (std::vector<std::string>{"bob", "dave"}));
  EXPECT_FALSE(h.room_of("alice"));

  // Rejoining puts alice at the back: dave, present longer, is next in line.
  ASSERT_TRUE(h.join("r1", "alice").ok());
  auto second = h.leave("r1", "bob");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->new_host_client_id, "dave");
}

TEST(MemoryRoomStore, NonHostLeavingReportsNoNewHost) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.join("r1", "bob").ok());
  auto left = h.leave("r1", "bob");
  ASSERT_TRUE(left.ok());
  EXPECT_FALSE(left->new_host_client_id);
  EXPECT_EQ(left->after.room.host_client_id, "alice");
}

TEST(MemoryRoomStore, LastMemberLeavingDeletesTheRoom) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  auto left = h.leave("r1", "alice");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->closed);
  EXPECT_FALSE(left->new_host_client_id);
  EXPECT_TRUE(left->after.members.empty());
  EXPECT_EQ(left->after.room.players, 0);
  EXPECT_EQ(code_of(h.get("r1")), "ROOM_NOT_FOUND");
  EXPECT_FALSE(h.room_of("alice"));
  EXPECT_EQ(h.store.room_count(), 0u);
  EXPECT_EQ(h.list().total, 0);
  // The id is free again and alice can host anew.
  EXPECT_TRUE(h.create("r1", "alice").ok());
}

TEST(MemoryRoomStore, KickRemovesAndBansTheTarget) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.join("r1", "bob").ok());
  auto kicked = h.kick("r1", "alice", "bob");
  ASSERT_TRUE(kicked.ok());
  EXPECT_EQ(kicked->departed.client_id, "bob");
  EXPECT_FALSE(kicked->closed);
  EXPECT_EQ(member_ids(kicked->after), std::vector<std::string>{"alice"});
  EXPECT_FALSE(h.room_of("bob"));

  EXPECT_EQ(code_of(h.join("r1", "bob")), "BANNED");
  // The ban is for that room only, and outlives other comings and goings in it.
  ASSERT_TRUE(h.join("r1", "carol").ok());
  ASSERT_TRUE(h.leave("r1", "alice").ok());  // carol becomes host
  EXPECT_EQ(code_of(h.join("r1", "bob")), "BANNED");
  ASSERT_TRUE(h.create("r2", "dave").ok());
  EXPECT_TRUE(h.join("r2", "bob").ok());
}

TEST(MemoryRoomStore, KickErrors) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.join("r1", "bob").ok());
  ASSERT_TRUE(h.create("r2", "carol").ok());
  EXPECT_EQ(code_of(h.kick("missing", "alice", "bob")), "ROOM_NOT_FOUND");
  EXPECT_EQ(code_of(h.kick("r1", "carol", "bob")), "NOT_IN_ROOM");  // caller not a member
  EXPECT_EQ(code_of(h.kick("r1", "bob", "alice")), "NOT_HOST");
  EXPECT_EQ(code_of(h.kick("r1", "alice", "carol")), "NOT_IN_ROOM");  // target not a member
  EXPECT_EQ(code_of(h.kick("r1", "alice", "alice")), "INVALID_REQUEST");
  EXPECT_EQ(code_of(h.kick("r1", "zed", "zed")), "NOT_IN_ROOM");  // NOT_IN_ROOM before NOT_HOST
  EXPECT_EQ(h.get("r1")->room.players, 2);                        // nothing changed
}

TEST(MemoryRoomStore, CloseReturnsTheRoomAsItWasAndDeletesIt) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.join("r1", "bob").ok());
  EXPECT_EQ(code_of(h.close("missing", "alice")), "ROOM_NOT_FOUND");
  EXPECT_EQ(code_of(h.close("r1", "carol")), "NOT_IN_ROOM");
  EXPECT_EQ(code_of(h.close("r1", "bob")), "NOT_HOST");

  auto closed = h.close("r1", "alice");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(member_ids(*closed), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(closed->room.players, 2);
  EXPECT_EQ(code_of(h.get("r1")), "ROOM_NOT_FOUND");
  EXPECT_FALSE(h.room_of("alice"));
  EXPECT_FALSE(h.room_of("bob"));
  EXPECT_EQ(h.store.room_count(), 0u);
  EXPECT_TRUE(h.create("r2", "bob").ok());  // bob is free to host
}

TEST(MemoryRoomStore, UpdateChangesOnlyGivenFields) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice", RoomOptions{.max_players = 4, .password_hash = "H"}).ok());
  room::RoomUpdate change;
  change.name = "Renamed";
  change.max_players = 8;
  auto updated = h.update("r1", "alice", change);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->room.name, "Renamed");
  EXPECT_EQ(updated->room.max_players, 8);
  EXPECT_EQ(updated->room.password_hash, "H");
  EXPECT_EQ(updated->room.visibility, room::Visibility::public_room);

  room::RoomUpdate unlock;
  unlock.password_hash = "";
  unlock.visibility = room::Visibility::private_room;
  updated = h.update("r1", "alice", unlock);
  ASSERT_TRUE(updated.ok());
  EXPECT_FALSE(updated->room.has_password());
  EXPECT_EQ(updated->room.visibility, room::Visibility::private_room);
  EXPECT_EQ(updated->room.name, "Renamed");
}

TEST(MemoryRoomStore, UpdateErrors) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.join("r1", "bob").ok());
  ASSERT_TRUE(h.join("r1", "carol").ok());
  room::RoomUpdate change;
  change.name = "X";
  change.max_players = 2;  // below the 3 players
  EXPECT_EQ(code_of(h.update("missing", "alice", change)), "ROOM_NOT_FOUND");
  EXPECT_EQ(code_of(h.update("r1", "zed", change)), "NOT_IN_ROOM");
  EXPECT_EQ(code_of(h.update("r1", "bob", change)), "NOT_HOST");
  EXPECT_EQ(code_of(h.update("r1", "alice", change)), "INVALID_REQUEST");
  EXPECT_EQ(h.get("r1")->room.name, "Room r1");  // a refused update changes nothing

  change.max_players = 3;  // equal to the player count is fine
  auto updated = h.update("r1", "alice", change);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(code_of(h.join("r1", "dave")), "ROOM_FULL");
}

TEST(MemoryRoomStore, RecordP2pCountsOutcomes) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  auto record = [&](const std::string& id, room::P2pOutcome outcome) {
    return test::await<Unit>([&](auto done) { h.store.record_p2p(id, outcome, std::move(done)); });
  };
  EXPECT_TRUE(record("r1", room::P2pOutcome::direct).ok());
  EXPECT_TRUE(record("r1", room::P2pOutcome::direct).ok());
  EXPECT_TRUE(record("r1", room::P2pOutcome::relay).ok());
  EXPECT_TRUE(record("r1", room::P2pOutcome::failed).ok());
  EXPECT_EQ(code_of(record("missing", room::P2pOutcome::direct)), "ROOM_NOT_FOUND");
  auto room = h.get("r1");
  ASSERT_TRUE(room.ok());
  EXPECT_EQ(room->room.connections.direct, 2);
  EXPECT_EQ(room->room.connections.relay, 1);
  EXPECT_EQ(room->room.connections.failed, 1);
}

TEST(MemoryRoomStore, CallbacksMayReenterTheStore) {
  StoreHarness h;
  bool inner_ran = false;
  room::RoomRecord draft;
  draft.id = "r1";
  h.store.create_room(draft, test::member("alice"), [&](Result<room::RoomView> created) {
    ASSERT_TRUE(created.ok());
    // Would deadlock if the callback ran with the room's mutex held.
    h.store.get_room("r1", [&](Result<room::RoomView> got) { inner_ran = got.ok(); });
  });
  EXPECT_TRUE(inner_ran);
}

TEST(MemoryRoomStore, RoomsByGameCountsPrivateRoomsToo) {
  StoreHarness h;
  ASSERT_TRUE(h.create("a", "h1", RoomOptions{.game_id = "G1"}).ok());
  ASSERT_TRUE(h.create("b", "h2",
                       RoomOptions{.game_id = "G1", .visibility = room::Visibility::private_room})
                  .ok());
  ASSERT_TRUE(h.create("c", "h3", RoomOptions{.game_id = "G2"}).ok());
  EXPECT_EQ(h.store.rooms_by_game(), (std::map<std::string, int>{{"G1", 2}, {"G2", 1}}));
  EXPECT_EQ(h.store.room_count(), 3u);
  ASSERT_TRUE(h.leave("c", "h3").ok());
  EXPECT_EQ(h.store.rooms_by_game(), (std::map<std::string, int>{{"G1", 2}}));
}

}  // namespace
}  // namespace sudachi::storage
