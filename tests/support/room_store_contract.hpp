#pragma once

// The behaviour every RoomStore implementation must have, written once as type-parameterised
// GoogleTest suites over a Backend (see room_store_harness.hpp). Each test binary
// instantiates them for the backends it can run:
//
//   #include "room_store_contract.hpp"
//   INSTANTIATE_TYPED_TEST_SUITE_P(InProcess, RoomStoreContract, ::testing::Types<MemoryBackend>,
//                                  sudachi::storage::test::BackendName);
//   INSTANTIATE_TYPED_TEST_SUITE_P(InProcess, RoomStoreLobbyContract, ...same...);
//
// Memory: tests/unit/storage/memory/memory_room_store_contract_test.cpp (memory_storage_test).
// Redis:  tests/integration/redis/room_store_contract_test.cpp (redis_integration_test).
// What only one implementation has (MemoryRoomStore::room_count, Redis keys and TTLs, ...)
// is tested next to that implementation, not here.

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "room_store_harness.hpp"

namespace sudachi::storage::test {

template <class Backend>
class RoomStoreContract : public ::testing::Test, public RoomStoreHarness<Backend> {};
TYPED_TEST_SUITE_P(RoomStoreContract);

TYPED_TEST_P(RoomStoreContract, CreateSeatsTheHostAsOnlyMember) {
  auto& h = *this;
  auto created = h.create("r1", "alice");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->room.host_client_id, "alice");
  EXPECT_EQ(created->room.host_username, "user-alice");
  EXPECT_EQ(created->room.players, 1);
  EXPECT_EQ(created->room.peak_players, 1);
  EXPECT_EQ(member_ids(*created), std::vector<std::string>{"alice"});
  EXPECT_EQ(h.room_of("alice"), "r1");
  EXPECT_TRUE(h.store.healthy());
}

TYPED_TEST_P(RoomStoreContract, CreateRefusesAHostAlreadyInARoom) {
  auto& h = *this;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  EXPECT_EQ(code_of(h.create("r2", "alice")), "ALREADY_IN_ROOM");
  EXPECT_EQ(code_of(h.get("r2")), "ROOM_NOT_FOUND");  // nothing half-created
  EXPECT_EQ(h.room_of("alice"), "r1");
}

TYPED_TEST_P(RoomStoreContract, CreateStampsMissingTimesFromTheClock) {
  auto& h = *this;
  room::RoomRecord draft;
  draft.id = "r1";
  draft.game_id = "0100000000010000";
  auto created = h.create_from(draft, "alice");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->room.created_at_ms, h.clock.unix_ms());
  EXPECT_EQ(created->members[0].joined_at_ms, h.clock.unix_ms());
}

TYPED_TEST_P(RoomStoreContract, JoinSeatsInJoinOrderAndTracksPeak) {
  auto& h = *this;
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

TYPED_TEST_P(RoomStoreContract, CheckJoinReturnsTheRoomWithItsPasswordHash) {
  auto& h = *this;
  ASSERT_TRUE(h.create("r1", "alice", RoomOptions{.password_hash = "H1"}).ok());
  auto checked = h.check_join("r1", "bob");
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->password_hash, "H1");
  EXPECT_FALSE(h.room_of("bob"));  // checking seats nobody
}

TYPED_TEST_P(RoomStoreContract, JoinReportsEachErrorOnItsOwn) {
  auto& h = *this;
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

TYPED_TEST_P(RoomStoreContract, JoinRefusesAClientInAnotherRoom) {
  auto& h = *this;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.create("r2", "bob").ok());
  EXPECT_EQ(code_of(h.join("r1", "bob")), "ALREADY_IN_ROOM");
  EXPECT_EQ(h.room_of("bob"), "r2");
}

