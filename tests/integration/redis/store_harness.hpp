#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "redis_server.hpp"
#include "room/room_store.hpp"
#include "storage/memory/memory_room_store.hpp"
#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_room_store.hpp"

namespace sudachi::storage::redis::test {

// The redis-server shared by the tests that do not stop it (started on first use, killed at
// exit), a client connected to it, and a key prefix unique to each caller so that tests never
// see each other's keys without any FLUSHALL.
RedisServer& shared_server();
std::shared_ptr<RedisClient> new_client(const RedisOptions& options);
std::shared_ptr<RedisClient> shared_client();
std::string unique_prefix();

// Runs an asynchronous store call and waits for its callback, at most 10 s (a callback that
// never comes fails the test instead of hanging it). Works for inline callbacks too.
template <class T, class Call>
Result<T> await(Call&& call) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  call([promise](Result<T> result) { promise->set_value(std::move(result)); });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "callback did not run within 10 s";
    return Error::make(ErrorCode::internal, "no callback");
  }
  return future.get();
}

// The two RoomStore implementations, for typed test suites: the same behaviour is required.
struct MemoryBackend {
  std::unique_ptr<room::RoomStore> make(const Clock& clock) {
    return std::make_unique<MemoryRoomStore>(clock);
  }
};
struct RedisBackend {
  std::string prefix = unique_prefix();
  std::unique_ptr<room::RoomStore> make(const Clock& clock) {
    RedisRoomStoreOptions options;
    options.key_prefix = prefix;
    return std::make_unique<RedisRoomStore>(shared_client(), clock, options);
  }
};

inline room::Member member(const std::string& client_id) {
  return room::Member{client_id, "user-" + client_id, "linux", 0};
}

struct RoomOptions {
  std::string game_id = "0100000000010000";
  int max_players = 4;
  std::string password_hash;
  room::Visibility visibility = room::Visibility::public_room;
  std::string region = "eu";
};

// A store over a manual clock, with one-line wrappers for every operation (as the in-process
// store's unit tests have, memory_store_support.hpp, but waiting for asynchronous callbacks).
template <class Backend>
struct StoreHarness {
  ManualClock clock;
  Backend backend;
  std::unique_ptr<room::RoomStore> owned = backend.make(clock);
  room::RoomStore& store = *owned;

  Result<room::RoomView> create(const std::string& room_id, const std::string& host,
                                RoomOptions options = {}) {
    room::RoomRecord draft;
    draft.id = room_id;
    draft.game_id = options.game_id;
    draft.game_name = "Game";
    draft.name = "Room " + room_id;
    draft.max_players = options.max_players;
    draft.password_hash = options.password_hash;
    draft.visibility = options.visibility;
    draft.region = options.region;
    draft.created_at_ms = clock.unix_ms();
    return await<room::RoomView>(
        [&](auto done) { store.create_room(draft, member(host), std::move(done)); });
  }
  Result<room::RoomRecord> check_join(const std::string& room_id, const std::string& client) {
    return await<room::RoomRecord>(
        [&](auto done) { store.check_join(room_id, client, std::move(done)); });
  }
  Result<room::RoomView> join(const std::string& room_id, const std::string& client,
                              const std::string& expected_hash = "") {
    return await<room::RoomView>([&](auto done) {
      store.join_room(room_id, member(client), expected_hash, std::move(done));
    });
  }
  Result<room::LeaveOutcome> leave(const std::string& room_id, const std::string& client) {
    return await<room::LeaveOutcome>(
        [&](auto done) { store.leave_room(room_id, client, std::move(done)); });
  }
  Result<room::LeaveOutcome> kick(const std::string& room_id, const std::string& host,
                                  const std::string& target) {
    return await<room::LeaveOutcome>(
        [&](auto done) { store.kick(room_id, host, target, std::move(done)); });
  }
  Result<room::RoomView> close(const std::string& room_id, const std::string& host) {
    return await<room::RoomView>(
        [&](auto done) { store.close_room(room_id, host, std::move(done)); });
  }
  Result<room::RoomView> update(const std::string& room_id, const std::string& host,
                                room::RoomUpdate change) {
    return await<room::RoomView>(
        [&](auto done) { store.update_room(room_id, host, change, std::move(done)); });
  }
  Result<room::RoomView> get(const std::string& room_id) {
    return await<room::RoomView>([&](auto done) { store.get_room(room_id, std::move(done)); });
  }
  Result<Unit> record(const std::string& room_id, room::P2pOutcome outcome) {
    return await<Unit>([&](auto done) { store.record_p2p(room_id, outcome, std::move(done)); });
  }
  std::optional<std::string> room_of(const std::string& client) {
    auto result = await<std::optional<std::string>>(
        [&](auto done) { store.room_of(client, std::move(done)); });
    EXPECT_TRUE(result.ok());
    return result.ok() ? *result : std::nullopt;
  }
  room::RoomPage list(room::RoomFilter filter = {}) {
    auto result =
        await<room::RoomPage>([&](auto done) { store.list_rooms(filter, std::move(done)); });
    EXPECT_TRUE(result.ok());
    return result.ok() ? *result : room::RoomPage{};
  }
};

template <class T>
std::string code_of(const Result<T>& result) {
  return result.ok() ? "ok" : std::string(to_string(result.error().code));
}

inline std::vector<std::string> member_ids(const room::RoomView& view) {
  std::vector<std::string> out;
  for (const auto& m : view.members) out.push_back(m.client_id);
  return out;
}

}  // namespace sudachi::storage::redis::test
