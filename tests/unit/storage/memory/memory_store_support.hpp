#pragma once

#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "storage/memory/memory_room_store.hpp"

namespace sudachi::storage::test {

// The in-process store answers inline; this turns a callback API into a return value and
// fails the test if the callback did not run before the call returned.
template <class T, class Call>
Result<T> await(Call&& call) {
  std::optional<Result<T>> out;
  call([&out](Result<T> result) { out.emplace(std::move(result)); });
  EXPECT_TRUE(out.has_value()) << "callback did not run inline";
  if (!out) return ErrorCode::internal;
  return std::move(*out);
}

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

// A store over a manual clock, with one-line wrappers for every operation.
struct StoreHarness {
  ManualClock clock;
  MemoryRoomStore store{clock};

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
  std::optional<std::string> room_of(const std::string& client) {
    auto result = await<std::optional<std::string>>(
        [&](auto done) { store.room_of(client, std::move(done)); });
    return result.ok() ? *result : std::nullopt;
  }
  room::RoomPage list(room::RoomFilter filter = {}) {
    auto result =
        await<room::RoomPage>([&](auto done) { store.list_rooms(filter, std::move(done)); });
    return result.ok() ? *result : room::RoomPage{};
  }
};

// The error code of a failed result ("ok" when it succeeded), for readable assertions.
template <class T>
std::string code_of(const Result<T>& result) {
  return result.ok() ? "ok" : std::string(to_string(result.error().code));
}

}  // namespace sudachi::storage::test
