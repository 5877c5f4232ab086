#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "redis_server.hpp"
#include "room_store_harness.hpp"
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

// The harness and helpers shared with the in-process store's tests
// (tests/support/room_store_harness.hpp): await, member, RoomOptions, code_of, member_ids.
using ::sudachi::storage::test::await;
using ::sudachi::storage::test::code_of;
using ::sudachi::storage::test::member;
using ::sudachi::storage::test::member_ids;
using ::sudachi::storage::test::RoomOptions;

// RedisRoomStore as a Backend of the shared harness and contract: each harness gets its own
// key prefix on the shared server, so tests never see each other's keys.
struct RedisBackend {
  using Store = RedisRoomStore;
  static constexpr const char* name = "Redis";
  static constexpr bool callbacks_run_inline = false;  // they come on the client's thread
  std::string prefix = unique_prefix();
  std::unique_ptr<RedisRoomStore> make(const Clock& clock) {
    RedisRoomStoreOptions options;
    options.key_prefix = prefix;
    return std::make_unique<RedisRoomStore>(shared_client(), clock, options);
  }
};

// A RedisRoomStore over a manual clock, with one-line wrappers for every operation.
template <class Backend>
using StoreHarness = ::sudachi::storage::test::RoomStoreHarness<Backend>;

}  // namespace sudachi::storage::redis::test
