// What only the in-process store has: room_count and rooms_by_game. The behaviour it shares
// with every RoomStore is the contract (memory_room_store_contract_test.cpp); its thread
// safety is memory_room_store_concurrency_test.cpp.
#include "storage/memory/memory_room_store.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "memory_store_support.hpp"

namespace sudachi::storage {
namespace {

using test::RoomOptions;
using test::StoreHarness;

TEST(MemoryRoomStore, RoomCountFollowsCreatesRefusalsLeavesAndCloses) {
  StoreHarness h;
  EXPECT_EQ(h.store.room_count(), 0u);
  ASSERT_TRUE(h.create("r1", "alice").ok());
  EXPECT_EQ(h.store.room_count(), 1u);
  ASSERT_FALSE(h.create("r2", "alice").ok());  // alice is already in r1
  EXPECT_EQ(h.store.room_count(), 1u);         // nothing half-created

  ASSERT_TRUE(h.create("r2", "bob").ok());
  ASSERT_TRUE(h.join("r2", "carol").ok());
  EXPECT_EQ(h.store.room_count(), 2u);
  ASSERT_TRUE(h.leave("r2", "carol").ok());  // a member leaving keeps the room
  EXPECT_EQ(h.store.room_count(), 2u);

  ASSERT_TRUE(h.leave("r1", "alice").ok());  // the last member leaving deletes it
  EXPECT_EQ(h.store.room_count(), 1u);
  ASSERT_TRUE(h.close("r2", "bob").ok());
  EXPECT_EQ(h.store.room_count(), 0u);
}

TEST(MemoryRoomStore, RoomCountIncludesPrivateRoomsTheLobbyHides) {
  StoreHarness h;
  ASSERT_TRUE(h.create("open", "h1").ok());
  ASSERT_TRUE(
      h.create("hidden", "h2", RoomOptions{.visibility = room::Visibility::private_room}).ok());
  EXPECT_EQ(h.list().total, 1);
  EXPECT_EQ(h.store.room_count(), 2u);
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
