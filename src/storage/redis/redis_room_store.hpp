#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "room/room_store.hpp"
#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_keys.hpp"

namespace sudachi::storage::redis {

struct RedisRoomStoreOptions {
  // Prepended to every key (e.g. "sudachi:" to share a Redis with other programs); must not
  // contain '{' or '}'.
  std::string key_prefix;
  // A room's keys (and its members' client -> room claims) expire this long after the room's
  // last change or read by id: rooms abandoned by crashed instances disappear by themselves.
  std::chrono::milliseconds room_ttl = std::chrono::hours(24);
  // A filtered listing (region, hasPassword, notFull) examines at most this many index entries.
  int list_scan_limit = 1'000;
};

// The production RoomStore: rooms in Redis, shared by every server instance, with the exact
// semantics of MemoryRoomStore (the same behavioural tests run against both). Each operation
// is one Lua script (room_scripts.cpp), atomic in Redis, so two instances can never both seat
// the last player, and no reader ever sees half of a change.
//
// Callbacks run on the RedisClient's thread, never inline. While Redis is unreachable every
// operation fails at once with UNAVAILABLE and healthy() is false. A timed-out operation may
// have been applied: callers see UNAVAILABLE, and the state (room_of, get_room) tells.
//
// Decisions as in MemoryRoomStore: an unknown room id is ROOM_NOT_FOUND ahead of anything
// else; a host kicking itself is INVALID_REQUEST; created_at / joined_at left at 0 are stamped
// from `clock`'s wall time (the caller's clock, as in the in-process store).
class RedisRoomStore final : public room::RoomStore {
 public:
  RedisRoomStore(std::shared_ptr<RedisClient> client, const Clock& clock,
                 RedisRoomStoreOptions options = {});

  void create_room(room::RoomRecord draft, room::Member host,
                   room::Callback<room::RoomView> done) override;
  void get_room(std::string room_id, room::Callback<room::RoomView> done) override;
  void room_of(std::string client_id, room::Callback<std::optional<std::string>> done) override;
  void check_join(std::string room_id, std::string client_id,
                  room::Callback<room::RoomRecord> done) override;
  void join_room(std::string room_id, room::Member member, std::string expected_password_hash,
                 room::Callback<room::RoomView> done) override;
  void leave_room(std::string room_id, std::string client_id,
                  room::Callback<room::LeaveOutcome> done) override;
  void kick(std::string room_id, std::string host_client_id, std::string target_client_id,
            room::Callback<room::LeaveOutcome> done) override;
  void close_room(std::string room_id, std::string host_client_id,
                  room::Callback<room::RoomView> done) override;
  void update_room(std::string room_id, std::string host_client_id, room::RoomUpdate update,
                   room::Callback<room::RoomView> done) override;
  void list_rooms(room::RoomFilter filter, room::Callback<room::RoomPage> done) override;
  void record_p2p(std::string room_id, room::P2pOutcome outcome,
                  room::Callback<Unit> done) override;
  bool healthy() const override;

 private:
  // ARGV[1], ARGV[2] of every room script: the key prefix and the TTL.
  std::vector<std::string> args() const;
  template <class T>
  void run(const RedisScript& script, std::string key, std::vector<std::string> args,
           Result<T> (*decode)(const RedisReply&), room::Callback<T> done);

  std::shared_ptr<RedisClient> client_;
  const Clock& clock_;
  const RedisRoomStoreOptions options_;
  const RedisKeys keys_;
};

}  // namespace sudachi::storage::redis
