#include <gtest/gtest.h>

#include "memory_store_support.hpp"

namespace sudachi::storage {
namespace {

using test::RoomOptions;
using test::StoreHarness;

std::vector<std::string> ids(const room::RoomPage& page) {
  std::vector<std::string> out;
  for (const auto& room : page.rooms) out.push_back(room.id);
  return out;
}

// r1..r5 created one second apart (r5 newest), plus one private room.
//   r1 G1 eu  open      max 2  (full once bob joins)
//   r2 G1 us  password  max 4
//   r3 G2 eu  open      max 4
//   r4 G1 eu  open      max 4
//   r5 G2 us  password  max 2
struct Lobby : StoreHarness {
  Lobby() {
    auto add = [&](const std::string& id, RoomOptions options) {
      EXPECT_TRUE(create(id, "host-" + id, options).ok());
      clock.advance_ms(1000);
    };
    add("r1", {.game_id = "G1", .max_players = 2, .region = "eu"});
    add("r2", {.game_id = "G1", .password_hash = "H", .region = "us"});
    add("r3", {.game_id = "G2", .region = "eu"});
    add("r4", {.game_id = "G1", .region = "eu"});
    add("hidden", {.game_id = "G1", .visibility = room::Visibility::private_room});
    add("r5", {.game_id = "G2", .max_players = 2, .password_hash = "H", .region = "us"});
    EXPECT_TRUE(join("r1", "bob").ok());
  }
};

TEST(MemoryRoomStoreList, PublicRoomsNewestFirst) {
  Lobby lobby;
  auto page = lobby.list();
  EXPECT_EQ(ids(page), (std::vector<std::string>{"r5", "r4", "r3", "r2", "r1"}));
  EXPECT_EQ(page.total, 5);
  EXPECT_EQ(page.rooms.back().players, 2);  // listings show current counts
}

TEST(MemoryRoomStoreList, TiesOnCreationTimeOrderById) {
  StoreHarness h;
  ASSERT_TRUE(h.create("b", "h1").ok());
  ASSERT_TRUE(h.create("c", "h2").ok());
  ASSERT_TRUE(h.create("a", "h3").ok());  // same clock reading for all three
  EXPECT_EQ(ids(h.list()), (std::vector<std::string>{"c", "b", "a"}));
}

TEST(MemoryRoomStoreList, Filters) {
  Lobby lobby;
  EXPECT_EQ(ids(lobby.list({.game_id = "G1"})), (std::vector<std::string>{"r4", "r2", "r1"}));
  EXPECT_EQ(ids(lobby.list({.game_id = "G9"})), std::vector<std::string>{});
  EXPECT_EQ(ids(lobby.list({.region = "us"})), (std::vector<std::string>{"r5", "r2"}));
  EXPECT_EQ(ids(lobby.list({.has_password = true})), (std::vector<std::string>{"r5", "r2"}));
  EXPECT_EQ(ids(lobby.list({.has_password = false})), (std::vector<std::string>{"r4", "r3", "r1"}));
  EXPECT_EQ(ids(lobby.list({.not_full = true})),
            (std::vector<std::string>{"r5", "r4", "r3", "r2"}));
  // notFull=false is "no restriction", not "full rooms only".
  EXPECT_EQ(lobby.list({.not_full = false}).total, 5);
  EXPECT_EQ(ids(lobby.list({.game_id = "G1", .region = "eu", .not_full = true})),
            std::vector<std::string>{"r4"});
}

TEST(MemoryRoomStoreList, TotalCountsBeforePagination) {
  Lobby lobby;
  auto page = lobby.list({.offset = 1, .limit = 2});
  EXPECT_EQ(ids(page), (std::vector<std::string>{"r4", "r3"}));
  EXPECT_EQ(page.total, 5);

  page = lobby.list({.game_id = "G1", .offset = 2, .limit = 50});
  EXPECT_EQ(ids(page), std::vector<std::string>{"r1"});
  EXPECT_EQ(page.total, 3);

  page = lobby.list({.offset = 10, .limit = 5});
  EXPECT_TRUE(page.rooms.empty());
  EXPECT_EQ(page.total, 5);

  page = lobby.list({.offset = -3, .limit = 0});
  EXPECT_TRUE(page.rooms.empty());
  EXPECT_EQ(page.total, 5);

  page = lobby.list({.offset = -3, .limit = 1});
  EXPECT_EQ(ids(page), std::vector<std::string>{"r5"});
}

TEST(MemoryRoomStoreList, FollowsChanges) {
  Lobby lobby;
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
  EXPECT_EQ(ids(lobby.list({.game_id = "G1"})), (std::vector<std::string>{"hidden", "r2", "r1"}));

  // Closed rooms vanish.
  ASSERT_TRUE(lobby.close("r2", "host-r2").ok());
  EXPECT_EQ(ids(lobby.list({.game_id = "G1"})), (std::vector<std::string>{"hidden", "r1"}));
  EXPECT_EQ(lobby.store.room_count(), 5u);
}

}  // namespace
}  // namespace sudachi::storage
