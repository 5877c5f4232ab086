#pragma once

// One harness for every RoomStore implementation's tests: one-line wrappers that turn the
// callback API into return values, over a manual clock. The store comes from a Backend:
//
//   struct SomeBackend {
//     using Store = SomeRoomStore;                      // what `store` is (for its extras)
//     static constexpr const char* name = "Some";       // names the typed tests
//     static constexpr bool callbacks_run_inline = ...; // checked on every call if true
//     std::unique_ptr<Store> make(const Clock& clock);  // called once per harness
//   };
//
// The in-process backend lives in tests/unit/storage/memory/memory_store_support.hpp, the
// Redis one in tests/integration/redis/store_harness.hpp; the behaviour both must have is
// room_store_contract.hpp.

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "room/room_store.hpp"

namespace sudachi::storage::test {

// Runs an asynchronous call and waits for its callback, at most 10 s (a callback that never
// comes fails the test instead of hanging it). Works for inline callbacks too, and from
// several threads at once.
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

// The error code of a failed result ("ok" when it succeeded), for readable assertions.
template <class T>
std::string code_of(const Result<T>& result) {
  return result.ok() ? "ok" : std::string(to_string(result.error().code));
}

inline std::vector<std::string> member_ids(const room::RoomView& view) {
  std::vector<std::string> out;
  for (const auto& m : view.members) out.push_back(m.client_id);
  return out;
}

inline std::vector<std::string> room_ids(const room::RoomPage& page) {
  std::vector<std::string> out;
  for (const auto& room : page.rooms) out.push_back(room.id);
  return out;
}

// Names typed tests after their backend ("Memory", "Redis").
struct BackendName {
  template <class Backend>
  static std::string GetName(int) {
    return Backend::name;
  }
};

template <class Backend>
struct RoomStoreHarness {
  using Store = typename Backend::Store;

  ManualClock clock;
  Backend backend;
  std::unique_ptr<Store> owned = backend.make(clock);
  Store& store = *owned;

  // Waits for the callback of `call`; for a backend that answers inline, also checks that the
  // callback ran before the call returned.
  template <class T, class Call>
  Result<T> call(Call&& body) {
    if constexpr (Backend::callbacks_run_inline) {
      std::optional<Result<T>> out;
      body([&out](Result<T> result) { out.emplace(std::move(result)); });
      EXPECT_TRUE(out.has_value()) << "callback did not run inline";
      if (!out) return Error::make(ErrorCode::internal, "no inline callback");
      return std::move(*out);
    } else {
      return await<T>(std::forward<Call>(body));
    }
  }

  Result<room::RoomView> create_from(room::RoomRecord draft, const std::string& host) {
    return call<room::RoomView>(
        [&](auto done) { store.create_room(draft, member(host), std::move(done)); });
  }
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
    return create_from(std::move(draft), host);
  }
  Result<room::RoomRecord> check_join(const std::string& room_id, const std::string& client) {
    return call<room::RoomRecord>(
        [&](auto done) { store.check_join(room_id, client, std::move(done)); });
  }
  Result<room::RoomView> join(const std::string& room_id, const std::string& client,
                              const std::string& expected_hash = "") {
    return call<room::RoomView>([&](auto done) {
      store.join_room(room_id, member(client), expected_hash, std::move(done));
    });
  }
  Result<room::LeaveOutcome> leave(const std::string& room_id, const std::string& client) {
    return call<room::LeaveOutcome>(
        [&](auto done) { store.leave_room(room_id, client, std::move(done)); });
  }
  Result<room::LeaveOutcome> kick(const std::string& room_id, const std::string& host,
                                  const std::string& target) {
    return call<room::LeaveOutcome>(
        [&](auto done) { store.kick(room_id, host, target, std::move(done)); });
  }
  Result<room::RoomView> close(const std::string& room_id, const std::string& host) {
    return call<room::RoomView>(
        [&](auto done) { store.close_room(room_id, host, std::move(done)); });
  }
  Result<room::RoomView> update(const std::string& room_id, const std::string& host,
                                room::RoomUpdate change) {
    return call<room::RoomView>(
        [&](auto done) { store.update_room(room_id, host, change, std::move(done)); });
  }
  Result<room::RoomView> get(const std::string& room_id) {
    return call<room::RoomView>([&](auto done) { store.get_room(room_id, std::move(done)); });
  }
  Result<Unit> record(const std::string& room_id, room::P2pOutcome outcome) {
    return call<Unit>([&](auto done) { store.record_p2p(room_id, outcome, std::move(done)); });
  }
  std::optional<std::string> room_of(const std::string& client) {
    auto result = call<std::optional<std::string>>(
        [&](auto done) { store.room_of(client, std::move(done)); });
    EXPECT_TRUE(result.ok());
    return result.ok() ? *result : std::nullopt;
  }
  room::RoomPage list(room::RoomFilter filter = {}) {
    auto result =
        call<room::RoomPage>([&](auto done) { store.list_rooms(filter, std::move(done)); });
    EXPECT_TRUE(result.ok());
    return result.ok() ? *result : room::RoomPage{};
  }
};

}  // namespace sudachi::storage::test
