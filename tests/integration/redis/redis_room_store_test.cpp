// What only the Redis store has: several instances over one Redis, the key schema, TTLs,
// self-healing of expired rooms, hostile data, and failing fast without Redis.
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "storage/redis/redis_keys.hpp"
#include "store_harness.hpp"

namespace sudachi::storage::redis::test {
namespace {

Result<RedisReply> run(RedisClient& client, std::vector<std::string> args) {
  return await<RedisReply>([&](auto done) { client.command(std::move(args), std::move(done)); });
}

// Two server instances: separate clients (connections), separate store objects, one Redis
// and one key space.
struct TwoInstances {
  ManualClock clock;
  std::string prefix = unique_prefix();
  std::shared_ptr<RedisClient> client_a = new_client(shared_server().options());
  std::shared_ptr<RedisClient> client_b = new_client(shared_server().options());
  RedisRoomStore a{client_a, clock, RedisRoomStoreOptions{prefix}};
  RedisRoomStore b{client_b, clock, RedisRoomStoreOptions{prefix}};
};

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

Result<room::RoomView> join(room::RoomStore& store, const std::string& room_id,
                            const std::string& client) {
  return await<room::RoomView>(
      [&](auto done) { store.join_room(room_id, member(client), "", std::move(done)); });
}

TEST(RedisRoomStore, TwoInstancesNeverSeatMoreThanTheRoomHolds) {
  TwoInstances i;
  room::RoomRecord draft;
  draft.id = "race";
  draft.game_id = "0100000000010000";
  draft.max_players = 16;
  ASSERT_TRUE(await<room::RoomView>([&](auto done) {
                i.a.create_room(draft, member("host"), std::move(done));
              }).ok());

  std::atomic<int> seated{0}, full{0}, other{0}, over_max{0};
  race(64, [&](int n) {
    room::RoomStore& store = n % 2 == 0 ? static_cast<room::RoomStore&>(i.a) : i.b;
    auto joined = join(store, "race", "player-" + std::to_string(n));
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
  auto room = await<room::RoomView>([&](auto done) { i.b.get_room("race", std::move(done)); });
  ASSERT_TRUE(room.ok());
  EXPECT_EQ(room->room.players, 16);
  EXPECT_EQ(room->members.size(), 16u);
  EXPECT_EQ(room->room.peak_players, 16);
}

TEST(RedisRoomStore, OneClientRacingIntoManyRoomsOnTwoInstancesGetsOneSeat) {
  TwoInstances i;
  for (int r = 0; r < 16; ++r) {
    room::RoomRecord draft;
    draft.id = "r" + std::to_string(r);
    draft.max_players = 4;
    ASSERT_TRUE(await<room::RoomView>([&](auto done) {
                  i.a.create_room(draft, member("host-" + std::to_string(r)), std::move(done));
                }).ok());
  }
  std::atomic<int> seated{0};
  race(16, [&](int r) {
    room::RoomStore& store = r % 2 == 0 ? static_cast<room::RoomStore&>(i.a) : i.b;
    if (join(store, "r" + std::to_string(r), "roamer").ok()) ++seated;
  });
  EXPECT_EQ(seated.load(), 1);
}

TEST(RedisRoomStore, KeysFollowTheDocumentedSchemaWithHashTagsAndTtl) {
  StoreHarness<RedisBackend> h;
  ASSERT_TRUE(h.create("r1", "alice", RoomOptions{.game_id = "G1"}).ok());
  ASSERT_TRUE(h.join("r1", "bob").ok());
  ASSERT_TRUE(h.kick("r1", "alice", "bob").ok());
  ASSERT_TRUE(h.join("r1", "carol").ok());
  auto client = shared_client();
  const RedisKeys schema(h.backend.prefix);

  for (const std::string& key :
       {schema.room("r1"), schema.members("r1"), schema.profiles("r1"), schema.bans("r1"),
        schema.client("alice"), schema.client("carol")}) {
    auto ttl = run(*client, {"PTTL", key});
    ASSERT_TRUE(ttl.ok());
    // Exists (not -2) and expires within the room TTL (not -1: no key lives forever).
    EXPECT_GT(ttl->int_value(), 23 * 3600 * 1000LL) << key;
    EXPECT_LE(ttl->int_value(), 24 * 3600 * 1000LL) << key;
  }
  auto in_public = run(*client, {"ZSCORE", schema.public_index(), "r1"});
  auto in_game = run(*client, {"ZSCORE", schema.game_index("G1"), "r1"});
  ASSERT_TRUE(in_public.ok() && in_game.ok());
  EXPECT_EQ(in_public->as_int(), h.clock.unix_ms());
  EXPECT_EQ(in_game->as_int(), h.clock.unix_ms());
  auto bob = run(*client, {"EXISTS", schema.client("bob")});
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->int_value(), 0);
}

TEST(RedisRoomStore, AnExpiredRoomReleasesItsMembersAndLeavesTheLobby) {
  StoreHarness<RedisBackend> h;
  ASSERT_TRUE(h.create("gone", "alice").ok());
  ASSERT_TRUE(h.join("gone", "bob").ok());
  ASSERT_TRUE(h.create("stays", "carol").ok());
  auto client = shared_client();
  // The room hash expires first (keys expire one by one): the room is gone for everyone.
  ASSERT_TRUE(run(*client, {"DEL", RedisKeys(h.backend.prefix).room("gone")}).ok());

  EXPECT_EQ(code_of(h.get("gone")), "ROOM_NOT_FOUND");
  EXPECT_FALSE(h.room_of("alice"));  // the stale claim is dropped
  EXPECT_TRUE(h.create("fresh", "bob").ok());
  auto page = h.list();
  EXPECT_EQ(page.total, 2);
  ASSERT_EQ(page.rooms.size(), 2u);
  EXPECT_EQ(h.list({.region = "eu"}).total, 2);
}

TEST(RedisRoomStore, CorruptDataIsAnInternalErrorNotACrash) {
  StoreHarness<RedisBackend> h;
  ASSERT_TRUE(h.create("r1", "alice").ok());
  auto client = shared_client();
  const std::string room_key = RedisKeys(h.backend.prefix).room("r1");
  ASSERT_TRUE(run(*client, {"HSET", room_key, "players", "many", "created", "\xff"}).ok());
  EXPECT_EQ(code_of(h.get("r1")), "INTERNAL");
  // A key of the wrong type: Redis answers WRONGTYPE inside the script.
  const std::string members_key = room_key + ":members";
  ASSERT_TRUE(run(*client, {"DEL", members_key}).ok());
  ASSERT_TRUE(run(*client, {"SET", members_key, "x"}).ok());
  EXPECT_EQ(code_of(h.join("r1", "bob")), "INTERNAL");
}

TEST(RedisRoomStore, WithoutRedisEveryOperationFailsFastWithUnavailable) {
  RedisOptions options = shared_server().options();
  std::string error;
  auto lonely = RedisServer::start_new(error);  // a port that nobody serves once killed
  ASSERT_TRUE(lonely) << error;
  options.port = static_cast<std::uint16_t>(lonely->port());
  lonely->kill();
  auto client = new_client(options);
  ASSERT_TRUE(client);
  ManualClock clock;
  RedisRoomStore store(client, clock);
  EXPECT_FALSE(store.healthy());
  const auto start = std::chrono::steady_clock::now();
  auto got = await<room::RoomView>([&](auto done) { store.get_room("r1", std::move(done)); });
  auto listed = await<room::RoomPage>([&](auto done) { store.list_rooms({}, std::move(done)); });
  EXPECT_EQ(code_of(got), "UNAVAILABLE");
  EXPECT_EQ(code_of(listed), "UNAVAILABLE");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace sudachi::storage::redis::test