TYPED_TEST_P(RoomStoreContract, JoinErrorsTakePrecedenceMissingAlreadyInRoomBannedPassword) {
  auto& h = *this;
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

TYPED_TEST_P(RoomStoreContract, PasswordChangedAfterCheckIsWrongPassword) {
  auto& h = *this;
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

TYPED_TEST_P(RoomStoreContract, LeaveByANonMemberIsNotInRoom) {
  auto& h = *this;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  EXPECT_EQ(code_of(h.leave("r1", "bob")), "NOT_IN_ROOM");
  EXPECT_EQ(code_of(h.leave("missing", "alice")), "ROOM_NOT_FOUND");
}

TYPED_TEST_P(RoomStoreContract, HostLeavingMigratesToTheLongestPresentMember) {
  auto& h = *this;
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

TYPED_TEST_P(RoomStoreContract, NonHostLeavingReportsNoNewHost) {
  auto& h = *this;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  ASSERT_TRUE(h.join("r1", "bob").ok());
  auto left = h.leave("r1", "bob");
  ASSERT_TRUE(left.ok());
  EXPECT_FALSE(left->new_host_client_id);
  EXPECT_EQ(left->after.room.host_client_id, "alice");
}

TYPED_TEST_P(RoomStoreContract, LastMemberLeavingDeletesTheRoom) {
  auto& h = *this;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  auto left = h.leave("r1", "alice");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->closed);
  EXPECT_FALSE(left->new_host_client_id);
  EXPECT_TRUE(left->after.members.empty());
  EXPECT_EQ(left->after.room.players, 0);
  EXPECT_EQ(code_of(h.get("r1")), "ROOM_NOT_FOUND");
  EXPECT_FALSE(h.room_of("alice"));
  EXPECT_EQ(h.list().total, 0);
  // The id is free again and alice can host anew.
  EXPECT_TRUE(h.create("r1", "alice").ok());
}

TYPED_TEST_P(RoomStoreContract, KickRemovesAndBansTheTargetFromThatRoomOnly) {
  auto& h = *this;
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

TYPED_TEST_P(RoomStoreContract, KickRefusalsChangeNothing) {
  auto& h = *this;
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

TYPED_TEST_P(RoomStoreContract, CloseReturnsTheRoomAsItWasAndDeletesIt) {
  auto& h = *this;
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
  EXPECT_TRUE(h.create("r2", "bob").ok());  // bob is free to host
}

TYPED_TEST_P(RoomStoreContract, UpdateChangesOnlyGivenFields) {
  auto& h = *this;
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

TYPED_TEST_P(RoomStoreContract, UpdateRefusalsChangeNothingAndMaxMayEqualPlayers) {
  auto& h = *this;
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

TYPED_TEST_P(RoomStoreContract, RecordP2pCountsOutcomes) {
  auto& h = *this;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  EXPECT_TRUE(h.record("r1", room::P2pOutcome::direct).ok());
  EXPECT_TRUE(h.record("r1", room::P2pOutcome::direct).ok());
  EXPECT_TRUE(h.record("r1", room::P2pOutcome::relay).ok());
  EXPECT_TRUE(h.record("r1", room::P2pOutcome::failed).ok());
  EXPECT_EQ(code_of(h.record("missing", room::P2pOutcome::direct)), "ROOM_NOT_FOUND");
  auto room = h.get("r1");
  ASSERT_TRUE(room.ok());
  EXPECT_EQ(room->room.connections.direct, 2);
  EXPECT_EQ(room->room.connections.relay, 1);
  EXPECT_EQ(room->room.connections.failed, 1);
}

TYPED_TEST_P(RoomStoreContract, CallbacksMayReenterTheStore) {
  auto& h = *this;
  std::promise<bool> inner;
  auto inner_ran = inner.get_future();
  room::RoomRecord draft;
  draft.id = "r1";
  h.store.create_room(draft, member("alice"), [&](Result<room::RoomView> created) {
    if (!created.ok()) {
      inner.set_value(false);
      return;
    }
    // Would deadlock if the callback ran with a lock held (in-process store) or blocked the
    // Redis thread (Redis store).
    h.store.get_room("r1", [&](Result<room::RoomView> got) { inner.set_value(got.ok()); });
  });
  if constexpr (TypeParam::callbacks_run_inline) {
    // Both callbacks, the inner one included, ran before create_room returned.
    ASSERT_EQ(inner_ran.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  }
  ASSERT_EQ(inner_ran.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(inner_ran.get());
}

TYPED_TEST_P(RoomStoreContract, ListOrdersRoomsCreatedAtTheSameTimeById) {
  auto& h = *this;
  ASSERT_TRUE(h.create("b", "h1").ok());
  ASSERT_TRUE(h.create("c", "h2").ok());
  ASSERT_TRUE(h.create("a", "h3").ok());  // same clock reading for all three
  EXPECT_EQ(room_ids(h.list()), (std::vector<std::string>{"c", "b", "a"}));
}

REGISTER_TYPED_TEST_SUITE_P(
    RoomStoreContract, CreateSeatsTheHostAsOnlyMember, CreateRefusesAHostAlreadyInARoom,
    CreateStampsMissingTimesFromTheClock, JoinSeatsInJoinOrderAndTracksPeak,
    CheckJoinReturnsTheRoomWithItsPasswordHash, JoinReportsEachErrorOnItsOwn,
    JoinRefusesAClientInAnotherRoom, JoinErrorsTakePrecedenceMissingAlreadyInRoomBannedPassword,
    PasswordChangedAfterCheckIsWrongPassword, LeaveByANonMemberIsNotInRoom,
    HostLeavingMigratesToTheLongestPresentMember, NonHostLeavingReportsNoNewHost,
    LastMemberLeavingDeletesTheRoom, KickRemovesAndBansTheTargetFromThatRoomOnly,
    KickRefusalsChangeNothing, CloseReturnsTheRoomAsItWasAndDeletesIt, UpdateChangesOnlyGivenFields,
    UpdateRefusalsChangeNothingAndMaxMayEqualPlayers, RecordP2pCountsOutcomes,
    CallbacksMayReenterTheStore, ListOrdersRoomsCreatedAtTheSameTimeById);

// The lobby: r1..r5 created one second apart (r5 newest), plus one private room.
//   r1 G1 eu  open      max 2  (full once bob joins)
//   r2 G1 us  password  max 4
//   r3 G2 eu  open      max 4
//   r4 G1 eu  open      max 4
//   r5 G2 us  password  max 2
template <class Backend>
class RoomStoreLobbyContract : public ::testing::Test, public RoomStoreHarness<Backend> {
 protected:
  void SetUp() override {
    auto add = [&](const std::string& id, RoomOptions options) {
      EXPECT_TRUE(this->create(id, "host-" + id, options).ok());
      this->clock.advance_ms(1000);
    };
    add("r1", {.game_id = "G1", .max_players = 2, .region = "eu"});
    add("r2", {.game_id = "G1", .password_hash = "H", .region = "us"});
    add("r3", {.game_id = "G2", .region = "eu"});
    add("r4", {.game_id = "G1", .region = "eu"});
    add("hidden", {.game_id = "G1", .visibility = room::Visibility::private_room});
    add("r5", {.game_id = "G2", .max_players = 2, .password_hash = "H", .region = "us"});
    EXPECT_TRUE(this->join("r1", "bob").ok());
  }
};
TYPED_TEST_SUITE_P(RoomStoreLobbyContract);

TYPED_TEST_P(RoomStoreLobbyContract, ListShowsPublicRoomsNewestFirstWithCurrentCounts) {
  auto& lobby = *this;
  auto page = lobby.list();
  EXPECT_EQ(room_ids(page), (std::vector<std::string>{"r5", "r4", "r3", "r2", "r1"}));
  EXPECT_EQ(page.total, 5);
  EXPECT_EQ(page.rooms.back().players, 2);  // listings show current counts
}

TYPED_TEST_P(RoomStoreLobbyContract, ListFiltersByGameRegionPasswordAndFreeSeats) {
  auto& lobby = *this;
  EXPECT_EQ(room_ids(lobby.list({.game_id = "G1"})), (std::vector<std::string>{"r4", "r2", "r1"}));
  EXPECT_EQ(room_ids(lobby.list({.game_id = "G9"})), std::vector<std::string>{});
  EXPECT_EQ(room_ids(lobby.list({.region = "us"})), (std::vector<std::string>{"r5", "r2"}));
  EXPECT_EQ(room_ids(lobby.list({.has_password = true})), (std::vector<std::string>{"r5", "r2"}));
  EXPECT_EQ(room_ids(lobby.list({.has_password = false})),
            (std::vector<std::string>{"r4", "r3", "r1"}));
  EXPECT_EQ(room_ids(lobby.list({.not_full = true})),
            (std::vector<std::string>{"r5", "r4", "r3", "r2"}));
  // notFull=false is "no restriction", not "full rooms only".
  EXPECT_EQ(lobby.list({.not_full = false}).total, 5);
  EXPECT_EQ(room_ids(lobby.list({.game_id = "G1", .region = "eu", .not_full = true})),
            std::vector<std::string>{"r4"});
}

TYPED_TEST_P(RoomStoreLobbyContract, ListTotalCountsAllMatchesBeforePagination) {
  auto& lobby = *this;
  auto page = lobby.list({.offset = 1, .limit = 2});
  EXPECT_EQ(room_ids(page), (std::vector<std::string>{"r4", "r3"}));
  EXPECT_EQ(page.total, 5);

  page = lobby.list({.game_id = "G1", .offset = 2, .limit = 50});
  EXPECT_EQ(room_ids(page), std::vector<std::string>{"r1"});
  EXPECT_EQ(page.total, 3);

  page = lobby.list({.offset = 10, .limit = 5});
  EXPECT_TRUE(page.rooms.empty());
  EXPECT_EQ(page.total, 5);

  page = lobby.list({.offset = -3, .limit = 0});
  EXPECT_TRUE(page.rooms.empty());
  EXPECT_EQ(page.total, 5);

  page = lobby.list({.offset = -3, .limit = 1});
  EXPECT_EQ(room_ids(page), std::vector<std::string>{"r5"});
}

TYPED_TEST_P(RoomStoreLobbyContract, ListFollowsSeatsVisibilityPasswordsAndClosedRooms) {
  auto& lobby = *this;
  // Full rooms reappear when a seat frees up.
  EXPECT_EQ(lobby.list({.not_full = true}).total, 4);
  ASSERT_TRUE(lobby.leave("r1", "bob").ok());
  EXPECT_EQ(lobby.list({.not_full = true}).total, 5);

  // Visibility and password changes move rooms in and out of results.
  room::RoomUpdate hide;
  hide.visibility = room::Visibility::private_room;
  ASSERT_TRUE(lobby.update("r4", "host-r4", hide).ok());
  room::RoomUpdate show;
  show.visibility = room::Visibility::public_room;
  show.password_hash = "";
  ASSERT_TRUE(lobby.update("hidden", "host-hidden", show).ok());
  EXPECT_EQ(room_ids(lobby.list({.game_id = "G1"})),
            (std::vector<std::string>{"hidden", "r2", "r1"}));

  // Closed rooms vanish.
  ASSERT_TRUE(lobby.close("r2", "host-r2").ok());
  EXPECT_EQ(room_ids(lobby.list({.game_id = "G1"})), (std::vector<std::string>{"hidden", "r1"}));
}

REGISTER_TYPED_TEST_SUITE_P(RoomStoreLobbyContract,
                            ListShowsPublicRoomsNewestFirstWithCurrentCounts,
                            ListFiltersByGameRegionPasswordAndFreeSeats,
                            ListTotalCountsAllMatchesBeforePagination,
                            ListFollowsSeatsVisibilityPasswordsAndClosedRooms);

}  // namespace sudachi::storage::test
