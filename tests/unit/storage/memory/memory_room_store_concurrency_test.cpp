#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "memory_store_support.hpp"

namespace sudachi::storage {
namespace {

using test::RoomOptions;
using test::StoreHarness;

// Starts `count` threads that wait for one another before running `body(i)`, so that they
// really race, then joins them.
template <class Body>
void race(int count, Body body) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < count) std::this_thread::yield();
      body(i);
    });
  }
  for (auto& t : threads) t.join();
}

TEST(MemoryRoomStoreConcurrency, SixtyFourJoinersForFifteenSeats) {
  StoreHarness h;
  ASSERT_TRUE(h.create("r1", "host", RoomOptions{.max_players = 16}).ok());
  std::atomic<int> seated{0};
  std::atomic<int> full{0};
  std::atomic<int> other{0};
  std::atomic<int> over_max{0};
  race(64, [&](int i) {
    auto joined = h.join("r1", "player-" + std::to_string(i));
    if (joined.ok()) {
      ++seated;
      if (joined->room.players > 16 || joined->members.size() > 16u) ++over_max;
    } else if (joined.error().code == ErrorCode::room_full) {
      ++full;
    } else {
      ++other;
    }
  });
  EXPECT_EQ(seated.load(), 15);
  EXPECT_EQ(full.load(), 49);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(over_max.load(), 0);
  auto room = h.get("r1");
  ASSERT_TRUE(room.ok());
  EXPECT_EQ(room->room.players, 16);
  EXPECT_EQ(room->members.size(), 16u);
  EXPECT_EQ(room->room.peak_players, 16);
  EXPECT_EQ(h.list().rooms.at(0).players, 16);
}

TEST(MemoryRoomStoreConcurrency, OneClientJoiningManyRoomsAtOnceGetsOneSeat) {
  StoreHarness h;
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(h.create("r" + std::to_string(i), "host-" + std::to_string(i)).ok());
  }
  std::atomic<int> seated{0};
  race(16, [&](int i) {
    if (h.join("r" + std::to_string(i), "roamer").ok()) ++seated;
  });
  EXPECT_EQ(seated.load(), 1);
  auto room_id = h.room_of("roamer");
  ASSERT_TRUE(room_id);
  int listed = 0;
  for (const auto& room : h.list().rooms) listed += room.players;
  EXPECT_EQ(listed, 16 + 1);
}

// Joins, leaves and host migrations of many clients over a few rooms; at the end every
// room's member list, player count and the client -> room claims must agree.
TEST(MemoryRoomStoreConcurrency, ChurnKeepsMembershipConsistent) {
  StoreHarness h;
  constexpr int kRooms = 4;
  for (int r = 0; r < kRooms; ++r) {
    ASSERT_TRUE(h.create("r" + std::to_string(r), "anchor-" + std::to_string(r),
                         RoomOptions{.max_players = 6})
                    .ok());
  }
  race(16, [&](int i) {
    const std::string me = "c" + std::to_string(i);
    for (int round = 0; round < 300; ++round) {
      const std::string room_id = "r" + std::to_string((i + round) % kRooms);
      if (h.join(room_id, me).ok()) {
        (void)h.leave(room_id, me);
      }
      (void)h.list({.not_full = true});
    }
  });
  int total_players = 0;
  for (int r = 0; r < kRooms; ++r) {
    auto room = h.get("r" + std::to_string(r));
    ASSERT_TRUE(room.ok());
    EXPECT_EQ(room->room.players, static_cast<int>(room->members.size()));
    EXPECT_LE(room->room.peak_players, 6);
    for (const auto& m : room->members) EXPECT_EQ(h.room_of(m.client_id), room->room.id);
    total_players += room->room.players;
  }
  EXPECT_EQ(total_players, kRooms);  // only the anchors remain
  for (int i = 0; i < 16; ++i) EXPECT_FALSE(h.room_of("c" + std::to_string(i)));
}

}  // namespace
}  // namespace sudachi::storage
